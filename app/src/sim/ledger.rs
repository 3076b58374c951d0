//! What each mechanism did to borrowers, lenders and the protocol, measured the same way
//! for all of them (definitions and worked examples: docs/simulator.md, "Metrics").
//!
//! One price per take: a mechanism reports, per account, each piece of collateral that
//! left the borrower at the moment it left (a partial liquidation's seizure, an auction
//! bidder's or the backstop's purchase from the lot), valued at the path's price of that
//! moment, and the debt actually paid down for it by a liquidator, a bidder or the
//! backstop. Collateral an auction hands back is never taken and never re-marked; debt
//! written off (a shortfall the insurance, POL or the lenders carry) is never "repaid".
//! Every transaction is recorded with the fee it paid. At the end the mechanism gives its
//! bad debt and what its backstops hold; the ledger turns that into [`MechanismMetrics`].

use serde::Serialize;

/// One margin position in whole tokens, at the simulator's price level.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Position {
    pub collateral: f64,
    pub debt: f64,
}

impl Position {
    /// LTV at `price`: `debt / (collateral * price)` (0 without debt, infinite without
    /// collateral value).
    pub fn ltv(self, price: f64) -> f64 {
        if self.debt <= 0.0 {
            return 0.0;
        }
        let value = self.collateral * price;
        if value <= 0.0 {
            return f64::INFINITY;
        }
        self.debt / value
    }

    /// Health at `price` against a liquidation threshold: `collateral * price *
    /// threshold / debt` (infinite without debt).
    pub fn health(self, price: f64, threshold: f64) -> f64 {
        if self.debt <= 0.0 {
            return f64::INFINITY;
        }
        self.collateral * price * threshold / self.debt
    }
}

/// The LTV every mechanism's "liquidation price" is measured at for
/// `wrongful_liquidations` (all of them liquidate at 80% LTV).
pub const REFERENCE_LIQ_LTV: f64 = 0.80;
/// How long the price has to come back for a liquidation to count in
/// `wrongful_liquidations`.
pub const WRONGFUL_WINDOW_SECS: f64 = 3_600.0;
/// A take's cost counts as negative (a take above the path) below this, % of the debt
/// repaid: float noise on a take at exactly the path is not a finding.
pub const NEGATIVE_COST_PCT: f64 = -1e-6;

#[derive(Clone, Debug, Default)]
struct AccountLedger {
    /// Time of the first liquidation and the position just before it.
    first: Option<(f64, Position)>,
    /// Collateral taken, each piece at the path's price when it left.
    taken_value: f64,
    /// Debt paid down by liquidators, bidders and the backstop.
    repaid: f64,
}

impl AccountLedger {
    /// (collateral taken - debt repaid) / debt repaid, %.
    fn cost_pct(&self) -> f64 {
        pct(self.taken_value - self.repaid, self.repaid)
    }
}

/// The backstops and losses at the end of a run, debt units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EndState {
    /// Debt neither repaid nor covered by a backstop: the lenders' loss. Includes what
    /// open positions owe beyond their collateral at the final price.
    pub bad_debt: f64,
    /// Insurance fund left.
    pub insurance_end: f64,
    /// POL's debt asset plus its collateral at the final price.
    pub pol_end: f64,
}

/// The per-mechanism figures of a run (JSON keys documented in docs/simulator.md).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct MechanismMetrics {
    /// Bad debt as % of the initial debt.
    pub bad_debt_pct: f64,
    /// Debt units lost by lenders.
    pub lp_loss: f64,
    /// What insurance + POL lost (POL's collateral at the final price), % of initial debt;
    /// 0 when they gained.
    pub protocol_loss_pct: f64,
    /// Per liquidated account: (collateral taken, each take at the path's price when it
    /// left, minus the debt repaid) / debt repaid, %: mean, median, 95th percentile.
    pub borrower_cost_mean_pct: f64,
    pub borrower_cost_p50_pct: f64,
    pub borrower_cost_p95_pct: f64,
    /// Liquidated accounts whose cost is negative: some take paid above the path.
    pub negative_cost_accounts: u64,
    pub accounts_liquidated: u64,
    /// Liquidated accounts that stayed solvent over the next hour while the price came back
    /// to their liquidation price (at 80% LTV).
    pub wrongful_liquidations: u64,
    /// Debt repaid plus penalty paid (collateral taken beyond the debt repaid) on accounts
    /// whose position at their first liquidation would never have become insolvent on the
    /// rest of the path, % of initial debt.
    pub wrongful_value_pct: f64,
    /// From the first to the last liquidation action, seconds.
    pub time_to_clear_secs: f64,
    pub insurance_start_pct: f64,
    pub pol_start_pct: f64,
    /// Debt repaid by liquidators, bidders and backstops, % of initial debt.
    pub debt_liquidated_pct: f64,
    /// Proceeds of collateral sold into the venue against its value at the path's price, %
    /// (negative: sold under the path).
    pub sale_vs_path_pct: f64,
    /// Transactions the mechanism's keepers, liquidators and bidders sent.
    pub transactions: u64,
    /// What those transactions paid in base and priority fees, % of initial debt.
    pub fees_paid_pct: f64,
}

