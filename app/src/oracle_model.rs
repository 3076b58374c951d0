//! A Pyth-like feed over a price path: spot is the path's (or the simulated
//! pool's) price, the EMA follows it with Pyth's ~1 h half-life, and the
//! confidence widens with the step's move. Pure maths: the simulator writes
//! its readings into the in-process bank, `localnet crash` through the price
//! feeder on a validator.

/// Pyth's EMA half-life, seconds (about an hour).
pub const EMA_HALF_LIFE_SECS: f64 = 3_600.0;
/// Confidence in calm markets, bps of the price.
pub const BASE_CONF_BPS: f64 = 5.0;
/// Cap on the confidence (under the market's 2% acceptance limit).
pub const MAX_CONF_BPS: f64 = 150.0;

/// A reading in Pyth's units: prices and confidences at exponent -8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct E8Reading {
    pub price: i64,
    pub conf: u64,
    pub ema_price: i64,
    pub ema_conf: u64,
}

/// Pyth's exponent for USD prices.
pub const EXPONENT: i32 = -8;

#[derive(Clone, Debug)]
pub struct SimOracle {
    pub spot: f64,
    pub ema: f64,
    pub conf_bps: f64,
    pub ema_conf_bps: f64,
}

impl SimOracle {
    pub fn new(price: f64) -> SimOracle {
        SimOracle {
            spot: price,
            ema: price,
            conf_bps: BASE_CONF_BPS,
            ema_conf_bps: BASE_CONF_BPS,
        }
    }

    /// One step of `dt` seconds to a new spot price.
    pub fn update(&mut self, spot: f64, dt: f64, conf_bps: Option<f64>) {
        let alpha = 1.0 - 2f64.powf(-dt / EMA_HALF_LIFE_SECS);
        let moved_bps = ((spot / self.spot).ln().abs()) * 1e4;
        self.conf_bps = conf_bps
            .unwrap_or(BASE_CONF_BPS + 0.5 * moved_bps)
            .min(MAX_CONF_BPS);
        self.ema += alpha * (spot - self.ema);
        self.ema_conf_bps += alpha * (self.conf_bps - self.ema_conf_bps);
        self.spot = spot;
    }

    /// The EMA less its confidence: the collateral side of the trigger price.
    pub fn trigger(&self) -> f64 {
        self.ema * (1.0 - self.ema_conf_bps / 1e4)
    }

    /// The reading in Pyth's units (exponent -8).
    pub fn e8(&self) -> E8Reading {
        let e8 = |x: f64| (x * 1e8).round() as i64;
        E8Reading {
            price: e8(self.spot),
            conf: (e8(self.spot) as f64 * self.conf_bps / 1e4) as u64,
            ema_price: e8(self.ema),
            ema_conf: (e8(self.ema) as f64 * self.ema_conf_bps / 1e4) as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ema_has_a_one_hour_half_life() {
        let mut o = SimOracle::new(100.0);
        // A step to 50 held for an hour, in one-minute steps: halfway.
        for _ in 0..60 {
            o.update(50.0, 60.0, None);
        }
        assert!((o.ema - 75.0).abs() < 1e-9, "{}", o.ema);
        assert_eq!(o.spot, 50.0);
    }

    #[test]
    fn confidence_widens_with_the_move_and_is_capped() {
        let mut o = SimOracle::new(100.0);
        o.update(100.0, 60.0, None);
        assert_eq!(o.conf_bps, BASE_CONF_BPS);
        o.update(99.0, 60.0, None);
        assert!(o.conf_bps > BASE_CONF_BPS);
        o.update(50.0, 60.0, None);
        assert_eq!(o.conf_bps, MAX_CONF_BPS);
        o.update(50.0, 60.0, Some(20.0));
        assert_eq!(o.conf_bps, 20.0);
    }
}
