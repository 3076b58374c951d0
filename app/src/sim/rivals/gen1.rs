//! A generation-one lender (the model of `sim/baseline.rs`, ported to [`Rival`]): it reads
//! the price of the very pool its liquidators dump into (the venue's spot price, not the
//! oracle), liquidates as soon as `debt / (collateral * P) >= 0.80`, repays 50% of the debt
//! per liquidation (all of it below a health factor of 0.95), pays a fixed 5% bonus, and
//! repeats rounds within the step while anything was liquidated, so each dump can make the
//! next account liquidatable (a cascade), at most 50 rounds a step.
//!
//! Liquidators are the bidders who look this step, in order. They trust the lender's price:
//! no profitability check. Each is limited by its cash (`available()`): a
//! liquidation is done by the first looking bidder with capital left, and repays at most
//! what that capital pays for; it sells the seized collateral into the venue at once.
//!
//! When the collateral cannot pay the repay plus its bonus, the liquidator seizes all of it
//! and repays only `collateral * P / (1 + bonus)` (it keeps its bonus, as a rational
//! liquidator would); the debt left on an account with no collateral is written off through
//! [`Insurance::cover`] (never counted as repaid). An account that starts a step with debt and no collateral (never liquidated)
//! is written off the same way without a liquidation record.
//!
//! Ledger: the collateral taken is valued at the path's price, whatever the lender read;
//! one transaction per liquidation, at the CU of the engine's `liquidate_partial`. It is the
//! strawman: its liquidators dump at once and never wait a step (the shared frictions'
//! inventory and reaction delay do not apply), and it is left out of every headline
//! comparison.

use super::{underwater, write_off, Insurance, Rival, StepCtx};
use crate::sim::clock::Action;
use crate::sim::ledger::{EndState, Position};

/// The rules, all from the generation-one baseline (`sim/baseline.rs`, `BaselineParams`;
/// docs/simulator.md, "Baseline model details"), a composite of first-generation lenders.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Liquidatable when `debt / (collateral * venue price) >= liq_ltv`: 0.80.
    pub liq_ltv: f64,
    /// Share of the debt repaid per liquidation: 0.5.
    pub close_factor: f64,
    /// Below this health factor (`liq_ltv * collateral * price / debt`) the whole debt is
    /// repaid: 0.95.
    pub full_close_health: f64,
    /// Liquidation bonus, a fraction of the repaid value: 0.05.
    pub bonus: f64,
    /// Cap on cascade rounds within one step: 50.
    pub max_rounds_per_step: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            liq_ltv: 0.80,
            close_factor: 0.5,
            full_close_health: 0.95,
            bonus: 0.05,
            max_rounds_per_step: 50,
        }
    }
}

/// The generation-one lender's book and fund.
#[derive(Clone, Debug)]
pub struct Gen1 {
    pub positions: Vec<Position>,
    pub params: Params,
    pub insurance: Insurance,
    /// Rounds that liquidated something in the last step (more than one: a cascade).
    pub rounds_last_step: usize,
}

impl Gen1 {
    pub fn new(book: &[Position], insurance: f64) -> Self {
        Gen1::with_params(book, insurance, Params::default())
    }

    pub fn with_params(book: &[Position], insurance: f64, params: Params) -> Self {
        Gen1 {
            positions: book.to_vec(),
            params,
            insurance: Insurance::new(insurance),
            rounds_last_step: 0,
        }
    }

    fn liquidatable(&self, p: Position, price: f64) -> bool {
        p.debt > 0.0
            && p.collateral > 0.0
            && price > 0.0
            && p.debt / (p.collateral * price) >= self.params.liq_ltv
    }

