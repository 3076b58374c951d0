//! The rival mechanisms, run on the same path, venue and bidders as the engine: pure models
//! in the simulator, not programs. Each follows its own published rules (docs/simulator.md,
//! "Rivals"): `gen1` (a generation-one lender reading the venue's own price), `aave_v3`
//! (Aave v3's liquidationCall) and `maker_liq2` (Maker Liquidations 2.0: Dog + Clipper).
//!
//! A rival owns its positions and its insurance fund; each step it is given the oracle's
//! price (the path's), the venue (arbitraged toward the path before the step) and the
//! bidders, and reports what it did through the [`Ledger`].

pub mod aave_v3;
pub mod engine_v2;
pub mod euler_v2;
pub mod gen1;
pub mod kamino;
pub mod maker_liq2;

use super::bidders::Bidder;
use super::clock::{Action, Clock, FeeModel, Tick};
use super::ledger::{EndState, Ledger, MechanismMetrics, Position};
use super::venue::Venue;

/// What a rival sees in one step.
pub struct StepCtx<'a> {
    /// Seconds from the start.
    pub t: f64,
    /// Seconds since the previous step.
    pub dt: f64,
    /// The path's price now, at the simulator's price level: what collateral is worth. A
    /// rival's oracle may lag it (Aave's deviation and heartbeat, Maker's OSM).
    pub price: f64,
    /// The priority fee now, micro-lamports per CU.
    pub cu_price: f64,
    pub fees: &'a FeeModel,
    /// Where bidders sell what they buy.
    pub venue: &'a mut Venue,
    /// The bidder population, in order of who acts first.
    pub bidders: &'a mut [Bidder],
    pub ledger: &'a mut Ledger,
}

impl StepCtx<'_> {
    /// What a transaction doing `action` costs now, debt units.
    pub fn fee(&self, action: Action) -> f64 {
        self.fees.fee(action.cu(), self.cu_price)
    }

    /// Records a transaction doing `action`, its fee paid by bidder `payer` (a keeper's
    /// when `None`).
    pub fn pay(&mut self, action: Action, payer: Option<usize>) {
        let fee = self.fee(action);
        self.ledger.tx(fee);
        if let Some(b) = payer.and_then(|k| self.bidders.get_mut(k)) {
            b.pay_fee(fee);
        }
    }
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

/// Leftover collateral below this share of what the account held counts as none; a take
/// below this share of the offer is float noise, not a liquidation.
pub const DUST: f64 = 1e-12;
/// Liquidations of one account in one step at most (a bound for the models; the lenders
/// have none).
pub const MAX_CALLS_PER_STEP: usize = 16;

/// What a direct liquidation (Aave, Kamino, Euler) offers on one account at one moment, in
/// the lender's own terms: the liquidator pays `unit` debt per unit of collateral it
/// receives, at most `receive_max`; at that maximum `seize_max` leaves the borrower (the
/// difference is the protocol's fee) and `repay_max` of debt is repaid; below it, both
/// scale pro rata.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Offer {
    pub unit: f64,
    pub receive_max: f64,
    pub seize_max: f64,
    pub repay_max: f64,
    /// Whether the maximum takes all of the collateral.
    pub all_collateral: bool,
    /// What the liquidation transaction does (its CU).
    pub action: Action,
}

/// What one liquidation did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Taken {
    /// Collateral that left the borrower.
    pub seized: f64,
    /// Of it, what the liquidator received (the rest is the protocol's fee).
    pub received: f64,
    pub repaid: f64,
}

/// Offers `offer` on account `i` (position `pos`) to the looking bidders in turn; the first
/// for whom it pays (its edge, the fee, slippage on top of its inventory, its cash) takes
/// what it wants of it. Updates the position, the ledger (the take at the path's price),
/// the bidder's inventory and cash and the fee; returns what was taken, or `None`.
pub fn take_offer(
    pos: &mut Position,
    i: usize,
    offer: &Offer,
    cx: &mut StepCtx,
    looking: &[bool],
) -> Option<Taken> {
    let pre = *pos;
    let fee = cx.fee(offer.action);
    for (k, &looks) in looking.iter().enumerate() {
        if !looks {
            continue;
        }
        let q = cx.bidders[k].take_size(cx.venue, offer.unit, offer.receive_max, fee);
        if q <= offer.receive_max * DUST {
            continue;
        }
        let full = q >= offer.receive_max * (1.0 - 1e-12);
        let taken = if full {
            Taken {
                seized: offer.seize_max,
                received: offer.receive_max,
                repaid: offer.repay_max,
            }
        } else {
            Taken {
                seized: q * offer.seize_max / offer.receive_max,
                received: q,
                repaid: q * offer.unit,
            }
        };
        pos.collateral = if full && offer.all_collateral {
            0.0
        } else {
            (pre.collateral - taken.seized).max(0.0)
        };
        if pos.collateral <= pre.collateral * DUST {
            pos.collateral = 0.0;
        }
        pos.debt = (pre.debt - taken.repaid).max(0.0);
        if pos.debt <= pre.debt * DUST {
            pos.debt = 0.0;
        }
        cx.ledger.liquidated(i, cx.t, pre);
        cx.ledger.take(i, taken.seized, cx.price);
        cx.ledger.repaid(i, taken.repaid);
        cx.pay(offer.action, Some(k));
        cx.bidders[k].buy(taken.received, taken.repaid);
        return Some(taken);
    }
    None
}

