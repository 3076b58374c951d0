//! The bidders and liquidators every mechanism shares: a fixed population, each with finite
//! capital, its own edge and its own latency, and the same frictions whatever mechanism it
//! serves (docs/simulator.md, "Bidders" and "Frictions"):
//!
//! - capital is cash: it starts at the bidder's share of `--bidder-capital-pct`, a purchase
//!   and a transaction's fee spend it, and it comes back only as the bidder sells;
//! - what a bidder buys is inventory, sold into the venue over time: each step at most what
//!   moves the venue's price by [`MAX_STEP_IMPACT`] ([`Bidder::unwind`]);
//! - a bidder takes an offer (collateral at a unit price) only when the venue would pay for
//!   it, on top of the inventory it already holds, the price plus its edge plus the
//!   transaction's fee; and only as much as its cash pays for.

use super::venue::Venue;

/// The most a bidder's sales may move the venue's price in one step: 1%.
pub const MAX_STEP_IMPACT: f64 = 0.01;

/// One bidder.
#[derive(Clone, Debug, PartialEq)]
pub struct Bidder {
    /// Starting capital, debt units.
    pub capital: f64,
    /// Profit it needs over the venue's proceeds, bps of what it pays.
    pub edge_bps: f64,
    /// Seconds between its looks at the market (its reaction time).
    pub latency_secs: f64,
    next_look: f64,
    /// Debt units it holds.
    cash: f64,
    /// Collateral bought and not yet sold.
    inventory: f64,
}

/// Capital weights, edges (bps) and latencies (s) of the default population: a few large,
/// fast, low-margin searchers and a tail of smaller, slower, pickier ones.
const POPULATION: [(f64, f64, f64); 6] = [
    (0.30, 50.0, 0.0),
    (0.25, 75.0, 30.0),
    (0.18, 100.0, 60.0),
    (0.12, 150.0, 120.0),
    (0.10, 200.0, 300.0),
    (0.05, 300.0, 600.0),
];

impl Bidder {
    pub fn new(capital: f64, edge_bps: f64, latency_secs: f64) -> Bidder {
        Bidder {
            capital,
            edge_bps,
            latency_secs,
            next_look: 0.0,
            cash: capital.max(0.0),
            inventory: 0.0,
        }
    }

    /// The default population sharing `total_capital` debt units of starting capital.
    pub fn population(total_capital: f64) -> Vec<Bidder> {
        POPULATION
            .iter()
            .map(|&(w, edge, lat)| Bidder::new(total_capital * w, edge, lat))
            .collect()
    }

    /// Whether the bidder looks at the market at `t_secs`.
    pub fn look(&mut self, t_secs: f64) -> bool {
        if t_secs + 1e-9 < self.next_look {
            return false;
        }
        self.next_look = t_secs + self.latency_secs;
        true
    }

    /// Cash it can commit now, debt units.
    pub fn available(&self) -> f64 {
        self.cash.max(0.0)
    }

    /// Collateral it holds, not yet sold.
    pub fn inventory(&self) -> f64 {
        self.inventory
    }

    /// Bought `q` collateral for `paid` debt units.
    pub fn buy(&mut self, q: f64, paid: f64) {
        self.inventory += q.max(0.0);
        self.cash -= paid.max(0.0);
    }

    /// Debt units out of its starting capital now (purchases and fees, less sales so
    /// far); never negative.
    pub fn outlay(&self) -> f64 {
        (self.capital - self.cash).max(0.0)
    }

    /// Paid a transaction's fee.
    pub fn pay_fee(&mut self, fee: f64) {
        self.cash -= fee.max(0.0);
    }

    /// Received `amount` debt units (a sale outside [`Bidder::unwind`]).
    pub fn receive(&mut self, amount: f64) {
        self.cash += amount.max(0.0);
    }

    /// Sells what it may of its inventory into `venue` this step: all of it, or what moves
    /// the price by [`MAX_STEP_IMPACT`]. Returns (sold, proceeds).
    pub fn unwind(&mut self, venue: &mut Venue) -> (f64, f64) {
        let q = self.inventory.min(venue.max_sale(MAX_STEP_IMPACT));
        if q <= 0.0 {
            return (0.0, 0.0);
        }
        let proceeds = venue.sell(q);
        self.inventory -= q;
        if self.inventory < 1e-12 {
            self.inventory = 0.0;
        }
        self.cash += proceeds;
        (q, proceeds)
    }