    /// Liquidates account `i` once if it is liquidatable at the venue's spot price and a
    /// looking bidder has capital; dumps the seizure into the venue. Returns whether it did.
    fn liquidate(&mut self, i: usize, cx: &mut StepCtx, looking: &[bool]) -> bool {
        let price = cx.venue.price();
        let pre = self.positions[i];
        if !self.liquidatable(pre, price) {
            return false;
        }
        let Some(k) =
            (0..cx.bidders.len()).find(|&k| looking[k] && cx.bidders[k].available() > 0.0)
        else {
            return false;
        };
        let p = &self.params;
        let health = p.liq_ltv * pre.collateral * price / pre.debt;
        let wanted = if health < p.full_close_health {
            pre.debt
        } else {
            pre.debt * p.close_factor
        };
        let mut repay = wanted.min(cx.bidders[k].available());
        let mut seize = repay * (1.0 + p.bonus) / price;
        let all = seize >= pre.collateral;
        if all {
            seize = pre.collateral;
            repay = repay.min(seize * price / (1.0 + p.bonus));
        }
        let pos = &mut self.positions[i];
        pos.collateral = if all { 0.0 } else { pre.collateral - seize };
        pos.debt = (pre.debt - repay).max(0.0);

        cx.ledger.liquidated(i, cx.t, pre);
        cx.ledger.take(i, seize, cx.price);
        cx.ledger.repaid(i, repay);
        cx.pay(Action::LiquidatePartial, Some(k));
        // Gen1's liquidators dump at once (its defining weakness): no inventory.
        let proceeds = cx.venue.sell(seize);
        cx.ledger.sale(seize, proceeds, cx.price);
        cx.bidders[k].buy(0.0, repay);
        cx.bidders[k].receive(proceeds);

        write_off(pos, &mut self.insurance);
        true
    }
}

impl Rival for Gen1 {
    fn step(&mut self, cx: &mut StepCtx) {
        let looking: Vec<bool> = cx.bidders.iter_mut().map(|b| b.look(cx.t)).collect();
        for pos in &mut self.positions {
            if pos.collateral <= 0.0 && pos.debt > 0.0 {
                self.insurance.cover(pos.debt);
                pos.debt = 0.0;
            }
        }
        self.rounds_last_step = 0;
        for _ in 0..self.params.max_rounds_per_step {
            let mut any = false;
            for i in 0..self.positions.len() {
                any |= self.liquidate(i, cx, &looking);
            }
            if !any {
                break;
            }
            self.rounds_last_step += 1;
        }
    }

    /// At the path's `price` (the venue is arbitraged toward it): a liquidatable account or
    /// one left to write off.
    fn busy(&self, price: f64) -> bool {
        self.positions
            .iter()
            .any(|&p| self.liquidatable(p, price) || (p.collateral <= 0.0 && p.debt > 0.0))
    }

