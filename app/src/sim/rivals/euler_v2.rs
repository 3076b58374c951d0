//! Euler v2's liquidation (the Euler Vault Kit, one collateral vault, one debt vault), as in
//! `euler-xyz/euler-vault-kit@5b98b420` `src/EVault/modules/Liquidation.sol` (LQ below),
//! with the governed mainnet parameters of `euler-xyz/evk-periphery@235e51db`
//! `script/production/mainnet/clusters/*.s.sol`:
//!
//! - Oracle: Euler's Chainlink adapter for WETH (evk-periphery `PrimeCluster.s.sol:81`),
//!   modelled by the same push oracle as [`super::aave_v3`] ([`PushOracle`]: 0.5%
//!   deviation, 3,600 s heartbeat). EVK reads mid-point quotes on both sides for the
//!   liquidation check (`src/EVault/shared/LiquidityUtils.sol:17-31, 73-120`): one price.
//! - Health score `h = collateral * price * LLTV / debt` (liquidation LTV, not borrow LTV).
//!   EVK lets an account be liquidated when its LTV-adjusted collateral is `<=` its
//!   liability (LQ:128-134; whitepaper `docs/whitepaper.md:498-500`); the model uses
//!   `h < 1` (see [`EulerV2::liquidatable`] for why). LLTV 0.80, the simulator's common
//!   threshold (the Prime cluster's WETH against USDC has 0.86, `PrimeCluster.s.sol:214,
//!   220`).
//! - Discount: factor `f = max(h, 1 - maxLiquidationDiscount)`, so the discount is
//!   `min(1 - h, max_discount)`, 0 at `h = 1` (LQ:136-147); `maxLiquidationDiscount =
//!   0.15e4` (`CONFIG_SCALE` 1e4, `src/EVault/shared/Constants.sol:21`) in 67 of the 68
//!   governed cluster scripts (`PrimeCluster.s.sol:59`). The liquidator receives
//!   collateral worth `repaid / f`, i.e. pays `price * f` per unit it receives.
//! - No close factor: the whole liability may be repaid, yielding `debt / f` of value
//!   (LQ:166-167; whitepaper.md:508, "a violating account's full position is eligible for
//!   liquidation"). When the collateral is worth less than that, the yield is all of it and
//!   the repay `collateral value * f` (LQ:169-177). The liquidator may repay less; the
//!   yield is then pro rata (LQ:109-117).
//! - No protocol fee on liquidation (whitepaper.md:508): everything seized goes to the
//!   liquidator.
//! - Cool-off: liquidation reverts while `now < lastSuccessfulAccountStatusCheck +
//!   liquidationCoolOffTime` (LQ:98, 241-245; `src/EVault/shared/EVCClient.sol:133-134`),
//!   1 s in every governed cluster (`PrimeCluster.s.sol:62`): an account cannot be
//!   liquidated in the block in which it last passed a health check. The model takes the
//!   end of a step at which the account was healthy at the oracle's price as the latest
//!   check it could have passed. With the shared one-step reaction delay (below) an
//!   account acted on was unhealthy at the end of the previous step, so that check is at
//!   least two steps old: with steps of 0.5 s or more the cool-off is subsumed by the
//!   delay and never binds on its own (it is kept as an explicit gate for shorter steps).
//! - Bad debt: when a liquidation leaves debt and no collateral, the rest is socialized,
//!   written off against the vault's depositors (LQ:19-22, 220-234;
//!   `LiquidityUtils.sol:57-71`; on by default: `configFlags = 0`, `PrimeCluster.s.sol:69`,
//!   `CFG_DONT_SOCIALIZE_DEBT` unset, `Constants.sol:53`). Here the rival's backstop
//!   capital stands in front of the depositors: [`Insurance::cover`] (with none, it is
//!   exactly EVK's write-off); it is never counted as repaid. A position with debt and no
//!   collateral to begin with is not liquidated (a zero-value liquidation that only
//!   socializes, LQ:155-164, pays nobody) and stays open: it counts in the end state's
//!   underwater debt.
//!
//! Liquidators are the bidders who look this step, in order; at step `s` they act only on
//! accounts that were liquidatable at the end of step `s - 1` (the shared reaction delay,
//! as in [`super::aave_v3`]). A liquidation is done by the first looking bidder for whom it
//! pays: it asks `take_size(venue, price * f, yield, fee)` for the collateral it receives
//! and repays `q * price * f`; it sells through its inventory. The discount depends on the
//! health, so several small liquidations can earn more than one large one
//! (whitepaper.md:516-518); the model does not split on purpose: each call takes the
//! largest size the bidder's `take_size` allows at the discount of the moment, recomputed
//! per call, and an account takes as many calls in a step as pay (at most
//! [`super::MAX_CALLS_PER_STEP`]). One liquidation is one transaction at the CU of the engine's
//! `liquidate_partial`, its closest instruction.
//!
//! Simplified: one collateral and one debt vault per account; EVK settles by moving the
//! debt to the liquidator (`transferBorrow`, LQ:194-196; `src/EVault/shared/BorrowUtils.sol:75`)
//! and seizing collateral shares through the EVC (LQ:212-218), the liquidator repaying or
//! collateralizing it in the same batch: modelled as a repayment from its cash. No LTV
//! ramp (`src/EVault/shared/types/LTVConfig.sol:35-57`), no interest accrual, no rounding
//! to token decimals, and the 1e6 unit-of-account floor on socialization (a dust rule on
//! absolute amounts the simulator's scaled amounts do not carry) is left out.

