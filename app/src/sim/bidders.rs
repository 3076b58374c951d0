//! The bidders and liquidators every mechanism shares: a fixed population, each with finite
//! capital, its own edge and its own latency. A bidder takes an offer (collateral at a unit
//! price) only when selling what it buys into the venue at once returns its edge, and only
//! as much as its capital pays for; it then sells into the venue. Capital is per look: a
//! bidder can commit at most its capital between two looks (its position is unwound by the
//! next one). Defaults and why: docs/simulator.md, "Bidders".

use super::venue::Venue;

/// One bidder.
#[derive(Clone, Debug, PartialEq)]
pub struct Bidder {
    /// Debt units it can commit per look.
    pub capital: f64,
    /// Profit it needs over the venue's proceeds, bps of what it pays.
    pub edge_bps: f64,
    /// Seconds between its looks at the market (its reaction time).
    pub latency_secs: f64,
    next_look: f64,
    spent: f64,
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
            spent: 0.0,
        }
    }

    /// The default population sharing `total_capital` debt units per look.
    pub fn population(total_capital: f64) -> Vec<Bidder> {
        POPULATION
            .iter()
            .map(|&(w, edge, lat)| Bidder::new(total_capital * w, edge, lat))
            .collect()
    }

    /// Whether the bidder looks at the market at `t_secs`; a look restores its capital.
    pub fn look(&mut self, t_secs: f64) -> bool {
        if t_secs + 1e-9 < self.next_look {
            return false;
        }
        self.next_look = t_secs + self.latency_secs;
        self.spent = 0.0;
        true
    }

    /// Capital left in this look, debt units.
    pub fn available(&self) -> f64 {
        (self.capital - self.spent).max(0.0)
    }

    /// Records `amount` debt units committed in this look.
    pub fn spend(&mut self, amount: f64) {
        self.spent += amount.max(0.0);
    }

    /// Whether buying `q` collateral at `unit_price` and selling it into `venue` returns the
    /// bidder's edge.
    pub fn profitable(&self, venue: &Venue, unit_price: f64, q: f64) -> bool {
        q > 0.0 && venue.quote(q) >= q * unit_price * (1.0 + self.edge_bps / 1e4)
    }

    /// The largest amount of collateral, up to `max_q`, the bidder would buy at
    /// `unit_price`: what its capital pays for and still sells at its edge. 0 when none.
    pub fn take_size(&self, venue: &Venue, unit_price: f64, max_q: f64) -> f64 {
        if unit_price.is_nan() || unit_price <= 0.0 || max_q.is_nan() || max_q <= 0.0 {
            return 0.0;
        }
        let cap = max_q.min(self.available() / unit_price);
        if cap <= 0.0 {
            return 0.0;
        }
        if self.profitable(venue, unit_price, cap) {
            return cap;
        }
        // Proceeds per unit fall with size: bisect for the edge.
        let (mut lo, mut hi) = (0.0, cap);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if self.profitable(venue, unit_price, mid) {
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
    fn population_shares_the_capital() {
        let p = Bidder::population(1_000.0);
        let total: f64 = p.iter().map(|b| b.capital).sum();
        assert!((total - 1_000.0).abs() < 1e-9);
        assert!(p.windows(2).all(|w| w[0].edge_bps < w[1].edge_bps));
    }

    #[test]
    fn looks_follow_latency_and_restore_capital() {
        let mut b = Bidder::new(100.0, 50.0, 60.0);
        assert!(b.look(0.0));
        b.spend(70.0);
        assert_eq!(b.available(), 30.0);
        assert!(!b.look(30.0));
        assert!(b.look(60.0));
        assert_eq!(b.available(), 100.0);
        let mut fast = Bidder::new(1.0, 0.0, 0.0);
        assert!(fast.look(0.0) && fast.look(0.0) && fast.look(1.0));
    }

    #[test]
    fn take_size_stops_at_the_edge_and_the_capital() {
        // Pool at 100 with 1,000 collateral: selling q fetches 100,000 q / (1,000 + q).
        let v = Venue::new(100.0, 1_000.0, 1.0, 60.0);
        let b = Bidder::new(1e12, 100.0, 0.0);
        // Offered at 90 with a 1% edge: q such that 100,000 / (1,000 + q) = 90.9.
        let q = b.take_size(&v, 90.0, 1e9);
        let expect = 100_000.0 / (90.0 * 1.01) - 1_000.0;
        assert!((q - expect).abs() < 1e-6, "{q} vs {expect}");
        // Capital binds first.
        let poor = Bidder::new(900.0, 100.0, 0.0);
        assert!((poor.take_size(&v, 90.0, 1e9) - 10.0).abs() < 1e-9);
        // Above the pool's price: nothing.
        assert_eq!(b.take_size(&v, 100.0, 5.0), 0.0);
        assert_eq!(b.take_size(&v, 0.0, 5.0), 0.0);
        // The offer's size binds.
        assert_eq!(b.take_size(&v, 50.0, 5.0), 5.0);
    }
}