    fn end_state(&self, final_price: f64) -> EndState {
        self.insurance
            .end_state(underwater(&self.positions, final_price))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::bidders::Bidder;
    use crate::sim::ledger::Ledger;
    use crate::sim::venue::Venue;

    use super::super::testkit::{close, deep, pos, step};

    fn rich() -> Vec<Bidder> {
        vec![Bidder::new(1e12, 50.0, 0.0)]
    }

    #[test]
    fn defaults() {
        let p = Params::default();
        assert_eq!(
            (
                p.liq_ltv,
                p.close_factor,
                p.full_close_health,
                p.bonus,
                p.max_rounds_per_step
            ),
            (0.80, 0.5, 0.95, 0.05, 50)
        );
    }

    #[test]
    fn threshold_is_inclusive_at_the_venue_price() {
        // LTV 0.7999 at 100: nothing.
        let book = [pos(1.0, 79.99)];
        let mut g = Gen1::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut v = deep(100.0);
        step(&mut g, 60.0, 100.0, &mut v, &mut rich(), &mut l);
        assert_eq!(l.transactions, 0);
        assert_eq!(g.positions[0], pos(1.0, 79.99));
        assert!(!g.busy(100.0));
        // LTV exactly 0.80: liquidated, in the very first step it is liquidatable (gen1's
        // liquidators have no reaction delay).
        let book = [pos(1.0, 80.0)];
        let mut g = Gen1::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        assert!(g.busy(100.0));
        step(&mut g, 60.0, 100.0, &mut deep(100.0), &mut rich(), &mut l);
        assert_eq!(l.transactions, 1);
        // The lender reads the venue, not the oracle: oracle 200, venue 100 -> liquidated.
        let book = [pos(1.0, 85.0)];
        let mut g = Gen1::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(&mut g, 60.0, 200.0, &mut deep(100.0), &mut rich(), &mut l);
        assert_eq!(l.transactions, 1);
    }

    #[test]
    fn close_factor_half_then_full_below_health_095() {
        // LTV 0.82: health 0.8 / 0.82 = 0.9756 >= 0.95 -> repay 41, seize 41 * 1.05 / 100
        // = 0.4305; left (0.5695, 41), LTV 41 / 56.95 = 0.72: one round.
        // The liquidator (cash 1,000) dumps the 0.4305 into the venue at once: the reserve
        // grows by 0.4305 in the step and the liquidator's cash is 1,000 - 41 + 43.05 =
        // 1,002.05 (the deep venue's slippage is ~2e-8), with nothing held.
        let book = [pos(1.0, 82.0)];
        let mut g = Gen1::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1_000.0, 50.0, 0.0)];
        let mut v = deep(100.0);
        step(&mut g, 60.0, 100.0, &mut v, &mut bidders, &mut l);
        assert!(close(g.positions[0].debt, 41.0));
        assert!(close(g.positions[0].collateral, 0.5695));
        assert_eq!(g.rounds_last_step, 1);
        assert!(close(l.debt_repaid(), 41.0));
        assert!((v.pool.collateral - (1e9 + 0.4305)).abs() < 1e-6);
        assert!((bidders[0].available() - 1_002.05).abs() < 1e-6);
        assert_eq!(bidders[0].inventory(), 0.0);
        assert_eq!(l.transactions, 1);
        // Borrower cost: 0.4305 taken at the path's 100 = 43.05 for 41: 5%.
        assert!(close(l.borrower_costs()[0], 5.0));
        // LTV 0.86: health 0.9302 < 0.95 -> all 86, seize 0.903; left (0.097, 0).
        let book = [pos(1.0, 86.0)];
        let mut g = Gen1::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(&mut g, 60.0, 100.0, &mut deep(100.0), &mut rich(), &mut l);
        assert_eq!(g.positions[0].debt, 0.0);
        assert!(close(g.positions[0].collateral, 0.097));
        assert!(close(l.debt_repaid(), 86.0));
        assert_eq!(g.end_state(100.0).bad_debt, 0.0);
    }

    #[test]
    fn seizure_capped_by_collateral_and_the_rest_written_off() {
        // (1, 98) at 100: repay 98 would need 102.9 of collateral. Seize all 1, repay
        // 100 / 1.05 = 95.238095; 98 - 95.238095 = 2.761905 written off: insurance 1 pays 1,
        // 1.761905 uncovered. Repaid: only the 95.238 (the written-off 2.762 is not).
        let book = [pos(1.0, 98.0)];
        let mut g = Gen1::new(&book, 1.0);
        let mut l = Ledger::new(&book, 1.0, 0.0);
        step(&mut g, 60.0, 100.0, &mut deep(100.0), &mut rich(), &mut l);
        assert_eq!(g.positions[0], pos(0.0, 0.0));
        assert!(close(l.debt_repaid(), 100.0 / 1.05));
        assert!(close(l.debt_repaid(), 95.23809523809524));
        let written_off = 98.0 - 100.0 / 1.05;
        assert!(close(written_off, 2.761904761904762));
        assert_eq!(g.insurance.balance, 0.0);
        assert!(close(g.insurance.uncovered, written_off - 1.0));
        let end = g.end_state(100.0);
        assert!(close(end.bad_debt, 1.761904761904762));
        assert_eq!(end.insurance_end, 0.0);
        // Borrower cost: 100 taken for 95.238 repaid: 4.762 / 95.238 = 5% (the bonus).
        assert!(close(l.borrower_costs()[0], 5.0));
        assert!(!g.busy(100.0));
    }

    #[test]
    fn liquidators_are_capital_limited_and_looking() {
        // (1, 86), health 0.930: full close wanted. Bidder A has 20 of cash: repays 20,
        // seizes 0.21 -> (0.79, 66), and dumps the 0.21 at once for 21: its cash is 21
        // (never refilled to its 20 of capital, only by its sale). Round 2 is A's again
        // (the first looking bidder with cash): LTV 66 / 79 = 0.8354, health 0.8 * 79 / 66
        // = 0.9576 -> half, 33 wanted, but A's 21 pays for 21 only: seize 0.2205 ->
        // (0.5695, 45), cash 22.05. LTV 45 / 56.95 = 0.790: done after two rounds; B never
        // acts. (The deep venue moves by ~4e-8 per sale: 1e-6 tolerances.)
        let book = [pos(1.0, 86.0)];
        let mut g = Gen1::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(20.0, 0.0, 0.0), Bidder::new(1_000.0, 0.0, 0.0)];
        step(&mut g, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(g.rounds_last_step, 2);
        assert!((g.positions[0].collateral - 0.5695).abs() < 1e-6);
        assert!((g.positions[0].debt - 45.0).abs() < 1e-6);
        assert!((bidders[0].available() - 22.05).abs() < 1e-6);
        assert_eq!(bidders[1].available(), 1_000.0);
        assert!((l.debt_repaid() - 41.0).abs() < 1e-6);
        assert_eq!(l.transactions, 2);
        // A bidder without cash is passed over: A with 0, B repays all 86, seizing 0.903
        // -> (0.097, 0), its cash 1,000 - 86 + 90.3 = 1,004.3.
        let mut g = Gen1::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(0.0, 0.0, 0.0), Bidder::new(1_000.0, 0.0, 0.0)];
        step(&mut g, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(g.positions[0].debt, 0.0);
        assert!(close(g.positions[0].collateral, 0.097));
        assert_eq!(bidders[0].available(), 0.0);
        assert!((bidders[1].available() - 1_004.3).abs() < 1e-6);
        assert_eq!(l.transactions, 1);
        // A bidder that does not look this step does nothing: it looked at 0 with a
        // 120 s latency, so at 60 it is away.
        let book = [pos(1.0, 86.0)];
        let mut g = Gen1::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut slow = vec![Bidder::new(1_000.0, 0.0, 120.0)];
        assert!(slow[0].look(0.0));
        step(&mut g, 60.0, 100.0, &mut deep(100.0), &mut slow, &mut l);
        assert_eq!(l.transactions, 0);
        assert!(g.busy(100.0));
        step(&mut g, 120.0, 100.0, &mut deep(100.0), &mut slow, &mut l);
        assert_eq!(l.transactions, 1);
    }

    #[test]
    fn cascade_within_one_step_on_a_thin_venue() {
        // Venue: 100 collateral and 10,000 debt (k = 1e6). Accounts of 10 collateral with
        // debts 780 (LTV 0.78, healthy) and 810 (LTV 0.81).
        // Round 1 at 100: account 1, health 0.8 / 0.81 = 0.98765 -> half: repay 405, seize
        // 4.2525 -> (5.7475, 405). Pool: 104.2525 collateral, price 1e6 / 104.2525^2 =
        // 92.0083.
        // Round 2 at 92.0083: account 0, LTV 780 / 920.083 = 0.84775, health 0.94367 ->
        // full: repay 780, seize 780 * 1.05 / 92.0083 = 8.90137 -> (1.09863, 0). Pool:
        // 113.15387, price 78.1018. (Account 1 at 92.0083 would have been safe: LTV
        // 405 / (5.7475 * 92.0083) = 0.7659.) Still in round 2, account 1 is checked at
        // 78.1018: LTV 405 / 448.890 = 0.90223, health 0.88670 -> full: repay 405, seize
        // 405 * 1.05 / 78.1018 = 5.44482 -> (0.30268, 0).
        // Round 3: no debt left. Two rounds that liquidated, three liquidations.
        let book = [pos(10.0, 780.0), pos(10.0, 810.0)];
        let mut g = Gen1::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut v = Venue::new(100.0, 100.0, 1.0, 60.0);
        step(&mut g, 60.0, 100.0, &mut v, &mut rich(), &mut l);
        let p1 = 1e6 / 104.2525f64.powi(2);
        let s0 = 780.0 * 1.05 / p1;
        let c2 = 104.2525 + s0;
        let p2 = 1e6 / c2.powi(2);
        let s1 = 405.0 * 1.05 / p2;
        assert!((p1 - 92.0083).abs() < 1e-4 && (s0 - 8.90137).abs() < 1e-5);
        assert!((p2 - 78.1018).abs() < 1e-4 && (s1 - 5.44482).abs() < 1e-5);
        assert_eq!(g.rounds_last_step, 2);
        assert_eq!(l.transactions, 3);
        assert!(close(g.positions[0].collateral, 10.0 - s0));
        assert!(close(g.positions[1].collateral, 5.7475 - s1));
        assert_eq!((g.positions[0].debt, g.positions[1].debt), (0.0, 0.0));
        assert!(close(v.price(), 1e6 / (c2 + s1).powi(2)));
        assert!(close(l.debt_repaid(), 1_590.0));
        // Both borrowers paid far more than 5%: collateral left at the path's 100 while the
        // lender priced it at the crashed pool.
        let m = l.finish(|_| 100.0, 60.0, 60.0, g.end_state(100.0));
        assert_eq!(m.accounts_liquidated, 2);
        assert!(m.borrower_cost_p50_pct > 5.0);
        // On a deep venue, the same book liquidates only account 1, once.
        let mut g = Gen1::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(&mut g, 60.0, 100.0, &mut deep(100.0), &mut rich(), &mut l);
        assert_eq!((g.rounds_last_step, l.transactions), (1, 1));
        // The round cap holds.
        let one_round = Params {
            max_rounds_per_step: 1,
            ..Params::default()
        };
        let mut g = Gen1::with_params(&book, 0.0, one_round);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(
            &mut g,
            60.0,
            100.0,
            &mut Venue::new(100.0, 100.0, 1.0, 60.0),
            &mut rich(),
            &mut l,
        );
        assert_eq!((g.rounds_last_step, l.transactions), (1, 1));
    }

    #[test]
    fn debt_without_collateral_is_written_off_once_without_a_liquidation() {
        // (0, 10) and insurance 4: pays 4, 6 uncovered; no liquidation, no transaction.
        let book = [pos(0.0, 10.0)];
        let mut g = Gen1::new(&book, 4.0);
        let mut l = Ledger::new(&book, 4.0, 0.0);
        assert!(g.busy(100.0));
        step(&mut g, 60.0, 100.0, &mut deep(100.0), &mut rich(), &mut l);
        step(&mut g, 120.0, 100.0, &mut deep(100.0), &mut rich(), &mut l);
        assert_eq!(
            g.insurance,
            Insurance {
                balance: 0.0,
                uncovered: 6.0
            }
        );
        assert_eq!(l.transactions, 0);
        assert_eq!(l.debt_repaid(), 0.0);
        assert!(!g.busy(100.0));
        assert_eq!(g.end_state(100.0).bad_debt, 6.0);
    }

    #[test]
    fn end_state_counts_open_underwater_positions() {
        // Nobody looks: (1, 90) stays open; at 80 it owes 10 beyond its collateral.
        let book = [pos(1.0, 90.0)];
        let g = Gen1::new(&book, 5.0);
        let end = g.end_state(80.0);
        assert_eq!(
            end,
            EndState {
                bad_debt: 10.0,
                insurance_end: 5.0,
                pol_end: 0.0
            }
        );
    }
}