/// Accumulates one mechanism's run.
#[derive(Clone, Debug)]
pub struct Ledger {
    accounts: Vec<AccountLedger>,
    pub initial_debt: f64,
    pub insurance_start: f64,
    pub pol_start: f64,
    first_action: Option<f64>,
    last_action: Option<f64>,
    sale_proceeds: f64,
    sale_path_value: f64,
    pub transactions: u64,
    /// Fees paid, debt units.
    pub fees: f64,
}

/// `num / den` in %, 0 when `den` is 0.
pub fn pct(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den * 100.0
    } else {
        0.0
    }
}

/// Nearest-rank percentile of sorted values (`q` in 0..=1); 0 for none.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// The lowest price of the path from each sampled time to its end: `min_from(t)` is the
/// minimum over the samples at or after `t` (the path sampled every `step_secs` from 0 to
/// `end_secs`, both included).
pub struct PathLows {
    step: f64,
    lows: Vec<f64>,
}

impl PathLows {
    pub fn new(path: impl Fn(f64) -> f64, step_secs: f64, end_secs: f64) -> PathLows {
        let step = step_secs.max(1.0);
        let n = (end_secs.max(0.0) / step).ceil() as usize;
        let mut lows: Vec<f64> = (0..=n)
            .map(|k| path((k as f64 * step).min(end_secs)))
            .collect();
        for k in (0..lows.len().saturating_sub(1)).rev() {
            lows[k] = lows[k].min(lows[k + 1]);
        }
        PathLows { step, lows }
    }

    /// The lowest sampled price at or after `t_secs` (the last sample's beyond the end).
    pub fn min_from(&self, t_secs: f64) -> f64 {
        let k = ((t_secs.max(0.0) / self.step) - 1e-9).ceil().max(0.0) as usize;
        self.lows
            .get(k.min(self.lows.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::INFINITY)
    }
}

impl Ledger {
    pub fn new(book: &[Position], insurance_start: f64, pol_start: f64) -> Ledger {
        Ledger {
            accounts: vec![AccountLedger::default(); book.len()],
            initial_debt: book.iter().map(|p| p.debt).sum(),
            insurance_start,
            pol_start,
            first_action: None,
            last_action: None,
            sale_proceeds: 0.0,
            sale_path_value: 0.0,
            transactions: 0,
            fees: 0.0,
        }
    }

    /// Account `i` is liquidated (a partial liquidation, a kick, a bark) at `t_secs` from
    /// position `pre` (kept the first time only).
    pub fn liquidated(&mut self, i: usize, t_secs: f64, pre: Position) {
        if let Some(a) = self.accounts.get_mut(i) {
            a.first.get_or_insert((t_secs, pre));
        }
        self.action(t_secs);
    }

    /// `collateral` left account `i` now, when the path is at `path_price`.
    pub fn take(&mut self, i: usize, collateral: f64, path_price: f64) {
        if let Some(a) = self.accounts.get_mut(i) {
            a.taken_value += collateral.max(0.0) * path_price;
        }
    }

    /// `debt` of account `i` was paid down by a liquidator, a bidder or the backstop.
    pub fn repaid(&mut self, i: usize, debt: f64) {
        if let Some(a) = self.accounts.get_mut(i) {
            a.repaid += debt.max(0.0);
        }
    }

    /// One transaction that paid `fee` debt units.
    pub fn tx(&mut self, fee: f64) {
        self.txs(1, fee);
    }

    /// `count` transactions that paid `fees` debt units in all.
    pub fn txs(&mut self, count: u64, fees: f64) {
        self.transactions += count;
        self.fees += fees.max(0.0);
    }

    /// A liquidation action (liquidation, kick, bid, take, settlement) at `t_secs`.
    pub fn action(&mut self, t_secs: f64) {
        let f = self.first_action.get_or_insert(t_secs);
        *f = f.min(t_secs);
        let l = self.last_action.get_or_insert(t_secs);
        *l = l.max(t_secs);
    }