use super::aave_v3::PushOracle;
use super::{
    liquidation_pass, take_offer, underwater, write_off, Insurance, Offer, Rival, StepCtx,
};
use crate::sim::clock::Action;
use crate::sim::ledger::{EndState, Position};

/// The rules; sources in the module doc.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Liquidation LTV in the health score: 0.80 (the simulator's common 80% LTV; the
    /// Prime cluster's WETH against USDC has 0.86).
    pub liq_ltv: f64,
    /// `maxLiquidationDiscount`: 0.15 (0.15e4 in 67 of 68 governed clusters).
    pub max_discount: f64,
    /// `liquidationCoolOffTime`: 1 s (every governed cluster).
    pub cool_off_secs: f64,
    /// The price feed's deviation threshold: 0.005 (Chainlink ETH/USD on Ethereum, behind
    /// Euler's Chainlink adapter).
    pub oracle_deviation: f64,
    /// The price feed's heartbeat: 3,600 s (Chainlink ETH/USD on Ethereum).
    pub oracle_heartbeat_secs: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            liq_ltv: 0.80,
            max_discount: 0.15,
            cool_off_secs: 1.0,
            oracle_deviation: 0.005,
            oracle_heartbeat_secs: 3_600.0,
        }
    }
}

impl Params {
    /// The discount at health score `h`: `min(1 - h, max_discount)`, 0 when healthy.
    pub fn discount(&self, h: f64) -> f64 {
        (1.0 - h).clamp(0.0, self.max_discount)
    }

    /// The discount factor `f = 1 - discount = max(h, 1 - max_discount)` (at most 1).
    pub fn discount_factor(&self, h: f64) -> f64 {
        1.0 - self.discount(h)
    }
}

/// An Euler v2 market's book and fund.
#[derive(Clone, Debug)]
pub struct EulerV2 {
    pub positions: Vec<Position>,
    pub params: Params,
    /// The backstop in front of the depositors who take socialized debt.
    pub insurance: Insurance,
    /// The price feed.
    pub oracle: PushOracle,
    /// Liquidatable at the end of the previous step (what liquidators saw).
    seen: Vec<bool>,
    /// The last step's end at which each account was healthy: the latest status check it
    /// could have passed (the cool-off's start); -inf when never.
    last_ok: Vec<f64>,
}

impl EulerV2 {
    pub fn new(book: &[Position], insurance: f64) -> Self {
        EulerV2::with_params(book, insurance, Params::default())
    }

    pub fn with_params(book: &[Position], insurance: f64, params: Params) -> Self {
        let oracle = PushOracle::new(params.oracle_deviation, params.oracle_heartbeat_secs, 0.0);
        EulerV2 {
            positions: book.to_vec(),
            params,
            insurance: Insurance::new(insurance),
            oracle,
            seen: vec![false; book.len()],
            last_ok: vec![f64::NEG_INFINITY; book.len()],
        }
    }

