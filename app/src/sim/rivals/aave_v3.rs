//! Aave v3's `liquidationCall` (one collateral, one debt asset), as in aave-v3-core
//! `contracts/protocol/libraries/logic/LiquidationLogic.sol` and aave-v3-origin (v3.3)
//! `src/contracts/protocol/libraries/logic/LiquidationLogic.sol`:
//!
//! - The oracle is the path's price (Aave reads Chainlink-style aggregates, not the pool).
//!   Health factor `HF = collateral * price * liq_threshold / debt`; liquidatable when
//!   `HF < 1` (`HEALTH_FACTOR_LIQUIDATION_THRESHOLD = 1e18`, ValidationLogic).
//! - Close factor: `DEFAULT_LIQUIDATION_CLOSE_FACTOR = 0.5e4` (50%) while
//!   `HF > CLOSE_FACTOR_HF_THRESHOLD = 0.95e18`, otherwise 100% (`_calculateDebt`:
//!   `healthFactor > CLOSE_FACTOR_HF_THRESHOLD ? DEFAULT : MAX`, so HF = 0.95 exactly is
//!   already a full close).
//! - Bonus: collateral seized = `debtToCover * liquidationBonus / price` with
//!   `liquidationBonus = 10500` (105%); when the user's collateral is short, all of it is
//!   seized and `debtToCover = collateral * price / 1.05`
//!   (`_calculateAvailableCollateralToLiquidate`).
//! - Liquidation protocol fee (modelled: confirmed in that function since v3.0): of the
//!   seized collateral, the bonus part `seized - seized / 1.05` times
//!   `liquidationProtocolFee` (1000 = 10% in aave-v3-deploy `markets/aave/reservesConfigs.ts`
//!   for every listed reserve) goes to the treasury instead of the liquidator. The
//!   liquidator thus receives `seized * (1 - 0.1 * 0.05 / 1.05)`, paying
//!   `price / 1.045` per unit it receives. The treasury's share is credited to
//!   [`Insurance::earn`] at the oracle's price when it is taken.
//! - Bad debt (v3.3 deficit, `_burnBadDebt`): when a liquidation seizes the last of the
//!   collateral, the debt left is burnt and becomes a reserve deficit: here
//!   [`Insurance::cover`], and it counts as retired from the borrower (it left their
//!   account in that liquidation). A position with debt and no collateral to begin with
//!   cannot be liquidated (there is nothing to seize) and stays open: it counts in the end
//!   state's underwater debt.
//!
//! Liquidators are the bidders who look this step, in order. A liquidator acts only when
//! the collateral it receives sells into the venue at its edge after slippage: it asks
//! `take_size(venue, price / 1.045, receivable collateral)` and converts back to
//! `debtToCover`; it sells at once. Accounts are visited in book order; at most one
//! liquidation per account per step (by the first looking bidder for whom it pays); a
//! bidder may liquidate several accounts in a step while its capital lasts.
//!
//! Simplified: one collateral and one debt reserve per account (no e-mode, isolation,
//! stable debt, interest accrual, `receiveAToken`, price-oracle sentinel or grace period);
//! v3.3's `MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD` (100% close factor when collateral or debt
//! is under $2,000) and `MIN_LEFTOVER_BASE` (a partial liquidation must leave $1,000 of
//! debt and collateral) are dust rules on absolute dollar amounts that the simulator's
//! scaled amounts do not carry, so they are left out; no rounding to token decimals.

use super::{underwater, Insurance, Rival, StepCtx};
use crate::sim::ledger::{EndState, Position};

/// Leftover collateral below this share of what the account held counts as none.
const DUST: f64 = 1e-12;

