//! The rival mechanisms, run on the same path, venue and bidders as the engine: pure models
//! in the simulator, not programs. Each follows its own published rules (docs/simulator.md,
//! "Rivals"): `gen1` (a generation-one lender reading the venue's own price), `aave_v3`
//! (Aave v3's liquidationCall) and `maker_liq2` (Maker Liquidations 2.0: Dog + Clipper).
//!
//! A rival owns its positions and its insurance fund; each step it is given the oracle's
//! price (the path's), the venue (arbitraged toward the path before the step) and the
//! bidders, and reports what it did through the [`Ledger`].

pub mod aave_v3;
pub mod gen1;
pub mod maker_liq2;

use super::bidders::Bidder;
use super::ledger::{EndState, Ledger, MechanismMetrics, Position};
use super::venue::Venue;

/// What a rival sees in one step.
pub struct StepCtx<'a> {
    /// Seconds from the start.
    pub t: f64,
    /// Seconds since the previous step.
    pub dt: f64,
    /// The oracle's price: the path's, at the simulator's price level.
    pub price: f64,
    /// Where bidders sell what they buy.
    pub venue: &'a mut Venue,
    /// The bidder population, in order of who acts first.
    pub bidders: &'a mut [Bidder],
    pub ledger: &'a mut Ledger,
}

/// A liquidation mechanism modelled in the simulator.
pub trait Rival {
    /// One step: find what is liquidatable, let the bidders act, record it.
    fn step(&mut self, cx: &mut StepCtx);
    /// Whether anything is left to do at `price` (an open auction, a liquidatable account):
    /// after the path ends the run goes on at the last price while this holds.
    fn busy(&self, price: f64) -> bool;
    /// The end state at `final_price`: bad debt (written off, plus what open positions owe
    /// beyond their collateral), the insurance left. Rivals hold no POL.
    fn end_state(&self, final_price: f64) -> EndState;
}

/// The shared insurance fund of a rival: pays shortfalls until empty; the rest is bad debt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Insurance {
    pub balance: f64,
    /// Shortfalls it could not pay: the lenders' loss.
    pub uncovered: f64,
}

impl Insurance {
    pub fn new(balance: f64) -> Insurance {
        Insurance {
            balance,
            uncovered: 0.0,
        }
    }

    /// Covers `shortfall` as far as the balance goes.
    pub fn cover(&mut self, shortfall: f64) {
        if shortfall <= 0.0 {
            return;
        }
        let paid = shortfall.min(self.balance);
        self.balance -= paid;
        self.uncovered += shortfall - paid;
    }

    /// Income (a penalty, a fee).
    pub fn earn(&mut self, amount: f64) {
        self.balance += amount.max(0.0);
    }
    /// A rival's end state: `shortfall` (what open positions and auctions owe beyond their
    /// collateral at the final price) and what the fund could not pay are bad debt; rivals
    /// hold no POL.
    pub fn end_state(&self, shortfall: f64) -> EndState {
        EndState {
            bad_debt: self.uncovered + shortfall,
            insurance_end: self.balance,
            pol_end: 0.0,
        }
    }
}

/// What open positions owe beyond their collateral at `price`.
pub fn underwater(positions: &[Position], price: f64) -> f64 {
    positions
        .iter()
        .map(|p| (p.debt - p.collateral * price).max(0.0))
        .sum()
}

/// How a rival run is set up: the same for every mechanism of one simulation.
pub struct RivalRun<'a> {
    pub book: &'a [Position],
    /// The path at the simulator's price level.
    pub path: &'a dyn Fn(f64) -> f64,
    pub step_secs: f64,
    pub duration_secs: f64,
    /// Extra steps at the last price while the rival is busy.
    pub drain_steps: u64,
    pub venue: Venue,
    pub bidders: Vec<Bidder>,
    pub insurance: f64,
}

/// Runs `rival` (built on `run.book`) over the path and measures it.
pub fn run(rival: &mut dyn Rival, run: RivalRun<'_>) -> MechanismMetrics {
    let mut venue = run.venue;
    let mut bidders = run.bidders;
    let mut ledger = Ledger::new(run.book, run.insurance, 0.0);
    let dt = run.step_secs.max(1.0);
    let path_steps = (run.duration_secs / dt).ceil() as u64;
    let mut price = (run.path)(0.0);
    for s in 1..=path_steps + run.drain_steps {
        let t = (s.min(path_steps) as f64 * dt).min(run.duration_secs);
        let clock = s as f64 * dt;
        if s > path_steps && !rival.busy(price) {
            break;
        }
        price = (run.path)(t);
        venue.arbitrage(price, dt);
        rival.step(&mut StepCtx {
            t: clock,
            dt,
            price,
            venue: &mut venue,
            bidders: &mut bidders,
            ledger: &mut ledger,
        });
    }
    ledger.finish(run.path, rival.end_state(price))
}

/// What the rivals' unit tests share.
#[cfg(test)]
pub(crate) mod testkit {
    use super::*;

    pub fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    pub fn pos(collateral: f64, debt: f64) -> Position {
        Position { collateral, debt }
    }

    /// Deep: 1e9 collateral in reserve, so a sale of a few units moves it by ~1e-8.
    pub fn deep(price: f64) -> Venue {
        Venue::new(price, 1e9, 1.0, 60.0)
    }

    /// One 60-s step of `r` at `t` and `price`.
    pub fn step(
        r: &mut dyn Rival,
        t: f64,
        price: f64,
        venue: &mut Venue,
        bidders: &mut [Bidder],
        ledger: &mut Ledger,
    ) {
        r.step(&mut StepCtx {
            t,
            dt: 60.0,
            price,
            venue,
            bidders,
            ledger,
        });
    }
}
