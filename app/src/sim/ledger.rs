//! What each mechanism did to borrowers, lenders and the protocol, measured the same way
//! for all of them (definitions: docs/simulator.md, "Metrics"). A mechanism reports, per
//! account, the collateral that left the borrower (valued at the path's price at that
//! moment), what came back, and the debt retired; at the end, its bad debt and what its
//! backstops hold. The ledger turns that into [`MechanismMetrics`].

use serde::Serialize;

/// One margin position in whole tokens, at the simulator's price level.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Position {
    pub collateral: f64,
    pub debt: f64,
}

/// The LTV every mechanism's "liquidation price" is measured at for
/// `wrongful_liquidations` (all four liquidate at 80% LTV).
pub const REFERENCE_LIQ_LTV: f64 = 0.80;
/// How long the price has to come back for a liquidation to count as wrongful.
pub const WRONGFUL_WINDOW_SECS: f64 = 3_600.0;

#[derive(Clone, Debug, Default)]
struct AccountLedger {
    /// Time of the first liquidation and the position just before it.
    first: Option<(f64, Position)>,
    taken_value: f64,
    returned_value: f64,
    retired: f64,
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
    /// Per liquidated account: (collateral taken at the path's price when it left, net of
    /// what came back, minus debt retired) / debt retired, %: mean, median, 95th percentile.
    pub borrower_cost_mean_pct: f64,
    pub borrower_cost_p50_pct: f64,
    pub borrower_cost_p95_pct: f64,
    pub accounts_liquidated: u64,
    /// Liquidated accounts that stayed solvent over the next hour while the price came back
    /// to their liquidation price (at 80% LTV).
    pub wrongful_liquidations: u64,
    /// From the first to the last liquidation action, seconds.
    pub time_to_clear_secs: f64,
    pub insurance_start_pct: f64,
    pub pol_start_pct: f64,
    /// Debt retired by liquidations, % of initial debt.
    pub debt_liquidated_pct: f64,
    /// Proceeds of collateral sold into the venue against its value at the path's price, %
    /// (negative: sold under the path).
    pub sale_vs_path_pct: f64,
    /// Transactions (or calls) the mechanism needed.
    pub transactions: u64,
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
        }
    }

    /// Account `i` is liquidated at `t_secs` from position `pre` (kept the first time only).
    pub fn liquidated(&mut self, i: usize, t_secs: f64, pre: Position) {
        if let Some(a) = self.accounts.get_mut(i) {
            a.first.get_or_insert((t_secs, pre));
        }
        self.action(t_secs);
    }

    /// `collateral` left account `i` when the path was at `path_price`.
    pub fn taken(&mut self, i: usize, collateral: f64, path_price: f64) {
        if let Some(a) = self.accounts.get_mut(i) {
            a.taken_value += collateral * path_price;
        }
    }

    /// `collateral` came back to account `i` when the path was at `path_price`.
    pub fn returned(&mut self, i: usize, collateral: f64, path_price: f64) {
        if let Some(a) = self.accounts.get_mut(i) {
            a.returned_value += collateral * path_price;
        }
    }

    /// `debt` of account `i` was retired.
    pub fn retired(&mut self, i: usize, debt: f64) {
        if let Some(a) = self.accounts.get_mut(i) {
            a.retired += debt;
        }
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

    /// Debt retired over all accounts.
    pub fn debt_retired(&self) -> f64 {
        self.accounts.iter().map(|a| a.retired).sum()
    }

    /// Each liquidated account's cost to its borrower, % of the debt retired.
    pub fn borrower_costs(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self
            .accounts
            .iter()
            .filter(|a| a.first.is_some() && a.retired > 0.0)
            .map(|a| pct(a.taken_value - a.returned_value - a.retired, a.retired))
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    /// The metrics, given the price path (`path(t)`, at the simulator's price level) and
    /// the end state.
    pub fn finish(&self, path: impl Fn(f64) -> f64, end: EndState) -> MechanismMetrics {
        let d0 = self.initial_debt;
        let costs = self.borrower_costs();
        let mean = if costs.is_empty() {
            0.0
        } else {
            costs.iter().sum::<f64>() / costs.len() as f64
        };
        let start = self.insurance_start + self.pol_start;
        let end_backstops = end.insurance_end + end.pol_end;
        MechanismMetrics {
            bad_debt_pct: pct(end.bad_debt, d0),
            lp_loss: end.bad_debt,
            protocol_loss_pct: pct((start - end_backstops).max(0.0), d0),
            borrower_cost_mean_pct: mean,
            borrower_cost_p50_pct: percentile(&costs, 0.50),
            borrower_cost_p95_pct: percentile(&costs, 0.95),
            accounts_liquidated: self.accounts.iter().filter(|a| a.first.is_some()).count() as u64,
            wrongful_liquidations: self
                .accounts
                .iter()
                .filter_map(|a| a.first)
                .filter(|&(t, pre)| wrongful(&path, t, pre))
                .count() as u64,
            time_to_clear_secs: match (self.first_action, self.last_action) {
                (Some(a), Some(b)) => b - a,
                _ => 0.0,
            },
            insurance_start_pct: pct(self.insurance_start, d0),
            pol_start_pct: pct(self.pol_start, d0),
            debt_liquidated_pct: pct(self.debt_retired(), d0),
            sale_vs_path_pct: if self.sale_path_value > 0.0 {
                (self.sale_proceeds / self.sale_path_value - 1.0) * 100.0
            } else {
                0.0
            },
            transactions: self.transactions,
        }
    }
}

/// Whether liquidating `pre` at `t_secs` was wrongful: over the next hour the price never
/// fell to the position's bankruptcy price (debt / collateral) and came back to its
/// liquidation price at [`REFERENCE_LIQ_LTV`]. Sampled every 10 s.
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

    fn pos(collateral: f64, debt: f64) -> Position {
        Position { collateral, debt }
    }

    #[test]
    fn one_account_one_liquidation_by_hand() {
        // 10 collateral, 800 debt at price 100: liquidated at t = 60; 4.2 collateral taken
        // when the path was at 100 (420 of value) for 400 of debt: cost 5%.
        let mut l = Ledger::new(&[pos(10.0, 800.0), pos(5.0, 100.0)], 16.0, 40.0);
        l.liquidated(0, 60.0, pos(10.0, 800.0));
        l.taken(0, 4.2, 100.0);
        l.retired(0, 400.0);
        l.sale(4.2, 399.0, 100.0);
        l.action(180.0);
        l.transactions = 2;
        let m = l.finish(
            |_| 100.0,
            EndState {
                bad_debt: 9.0,
                insurance_end: 20.0,
                pol_end: 27.0,
            },
        );
        assert_eq!(m.accounts_liquidated, 1);
        assert!((m.borrower_cost_mean_pct - 5.0).abs() < 1e-9);
        assert_eq!(m.borrower_cost_p50_pct, m.borrower_cost_mean_pct);
        assert_eq!(m.bad_debt_pct, 1.0);
        assert_eq!(m.lp_loss, 9.0);
        // Backstops 56 -> 47: lost 9 of 900.
        assert!((m.protocol_loss_pct - 1.0).abs() < 1e-9);
        assert!((m.insurance_start_pct - 16.0 / 9.0).abs() < 1e-9);
        assert!((m.pol_start_pct - 40.0 / 9.0).abs() < 1e-9);
        assert_eq!(m.time_to_clear_secs, 120.0);
        assert!((m.sale_vs_path_pct - (399.0 / 420.0 - 1.0) * 100.0).abs() < 1e-9);
        assert!((m.debt_liquidated_pct - 400.0 / 9.0).abs() < 1e-9);
        assert_eq!(m.transactions, 2);
        // A flat path above the liquidation price: wrongful.
        assert_eq!(m.wrongful_liquidations, 1);
    }

    #[test]
    fn returned_collateral_and_gains() {
        // An auction takes all 10 (at 80 = 800), returns 3 (at 90 = 270) for 500 of debt.
        let mut l = Ledger::new(&[pos(10.0, 500.0)], 10.0, 0.0);
        l.liquidated(0, 0.0, pos(10.0, 500.0));
        l.taken(0, 10.0, 80.0);
        l.returned(0, 3.0, 90.0);
        l.retired(0, 500.0);
        let m = l.finish(
            |_| 1.0,
            EndState {
                bad_debt: 0.0,
                insurance_end: 40.0,
                pol_end: 0.0,
            },
        );
        assert!((m.borrower_cost_mean_pct - 6.0).abs() < 1e-9);
        assert_eq!(m.protocol_loss_pct, 0.0, "a gain is not a loss");
        assert_eq!(
            m.wrongful_liquidations, 0,
            "the price fell through bankruptcy"
        );
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