    /// The health score at `price` (infinite without debt).
    pub fn health(&self, p: Position, price: f64) -> f64 {
        p.health(price, self.params.liq_ltv)
    }

    /// Whether `p` can be liquidated at `price`. EVK allows it at `h <= 1`, but at `h = 1`
    /// the discount is 0: the liquidator would pay the oracle's full price and nobody with
    /// an edge, a fee or any slippage acts, so `h < 1` gives the same liquidations and
    /// keeps an account sitting exactly at 1 from holding the run open ([`Rival::busy`]).
    fn liquidatable(&self, p: Position, price: f64) -> bool {
        p.debt > 0.0 && p.collateral > 0.0 && price > 0.0 && self.health(p, price) < 1.0
    }

    /// One liquidation of account `i` at the oracle's price by the first looking bidder for
    /// whom it pays; whether one happened.
    fn liquidate(&mut self, i: usize, cx: &mut StepCtx, looking: &[bool]) -> bool {
        let price = self.oracle.price;
        let pre = self.positions[i];
        if !self.liquidatable(pre, price) {
            return false;
        }
        let f = self.params.discount_factor(self.health(pre, price));
        // Debt per unit of collateral received: the discounted price.
        let unit = price * f;
        // No close factor: the whole debt, yielding debt / f of value, capped by the
        // collateral (then all of it for collateral value * f). No protocol fee: what is
        // seized is what the liquidator receives.
        let mut yield_max = pre.debt / unit;
        let mut repay_max = pre.debt;
        let capped = yield_max >= pre.collateral;
        if capped {
            yield_max = pre.collateral;
            repay_max = pre.collateral * unit;
        }
        let offer = Offer {
            unit,
            receive_max: yield_max,
            seize_max: yield_max,
            repay_max,
            all_collateral: capped,
            action: Action::LiquidatePartial,
        };
        if take_offer(&mut self.positions[i], i, &offer, cx, looking).is_none() {
            return false;
        }
        // Socialized: written off against the depositors, the backstop first; never
        // repaid.
        write_off(&mut self.positions[i], &mut self.insurance);
        true
    }
}

impl Rival for EulerV2 {
    fn step(&mut self, cx: &mut StepCtx) {
        self.oracle.observe(cx.t, cx.price);
        // Liquidators act on what they saw at the previous step, and not within the
        // cool-off of the account's last passed check.
        let cool = self.params.cool_off_secs;
        let open: Vec<bool> = self
            .seen
            .iter()
            .zip(&self.last_ok)
            .map(|(&saw, &ok)| saw && cx.t >= ok + cool)
            .collect();
        liquidation_pass(&open, cx, |i, cx, looking| self.liquidate(i, cx, looking));
        let price = self.oracle.price;
        for i in 0..self.positions.len() {
            let bad = self.liquidatable(self.positions[i], price);
            self.seen[i] = bad;
            if !bad {
                self.last_ok[i] = cx.t;
            }
        }
    }

