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
//!   [`Insurance::earn`] at the path's value when it is taken.
//! - Bad debt (v3.3 deficit, `_burnBadDebt`, LL:549-589): when a liquidation seizes the
//!   last of the collateral, the debt left is burnt and becomes a reserve deficit: here
//!   [`Insurance::cover`]; it is written off, never counted as repaid. A position with debt
//!   and no collateral to begin with cannot be liquidated (there is nothing to seize) and
//!   stays open: it counts in the end state's underwater debt.
//! - The oracle: a push feed ([`PushOracle`]) with Chainlink ETH/USD's 0.5% deviation and
//!   3,600 s heartbeat (Aave Ethereum's WETH source is Chainlink's SVR ETH/USD feed,
//!   bgd-labs/aave-address-book `AaveV3Ethereum.sol:158-159`; AaveOracle reads
//!   `latestAnswer()` with no staleness check, `misc/AaveOracle.sol:101-116`). Health and
//!   the seizure use its answer; the ledger values what is taken at the path.
//! - No limit per block or per account (`Pool.sol:348-372`, `ValidationLogic.sol:379-424`
//!   have none): an account takes as many liquidationCalls in a step as pay, at most 16.
//!
//! Liquidators are the bidders who look this step, in order, acting on accounts that were
//! liquidatable at the end of the previous step (the shared reaction delay). A liquidator
//! acts only when the collateral it receives, on top of its inventory, sells into the venue
//! for its edge and the transaction's fee (`take_size(venue, price / 1.045, receivable
//! collateral, fee)`, at the CU of the engine's `liquidate_partial`), and converts back to
//! `debtToCover`; the collateral goes to its inventory.
//!
//! Simplified: one collateral and one debt reserve per account (no e-mode, isolation,
//! stable debt, interest accrual, `receiveAToken`, price-oracle sentinel or grace period);
//! v3.3's `MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD` (100% close factor when collateral or debt
//! is under $2,000, LL:74) and `MIN_LEFTOVER_BASE` (a partial liquidation must leave $1,000
//! of debt and collateral, LL:82) are left out: they would close the book's smaller
//! accounts whole, so leaving them out favours Aave on wrongful liquidations; no rounding
//! to token decimals.

use super::{
    liquidation_pass, take_offer, underwater, write_off, Insurance, Offer, Rival, StepCtx,
};
use crate::sim::clock::Action;
use crate::sim::ledger::{EndState, Position};

/// A push oracle with a deviation threshold and a heartbeat, as Chainlink's aggregators
/// behind Aave: the answer moves to the market when it is `deviation` away from the last
/// answer or `heartbeat_secs` have passed since it.
#[derive(Clone, Debug, PartialEq)]
pub struct PushOracle {
    pub deviation: f64,
    pub heartbeat_secs: f64,
    pub price: f64,
    pub updated: f64,
}

impl PushOracle {
    pub fn new(deviation: f64, heartbeat_secs: f64, price: f64) -> PushOracle {
        PushOracle {
            deviation,
            heartbeat_secs,
            price,
            updated: 0.0,
        }
    }

    /// The market is at `price` at `t`: a new answer when it deviates or the heartbeat is
    /// due.
    pub fn observe(&mut self, t: f64, price: f64) {
        let moved = self.price <= 0.0 || (price / self.price - 1.0).abs() >= self.deviation;
        if moved || t - self.updated >= self.heartbeat_secs {
            self.price = price;
            self.updated = t;
        }
    }
}

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
    /// The price feed's deviation threshold: 0.005 (Chainlink ETH/USD on Ethereum).
    pub oracle_deviation: f64,
    /// The price feed's heartbeat: 3,600 s (Chainlink ETH/USD on Ethereum).
    pub oracle_heartbeat_secs: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            liq_threshold: 0.80,
            close_factor: 0.5,
            close_factor_hf_threshold: 0.95,
            bonus: 0.05,
            protocol_fee: 0.10,
            oracle_deviation: 0.005,
            oracle_heartbeat_secs: 3_600.0,
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
    /// The price feed.
    pub oracle: PushOracle,
    /// Liquidatable at the end of the previous step (what liquidators saw).
    seen: Vec<bool>,
}

impl AaveV3 {
    pub fn new(book: &[Position], insurance: f64) -> Self {
        AaveV3::with_params(book, insurance, Params::default())
    }