/// The rules; sources in the module doc.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Liquidation threshold in the health factor: 0.80 (8000 bps; the simulator's common
    /// 80% LTV; WETH on Ethereum has 8250).
    pub liq_threshold: f64,
    /// `DEFAULT_LIQUIDATION_CLOSE_FACTOR`: 0.5.
    pub close_factor: f64,
    /// `CLOSE_FACTOR_HF_THRESHOLD`: 0.95; at or below it the whole debt can be repaid.
    pub close_factor_hf_threshold: f64,
    /// `liquidationBonus - 100%`: 0.05 (10500 bps).
    pub bonus: f64,
    /// `liquidationProtocolFee`: 0.10 of the bonus part of the seized collateral.
    pub protocol_fee: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            liq_threshold: 0.80,
            close_factor: 0.5,
            close_factor_hf_threshold: 0.95,
            bonus: 0.05,
            protocol_fee: 0.10,
        }
    }
}

impl Params {
    /// Share of the seized collateral the liquidator receives (the rest is the fee).
    pub fn liquidator_share(&self) -> f64 {
        1.0 - self.protocol_fee * self.bonus / (1.0 + self.bonus)
    }

    /// Debt the liquidator repays per unit of collateral it receives at oracle `price`:
    /// `price / (1 + bonus - fee * bonus)` (price / 1.045 by default).
    pub fn unit_price(&self, price: f64) -> f64 {
        price / ((1.0 + self.bonus) * self.liquidator_share())
    }
}

/// An Aave v3 market's book and fund.
#[derive(Clone, Debug)]
pub struct AaveV3 {
    pub positions: Vec<Position>,
    pub params: Params,
    /// The treasury and reserve deficit, pooled.
    pub insurance: Insurance,
}

impl AaveV3 {
    pub fn new(book: &[Position], insurance: f64) -> Self {
        AaveV3::with_params(book, insurance, Params::default())
    }

    pub fn with_params(book: &[Position], insurance: f64, params: Params) -> Self {
        AaveV3 {
            positions: book.to_vec(),
            params,
            insurance: Insurance::new(insurance),
        }
    }

    /// The health factor at `price` (infinite without debt).
    pub fn health_factor(&self, p: Position, price: f64) -> f64 {
        if p.debt <= 0.0 {
            return f64::INFINITY;
        }
        p.collateral * price * self.params.liq_threshold / p.debt
    }

    fn liquidatable(&self, p: Position, price: f64) -> bool {
        p.debt > 0.0 && p.collateral > 0.0 && price > 0.0 && self.health_factor(p, price) < 1.0
    }

    /// One liquidationCall on account `i` by the first looking bidder for whom it pays.
    fn liquidate(&mut self, i: usize, cx: &mut StepCtx, looking: &[bool]) {
        let price = cx.price;
        let pre = self.positions[i];
        if !self.liquidatable(pre, price) {
            return;
        }
        let p = self.params.clone();
        let hf = self.health_factor(pre, price);
        let max_debt = if hf > p.close_factor_hf_threshold {
            pre.debt * p.close_factor
        } else {
            pre.debt
        };
        // What the close factor allows, capped by the collateral.
        let mut seize_max = max_debt * (1.0 + p.bonus) / price;
        let mut debt_max = max_debt;
        let capped = seize_max >= pre.collateral;
        if capped {
            seize_max = pre.collateral;
            debt_max = pre.collateral * price / (1.0 + p.bonus);
        }
        let unit = p.unit_price(price);
        let receive_max = seize_max * p.liquidator_share();
        for (k, &looks) in looking.iter().enumerate() {
            if !looks {
                continue;
            }
            let q = cx.bidders[k].take_size(cx.venue, unit, receive_max);
            if q <= 0.0 {
                continue;
            }
            let full = q >= receive_max * (1.0 - 1e-12);
            let (seized, repaid, received) = if full {
                (seize_max, debt_max, receive_max)
            } else {
                let d = q * unit;
                (d * (1.0 + p.bonus) / price, d, q)
            };
            let fee = seized - received;
            let pos = &mut self.positions[i];
            pos.collateral = if full && capped {
                0.0
            } else {
                (pre.collateral - seized).max(0.0)
            };
            if pos.collateral <= pre.collateral * DUST {
                pos.collateral = 0.0;
            }
            pos.debt = (pre.debt - repaid).max(0.0);

            cx.ledger.liquidated(i, cx.t, pre);
            cx.ledger.taken(i, seized, price);
            cx.ledger.retired(i, repaid);
            cx.ledger.transactions += 1;
            cx.bidders[k].spend(repaid);
            let proceeds = cx.venue.sell(received);
            cx.ledger.sale(received, proceeds, price);
            self.insurance.earn(fee * price);

            if pos.collateral <= 0.0 && pos.debt > 0.0 {
                let deficit = pos.debt;
                pos.debt = 0.0;
                self.insurance.cover(deficit);
                cx.ledger.retired(i, deficit);
            }
            return;
        }
    }
}

