//! Kamino Lend (klend) price-triggered liquidation (one collateral, one debt reserve, no
//! elevation group, borrow factor 1), as in Kamino-Finance/klend at commit
//! edd5ff509af35eac643277fa14bd3c861f9485df (release 1.16.0; line numbers are that
//! commit's). Short names: LO = `programs/klend/src/state/liquidation_operations.rs`,
//! OPS = `programs/klend/src/lending_market/lending_operations.rs`, LM =
//! `programs/klend/src/state/lending_market.rs`, C = `programs/klend/src/utils/consts.rs`.
//!
//! - Oracle: `refresh_reserve` stores the oracle's spot price (OPS:54-75), and a
//!   liquidation needs the reserves and the obligation refreshed in the same slot
//!   (`STALE_AFTER_SLOTS_ELAPSED = 1`, `state/last_update.rs`:10, 107-113). It needs only
//!   PRICE_LOADED | PRICE_AGE_CHECKED | PRICE_USAGE_ALLOWED (`LIQUIDATION_CHECKS`,
//!   `state/last_update.rs`:46-48, enforced at OPS:3969-4012), no TWAP or heuristic check.
//!   So the model reads the path's price with no lag.
//! - Liquidatable when the LTV reaches the liquidation LTV (`user_ltv < max_allowed_ltv`
//!   returns healthy, LO:260-269): with one collateral and a borrow factor of 1,
//!   `LTV = debt / (collateral * price) >= liquidation threshold`.
//! - Close factor (LO:65-92): `liquidation_max_debt_close_factor_pct` (20%, LM:294-298,
//!   C:45-66), or 100% when the LTV is strictly above `insolvency_risk_unhealthy_ltv_pct`
//!   (95%); the repay is also capped by `max_liquidatable_debt_market_value_at_once`.
//! - Bonus (`calculate_liquidation_bonus`, LO:394-456): below an LTV of 0.99,
//!   `min(min(max(min_bonus, LTV - LT), max_bonus), 1 - LTV)`: one point of bonus per
//!   point of LTV past the threshold, between the reserves' minimum and maximum, and never
//!   more than `1 - LTV` (LO:428-455). At or above 0.99 (the bad-debt case, LO:404-423):
//!   `max(bad_debt_bonus, 1 - LTV)` while LTV < 1, `bad_debt_bonus` from 1 on; the config
//!   must keep `bad_debt_liquidation_bonus_bps < 100` (OPS:4232-4235).
//! - Seizure (`calculate_liquidation_amounts`, LO:349-364): `repay * (1 + bonus) / price`
//!   of collateral; when that is more than the collateral, all of it is seized and the
//!   repay scales down to `collateral * price / (1 + bonus)`. The rest of the debt stays on
//!   the obligation: klend writes nothing off. `socialize_loss` (OPS:2230-2310) is an
//!   admin-only, discretionary instruction (`handler_socialize_loss.rs`:86-97) for an
//!   obligation with no collateral left (OPS:2263-2266) that spreads the loss over the
//!   reserve's depositors; klend has no insurance fund. Modelled: as soon as a liquidation
//!   leaves an account with debt and no collateral, the debt is covered through
//!   [`Insurance::cover`] (the curators' or lenders' backstop, as `socialize_loss` would),
//!   and it is never counted as repaid. An account with debt and no collateral to begin
//!   with cannot be liquidated and stays open: it counts in the end state's underwater
//!   debt (as in `aave_v3`).
//! - Protocol liquidation fee (LO:936-961, applied at OPS:2110-2127): a share
//!   (`protocol_liquidation_fee_pct` of the collateral reserve) of the bonus part
//!   `seized - seized / (1 + bonus)` goes to the reserve's fee vault instead of the
//!   liquidator. It is credited to [`Insurance::earn`] at the path's price when taken.
//!
//! Liquidators are the bidders who look this step, in order, and they react one step late:
//! at step `s` they act only on accounts that were liquidatable at the end of step `s - 1`,
//! at step `s`'s price. A liquidator acts only when the collateral it receives sells into
//! the venue at its edge after slippage and the transaction's fee: it asks
//! `take_size(venue, unit, receivable collateral, fee)` with
//! `unit = price / ((1 + bonus) * (1 - protocol_fee * bonus / (1 + bonus)))` per unit
//! received, and repays `q * unit` for `q` received (klend settles
//! `min(max repay, liquidity offered)`, LO:153-154, so partial sizes are allowed). Each
//! liquidation is one transaction ([`Action::KaminoLiquidation`]: the refreshes, the
//! liquidation and the redemption). Accounts are visited in book order; an account takes
//! as many liquidations in a step as pay (each at the LTV and bonus it has then, at most
//! [`super::MAX_CALLS_PER_STEP`]); a bidder may liquidate several accounts while its capital
//! lasts.
//!
//! Simplified: one collateral and one debt reserve (no elevation group, borrow factor,
//! multi-reserve priority rules, auto-deleverage, obligation orders, debt terms or
//! interest); the dust rule `min_full_liquidation_value_threshold` (a debt under $2 must
//! be repaid whole, LO:135-151) is on absolute dollar amounts the simulator's scaled
//! amounts do not carry, so it is left out; no rounding to token base units (klend
//! floors the seizure, ceils the repay and charges at least one base unit of fee); the
//! fee is charged whatever the reserve's redeemable liquidity (klend waives it when the
//! liquidator gets cTokens, OPS:2103, 2141-2155).

