//! The market every mechanism trades in: one constant-product pool sized as a ratio of the
//! margin accounts' collateral, pulled back toward the price path by arbitrage with a
//! half-life. The path is the oracle's price (an aggregate of centralized venues); the pool
//! is where liquidators and bidders sell what they buy, so size and speed cost them slippage
//! until arbitrage closes the gap.

use super::pool::Pool;

/// The pool plus its arbitrage.
#[derive(Clone, Debug)]
pub struct Venue {
    pub pool: Pool,
    /// Seconds for arbitrage to close half of the log-gap between the pool and the path.
    pub arb_half_life_secs: f64,
    /// The pool's liquidity (`sqrt(k)`) at start: [`Venue::set_depth`] scales it.
    base_liquidity: f64,
}

impl Venue {
    /// A pool at `price` whose collateral reserve is `depth_ratio` times `book_collateral`
    /// (the margin accounts' total collateral, in tokens): depth ratio 1 means selling the
    /// whole book at once quarters the pool's price and fetches half its value.
    pub fn new(
        price: f64,
        book_collateral: f64,
        depth_ratio: f64,
        arb_half_life_secs: f64,
    ) -> Venue {
        let reserve = (book_collateral * depth_ratio).max(f64::MIN_POSITIVE);
        let pool = Pool {
            collateral: reserve,
            debt: reserve * price,
        };
        Venue {
            base_liquidity: pool.k().sqrt(),
            pool,
            arb_half_life_secs,
        }
    }

    /// Sets the pool's liquidity to `factor` times its starting liquidity at the current
    /// price (liquidity providers withdraw as the market falls, docs/simulator.md,
    /// "Frictions"); `factor` is clamped to (0, 1].
    pub fn set_depth(&mut self, factor: f64) {
        let f = if factor.is_finite() {
            factor.clamp(1e-6, 1.0)
        } else {
            1.0
        };
        let l = self.base_liquidity * f;
        let p = self.price();
        self.pool.collateral = l / p.sqrt();
        self.pool.debt = l * p.sqrt();
    }

    /// The most collateral that can be sold now while moving the price down by at most
    /// `impact` (0..1): `collateral * (1 / sqrt(1 - impact) - 1)`.
    pub fn max_sale(&self, impact: f64) -> f64 {
        let m = impact.clamp(0.0, 0.999_999);
        self.pool.collateral * (1.0 / (1.0 - m).sqrt() - 1.0)
    }

    /// The pool's spot price, debt per collateral.
    pub fn price(&self) -> f64 {
        self.pool.price()
    }

    /// The share of the gap arbitrage closes in `dt` seconds: `1 - 2^(-dt / half_life)`
    /// (1 when the half-life is 0).
    pub fn arb_fraction(&self, dt: f64) -> f64 {
        if self.arb_half_life_secs <= 0.0 {
            1.0
        } else {
            1.0 - 2f64.powf(-dt.max(0.0) / self.arb_half_life_secs)
        }
    }

    /// `dt` seconds of arbitrage toward the path's `price`.
    pub fn arbitrage(&mut self, price: f64, dt: f64) {
        let f = self.arb_fraction(dt);
        self.pool.arbitrage_toward(price, f);
    }

    /// Debt that selling `q` collateral would fetch (no state change).
    pub fn quote(&self, q: f64) -> f64 {
        self.pool.sell_quote(q)
    }

    /// Sells `q` collateral; returns the debt received.
    pub fn sell(&mut self, q: f64) -> f64 {
        self.pool.sell_collateral(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_ratio_sizes_the_reserve() {
        let v = Venue::new(50.0, 1_000.0, 2.0, 60.0);
        assert_eq!(v.pool.collateral, 2_000.0);
        assert_eq!(v.price(), 50.0);
        // Selling the whole book into a ratio-1 pool fetches half its value.
        let v1 = Venue::new(50.0, 1_000.0, 1.0, 60.0);
        assert!((v1.quote(1_000.0) - 25_000.0).abs() < 1e-6);
    }

    #[test]
    fn arbitrage_half_life() {
        let mut v = Venue::new(100.0, 1_000.0, 1.0, 60.0);
        v.sell(1_000.0); // price 25
        assert!((v.price() - 25.0).abs() < 1e-9);
        // One half-life halves the log-gap: 25 -> 50 toward 100.
        v.arbitrage(100.0, 60.0);
        assert!((v.price() - 50.0).abs() < 1e-9, "{}", v.price());
        assert_eq!(Venue::new(1.0, 1.0, 1.0, 0.0).arb_fraction(1.0), 1.0);
        assert_eq!(v.arb_fraction(0.0), 0.0);
    }

    #[test]
    fn depth_scales_the_liquidity_at_the_current_price() {
        let mut v = Venue::new(100.0, 1_000.0, 1.0, 60.0);
        v.arbitrage(64.0, 0.0);
        v.set_depth(1.0);
        v.arbitrage(64.0, 1e9);
        assert!((v.price() - 64.0).abs() < 1e-9);
        // Liquidity 1,000 * 100 = 1e5... sqrt(k) = sqrt(1e3 * 1e5) = 10,000: at 64 the
        // pool holds 10,000 / 8 = 1,250 collateral; at half depth 625.
        assert!((v.pool.collateral - 1_250.0).abs() < 1e-6);
        v.set_depth(0.5);
        assert!((v.pool.collateral - 625.0).abs() < 1e-6);
        assert!((v.price() - 64.0).abs() < 1e-9);
        // A sale of max_sale(1%) moves the price by exactly 1%.
        let q = v.max_sale(0.01);
        v.sell(q);
        assert!((v.price() - 64.0 * 0.99).abs() < 1e-9);
    }
}