    /// `collateral` sold into the venue for `proceeds` when the path was at `path_price`.
    pub fn sale(&mut self, collateral: f64, proceeds: f64, path_price: f64) {
        if collateral > 0.0 {
            self.sale_proceeds += proceeds;
            self.sale_path_value += collateral * path_price;
        }
    }

    /// Debt repaid over all accounts.
    pub fn debt_repaid(&self) -> f64 {
        self.accounts.iter().map(|a| a.repaid).sum()
    }

    /// Each liquidated account's cost to its borrower, % of the debt repaid, sorted.
    pub fn borrower_costs(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self
            .accounts
            .iter()
            .filter(|a| a.first.is_some() && a.repaid > 0.0)
            .map(AccountLedger::cost_pct)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Debt repaid plus penalty paid on accounts whose position at their first liquidation
    /// never reaches its bankruptcy price (debt / collateral) on the rest of the path
    /// (`lows`), debt units.
    pub fn wrongful_value(&self, lows: &PathLows) -> f64 {
        self.accounts
            .iter()
            .filter_map(|a| a.first.map(|(t, pre)| (a, t, pre)))
            .filter(|&(_, t, pre)| never_insolvent(lows, t, pre))
            .map(|(a, _, _)| a.repaid + (a.taken_value - a.repaid).max(0.0))
            .sum()
    }

    /// The metrics, given the price path (`path(t)`, at the simulator's price level), its
    /// step and end, and the end state.
    pub fn finish(
        &self,
        path: impl Fn(f64) -> f64,
        step_secs: f64,
        end_secs: f64,
        end: EndState,
    ) -> MechanismMetrics {
        let d0 = self.initial_debt;
        let costs = self.borrower_costs();
        let mean = if costs.is_empty() {
            0.0
        } else {
            costs.iter().sum::<f64>() / costs.len() as f64
        };
        let lows = PathLows::new(&path, step_secs, end_secs);
        let start = self.insurance_start + self.pol_start;
        let end_backstops = end.insurance_end + end.pol_end;
        MechanismMetrics {
            bad_debt_pct: pct(end.bad_debt, d0),
            lp_loss: end.bad_debt,
            protocol_loss_pct: pct((start - end_backstops).max(0.0), d0),
            borrower_cost_mean_pct: mean,
            borrower_cost_p50_pct: percentile(&costs, 0.50),
            borrower_cost_p95_pct: percentile(&costs, 0.95),
            negative_cost_accounts: costs.iter().filter(|&&c| c < NEGATIVE_COST_PCT).count() as u64,
            accounts_liquidated: self.accounts.iter().filter(|a| a.first.is_some()).count() as u64,
            wrongful_liquidations: self
                .accounts
                .iter()
                .filter_map(|a| a.first)
                .filter(|&(t, pre)| wrongful(&path, t, pre))
                .count() as u64,
            wrongful_value_pct: pct(self.wrongful_value(&lows), d0),
            time_to_clear_secs: match (self.first_action, self.last_action) {
                (Some(a), Some(b)) => b - a,
                _ => 0.0,
            },
            insurance_start_pct: pct(self.insurance_start, d0),
            pol_start_pct: pct(self.pol_start, d0),
            debt_liquidated_pct: pct(self.debt_repaid(), d0),
            sale_vs_path_pct: if self.sale_path_value > 0.0 {
                (self.sale_proceeds / self.sale_path_value - 1.0) * 100.0
            } else {
                0.0
            },
            transactions: self.transactions,
            fees_paid_pct: pct(self.fees, d0),
        }
    }
}

/// Whether `pre`, left alone from `t_secs`, never reaches its bankruptcy price (debt /
/// collateral) on the rest of the path.
pub fn never_insolvent(lows: &PathLows, t_secs: f64, pre: Position) -> bool {
    if pre.collateral <= 0.0 || pre.debt <= 0.0 {
        return false;
    }
    lows.min_from(t_secs) > pre.debt / pre.collateral
}

/// Whether liquidating `pre` at `t_secs` counts in `wrongful_liquidations`: over the next
/// hour the price never fell to the position's bankruptcy price (debt / collateral) and
/// came back to its liquidation price at [`REFERENCE_LIQ_LTV`]. Sampled every 10 s.
pub fn wrongful(path: impl Fn(f64) -> f64, t_secs: f64, pre: Position) -> bool {
    if pre.collateral <= 0.0 || pre.debt <= 0.0 {
        return false;
    }
    let bankrupt = pre.debt / pre.collateral;
    let liq = bankrupt / REFERENCE_LIQ_LTV;
    let samples = (WRONGFUL_WINDOW_SECS / 10.0) as usize;
    let mut recovered = false;
    for k in 0..=samples {
        let p = path(t_secs + k as f64 * 10.0);
        if p <= bankrupt {
            return false;
        }
        if k > 0 && p >= liq {
            recovered = true;
        }
    }
    recovered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::close;

    fn pos(collateral: f64, debt: f64) -> Position {
        Position { collateral, debt }
    }

    #[test]
    fn one_account_one_liquidation_by_hand() {
        // 10 collateral, 800 debt at price 100: liquidated at t = 60; 4.2 collateral taken
        // when the path was at 100 (420 of value) for 400 of debt: cost 5%.
        let mut l = Ledger::new(&[pos(10.0, 800.0), pos(5.0, 100.0)], 16.0, 40.0);
        l.liquidated(0, 60.0, pos(10.0, 800.0));
        l.take(0, 4.2, 100.0);
        l.repaid(0, 400.0);
        l.sale(4.2, 399.0, 100.0);
        l.action(180.0);
        l.tx(0.45);
        l.tx(0.45);
        let m = l.finish(
            |_| 100.0,
            60.0,
            600.0,
            EndState {
                bad_debt: 9.0,
                insurance_end: 20.0,
                pol_end: 27.0,
            },
        );
        assert_eq!(m.accounts_liquidated, 1);
        assert!(close(m.borrower_cost_mean_pct, 5.0));
        assert_eq!(m.borrower_cost_p50_pct, m.borrower_cost_mean_pct);
        assert_eq!(m.negative_cost_accounts, 0);
        assert_eq!(m.bad_debt_pct, 1.0);
        assert_eq!(m.lp_loss, 9.0);
        // Backstops 56 -> 47: lost 9 of 900.
        assert!(close(m.protocol_loss_pct, 1.0));
        assert!(close(m.insurance_start_pct, 16.0 / 9.0));
        assert!(close(m.pol_start_pct, 40.0 / 9.0));
        assert_eq!(m.time_to_clear_secs, 120.0);
        assert!(close(m.sale_vs_path_pct, (399.0 / 420.0 - 1.0) * 100.0));
        assert!(close(m.debt_liquidated_pct, 400.0 / 9.0));
        assert_eq!(m.transactions, 2);
        // 0.9 of fees on 900 of debt: 0.1%.
        assert!(close(m.fees_paid_pct, 0.1));
        // A flat path above the liquidation price: wrongful by count (it came back) and by
        // value (it never reached the bankruptcy price 80): 400 repaid + 20 penalty = 420
        // of 900.
        assert_eq!(m.wrongful_liquidations, 1);
        assert!(close(m.wrongful_value_pct, 420.0 / 9.0));
    }

    #[test]
    fn an_auction_that_returns_collateral_after_the_price_fell() {
        // (10, 500) kicked whole at t = 0 at 100: nothing leaves the borrower at the kick.
        // At t = 60 (path 80) a bidder buys 4 for 320; at t = 120 (path 60) another buys 3
        // for 185 (tab 505 = debt 500 + penalty 5 paid). The 3 left go back at t = 180 with
        // the path at 50: not a cost and not re-marked. Taken: 4 * 80 + 3 * 60 = 500;
        // repaid 500 (the 5 over the debt is penalty): cost 0%.
        let path = |t: f64| match t {
            t if t < 60.0 => 100.0,
            t if t < 120.0 => 80.0,
            t if t < 180.0 => 60.0,
            _ => 50.0,
        };
        let mut l = Ledger::new(&[pos(10.0, 500.0)], 10.0, 0.0);
        l.liquidated(0, 0.0, pos(10.0, 500.0));
        l.take(0, 4.0, path(60.0));
        l.repaid(0, 320.0);
        l.take(0, 3.0, path(120.0));
        l.repaid(0, 180.0);
        let m = l.finish(path, 60.0, 180.0, EndState::default());
        assert!(close(m.borrower_cost_mean_pct, 0.0));
        // Marking the 3 returned at their later 50 (the old ledger: 10 taken at 100 less 3
        // back at 50 = 850 for 500) would have said 70%; marking them at the kick's 100
        // and back at 50 is what made auctions look cheap or dear by the path after them.
        assert_eq!(m.negative_cost_accounts, 0);
        // The path fell to 50 = the bankruptcy price: rightful.
        assert_eq!(m.wrongful_value_pct, 0.0);
    }

    #[test]
    fn a_take_above_the_path_is_the_only_negative_cost() {
        // A bidder pays 90 a unit while the path is at 80 (a venue lagging above it): 5 for
        // 450 of debt, worth 400 at the path: cost -11.11%, flagged.
        let mut l = Ledger::new(&[pos(10.0, 700.0), pos(10.0, 700.0)], 0.0, 0.0);
        l.liquidated(0, 0.0, pos(10.0, 700.0));
        l.take(0, 5.0, 80.0);
        l.repaid(0, 450.0);
        l.liquidated(1, 0.0, pos(10.0, 700.0));
        l.take(1, 5.0, 80.0);
        l.repaid(1, 400.0);
        let m = l.finish(|_| 80.0, 60.0, 60.0, EndState::default());
        assert_eq!(m.negative_cost_accounts, 1);
        assert!(close(m.borrower_cost_p50_pct, -100.0 / 9.0));
        assert!(close(m.borrower_cost_mean_pct, -100.0 / 18.0));
    }

    #[test]
    fn written_off_debt_is_not_repaid() {
        // (10, 1000) at 100 seized whole for 952.38 of repayment (a 5% bonus); the other
        // 47.62 is written off (bad debt or insurance), not repaid: cost (1000 - 952.38) /
        // 952.38 = 5%.
        let mut l = Ledger::new(&[pos(10.0, 1_000.0)], 0.0, 0.0);
        l.liquidated(0, 0.0, pos(10.0, 1_000.0));
        l.take(0, 10.0, 100.0);
        l.repaid(0, 1_000.0 / 1.05);
        assert!(close(l.borrower_costs()[0], 5.0));
        assert!(close(l.debt_repaid(), 1_000.0 / 1.05));
    }

    #[test]
    fn wrongful_value_needs_a_path_that_never_reaches_bankruptcy() {
        // Account 0 (10, 800): bankrupt at 80. Account 1 (10, 600): bankrupt at 60.
        // The path falls from 100 to 70 at t = 3600 and stays there for 30 days.
        // Account 0's liquidation (t = 0) is rightful: the path reaches 70 < 80 later.
        // Account 1's (t = 60) is wrongful by value: 70 > 60 to the end (300 repaid, 315
        // taken: 315 of 1400); by count it is not (the price never came back to 75 within
        // the hour).
        let path = |t: f64| if t < 3_600.0 { 100.0 } else { 70.0 };
        let end = 30.0 * 86_400.0;
        let mut l = Ledger::new(&[pos(10.0, 800.0), pos(10.0, 600.0)], 0.0, 0.0);
        l.liquidated(0, 0.0, pos(10.0, 800.0));
        l.take(0, 4.2, 100.0);
        l.repaid(0, 400.0);
        l.liquidated(1, 3_660.0, pos(10.0, 600.0));
        l.take(1, 4.5, 70.0);
        l.repaid(1, 300.0);
        let m = l.finish(path, 600.0, end, EndState::default());
        assert!(close(m.wrongful_value_pct, 315.0 / 14.0));
        assert_eq!(m.wrongful_liquidations, 0);
    }

    #[test]
    fn path_lows_look_forward_only() {
        let lows = PathLows::new(|t| [5.0, 3.0, 4.0, 6.0][(t / 10.0) as usize], 10.0, 30.0);
        assert_eq!(lows.min_from(0.0), 3.0);
        assert_eq!(lows.min_from(10.0), 3.0);
        assert_eq!(lows.min_from(11.0), 4.0);
        assert_eq!(lows.min_from(30.0), 6.0);
        assert_eq!(lows.min_from(1e9), 6.0);
    }

    #[test]
    fn percentiles_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 10.0);
        assert_eq!(percentile(&v, 0.95), 19.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn wrongful_needs_recovery_without_bankruptcy() {
        let pre = pos(10.0, 800.0); // liquidation price 100, bankruptcy 80
                                    // Dips to 90, back to 100 after 30 min: wrongful.
        let v = |t: f64| if t < 1_800.0 { 90.0 } else { 100.0 };
        assert!(wrongful(v, 0.0, pre));
        // Stays at 90 for the hour: rightful.
        assert!(!wrongful(|_| 90.0, 0.0, pre));
        // Touches bankruptcy before recovering: rightful.
        let w = |t: f64| if t < 600.0 { 79.0 } else { 120.0 };
        assert!(!wrongful(w, 0.0, pre));
        // Recovery after the hour does not count.
        let late = |t: f64| if t < 3_700.0 { 90.0 } else { 120.0 };
        assert!(!wrongful(late, 0.0, pre));
    }
}