use super::{
    liquidation_pass, take_offer, underwater, write_off, Insurance, Offer, Rival, StepCtx,
};
use crate::sim::clock::Action;
use crate::sim::ledger::{EndState, Position};

/// At or above this LTV the bonus follows the bad-debt rule (`fraction!(0.99)`,
/// LO:404).
pub const BAD_DEBT_LTV: f64 = 0.99;

/// The rules; sources in the module doc. Kamino's live SOL reserve config was not found in
/// a dated public source: the values marked as assumptions come from Kamino's docs.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Liquidation threshold (`liquidation_threshold_pct`): 0.80, the simulator's common
    /// threshold (an assumption: Kamino's curator docs give SOL an LT of 75-85%).
    pub liq_threshold: f64,
    /// `min_liquidation_bonus_bps`: 0.02 (an assumption: Kamino's docs, "starts at 2%").
    pub min_bonus: f64,
    /// `max_liquidation_bonus_bps`: 0.10 (an assumption: Kamino's docs, "capped at 10%").
    pub max_bonus: f64,
    /// `bad_debt_liquidation_bonus_bps`: 0.0099 (an assumption: the config must keep it
    /// under 1%, OPS:4232-4235; the SDK's example SOL config has 99 bps).
    pub bad_debt_bonus: f64,
    /// `liquidation_max_debt_close_factor_pct`: 0.20 (klend's default, LM:294-298).
    pub close_factor: f64,
    /// `insolvency_risk_unhealthy_ltv_pct`: 0.95; strictly above it the whole debt can be
    /// repaid (LO:74-79).
    pub insolvency_ltv: f64,
    /// `max_liquidatable_debt_market_value_at_once`, debt units: infinite. Kamino's
    /// $500,000 default never binds on the simulator's retail-sized accounts, so none is
    /// the choice that favours the rival.
    pub max_at_once: f64,
    /// `protocol_liquidation_fee_pct`: 0.0 of the bonus part of the seized collateral (not
    /// found for the live SOL reserve; the SDK's example config has 0).
    pub protocol_fee: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            liq_threshold: 0.80,
            min_bonus: 0.02,
            max_bonus: 0.10,
            bad_debt_bonus: 0.0099,
            close_factor: 0.20,
            insolvency_ltv: 0.95,
            max_at_once: f64::INFINITY,
            protocol_fee: 0.0,
        }
    }
}

/// The largest liquidation klend allows on an account now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Call {
    /// The account's LTV.
    pub ltv: f64,
    /// The liquidation bonus, a fraction of the repaid value.
    pub bonus: f64,
    /// Debt repaid, debt units.
    pub repay: f64,
    /// Collateral seized (the liquidator's part and the protocol's fee).
    pub seize: f64,
    /// Whether the collateral was short: all of it is seized and the repay scaled down.
    pub all_collateral: bool,
}

