//! The simulator's market-depth model: one constant-product pool (`x * y = k`, no fee)
//! between the collateral and the debt asset. Keepers and liquidators sell collateral into
//! it; arbitrageurs pull its price part of the way toward the scenario's fundamental price
//! each step, so selling pressure lingers in the price the oracle reports.

/// Reserves in whole tokens.
#[derive(Clone, Debug)]
pub struct Pool {
    pub collateral: f64,
    pub debt: f64,
}

impl Pool {
    /// A pool at `price` (debt per collateral) holding `debt_depth` of the debt asset and
    /// `debt_depth / price` of the collateral.
    pub fn with_depth(price: f64, debt_depth: f64) -> Pool {
        Pool {
            collateral: debt_depth / price,
            debt: debt_depth,
        }
    }

    /// Spot price, debt per collateral.
    pub fn price(&self) -> f64 {
        self.debt / self.collateral
    }

    /// The invariant `collateral * debt`.
    pub fn k(&self) -> f64 {
        self.collateral * self.debt
    }

    /// Debt received for selling `amount` collateral (no state change); 0 for `amount <= 0`.
    pub fn sell_quote(&self, amount: f64) -> f64 {
        if amount <= 0.0 || amount.is_nan() {
            return 0.0;
        }
        self.debt * amount / (self.collateral + amount)
    }

    /// Sells `amount` collateral into the pool and returns the debt received;
    /// 0 for `amount <= 0`.
    pub fn sell_collateral(&mut self, amount: f64) -> f64 {
        let out = self.sell_quote(amount);
        if out > 0.0 {
            let k = self.k();
            self.collateral += amount;
            self.debt = k / self.collateral;
        }
        out
    }

    /// Debt needed to buy `amount` collateral out of the pool (no state change); 0 for
    /// `amount <= 0`, infinite when `amount` is the whole reserve or more.
    pub fn buy_collateral_quote(&self, amount: f64) -> f64 {
        if amount <= 0.0 || amount.is_nan() {
            return 0.0;
        }
        if amount >= self.collateral {
            return f64::INFINITY;
        }
        self.debt * amount / (self.collateral - amount)
    }

    /// Arbitrage: moves the price to `price * (target / price)^speed`, keeping `k`.
    /// `speed` is clamped to [0, 1]; a non-positive or non-finite target changes nothing.
    pub fn arbitrage_toward(&mut self, target_price: f64, speed: f64) {
        if target_price <= 0.0 || !target_price.is_finite() || speed.is_nan() {
            return;
        }
        let speed = speed.clamp(0.0, 1.0);
        if speed == 0.0 {
            return;
        }
        let p = self.price();
        let new_price = if speed == 1.0 {
            target_price
        } else {
            p * (target_price / p).powf(speed)
        };
        let k = self.k();
        self.collateral = (k / new_price).sqrt();
        self.debt = (k * new_price).sqrt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::close;

    #[test]
    fn with_depth_sets_price_and_reserves() {
        let p = Pool::with_depth(25.0, 1_000_000.0);
        assert_eq!(p.debt, 1_000_000.0);
        assert_eq!(p.collateral, 40_000.0);
        assert_eq!(p.price(), 25.0);
    }

    #[test]
    fn k_is_conserved() {
        let mut p = Pool::with_depth(100.0, 1_000_000.0);
        let k = p.k();
        p.sell_collateral(123.4);
        assert!(close(p.k(), k));
        p.arbitrage_toward(140.0, 0.3);
        assert!(close(p.k(), k));
        p.sell_collateral(5_000.0);
        assert!(close(p.k(), k));
    }

    #[test]
    fn selling_lowers_the_price_and_executes_below_spot() {
        let mut p = Pool::with_depth(100.0, 1_000_000.0);
        let before = p.price();
        let got = p.sell_collateral(1_000.0);
        assert!(p.price() < before);
        let avg = got / 1_000.0;
        assert!(avg < before && avg > p.price(), "avg {avg}");
        // Exact constant-product figures: 10k collateral + 1k sold.
        assert!(close(got, 1_000_000.0 * 1_000.0 / 11_000.0));
        assert!(close(
            p.price(),
            1_000_000.0 * 10_000.0 / 11_000.0 / 11_000.0
        ));
        assert_eq!(p.sell_collateral(0.0), 0.0);
        assert_eq!(p.sell_collateral(-3.0), 0.0);
        assert!(close(
            p.price(),
            1_000_000.0 * 10_000.0 / 11_000.0 / 11_000.0
        ));
    }

    #[test]
    fn quotes_match_execution() {
        let p = Pool::with_depth(50.0, 500_000.0);
        let q = p.sell_quote(777.0);
        let mut exec = p.clone();
        assert_eq!(exec.sell_collateral(777.0), q);
        assert_eq!(p.price(), 50.0, "a quote changes nothing");
        // Buying back what was just sold costs exactly what it paid.
        let back = exec.buy_collateral_quote(777.0);
        assert!(close(back, q), "{back} vs {q}");
        let buy = p.buy_collateral_quote(100.0);
        assert!(buy > 100.0 * 50.0, "buying pays above spot");
        assert_eq!(p.buy_collateral_quote(0.0), 0.0);
        assert_eq!(p.buy_collateral_quote(p.collateral), f64::INFINITY);
    }

    #[test]
    fn arbitrage_speed_one_hits_target_speed_zero_does_nothing() {
        let mut p = Pool::with_depth(100.0, 1_000_000.0);
        p.arbitrage_toward(60.0, 1.0);
        assert!(close(p.price(), 60.0));
        let before = p.clone();
        p.arbitrage_toward(200.0, 0.0);
        assert_eq!((p.collateral, p.debt), (before.collateral, before.debt));
        p.arbitrage_toward(-1.0, 1.0);
        assert_eq!((p.collateral, p.debt), (before.collateral, before.debt));
        // Half speed: geometric midpoint.
        p.arbitrage_toward(240.0, 0.5);
        assert!(close(p.price(), 120.0));
        // Speed is clamped to 1.
        p.arbitrage_toward(90.0, 7.0);
        assert!(close(p.price(), 90.0));
    }
}