impl Rival for AaveV3 {
    fn step(&mut self, cx: &mut StepCtx) {
        let looking: Vec<bool> = cx.bidders.iter_mut().map(|b| b.look(cx.t)).collect();
        for i in 0..self.positions.len() {
            self.liquidate(i, cx, &looking);
        }
    }

    fn busy(&self, price: f64) -> bool {
        self.positions.iter().any(|&p| self.liquidatable(p, price))
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

    #[test]
    fn defaults_and_the_liquidators_price() {
        let p = Params::default();
        assert_eq!(
            (
                p.liq_threshold,
                p.close_factor,
                p.close_factor_hf_threshold,
                p.bonus,
                p.protocol_fee
            ),
            (0.80, 0.5, 0.95, 0.05, 0.10)
        );
        // Seized 1.05 per 1 of debt at price 1; the fee is 10% of the 0.05 bonus: the
        // liquidator receives 1.045 for 1 of debt.
        assert!(close(p.liquidator_share() * 1.05, 1.045));
        assert!(close(p.unit_price(100.0), 100.0 / 1.045));
    }

    #[test]
    fn hf_097_liquidates_half_with_the_bonus_and_the_fee() {
        // 9.7 collateral, 800 debt at 100: HF = 9.7 * 100 * 0.8 / 800 = 0.97 > 0.95 ->
        // close factor 50%: debtToCover 400, seized 400 * 1.05 / 100 = 4.2, of which the
        // fee is (4.2 - 4.0) * 0.1 = 0.02 (2.0 at 100) and the liquidator gets 4.18.
        // Left: (5.5, 400), HF 5.5 * 80 / 400 = 1.1.
        let book = [pos(9.7, 800.0)];
        let mut a = AaveV3::new(&book, 10.0);
        let mut l = Ledger::new(&book, 10.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 50.0, 0.0)];
        assert!(close(a.health_factor(book[0], 100.0), 0.97));
        assert!(a.busy(100.0));
        let mut v = deep(100.0);
        step(&mut a, 60.0, 100.0, &mut v, &mut bidders, &mut l);
        assert!(close(a.positions[0].collateral, 5.5));
        assert!(close(a.positions[0].debt, 400.0));
        assert!(close(a.health_factor(a.positions[0], 100.0), 1.1));
        assert!(close(bidders[0].available(), 1e6 - 400.0));
        assert!(close(a.insurance.balance, 12.0));
        assert!(close(l.debt_retired(), 400.0));
        // The venue took the liquidator's 4.18: its reserve grew by exactly that.
        assert!(close(v.pool.collateral, 1e9 + 4.18));
        // Borrower cost: 4.2 at 100 for 400: 5%.
        assert!(close(l.borrower_costs()[0], 5.0));
        assert_eq!(l.transactions, 1);
        assert!(!a.busy(100.0));
    }