impl Params {
    /// Whether `p` can be liquidated at `price`: it has debt and collateral and its LTV is
    /// at or above the threshold.
    pub fn liquidatable(&self, p: Position, price: f64) -> bool {
        p.debt > 0.0 && p.collateral > 0.0 && price > 0.0 && p.ltv(price) >= self.liq_threshold
    }

    /// The liquidation bonus at `ltv` (LO:394-456).
    pub fn bonus(&self, ltv: f64) -> f64 {
        if ltv >= BAD_DEBT_LTV {
            if ltv < 1.0 {
                self.bad_debt_bonus.max(1.0 - ltv)
            } else {
                self.bad_debt_bonus
            }
        } else {
            (ltv - self.liq_threshold)
                .max(self.min_bonus)
                .min(self.max_bonus)
                .min(1.0 - ltv)
        }
    }

    /// The share of the debt one liquidation may repay at `ltv` (LO:74-79).
    pub fn close_factor_at(&self, ltv: f64) -> f64 {
        if ltv > self.insolvency_ltv {
            1.0
        } else {
            self.close_factor
        }
    }

    /// Share of the seized collateral the liquidator receives at `bonus` (the rest is the
    /// protocol's fee).
    pub fn liquidator_share(&self, bonus: f64) -> f64 {
        1.0 - self.protocol_fee * bonus / (1.0 + bonus)
    }

    /// Debt the liquidator repays per unit of collateral it receives at `price` and
    /// `bonus`: `price / (1 + bonus - protocol_fee * bonus)` (price / (1 + bonus) without
    /// a fee).
    pub fn unit_price(&self, price: f64, bonus: f64) -> f64 {
        price / ((1.0 + bonus) * self.liquidator_share(bonus))
    }

    /// The largest liquidation of `p` at `price`, or `None` when it is not liquidatable:
    /// the close factor's share of the debt (capped by `max_at_once`), seizing
    /// `repay * (1 + bonus) / price`, or all the collateral for
    /// `collateral * price / (1 + bonus)` when that is short (LO:349-364).
    pub fn max_call(&self, p: Position, price: f64) -> Option<Call> {
        if !self.liquidatable(p, price) {
            return None;
        }
        let ltv = p.ltv(price);
        let bonus = self.bonus(ltv);
        let mut repay = (p.debt * self.close_factor_at(ltv))
            .min(p.debt)
            .min(self.max_at_once);
        let mut seize = repay * (1.0 + bonus) / price;
        let all_collateral = seize > p.collateral;
        if all_collateral {
            seize = p.collateral;
            repay = p.collateral * price / (1.0 + bonus);
        }
        Some(Call {
            ltv,
            bonus,
            repay,
            seize,
            all_collateral,
        })
    }
}

/// A Kamino Lend market's book and backstop.
#[derive(Clone, Debug)]
pub struct Kamino {
    pub positions: Vec<Position>,
    pub params: Params,
    /// The protocol's fee vault and the backstop that takes socialised losses, pooled.
    pub insurance: Insurance,
    /// Liquidatable at the end of the previous step (what liquidators saw).
    seen: Vec<bool>,
}

impl Kamino {
    pub fn new(book: &[Position], insurance: f64) -> Self {
        Kamino::with_params(book, insurance, Params::default())
    }

    pub fn with_params(book: &[Position], insurance: f64, params: Params) -> Self {
        Kamino {
            positions: book.to_vec(),
            params,
            insurance: Insurance::new(insurance),
            seen: vec![false; book.len()],
        }
    }

    /// One liquidation of account `i` at the path's price by the first looking bidder for
    /// whom it pays; whether one happened.
    fn liquidate(&mut self, i: usize, cx: &mut StepCtx, looking: &[bool]) -> bool {
        let price = cx.price;
        let Some(call) = self.params.max_call(self.positions[i], price) else {
            return false;
        };
        let offer = Offer {
            unit: self.params.unit_price(price, call.bonus),
            receive_max: call.seize * self.params.liquidator_share(call.bonus),
            seize_max: call.seize,
            repay_max: call.repay,
            all_collateral: call.all_collateral,
            action: Action::KaminoLiquidation,
        };
        let Some(t) = take_offer(&mut self.positions[i], i, &offer, cx, looking) else {
            return false;
        };
        // The fee vault's share, at the path's value of the collateral.
        self.insurance.earn((t.seized - t.received) * cx.price);
        // Left on the obligation by klend; socialised (here: covered by the backstop) at
        // once. Never repaid.
        write_off(&mut self.positions[i], &mut self.insurance);
        true
    }
}