    fn busy(&self, _price: f64) -> bool {
        let price = self.oracle.price;
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
    use crate::sim::clock::FeeModel;
    use crate::sim::ledger::Ledger;

    use super::super::testkit::{close, deep, pos, step, step_with};

    #[test]
    fn defaults_and_the_discount() {
        let p = Params::default();
        assert_eq!(
            (
                p.liq_ltv,
                p.max_discount,
                p.cool_off_secs,
                p.oracle_deviation,
                p.oracle_heartbeat_secs
            ),
            (0.80, 0.15, 1.0, 0.005, 3_600.0)
        );
        // h = 0.97: 3%; h = 0.9: 10%; h = 0.8: 20% capped at 15%; healthy: none.
        assert!(close(p.discount(0.97), 0.03));
        assert!(close(p.discount_factor(0.97), 0.97));
        assert!(close(p.discount(0.9), 0.1));
        assert!(close(p.discount(0.8), 0.15));
        assert!(close(p.discount_factor(0.8), 0.85));
        assert_eq!(p.discount(1.0), 0.0);
        assert_eq!(p.discount(1.2), 0.0);
        let e = EulerV2::new(&[pos(9.7, 800.0)], 0.0);
        // 9.7 * 100 * 0.8 / 800 = 0.97.
        assert!(close(e.health(pos(9.7, 800.0), 100.0), 0.97));
        assert_eq!(e.health(pos(1.0, 0.0), 100.0), f64::INFINITY);
    }

    #[test]
    fn h_097_repays_the_whole_debt_in_one_call() {
        // 9.7 collateral, 800 debt at 100: h = 0.97, discount 3%, f = 0.97: the liquidator
        // pays 97 per unit. No close factor: it repays all 800 for 800 / 97 = 8.247423
        // collateral (worth 824.7423 at 100). Left: (9.7 - 8.247423, 0) = (1.452577, 0).
        // Step 1 (t = 60) only shows it to the liquidators; step 2 (t = 120) acts.
        let book = [pos(9.7, 800.0)];
        let mut e = EulerV2::new(&book, 10.0);
        let mut l = Ledger::new(&book, 10.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 50.0, 0.0)];
        let mut v = deep(100.0);
        step(&mut e, 60.0, 100.0, &mut v, &mut bidders, &mut l);
        assert_eq!(e.positions[0], pos(9.7, 800.0));
        assert_eq!(l.transactions, 0);
        assert!(e.busy(100.0));
        step(&mut e, 120.0, 100.0, &mut v, &mut bidders, &mut l);
        assert!(close(e.positions[0].collateral, 9.7 - 800.0 / 97.0));
        assert!(close(e.positions[0].collateral, 1.452577319587629));
        assert_eq!(e.positions[0].debt, 0.0);
        assert_eq!(l.transactions, 1);
        assert!(close(l.debt_repaid(), 800.0));
        assert!(close(bidders[0].available(), 1e6 - 800.0));
        assert!(close(bidders[0].inventory(), 800.0 / 97.0));
        // Borrower cost: 824.7423 taken for 800: 0.03 / 0.97 = 3.0928%.
        assert!(close(l.borrower_costs()[0], 3.0927835051546393));
        // No protocol fee, nothing socialized: the fund is untouched.
        assert_eq!(e.insurance, Insurance::new(10.0));
        assert!(!e.busy(100.0));
    }