    #[test]
    fn hf_090_liquidates_everything() {
        // 9 collateral, 800 debt at 100: HF 0.9 <= 0.95 -> 100%: debtToCover 800, seized
        // 8.4 (fee 0.04 = 4.0, liquidator 8.36). Left (0.6, 0).
        let book = [pos(9.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(
            &mut a,
            60.0,
            100.0,
            &mut deep(100.0),
            &mut [Bidder::new(1e6, 50.0, 0.0)],
            &mut l,
        );
        assert!(close(a.positions[0].collateral, 0.6));
        assert_eq!(a.positions[0].debt, 0.0);
        assert!(close(a.insurance.balance, 4.0));
        assert!(close(l.debt_retired(), 800.0));
        // HF exactly 0.95 is already a full close (the rule is HF > 0.95 for 50%):
        // 9.5 * 80 / 800 = 0.95; seized 8.4, left (1.1, 0).
        let book = [pos(9.5, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(
            &mut a,
            60.0,
            100.0,
            &mut deep(100.0),
            &mut [Bidder::new(1e6, 50.0, 0.0)],
            &mut l,
        );
        assert_eq!(a.positions[0].debt, 0.0);
        assert!(close(a.positions[0].collateral, 1.1));
        // HF exactly 1: not liquidatable.
        let book = [pos(10.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        assert!(!a.busy(100.0));
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(
            &mut a,
            60.0,
            100.0,
            &mut deep(100.0),
            &mut [Bidder::new(1e6, 0.0, 0.0)],
            &mut l,
        );
        assert_eq!(l.transactions, 0);
    }

    #[test]
    fn no_liquidation_when_the_venue_does_not_pay() {
        // HF 0.9 at oracle 100, but the venue is at 90: the liquidator pays 100 / 1.045 =
        // 95.69 per unit and would sell at under 90. Nothing happens.
        let book = [pos(9.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut a, 60.0, 100.0, &mut deep(90.0), &mut bidders, &mut l);
        assert_eq!(a.positions[0], pos(9.0, 800.0));
        assert_eq!(l.transactions, 0);
        assert_eq!(bidders[0].available(), 1e6);
        assert!(a.busy(100.0));
    }

    #[test]
    fn slippage_limits_the_size() {
        // Shallow venue: 100 collateral, 10,000 debt; selling q fetches 10,000 q / (100 + q),
        // i.e. 10,000 / (100 + q) per unit. A zero-edge liquidator paying 100 / 1.045 per
        // unit received takes up to 10,000 / (100 + q) = 100 / 1.045, q = 4.5 (of the 8.36
        // a full close would give). It repays 4.5 * 100 / 1.045 = 430.622, seizing
        // 430.622 * 1.05 / 100 = 4.521531 (fee 0.021531 = 2.1531 at 100).
        // Left: (9 - 4.521531, 800 - 430.622) = (4.478469, 369.378).
        let book = [pos(9.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        let mut v = Venue::new(100.0, 100.0, 1.0, 60.0);
        step(&mut a, 60.0, 100.0, &mut v, &mut bidders, &mut l);
        let repaid = 450.0 / 1.045;
        assert!(close(repaid, 430.622009569378));
        assert!((a.positions[0].debt - (800.0 - repaid)).abs() < 1e-6);
        assert!((a.positions[0].collateral - (9.0 - 4.5 * 1.05 / 1.045)).abs() < 1e-9);
        assert!((a.positions[0].collateral - 4.478469).abs() < 1e-6);
        assert!((a.insurance.balance - 2.1531).abs() < 1e-4);
        assert!((v.pool.collateral - 104.5).abs() < 1e-9);
        // The venue sale was at 10,000 / 104.5 = 95.69 per unit against the path's 100.
        let m = l.finish(|_| 100.0, a.end_state(100.0));
        assert!((m.sale_vs_path_pct - (100.0 / 104.5 - 1.0) * 100.0).abs() < 1e-6);
    }

    #[test]
    fn once_per_account_per_step_and_several_accounts_per_bidder() {
        // Account 0: (9.7, 800), HF 0.97. Bidder A (capital 100, latency 120) first: it
        // can pay for 100 * 1.045 / 100 = 1.045 received, repaying 100, seizing 1.05
        // (fee 0.005). Left (8.65, 700), HF 8.65 * 80 / 700 = 0.98857: still
        // liquidatable, but not again this step, though B (capital 1e6) looks.
        // Account 1: (9, 800), HF 0.9: A has no capital left, B liquidates it all (800).
        let book = [pos(9.7, 800.0), pos(9.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(100.0, 0.0, 120.0), Bidder::new(1e6, 0.0, 0.0)];
        step(&mut a, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(a.positions[0].collateral, 8.65));
        assert!(close(a.positions[0].debt, 700.0));
        assert!(close(
            a.health_factor(a.positions[0], 100.0),
            0.9885714285714286
        ));
        assert_eq!(a.positions[1].debt, 0.0);
        assert!(close(a.positions[1].collateral, 0.6));
        assert_eq!(l.transactions, 2);
        assert!(close(bidders[0].available(), 0.0));
        assert!(close(bidders[1].available(), 1e6 - 800.0));
        // Next step (A is away until 180): B takes account 0, HF 0.98857 > 0.95 -> half of
        // 700 = 350, seizing 3.675 -> (4.975, 350).
        step(&mut a, 120.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(a.positions[0].collateral, 4.975));
        assert!(close(a.positions[0].debt, 350.0));
        assert_eq!(l.transactions, 3);
        assert!(close(l.debt_retired(), 1_250.0));
        // Fees: (1.05 + 8.4 + 3.675) * (0.05 / 1.05) * 0.1 * 100 = 6.25.
        assert!(close(a.insurance.balance, 6.25));
    }

    #[test]
    fn collateral_short_seizes_all_and_the_deficit_goes_to_insurance() {
        // (10, 1000) at 100: HF 0.8 -> 100%, but 1000 * 1.05 / 100 = 10.5 > 10: seize all
        // 10, debtToCover = 10 * 100 / 1.05 = 952.381; fee (10 - 10 / 1.05) * 0.1 =
        // 0.047619 (4.7619 at 100). Deficit 1000 - 952.381 = 47.619 (= 50 / 1.05).
        // Insurance 10 + 4.7619 - 47.619 -> 0, uncovered 45 / 1.05 - 10 = 32.857.
        let book = [pos(10.0, 1_000.0)];
        let mut a = AaveV3::new(&book, 10.0);
        let mut l = Ledger::new(&book, 10.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut a, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(a.positions[0], pos(0.0, 0.0));
        assert!(close(bidders[0].available(), 1e6 - 1_000.0 / 1.05));
        assert_eq!(a.insurance.balance, 0.0);
        assert!(close(a.insurance.uncovered, 45.0 / 1.05 - 10.0));
        assert!(close(a.insurance.uncovered, 32.857142857142857));
        // All 1000 retired (952.381 repaid + 47.619 deficit); 1000 taken: cost 0%.
        assert!(close(l.debt_retired(), 1_000.0));
        assert!(close(l.borrower_costs()[0], 0.0));
        let end = a.end_state(100.0);
        assert!(close(end.bad_debt, 32.857142857142857));
        assert_eq!(end.insurance_end, 0.0);
        assert!(!a.busy(100.0));
    }

    #[test]
    fn debt_without_collateral_stays_open() {
        // Nothing to seize: no liquidationCall; the end state counts it as underwater.
        let book = [pos(0.0, 50.0)];
        let mut a = AaveV3::new(&book, 20.0);
        let mut l = Ledger::new(&book, 20.0, 0.0);
        step(
            &mut a,
            60.0,
            100.0,
            &mut deep(100.0),
            &mut [Bidder::new(1e6, 0.0, 0.0)],
            &mut l,
        );
        assert_eq!(l.transactions, 0);
        assert!(!a.busy(100.0));
        assert_eq!(
            a.end_state(100.0),
            EndState {
                bad_debt: 50.0,
                insurance_end: 20.0,
                pol_end: 0.0
            }
        );
    }
}