    pub fn with_params(book: &[Position], insurance: f64, params: Params) -> Self {
        let oracle = PushOracle::new(params.oracle_deviation, params.oracle_heartbeat_secs, 0.0);
        AaveV3 {
            positions: book.to_vec(),
            params,
            insurance: Insurance::new(insurance),
            oracle,
            seen: vec![false; book.len()],
        }
    }

    /// The health factor at `price` (infinite without debt).
    pub fn health_factor(&self, p: Position, price: f64) -> f64 {
        p.health(price, self.params.liq_threshold)
    }

    fn liquidatable(&self, p: Position, price: f64) -> bool {
        p.debt > 0.0 && p.collateral > 0.0 && price > 0.0 && self.health_factor(p, price) < 1.0
    }

    /// One liquidationCall on account `i` at the oracle's price by the first looking bidder
    /// for whom it pays; whether one happened.
    fn liquidate(&mut self, i: usize, cx: &mut StepCtx, looking: &[bool]) -> bool {
        let price = self.oracle.price;
        let pre = self.positions[i];
        if !self.liquidatable(pre, price) {
            return false;
        }
        let p = &self.params;
        let hf = self.health_factor(pre, price);
        let max_debt = if hf > p.close_factor_hf_threshold {
            pre.debt * p.close_factor
        } else {
            pre.debt
        };
        // What the close factor allows, capped by the collateral.
        let mut seize_max = max_debt * (1.0 + p.bonus) / price;
        let mut repay_max = max_debt;
        let capped = seize_max >= pre.collateral;
        if capped {
            seize_max = pre.collateral;
            repay_max = pre.collateral * price / (1.0 + p.bonus);
        }
        let offer = Offer {
            unit: p.unit_price(price),
            receive_max: seize_max * p.liquidator_share(),
            seize_max,
            repay_max,
            all_collateral: capped,
            action: Action::LiquidatePartial,
        };
        let Some(t) = take_offer(&mut self.positions[i], i, &offer, cx, looking) else {
            return false;
        };
        // The treasury's share, at the path's value of the collateral.
        self.insurance.earn((t.seized - t.received) * cx.price);
        // v3.3's deficit: burnt, covered by the reserve; never repaid.
        write_off(&mut self.positions[i], &mut self.insurance);
        true
    }
}