    #[test]
    fn h_080_caps_the_discount_at_15pct_and_socializes_the_rest() {
        // (10, 1000) at 100: h = 0.8, discount min(0.2, 0.15) = 15%, f = 0.85. The whole
        // debt would yield 1000 / 85 = 11.76 > 10: the liquidator takes all 10 and repays
        // 10 * 100 * 0.85 = 850. The 150 left is socialized: the fund's 100 covers part,
        // 50 is uncovered (the depositors' loss). Only 850 counts as repaid.
        let book = [pos(10.0, 1_000.0)];
        let mut e = EulerV2::new(&book, 100.0);
        let mut l = Ledger::new(&book, 100.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        let mut v = deep(100.0);
        step(&mut e, 60.0, 100.0, &mut v, &mut bidders, &mut l);
        step(&mut e, 120.0, 100.0, &mut v, &mut bidders, &mut l);
        assert_eq!(e.positions[0], pos(0.0, 0.0));
        assert_eq!(l.transactions, 1);
        assert!(close(l.debt_repaid(), 850.0));
        assert!(close(bidders[0].available(), 1e6 - 850.0));
        assert!(close(bidders[0].inventory(), 10.0));
        assert_eq!(e.insurance.balance, 0.0);
        assert!(close(e.insurance.uncovered, 50.0));
        // Borrower cost: 1000 taken for 850 repaid: 150 / 850 = 17.647%.
        assert!(close(l.borrower_costs()[0], 150.0 / 850.0 * 100.0));
        let end = e.end_state(100.0);
        assert!(close(end.bad_debt, 50.0));
        assert_eq!(end.insurance_end, 0.0);
        assert!(!e.busy(100.0));
    }

    #[test]
    fn collateral_short_without_the_cap() {
        // (11.25, 1000) at 100: h = 0.9, discount 10% (under the cap), f = 0.9; the whole
        // debt yields 1000 / 90 = 11.111 <= 11.25: all 1000 repaid, 0.138889 left.
        // (11, 1000): h = 0.88, f = 0.88, 1000 / 88 = 11.364 > 11: all 11 seized, repay
        // 11 * 88 = 968, 32 socialized (insurance 0: all uncovered).
        let book = [pos(11.25, 1_000.0), pos(11.0, 1_000.0)];
        let mut e = EulerV2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        let mut v = deep(100.0);
        step(&mut e, 60.0, 100.0, &mut v, &mut bidders, &mut l);
        step(&mut e, 120.0, 100.0, &mut v, &mut bidders, &mut l);
        assert!(close(e.positions[0].collateral, 11.25 - 1_000.0 / 90.0));
        assert!(close(e.positions[0].collateral, 0.13888888888888928));
        assert_eq!(e.positions[0].debt, 0.0);
        assert_eq!(e.positions[1], pos(0.0, 0.0));
        assert!(close(l.debt_repaid(), 1_968.0));
        assert!(close(e.insurance.uncovered, 32.0));
        assert_eq!(l.transactions, 2);
    }

    #[test]
    fn the_discount_is_recomputed_per_call() {
        // (9.7, 800), h = 0.97. Bidder A has 100 of cash: it receives 100 / 97 =
        // 1.0309278 and repays 100 -> (8.6690722, 700), h = 8.6690722 * 80 / 700 =
        // 0.9907511: still liquidatable, a second call in the same step. A has no cash left;
        // B pays at the new discount 0.92489% (f = 0.9907511): 700 / (100 f) = 7.0653467
        // for all 700. Left: 8.6690722 - 7.0653467 = 1.6037255.
        let book = [pos(9.7, 800.0)];
        let mut e = EulerV2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(100.0, 0.0, 0.0), Bidder::new(1e6, 0.0, 0.0)];
        let mut v = deep(100.0);
        step(&mut e, 60.0, 100.0, &mut v, &mut bidders, &mut l);
        step(&mut e, 120.0, 100.0, &mut v, &mut bidders, &mut l);
        let h1 = (9.7 - 100.0 / 97.0) * 80.0 / 700.0;
        assert!(close(h1, 0.9907511045655375));
        assert!((e.positions[0].collateral - 1.6037255125522103).abs() < 1e-9);
        assert_eq!(e.positions[0].debt, 0.0);
        assert_eq!(l.transactions, 2);
        assert!(close(bidders[0].available(), 0.0));
        assert!(close(bidders[0].inventory(), 100.0 / 97.0));
        assert!(close(bidders[1].available(), 1e6 - 700.0));
        assert!((bidders[1].inventory() - 7.065346652396243).abs() < 1e-9);
        assert!(close(l.debt_repaid(), 800.0));
    }