impl Rival for Kamino {
    fn step(&mut self, cx: &mut StepCtx) {
        let seen = std::mem::take(&mut self.seen);
        liquidation_pass(&seen, cx, |i, cx, looking| self.liquidate(i, cx, looking));
        let price = cx.price;
        self.seen = self
            .positions
            .iter()
            .map(|&p| self.params.liquidatable(p, price))
            .collect();
    }

    fn busy(&self, price: f64) -> bool {
        self.positions
            .iter()
            .any(|&p| self.params.liquidatable(p, price))
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
    use crate::sim::clock::FeeModel;
    use crate::sim::ledger::Ledger;

    use super::super::testkit::{close, deep, pos, step, step_with};

    /// A step with no bidders: the liquidators see what is liquidatable at `price`.
    fn see(k: &mut Kamino, t: f64, price: f64, l: &mut Ledger) {
        step(k, t, price, &mut deep(price), &mut [], l);
    }

    #[test]
    fn defaults_and_the_liquidators_price() {
        let p = Params::default();
        assert_eq!(
            (
                p.liq_threshold,
                p.min_bonus,
                p.max_bonus,
                p.bad_debt_bonus,
                p.close_factor,
                p.insolvency_ltv,
                p.protocol_fee
            ),
            (0.80, 0.02, 0.10, 0.0099, 0.20, 0.95, 0.0)
        );
        assert_eq!(p.max_at_once, f64::INFINITY);
        // No protocol fee: the liquidator gets all it seizes, price / (1 + bonus) a unit.
        assert_eq!(p.liquidator_share(0.04), 1.0);
        assert!(close(p.unit_price(100.0, 0.04), 100.0 / 1.04));
        // Half of the bonus part as a fee: 1.04 seized per 1 of debt, of which
        // 0.5 * 0.04 = 0.02 is the fee: 1.02 received, 100 / 1.02 a unit.
        let f = Params {
            protocol_fee: 0.5,
            ..Params::default()
        };
        assert!(close(f.liquidator_share(0.04) * 1.04, 1.02));
        assert!(close(f.unit_price(100.0, 0.04), 100.0 / 1.02));
    }

    #[test]
    fn the_bonus_by_ltv() {
        let p = Params::default();
        // LTV 0.84: 0.84 - 0.80 = 4%, inside [2%, 10%] and under 1 - 0.84 = 16%.
        assert!(close(p.bonus(0.84), 0.04));
        // LTV 0.81: 1% over the threshold, raised to the 2% minimum.
        assert!(close(p.bonus(0.81), 0.02));
        // Exactly at the threshold: 0 -> 2%.
        assert!(close(p.bonus(0.80), 0.02));
        // LTV 0.93: 13% clamped to 10%, then capped by 1 - 0.93 = 7%.
        assert!(close(p.bonus(0.93), 0.07));
        // LTV 0.985: 1 - LTV = 1.5% wins even over the 2% minimum.
        assert!(close(p.bonus(0.985), 0.015));
        // The 10% maximum binds when 1 - LTV leaves room: with LT 0.75, LTV 0.88 is 13%
        // over, clamped to 10% (1 - 0.88 = 12% does not bind).
        let lt75 = Params {
            liq_threshold: 0.75,
            ..Params::default()
        };
        assert!(close(lt75.bonus(0.88), 0.10));
        // Bad debt, LTV >= 0.99: max(0.99%, 1 - LTV) below 1, 0.99% from 1 on.
        assert!(close(p.bonus(0.99), 0.01));
        assert!(close(p.bonus(0.995), 0.0099));
        assert!(close(p.bonus(1.0), 0.0099));
        assert!(close(p.bonus(1.5), 0.0099));
    }

    #[test]
    fn close_factor_20pct_up_to_095_full_above() {
        let p = Params::default();
        // (10, 950) at 100: LTV 0.95 is not above 0.95 -> 20%: repay 190; bonus
        // min(10%, 1 - 0.95 = 5%) = 5%: seize 190 * 1.05 / 100 = 1.995.
        let c = p.max_call(pos(10.0, 950.0), 100.0).unwrap();
        assert!(close(c.ltv, 0.95));
        assert!(close(c.bonus, 0.05));
        assert!(close(c.repay, 190.0));
        assert!(close(c.seize, 1.995));
        assert!(!c.all_collateral);
        // (10, 960): LTV 0.96 > 0.95 -> 100%: repay 960; bonus min(10%, 4%) = 4%: seize
        // 960 * 1.04 / 100 = 9.984.
        let c = p.max_call(pos(10.0, 960.0), 100.0).unwrap();
        assert!(close(c.bonus, 0.04));
        assert!(close(c.repay, 960.0));
        assert!(close(c.seize, 9.984));
        // A cap per liquidation of 100 binds on both.
        let capped = Params {
            max_at_once: 100.0,
            ..Params::default()
        };
        assert!(close(
            capped.max_call(pos(10.0, 960.0), 100.0).unwrap().repay,
            100.0
        ));
        let c = capped.max_call(pos(10.0, 840.0), 100.0).unwrap();
        assert!(close(c.repay, 100.0));
        assert!(close(c.seize, 1.04));
        // LTV 0.79: not liquidatable; LTV 0.80 exactly is (>=).
        assert_eq!(p.max_call(pos(10.0, 790.0), 100.0), None);
        assert!(p.max_call(pos(10.0, 800.0), 100.0).is_some());

        // Stepped: (10, 960) is cleared in one liquidation, leaving (0.016, 0).
        let book = [pos(10.0, 960.0)];
        let mut k = Kamino::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 50.0, 0.0)];
        see(&mut k, 60.0, 100.0, &mut l);
        step(&mut k, 120.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(k.positions[0].collateral, 0.016));
        assert_eq!(k.positions[0].debt, 0.0);
        assert_eq!(l.transactions, 1);
        assert!(close(l.debt_repaid(), 960.0));
        assert!(close(bidders[0].available(), 1e6 - 960.0));
        assert!(close(bidders[0].inventory(), 9.984));
        assert!(!k.busy(100.0));
    }

    #[test]
    fn ltv_084_two_liquidations_of_20pct_in_a_step() {
        // (10, 840) at 100: LTV 0.84, bonus 4%, 20%: repay 168, seize 168 * 1.04 / 100 =
        // 1.7472 -> (8.2528, 672), LTV 672 / 825.28 = 0.8143: bonus 2% (1.43% raised to
        // the minimum), repay 134.4, seize 134.4 * 1.02 / 100 = 1.37088 -> (6.88192,
        // 537.6), LTV 537.6 / 688.192 = 0.7812: healthy, no third call.
        let book = [pos(10.0, 840.0)];
        let mut k = Kamino::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 50.0, 0.0)];
        see(&mut k, 60.0, 100.0, &mut l);
        step(&mut k, 120.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(k.positions[0].collateral, 6.88192));
        assert!(close(k.positions[0].debt, 537.6));
        assert!(close(k.positions[0].ltv(100.0), 537.6 / 688.192));
        assert_eq!(l.transactions, 2);
        assert!(close(l.debt_repaid(), 302.4));
        assert!(close(bidders[0].available(), 1e6 - 302.4));
        assert!(close(bidders[0].inventory(), 3.11808));
        // Borrower cost: 3.11808 at 100 = 311.808 for 302.4: 9.408 / 302.4 = 3.111%.
        assert!(close(l.borrower_costs()[0], 9.408 / 302.4 * 100.0));
        assert!(!k.busy(100.0));
    }

    #[test]
    fn liquidators_react_one_step_late() {
        // (10, 780): LTV 0.78 at 100, healthy. At t = 120 the price is 95: LTV
        // 780 / 950 = 0.8211, liquidatable, but the liquidators saw it healthy at t = 60:
        // nothing. At t = 180 they act: bonus 0.8211 - 0.80 = 2/95 = 2.105%, repay 20% =
        // 156, seize 156 * (97/95) / 95 = 15132 / 9025 = 1.676676 -> (8.323324, 624), LTV
        // 624 / 790.7158 = 0.7892: healthy.
        let book = [pos(10.0, 780.0)];
        let mut k = Kamino::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 50.0, 0.0)];
        step(&mut k, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        step(&mut k, 120.0, 95.0, &mut deep(95.0), &mut bidders, &mut l);
        assert_eq!(k.positions[0], pos(10.0, 780.0));
        assert_eq!(l.transactions, 0);
        assert!(k.busy(95.0));
        step(&mut k, 180.0, 95.0, &mut deep(95.0), &mut bidders, &mut l);
        assert!(close(k.positions[0].debt, 624.0));
        assert!(close(k.positions[0].collateral, 10.0 - 15_132.0 / 9_025.0));
        assert!(close(k.positions[0].collateral, 8.323324099722992));
        assert_eq!(l.transactions, 1);
        assert!(!k.busy(95.0));

        // The first step an account is liquidatable is never acted on, even with the
        // bidders looking; and an account seen liquidatable that recovers by the next step
        // (840 / 1100 = 0.764) is left alone.
        let book = [pos(10.0, 840.0)];
        let mut k = Kamino::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(&mut k, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(l.transactions, 0);
        step(&mut k, 120.0, 110.0, &mut deep(110.0), &mut bidders, &mut l);
        assert_eq!(k.positions[0], pos(10.0, 840.0));
        assert_eq!(l.transactions, 0);
    }

    #[test]
    fn bad_debt_bonus_at_ltv_099() {
        // (10, 990) at 100: LTV 0.99 -> bad-debt rule, max(0.99%, 1 - 0.99) = 1%; full
        // close: repay 990, seize 990 * 1.01 / 100 = 9.999 -> (0.001, 0).
        let book = [pos(10.0, 990.0)];
        let mut k = Kamino::new(&book, 5.0);
        let mut l = Ledger::new(&book, 5.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        see(&mut k, 60.0, 100.0, &mut l);
        step(&mut k, 120.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(k.positions[0].collateral, 0.001));
        assert_eq!(k.positions[0].debt, 0.0);
        assert!(close(l.debt_repaid(), 990.0));
        assert_eq!(l.transactions, 1);
        assert!(close(k.insurance.balance, 5.0));
        assert_eq!(k.insurance.uncovered, 0.0);
    }

    #[test]
    fn collateral_short_seizes_all_and_the_rest_is_covered_not_repaid() {
        // (10, 1100) at 100: LTV 1.1 -> bonus 0.99%, full close; 1100 * 1.0099 / 100 =
        // 11.1089 > 10: all 10 seized, repay 1000 / 1.0099 = 990.19705. The 109.80295 left
        // has no collateral behind it: covered by the backstop (50), 59.80295 uncovered.
        let book = [pos(10.0, 1_100.0)];
        let mut k = Kamino::new(&book, 50.0);
        let mut l = Ledger::new(&book, 50.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        let c = k.params.max_call(book[0], 100.0).unwrap();
        assert!(c.all_collateral);
        assert!(close(c.bonus, 0.0099));
        assert!(close(c.seize, 10.0));
        assert!(close(c.repay, 1_000.0 / 1.0099));
        see(&mut k, 60.0, 100.0, &mut l);
        step(&mut k, 120.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(k.positions[0], pos(0.0, 0.0));
        assert_eq!(l.transactions, 1);
        assert!(close(l.debt_repaid(), 990.1970492127934));
        assert!(close(bidders[0].available(), 1e6 - 990.1970492127934));
        assert_eq!(k.insurance.balance, 0.0);
        assert!(close(k.insurance.uncovered, 59.80295078720663));
        // Only what was repaid counts: 1000 taken for 990.197 repaid, a 0.99% cost.
        assert!(close(l.borrower_costs()[0], 0.99));
        let end = k.end_state(100.0);
        assert!(close(end.bad_debt, 59.80295078720663));
        assert_eq!(end.insurance_end, 0.0);
        assert!(!k.busy(100.0));
    }

    #[test]
    fn the_protocol_fee_goes_to_insurance() {
        // Fee 50% of the bonus part. (10, 960) at 100: bonus 4%, full close: repay 960,
        // seize 9.984, of which 9.984 - 9.6 = 0.384 is bonus: the fee is 0.192 (19.2 at
        // 100), the liquidator receives 9.792 and pays 960 (100 / 1.02 a unit).
        let params = Params {
            protocol_fee: 0.5,
            ..Params::default()
        };
        let book = [pos(10.0, 960.0)];
        let mut k = Kamino::with_params(&book, 0.0, params);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        see(&mut k, 60.0, 100.0, &mut l);
        step(&mut k, 120.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(k.positions[0].collateral, 0.016));
        assert_eq!(k.positions[0].debt, 0.0);
        assert!(close(k.insurance.balance, 19.2));
        assert!(close(bidders[0].inventory(), 9.792));
        assert!(close(bidders[0].available(), 1e6 - 960.0));
        // The borrower loses the whole seizure: 998.4 for 960, 4%.
        assert!(close(l.borrower_costs()[0], 4.0));
    }

    #[test]
    fn no_liquidation_when_the_venue_does_not_pay() {
        // LTV 0.84 at 100 (bonus 4%): the liquidator pays 100 / 1.04 = 96.15 a unit and
        // would sell at 95.
        let book = [pos(10.0, 840.0)];
        let mut k = Kamino::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        see(&mut k, 60.0, 100.0, &mut l);
        step(&mut k, 120.0, 100.0, &mut deep(95.0), &mut bidders, &mut l);
        assert_eq!(k.positions[0], pos(10.0, 840.0));
        assert_eq!(l.transactions, 0);
        assert_eq!(bidders[0].available(), 1e6);
        assert!(k.busy(100.0));
    }

    #[test]
    fn the_fee_makes_a_tiny_liquidation_unprofitable_and_is_recorded() {
        // 350,000 CU at 1 lamport a CU plus the 5,000-lamport base fee: 355,000 lamports
        // = 0.000355 SOL = 0.0355 debt units at $100 a SOL and $1 a debt unit.
        let fees = FeeModel {
            sol_usd: 100.0,
            debt_unit_usd: 1.0,
            ..FeeModel::default()
        };
        let fee = fees.fee(Action::KaminoLiquidation.cu(), 1e6);
        assert!(close(fee, 0.0355));
        // Account 0 (10, 840): the two liquidations of ltv_084_... earn 168 * 0.04 = 6.72
        // and 134.4 * 0.02 = 2.688, both over the fee. Account 1 (0.01, 0.84), the same
        // LTV a thousand times smaller: its first liquidation would earn 0.00672 < 0.0355.
        let book = [pos(10.0, 840.0), pos(0.01, 0.84)];
        let mut k = Kamino::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        see(&mut k, 60.0, 100.0, &mut l);
        let mut v = deep(100.0);
        step_with(
            &mut k,
            120.0,
            100.0,
            &mut v,
            &mut bidders,
            &mut l,
            &fees,
            1e6,
        );
        assert!(close(k.positions[0].debt, 537.6));
        assert_eq!(k.positions[1], pos(0.01, 0.84));
        assert_eq!(l.transactions, 2);
        assert!(close(l.fees, 2.0 * 0.0355));
        // The liquidator paid 302.4 of debt and two fees.
        assert!(close(bidders[0].available(), 1e6 - 302.4 - 0.071));
        assert!(k.busy(100.0));
        // Without fees the same small account is liquidated like the large one: 0.3024
        // repaid in two liquidations.
        step(&mut k, 180.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(k.positions[1].debt, 0.5376));
        assert!(close(k.positions[1].collateral, 0.00688192));
        assert_eq!(l.transactions, 4);
        assert!(close(l.fees, 0.071));
    }

    #[test]
    fn debt_without_collateral_stays_open() {
        // Nothing to seize: no liquidation; the end state counts it as underwater.
        let book = [pos(0.0, 50.0)];
        let mut k = Kamino::new(&book, 20.0);
        let mut l = Ledger::new(&book, 20.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        see(&mut k, 60.0, 100.0, &mut l);
        step(&mut k, 120.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(l.transactions, 0);
        assert!(!k.busy(100.0));
        assert_eq!(
            k.end_state(100.0),
            EndState {
                bad_debt: 50.0,
                insurance_end: 20.0,
                pol_end: 0.0
            }
        );
    }
}