    /// What buying `q` at `unit_price` with a transaction fee of `fee` would leave over its
    /// edge, valued at the venue on top of its inventory: `venue(inventory + q) -
    /// venue(inventory) - q * unit_price * (1 + edge) - fee`.
    pub fn margin(&self, venue: &Venue, unit_price: f64, q: f64, fee: f64) -> f64 {
        let worth = venue.quote(self.inventory + q) - venue.quote(self.inventory);
        worth - q * unit_price * (1.0 + self.edge_bps / 1e4) - fee
    }

    /// Whether buying `q` collateral at `unit_price` with a transaction fee of `fee` returns
    /// the bidder's edge.
    pub fn profitable(&self, venue: &Venue, unit_price: f64, q: f64, fee: f64) -> bool {
        q > 0.0 && self.margin(venue, unit_price, q, fee) >= 0.0
    }

    /// The largest amount of collateral, up to `max_q`, the bidder would buy at
    /// `unit_price` paying `fee` for the transaction: what its cash pays for (fee included)
    /// and still returns its edge. 0 when none.
    pub fn take_size(&self, venue: &Venue, unit_price: f64, max_q: f64, fee: f64) -> f64 {
        if unit_price.is_nan() || unit_price <= 0.0 || max_q.is_nan() || max_q <= 0.0 {
            return 0.0;
        }
        let cap = max_q.min((self.available() - fee.max(0.0)).max(0.0) / unit_price);
        // Float crumbs of cash are no take.
        if cap <= max_q * 1e-12 {
            return 0.0;
        }
        if self.profitable(venue, unit_price, cap, fee) {
            return cap;
        }
        // The margin is concave in q (proceeds per unit fall with size, the fee is fixed):
        // find its peak, then the largest size past it that still pays.
        let (mut lo, mut hi) = (0.0, cap);
        for _ in 0..100 {
            let a = lo + (hi - lo) / 3.0;
            let b = hi - (hi - lo) / 3.0;
            if self.margin(venue, unit_price, a, fee) < self.margin(venue, unit_price, b, fee) {
                lo = a;
            } else {
                hi = b;
            }
        }
        let peak = 0.5 * (lo + hi);
        if !self.profitable(venue, unit_price, peak, fee) {
            return 0.0;
        }
        let (mut lo, mut hi) = (peak, cap);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if self.profitable(venue, unit_price, mid, fee) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if lo < cap * 1e-9 {
            0.0
        } else {
            lo
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlay_is_what_is_out_of_the_starting_capital() {
        let mut b = Bidder::new(100.0, 50.0, 0.0);
        assert_eq!(b.outlay(), 0.0);
        b.buy(1.0, 30.0);
        b.pay_fee(2.0);
        assert_eq!(b.outlay(), 32.0);
        b.receive(40.0);
        assert_eq!(b.outlay(), 0.0, "a profit is no outlay");
    }

    #[test]
    fn population_shares_the_capital() {
        let p = Bidder::population(1_000.0);
        let total: f64 = p.iter().map(|b| b.capital).sum();
        assert!((total - 1_000.0).abs() < 1e-9);
        assert!(p.windows(2).all(|w| w[0].edge_bps < w[1].edge_bps));
    }

    #[test]
    fn looks_follow_latency_and_capital_comes_back_only_from_sales() {
        let mut b = Bidder::new(100.0, 50.0, 60.0);
        assert!(b.look(0.0));
        b.buy(0.7, 70.0);
        assert_eq!(b.available(), 30.0);
        assert!(!b.look(30.0));
        assert!(b.look(60.0));
        assert_eq!(b.available(), 30.0, "a look refills nothing");
        // Selling the 0.7 into a deep pool at 100 brings back ~70.
        let mut v = Venue::new(100.0, 1e9, 1.0, 60.0);
        let (q, got) = b.unwind(&mut v);
        assert_eq!(q, 0.7);
        assert!((got - 70.0).abs() < 1e-6);
        assert!((b.available() - 100.0).abs() < 1e-6);
        assert_eq!(b.inventory(), 0.0);
        b.pay_fee(1.0);
        assert!((b.available() - 99.0).abs() < 1e-6);
        let mut fast = Bidder::new(1.0, 0.0, 0.0);
        assert!(fast.look(0.0) && fast.look(0.0) && fast.look(1.0));
    }

    #[test]
    fn unwind_moves_the_price_by_at_most_one_percent_a_step() {
        // 1,000 collateral in the pool: a 1% price move is a sale of 1000 (1/sqrt(0.99) - 1)
        // = 5.0378 collateral.
        let mut v = Venue::new(100.0, 1_000.0, 1.0, 60.0);
        let mut b = Bidder::new(0.0, 0.0, 0.0);
        b.buy(20.0, 0.0);
        let (q, _) = b.unwind(&mut v);
        assert!(
            (q - 1_000.0 * (1.0 / 0.99f64.sqrt() - 1.0)).abs() < 1e-9,
            "{q}"
        );
        assert!((v.price() - 99.0).abs() < 1e-9, "{}", v.price());
        assert!((b.inventory() - (20.0 - q)).abs() < 1e-9);
    }

    #[test]
    fn take_size_stops_at_the_edge_and_the_capital() {
        // Pool at 100 with 1,000 collateral: selling q fetches 100,000 q / (1,000 + q).
        let v = Venue::new(100.0, 1_000.0, 1.0, 60.0);
        let b = Bidder::new(1e12, 100.0, 0.0);
        // Offered at 90 with a 1% edge: q such that 100,000 / (1,000 + q) = 90.9.
        let q = b.take_size(&v, 90.0, 1e9, 0.0);
        let expect = 100_000.0 / (90.0 * 1.01) - 1_000.0;
        assert!((q - expect).abs() < 1e-6, "{q} vs {expect}");
        // Capital binds first.
        let poor = Bidder::new(900.0, 100.0, 0.0);
        assert!((poor.take_size(&v, 90.0, 1e9, 0.0) - 10.0).abs() < 1e-9);
        // Above the pool's price: nothing.
        assert_eq!(b.take_size(&v, 100.0, 5.0, 0.0), 0.0);
        assert_eq!(b.take_size(&v, 0.0, 5.0, 0.0), 0.0);
        // The offer's size binds.
        assert_eq!(b.take_size(&v, 50.0, 5.0, 0.0), 5.0);
    }

    #[test]
    fn the_fee_makes_small_takes_unprofitable_and_cuts_the_cash() {
        let v = Venue::new(100.0, 1e9, 1.0, 60.0);
        let b = Bidder::new(1e6, 0.0, 0.0);
        // At 99 a unit earns ~1: a fee of 3 needs at least 3 units.
        assert_eq!(b.take_size(&v, 99.0, 2.0, 3.0), 0.0);
        assert_eq!(b.take_size(&v, 99.0, 4.0, 3.0), 4.0);
        // Cash 100 with a fee of 1: at most 99 / 90 = 1.1 units.
        let poor = Bidder::new(100.0, 0.0, 0.0);
        assert!((poor.take_size(&v, 90.0, 10.0, 1.0) - 1.1).abs() < 1e-9);
    }

    #[test]
    fn inventory_lowers_what_a_bidder_pays_for() {
        // A bidder holding 500 unsold values the next 100 on top of them.
        let v = Venue::new(100.0, 1_000.0, 1.0, 60.0);
        let mut b = Bidder::new(1e12, 0.0, 0.0);
        let fresh = b.take_size(&v, 80.0, 1e9, 0.0);
        b.buy(500.0, 0.0);
        let loaded = b.take_size(&v, 80.0, 1e9, 0.0);
        // Fresh: 100,000 / (1,000 + q) = 80 -> q = 250; loaded: the marginal unit sells
        // at 100,000 * 1,000 / (1,000 + 500 + q)^2... it takes nothing at 80 (marginal
        // price at 500 held is 44.4).
        assert!((fresh - 250.0).abs() < 1e-6, "{fresh}");
        assert_eq!(loaded, 0.0);
    }
}