impl Rival for AaveV3 {
    fn step(&mut self, cx: &mut StepCtx) {
        self.oracle.observe(cx.t, cx.price);
        let seen = std::mem::take(&mut self.seen);
        liquidation_pass(&seen, cx, |i, cx, looking| self.liquidate(i, cx, looking));
        let price = self.oracle.price;
        self.seen = self
            .positions
            .iter()
            .map(|&p| self.liquidatable(p, price))
            .collect();
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
    use crate::sim::ledger::Ledger;
    use crate::sim::venue::Venue;

    use super::super::close_step;
    use super::super::testkit::{close, deep, pos, step};

    /// Step 1 (t = 60) shows the book to the liquidators (nothing happens); step 2
    /// (t = 120) lets them act on what they saw.
    fn show_then_act(
        a: &mut AaveV3,
        price: f64,
        venue: &mut Venue,
        bidders: &mut [Bidder],
        l: &mut Ledger,
    ) {
        step(a, 60.0, price, venue, bidders, l);
        step(a, 120.0, price, venue, bidders, l);
    }

    #[test]
    fn defaults_and_the_liquidators_price() {
        let p = Params::default();
        assert_eq!(
            (
                p.liq_threshold,
                p.close_factor,
                p.close_factor_hf_threshold,
                p.bonus,
                p.protocol_fee,
                p.oracle_deviation,
                p.oracle_heartbeat_secs
            ),
            (0.80, 0.5, 0.95, 0.05, 0.10, 0.005, 3_600.0)
        );
        // Seized 1.05 per 1 of debt at price 1; the fee is 10% of the 0.05 bonus: the
        // liquidator receives 1.045 for 1 of debt.
        assert!(close(p.liquidator_share() * 1.05, 1.045));
        assert!(close(p.unit_price(100.0), 100.0 / 1.045));
        // The feed has no answer before its first observation.
        let a = AaveV3::new(&[pos(9.0, 800.0)], 0.0);
        assert_eq!(a.oracle, PushOracle::new(0.005, 3_600.0, 0.0));
    }

    #[test]
    fn hf_097_liquidates_half_with_the_bonus_and_the_fee() {
        // 9.7 collateral, 800 debt at 100: HF = 9.7 * 100 * 0.8 / 800 = 0.97 > 0.95 ->
        // close factor 50%: debtToCover 400, seized 400 * 1.05 / 100 = 4.2, of which the
        // fee is (4.2 - 4.0) * 0.1 = 0.02 (2.0 at 100) and the liquidator gets 4.18.
        // Left: (5.5, 400), HF 5.5 * 80 / 400 = 1.1: no second call in the step.
        let book = [pos(9.7, 800.0)];
        let mut a = AaveV3::new(&book, 10.0);
        let mut l = Ledger::new(&book, 10.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 50.0, 0.0)];
        assert!(close(a.health_factor(book[0], 100.0), 0.97));
        let mut v = deep(100.0);
        // t = 60: the liquidators see it; nothing happens yet.
        step(&mut a, 60.0, 100.0, &mut v, &mut bidders, &mut l);
        assert_eq!(a.positions[0], book[0]);
        assert_eq!(l.transactions, 0);
        assert!(a.busy(100.0));
        // t = 120: they act.
        step(&mut a, 120.0, 100.0, &mut v, &mut bidders, &mut l);
        assert!(close(a.positions[0].collateral, 5.5));
        assert!(close(a.positions[0].debt, 400.0));
        assert!(close(a.health_factor(a.positions[0], 100.0), 1.1));
        assert!(close(bidders[0].available(), 1e6 - 400.0));
        assert!(close(bidders[0].inventory(), 4.18));
        assert!(close(a.insurance.balance, 12.0));
        assert!(close(l.debt_repaid(), 400.0));
        // The liquidator keeps the 4.18 as inventory: the venue is untouched by the take...
        assert_eq!(v.pool.collateral, 1e9);
        // ...and it sells them at the step's close (a 4.18 sale is far under the 1% cap of
        // 1e9 * (1 / sqrt(0.99) - 1) = 5.04e6): the reserve grows by exactly that and the
        // cash comes back, 4.18 at ~100 = 418.
        close_step(&mut bidders, &mut v, &mut l, 100.0);
        assert!((v.pool.collateral - (1e9 + 4.18)).abs() < 1e-6);
        assert_eq!(bidders[0].inventory(), 0.0);
        assert!((bidders[0].available() - (1e6 - 400.0 + 418.0)).abs() < 1e-5);
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
        let mut bidders = vec![Bidder::new(1e6, 50.0, 0.0)];
        show_then_act(&mut a, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(a.positions[0].collateral, 0.6));
        assert_eq!(a.positions[0].debt, 0.0);
        assert!(close(a.insurance.balance, 4.0));
        assert!(close(l.debt_repaid(), 800.0));
        assert!(close(bidders[0].inventory(), 8.36));
        assert_eq!(l.transactions, 1);
        // HF exactly 0.95 is already a full close (the rule is HF > 0.95 for 50%):
        // 9.5 * 80 / 800 = 0.95; seized 8.4, left (1.1, 0).
        let book = [pos(9.5, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        show_then_act(
            &mut a,
            100.0,
            &mut deep(100.0),
            &mut [Bidder::new(1e6, 50.0, 0.0)],
            &mut l,
        );
        assert_eq!(a.positions[0].debt, 0.0);
        assert!(close(a.positions[0].collateral, 1.1));
        assert_eq!(l.transactions, 1);
        // HF exactly 1: not liquidatable, neither seen nor acted on.
        let book = [pos(10.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        show_then_act(
            &mut a,
            100.0,
            &mut deep(100.0),
            &mut [Bidder::new(1e6, 0.0, 0.0)],
            &mut l,
        );
        assert!(!a.busy(100.0));
        assert_eq!(a.positions[0], pos(10.0, 800.0));
        assert_eq!(l.transactions, 0);
    }

    #[test]
    fn liquidators_act_one_step_late() {
        // (9.7, 800) is healthy at 110 (HF 1.067) at t = 60; at t = 120 the price is 100
        // (a 9% move: the feed follows at once), HF 0.97: liquidatable, but the
        // liquidators only act on it at t = 180.
        let book = [pos(9.7, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut a, 60.0, 110.0, &mut deep(110.0), &mut bidders, &mut l);
        assert!(!a.busy(110.0));
        step(&mut a, 120.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(a.oracle.price, 100.0);
        assert_eq!(a.positions[0], pos(9.7, 800.0));
        assert_eq!(l.transactions, 0);
        assert!(a.busy(100.0));
        step(&mut a, 180.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(a.positions[0].collateral, 5.5));
        assert!(close(a.positions[0].debt, 400.0));
        assert_eq!(l.transactions, 1);
        // Seen at 100 (t = 60) but healthy again at 110 when they come (t = 120): the
        // call is checked at the price of the moment, nothing happens.
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut a, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(a.busy(100.0));
        step(&mut a, 120.0, 110.0, &mut deep(110.0), &mut bidders, &mut l);
        assert_eq!(a.positions[0], pos(9.7, 800.0));
        assert_eq!(l.transactions, 0);
        assert!(!a.busy(110.0));
    }

    #[test]
    fn the_push_oracle_moves_on_deviation_or_heartbeat() {
        // First answer at t = 60: 100. A 0.4% move (99.6) is under the 0.5% threshold: the
        // answer stays 100. A 0.6% move (99.4) updates it at once (t = 180). Then 99.2 is
        // 0.2% off 99.4: it waits for the heartbeat, 3,600 s after 180 = 3,780.
        let mut o = PushOracle::new(0.005, 3_600.0, 0.0);
        o.observe(60.0, 100.0);
        assert_eq!((o.price, o.updated), (100.0, 60.0));
        o.observe(120.0, 99.6);
        assert_eq!((o.price, o.updated), (100.0, 60.0));
        o.observe(180.0, 99.4);
        assert_eq!((o.price, o.updated), (99.4, 180.0));
        o.observe(3_779.0, 99.2);
        assert_eq!((o.price, o.updated), (99.4, 180.0));
        o.observe(3_780.0, 99.2);
        assert_eq!((o.price, o.updated), (99.2, 3_780.0));
    }

    #[test]
    fn the_lagging_feed_delays_the_liquidation_and_sets_its_price() {
        // (10, 800): HF exactly 1 at 100; at the path's 99.6 HF = 0.996, but the feed
        // stays at 100 (a 0.4% move) until its heartbeat at 60 + 3,600 = 3,660: nothing is
        // liquidatable before. At 3,660 the feed reads 99.6: seen; at 3,720 the
        // liquidator repays half, 400, seizing 400 * 1.05 / 99.6 = 4.216867 -> (5.783133,
        // 400). Taken at the path's 99.6: 420 for 400, 5%. Fee 4.216867 * 0.05 / 1.05 * 0.1
        // = 0.0200803, 2.0 at 99.6.
        let book = [pos(10.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut a, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        for t in [120.0, 180.0, 3_600.0] {
            step(&mut a, t, 99.6, &mut deep(99.6), &mut bidders, &mut l);
        }
        assert_eq!(a.oracle.price, 100.0);
        assert!(!a.busy(99.6));
        assert_eq!(l.transactions, 0);
        step(&mut a, 3_660.0, 99.6, &mut deep(99.6), &mut bidders, &mut l);
        assert_eq!((a.oracle.price, a.oracle.updated), (99.6, 3_660.0));
        assert_eq!(l.transactions, 0);
        assert!(a.busy(99.6));
        step(&mut a, 3_720.0, 99.6, &mut deep(99.6), &mut bidders, &mut l);
        assert!(close(a.positions[0].collateral, 10.0 - 420.0 / 99.6));
        assert!(close(a.positions[0].collateral, 5.783132530120482));
        assert!(close(a.positions[0].debt, 400.0));
        assert!(close(l.borrower_costs()[0], 5.0));
        assert!(close(a.insurance.balance, 2.0));
        assert_eq!(l.transactions, 1);
        // The liquidation runs at the feed's price, the ledger values it at the path's:
        // (9.7, 800) seen at 100 (t = 60); at t = 120 the path is at 99.6, the feed still
        // at 100: half closed at 100 (seized 4.2, fee 0.02), but 4.2 at 99.6 = 418.32 for
        // 400: 4.58%; the treasury's 0.02 is worth 1.992.
        let book = [pos(9.7, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut a, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        step(&mut a, 120.0, 99.6, &mut deep(99.6), &mut bidders, &mut l);
        assert!(close(a.positions[0].collateral, 5.5));
        assert!(close(a.positions[0].debt, 400.0));
        assert!(close(l.borrower_costs()[0], 4.58));
        assert!(close(a.insurance.balance, 1.992));
    }

    #[test]
    fn no_liquidation_when_the_venue_does_not_pay() {
        // HF 0.9 at oracle 100, but the venue is at 90: the liquidator pays 100 / 1.045 =
        // 95.69 per unit and would sell at under 90. Seen at t = 60, and still nothing at
        // t = 120: it stays liquidatable.
        let book = [pos(9.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        show_then_act(&mut a, 100.0, &mut deep(90.0), &mut bidders, &mut l);
        assert_eq!(a.positions[0], pos(9.0, 800.0));
        assert_eq!(l.transactions, 0);
        assert_eq!(bidders[0].available(), 1e6);
        assert_eq!(bidders[0].inventory(), 0.0);
        assert!(a.busy(100.0));
    }

    #[test]
    fn slippage_limits_the_size() {
        // Shallow venue: 100 collateral, 10,000 debt; selling q fetches 10,000 q / (100 + q),
        // i.e. 10,000 / (100 + q) per unit. A zero-edge liquidator paying 100 / 1.045 per
        // unit received takes up to 10,000 / (100 + q) = 100 / 1.045, q = 4.5 (of the 8.36
        // a full close would give). It repays 4.5 * 100 / 1.045 = 430.622, seizing
        // 430.622 * 1.05 / 100 = 4.521531 (fee 0.021531 = 2.1531 at 100).
        // Left: (9 - 4.521531, 800 - 430.622) = (4.478469, 369.378), HF 0.96995: still
        // liquidatable, but a second call does not pay: on top of the 4.5 held, the next
        // unit sells at 10,000 * 100 / 104.5^2 = 91.57 < 95.69.
        let book = [pos(9.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        let mut v = Venue::new(100.0, 100.0, 1.0, 60.0);
        show_then_act(&mut a, 100.0, &mut v, &mut bidders, &mut l);
        let repaid = 450.0 / 1.045;
        assert!(close(repaid, 430.622009569378));
        assert!((a.positions[0].debt - (800.0 - repaid)).abs() < 1e-6);
        assert!((a.positions[0].collateral - (9.0 - 4.5 * 1.05 / 1.045)).abs() < 1e-9);
        assert!((a.positions[0].collateral - 4.478469).abs() < 1e-6);
        assert!(a.health_factor(a.positions[0], 100.0) < 1.0);
        assert_eq!(l.transactions, 1);
        assert!((a.insurance.balance - 2.1531).abs() < 1e-4);
        assert!((bidders[0].inventory() - 4.5).abs() < 1e-9);
        assert_eq!(v.pool.collateral, 100.0);
        // At the close the liquidator sells only what moves the pool by 1%: 100 * (1 /
        // sqrt(0.99) - 1) = 0.503782, at 100 * sqrt(0.99) = 99.4987 a unit against the
        // path's 100: -0.50126%.
        close_step(&mut bidders, &mut v, &mut l, 100.0);
        assert!((v.pool.collateral - 100.50378152592121).abs() < 1e-9);
        assert!((bidders[0].inventory() - (4.5 - 0.5037815259212097)).abs() < 1e-9);
        let m = l.finish(|_| 100.0, 60.0, 120.0, a.end_state(100.0));
        assert!((m.sale_vs_path_pct - (0.99f64.sqrt() - 1.0) * 100.0).abs() < 1e-9);
        assert!((m.sale_vs_path_pct + 0.5012562893380035).abs() < 1e-9);
    }

    #[test]
    fn several_calls_per_account_while_they_pay_and_several_accounts_per_bidder() {
        // Account 0: (9.7, 800), HF 0.97. Bidder A (cash 100) first: it can pay for
        // 100 * 1.045 / 100 = 1.045 received, repaying 100, seizing 1.05 (fee 0.005). Left
        // (8.65, 700), HF 8.65 * 80 / 700 = 0.98857: still liquidatable, so a second call
        // in the same step; A has no cash left, B (cash 1e6) repays half of 700 = 350,
        // seizing 3.675 (receives 3.6575) -> (4.975, 350), HF 1.1371: done.
        // Account 1: (9, 800), HF 0.9: A has no cash, B liquidates it all (800, seizing
        // 8.4, receiving 8.36).
        let book = [pos(9.7, 800.0), pos(9.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(100.0, 0.0, 0.0), Bidder::new(1e6, 0.0, 0.0)];
        show_then_act(&mut a, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(a.positions[0].collateral, 4.975));
        assert!(close(a.positions[0].debt, 350.0));
        assert!(close(
            a.health_factor(a.positions[0], 100.0),
            4.975 * 80.0 / 350.0
        ));
        assert_eq!(a.positions[1].debt, 0.0);
        assert!(close(a.positions[1].collateral, 0.6));
        assert_eq!(l.transactions, 3);
        assert!(close(bidders[0].available(), 0.0));
        assert!(close(bidders[0].inventory(), 1.045));
        assert!(close(bidders[1].available(), 1e6 - 1_150.0));
        assert!(close(bidders[1].inventory(), 3.6575 + 8.36));
        assert!(close(l.debt_repaid(), 1_250.0));
        // Fees: (1.05 + 3.675 + 8.4) * (0.05 / 1.05) * 0.1 * 100 = 6.25.
        assert!(close(a.insurance.balance, 6.25));
        assert!(!a.busy(100.0));
    }

    #[test]
    fn at_most_16_calls_per_account_per_step() {
        // (9, 800), HF 0.9: a full close is allowed. 20 liquidators with 10 of cash each:
        // each call repays 10 and seizes 0.105. After 16 calls at t = 120: (9 - 1.68,
        // 800 - 160) = (7.32, 640), HF 7.32 * 80 / 640 = 0.915: still liquidatable, the
        // rest waits for the next step. At t = 180 the four liquidators with cash left make
        // four calls: (6.9, 600).
        let book = [pos(9.0, 800.0)];
        let mut a = AaveV3::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders: Vec<Bidder> = (0..20).map(|_| Bidder::new(10.0, 0.0, 0.0)).collect();
        show_then_act(&mut a, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(l.transactions, 16);
        assert!(close(a.positions[0].collateral, 7.32));
        assert!(close(a.positions[0].debt, 640.0));
        assert!(a.busy(100.0));
        assert!(bidders[15].available() < 1e-9);
        assert_eq!(bidders[16].available(), 10.0);
        step(&mut a, 180.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(l.transactions, 20);
        assert!(close(a.positions[0].collateral, 6.9));
        assert!(close(a.positions[0].debt, 600.0));
        assert!(close(l.debt_repaid(), 200.0));
    }

    #[test]
    fn collateral_short_seizes_all_and_the_deficit_goes_to_insurance() {
        // (10, 1000) at 100: HF 0.8 -> 100%, but 1000 * 1.05 / 100 = 10.5 > 10: seize all
        // 10, debtToCover = 10 * 100 / 1.05 = 952.381; fee (10 - 10 / 1.05) * 0.1 =
        // 0.047619 (4.7619 at 100), the liquidator receives 9.952381. Deficit 1000 -
        // 952.381 = 47.619 (= 50 / 1.05). Insurance 10 + 4.7619 - 47.619 -> 0, uncovered
        // 45 / 1.05 - 10 = 32.857.
        let book = [pos(10.0, 1_000.0)];
        let mut a = AaveV3::new(&book, 10.0);
        let mut l = Ledger::new(&book, 10.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        show_then_act(&mut a, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!(a.positions[0], pos(0.0, 0.0));
        assert!(close(bidders[0].available(), 1e6 - 1_000.0 / 1.05));
        assert!(close(bidders[0].inventory(), 10.0 - 0.05 / 1.05));
        assert_eq!(a.insurance.balance, 0.0);
        assert!(close(a.insurance.uncovered, 45.0 / 1.05 - 10.0));
        assert!(close(a.insurance.uncovered, 32.857142857142857));
        // Only the 952.381 is repaid (the 47.619 deficit is burnt, not repaid); 1000
        // taken: cost 47.619 / 952.381 = 5%.
        assert!(close(l.debt_repaid(), 1_000.0 / 1.05));
        assert!(close(l.borrower_costs()[0], 5.0));
        assert_eq!(l.transactions, 1);
        let end = a.end_state(100.0);
        assert!(close(end.bad_debt, 32.857142857142857));
        assert_eq!(end.insurance_end, 0.0);
        assert!(!a.busy(100.0));
    }

    #[test]
    fn debt_without_collateral_stays_open() {
        // Nothing to seize: never liquidatable, so never seen and no liquidationCall; the
        // end state counts it as underwater.
        let book = [pos(0.0, 50.0)];
        let mut a = AaveV3::new(&book, 20.0);
        let mut l = Ledger::new(&book, 20.0, 0.0);
        show_then_act(
            &mut a,
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