/// Debt left on a position without collateral is written off: covered by `insurance` as
/// far as it goes (the rest is the lenders'), never repaid.
pub fn write_off(pos: &mut Position, insurance: &mut Insurance) {
    if pos.collateral <= 0.0 && pos.debt > 0.0 {
        let left = pos.debt;
        pos.debt = 0.0;
        insurance.cover(left);
    }
}

/// One step of a direct-liquidation lender: liquidators act on the accounts in `seen`
/// (liquidatable at the end of the previous step: what they saw), at most
/// [`MAX_CALLS_PER_STEP`] times each while `liquidate(i, cx, looking)` finds a taker.
pub fn liquidation_pass(
    seen: &[bool],
    cx: &mut StepCtx,
    mut liquidate: impl FnMut(usize, &mut StepCtx, &[bool]) -> bool,
) {
    let looking: Vec<bool> = cx.bidders.iter_mut().map(|b| b.look(cx.t)).collect();
    for (i, &saw) in seen.iter().enumerate() {
        if !saw {
            continue;
        }
        for _ in 0..MAX_CALLS_PER_STEP {
            if !liquidate(i, cx, &looking) {
                break;
            }
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
    /// The shared clock: every step's price, fee and venue depth.
    pub clock: &'a Clock,
    pub venue: Venue,
    pub bidders: Vec<Bidder>,
    /// The backstop capital the rival holds (its insurance, treasury or reserve).
    pub insurance: f64,
}

/// The venue before a step: its depth for `tick`, then `dt` of arbitrage toward the path.
pub fn open_step(venue: &mut Venue, tick: &Tick, dt: f64) {
    venue.set_depth(tick.depth);
    venue.arbitrage(tick.price, dt);
}

/// The bidders after a step: each sells what it may of its inventory (recorded as sales
/// at the path's `price`).
pub fn close_step(bidders: &mut [Bidder], venue: &mut Venue, ledger: &mut Ledger, price: f64) {
    for b in bidders {
        let (q, proceeds) = b.unwind(venue);
        ledger.sale(q, proceeds, price);
    }
}

/// Runs `rival` (built on `run.book`) over the clock and measures it.
pub fn run(rival: &mut dyn Rival, run: RivalRun<'_>) -> MechanismMetrics {
    let mut venue = run.venue;
    let mut bidders = run.bidders;
    let clock = run.clock;
    let mut ledger = Ledger::new(run.book, run.insurance, 0.0);
    let mut price = (run.path)(0.0);
    for tick in &clock.ticks {
        if !tick.on_path && !rival.busy(price) {
            break;
        }
        price = tick.price;
        open_step(&mut venue, tick, clock.dt);
        rival.step(&mut StepCtx {
            t: tick.t,
            dt: clock.dt,
            price,
            cu_price: tick.cu_price,
            fees: &clock.frictions.fees,
            venue: &mut venue,
            bidders: &mut bidders,
            ledger: &mut ledger,
        });
        close_step(&mut bidders, &mut venue, &mut ledger, price);
    }
    let end = clock.path_steps as f64 * clock.dt;
    ledger.finish(run.path, clock.dt, end, rival.end_state(price))
}

/// What the rivals' unit tests share.
#[cfg(test)]
pub(crate) mod testkit {
    use super::*;

    pub(crate) use crate::sim::close;

    pub fn pos(collateral: f64, debt: f64) -> Position {
        Position { collateral, debt }
    }

    /// Deep: 1e9 collateral in reserve, so a sale of a few units moves it by ~1e-8.
    pub fn deep(price: f64) -> Venue {
        Venue::new(price, 1e9, 1.0, 60.0)
    }

    /// No fees: the rules' own arithmetic in the tests.
    pub static NO_FEES: FeeModel = FeeModel {
        calm_cu_price: 0.0,
        stressed_cu_price: 0.0,
        calm_vol: 0.005,
        stressed_vol: 0.05,
        sol_usd: 0.0,
        debt_unit_usd: 1.0,
    };

    /// One 60-s step of `r` at `t` and `price`, without fees.
    pub fn step(
        r: &mut dyn Rival,
        t: f64,
        price: f64,
        venue: &mut Venue,
        bidders: &mut [Bidder],
        ledger: &mut Ledger,
    ) {
        step_with(r, t, price, venue, bidders, ledger, &NO_FEES, 0.0);
    }

    /// One 60-s step of `r` at `t` and `price` with `fees` at `cu_price` micro-lamports
    /// per CU.
    #[allow(clippy::too_many_arguments)]
    pub fn step_with(
        r: &mut dyn Rival,
        t: f64,
        price: f64,
        venue: &mut Venue,
        bidders: &mut [Bidder],
        ledger: &mut Ledger,
        fees: &FeeModel,
        cu_price: f64,
    ) {
        r.step(&mut StepCtx {
            t,
            dt: 60.0,
            price,
            cu_price,
            fees,
            venue,
            bidders,
            ledger,
        });
    }
}