    #[test]
    fn liquidators_react_one_step_late() {
        // (9.7, 800) is healthy at 110 (h = 1.067) at t = 60; at t = 120 the price is 100
        // (h = 0.97): liquidatable, but the liquidators only see it at t = 180.
        let book = [pos(9.7, 800.0)];
        let mut e = EulerV2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut e, 60.0, 110.0, &mut deep(110.0), &mut bidders, &mut l);
        assert!(!e.busy(110.0));
        step(&mut e, 120.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(e.positions[0], pos(9.7, 800.0));
        assert_eq!(l.transactions, 0);
        assert!(e.busy(100.0));
        step(&mut e, 180.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(e.positions[0].debt, 0.0);
        assert_eq!(l.transactions, 1);
    }

    #[test]
    fn the_cool_off_binds_only_within_a_second_of_the_last_healthy_check() {
        // Sub-second steps (the shared clock never has them): healthy at 110 at t = 60
        // (the last check it passed); unhealthy at 100 from t = 60.4, seen at its end; at
        // t = 60.8 the liquidators would act but 60.8 < 60 + 1: no liquidation; at 61.2
        // they do.
        let book = [pos(9.7, 800.0)];
        let mut e = EulerV2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut e, 60.0, 110.0, &mut deep(110.0), &mut bidders, &mut l);
        step(&mut e, 60.4, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        step(&mut e, 60.8, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(e.positions[0], pos(9.7, 800.0));
        assert_eq!(l.transactions, 0);
        step(&mut e, 61.2, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(e.positions[0].debt, 0.0);
        assert_eq!(l.transactions, 1);
    }

    #[test]
    fn the_push_oracle_lags_a_small_move() {
        // (10, 799): h = 800 / 799 = 1.00125 at 100; at 99.7 (-0.3%) h = 797.6 / 799 =
        // 0.998248 < 1, but 0.3% is under the 0.5% deviation: no new answer until the
        // heartbeat (3,600 s after the answer at t = 60, i.e. t = 3,660). Then it is seen,
        // and at t = 3,720 liquidated at 99.7 with f = 0.998248: all 799 for
        // 799 / (99.7 * 0.998248) = 8.028109, leaving 1.971891.
        let book = [pos(10.0, 799.0)];
        let mut e = EulerV2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut e, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        for t in [120.0, 180.0, 3_600.0] {
            step(&mut e, t, 99.7, &mut deep(99.7), &mut bidders, &mut l);
            assert_eq!(e.oracle.price, 100.0);
            assert_eq!(e.oracle.updated, 60.0);
            assert!(!e.busy(99.7));
        }
        assert_eq!(l.transactions, 0);
        step(&mut e, 3_660.0, 99.7, &mut deep(99.7), &mut bidders, &mut l);
        assert_eq!(e.oracle.price, 99.7);
        assert_eq!(e.oracle.updated, 3_660.0);
        assert!(e.busy(99.7));
        assert_eq!(l.transactions, 0);
        step(&mut e, 3_720.0, 99.7, &mut deep(99.7), &mut bidders, &mut l);
        assert_eq!(l.transactions, 1);
        assert_eq!(e.positions[0].debt, 0.0);
        assert!((e.positions[0].collateral - 1.9718910995775705).abs() < 1e-9);
        // A 0.6% move is a new answer at once.
        let mut o = PushOracle::new(0.005, 3_600.0, 100.0);
        o.observe(60.0, 99.4);
        assert_eq!((o.price, o.updated), (99.4, 60.0));
    }

    #[test]
    fn the_fee_makes_a_tiny_liquidation_unprofitable_and_is_counted() {
        // Base fee only: 5,000 lamports at 1e6 debt units per SOL = 5 per transaction.
        // Both at h = 0.97 (3% discount): (0.097, 8) yields 8 / 97 = 0.082474, worth 8.2474
        // for 8: 0.2474 < 5, nobody acts; (97, 8000) yields 82.474 for 8000: 247.4 > 5.
        let fees = FeeModel {
            sol_usd: 1e6,
            debt_unit_usd: 1.0,
            ..FeeModel::default()
        };
        let book = [pos(0.097, 8.0), pos(97.0, 8_000.0)];
        let mut e = EulerV2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        let mut v = deep(100.0);
        step_with(
            &mut e,
            60.0,
            100.0,
            &mut v,
            &mut bidders,
            &mut l,
            &fees,
            0.0,
        );
        step_with(
            &mut e,
            120.0,
            100.0,
            &mut v,
            &mut bidders,
            &mut l,
            &fees,
            0.0,
        );
        assert_eq!(e.positions[0], pos(0.097, 8.0));
        assert!(e.busy(100.0));
        assert!(close(e.positions[1].collateral, 97.0 - 8_000.0 / 97.0));
        assert_eq!(e.positions[1].debt, 0.0);
        assert_eq!(l.transactions, 1);
        assert!(close(l.fees, 5.0));
        assert!(close(bidders[0].available(), 1e6 - 8_000.0 - 5.0));
        assert!(close(l.debt_repaid(), 8_000.0));
        // Without the fee the tiny one pays: one more transaction, fee-free.
        let book = [pos(0.097, 8.0)];
        let mut e = EulerV2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(&mut e, 60.0, 100.0, &mut v, &mut bidders, &mut l);
        step(&mut e, 120.0, 100.0, &mut v, &mut bidders, &mut l);
        assert_eq!(e.positions[0].debt, 0.0);
        assert_eq!(l.transactions, 1);
        assert_eq!(l.fees, 0.0);
    }

    #[test]
    fn debt_without_collateral_stays_open() {
        // Nothing to seize: no liquidation; the end state counts it as underwater.
        let book = [pos(0.0, 50.0)];
        let mut e = EulerV2::new(&book, 20.0);
        let mut l = Ledger::new(&book, 20.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut e, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        step(&mut e, 120.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(l.transactions, 0);
        assert!(!e.busy(100.0));
        assert_eq!(
            e.end_state(100.0),
            EndState {
                bad_debt: 50.0,
                insurance_end: 20.0,
                pol_end: 0.0
            }
        );
    }
}
