//! A market's risk parameters, their units, and the bounds they must meet.
//!
//! Ratios are basis points of one (`bps`, 10_000 = 1.0); multipliers such as
//! `vol_z` and `oracle_conf_k` are ten-thousandths (`e4`: a value scaled by 10^4); amounts are
//! native units of the asset named; times are seconds.

use anchor_lang::prelude::*;

use crate::engine::fixed::Fp;
use crate::engine::health::Thresholds;
use crate::engine::interest::RateModel;
use crate::engine::volatility::BufferParams;
use crate::errors::ZlError;

/// The most a threshold may move against the borrower (`liq_ltv_bps`,
/// `full_ltv_bps`, `target_ltv_bps` fall; `penalty_bps` and the bonuses
/// rise), or a limit loosen, in one parameter change (see `check_step`).
pub const MAX_THRESHOLD_STEP_BPS: u64 = 200;
/// The most `auction_max_discount_bps` may rise in one parameter change.
pub const MAX_DISCOUNT_STEP_BPS: u64 = 500;
/// The most `breach_persist_secs` may fall, and `payout_max_age_secs` and
/// `oracle_max_age_secs` rise, in one parameter change, seconds.
pub const MAX_ORACLE_STEP_SECS: u64 = 60;
/// The most the rate curve (base rate, slopes up; kink down) and the
/// auction curve's shares (`auction_buf_bps`, `auction_cut_bps`,
/// `auction_cusp_bps`) may move in one parameter change.
pub const MAX_CURVE_STEP_BPS: u64 = 1_000;
/// Every other amount, duration and multiplier stays within this factor of
/// its value in one parameter change (from 0, up to this many units).
pub const MAX_STEP_FACTOR: u64 = 2;
/// Longest accepted `breach_persist_secs`: one hour.
const MAX_PERSIST_SECS: u32 = 3_600;

/// The auction price curve within a stage, one byte.
/// Linear (0) falls linearly to zero over auction_tau_secs; StepExp (1) keeps auction_cut_bps of
/// the price every auction_step_secs. Any other value fails to deserialize.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
#[repr(u8)]
pub enum AuctionCurve {
    /// `top * (1 - t / tau)`: linear to zero at auction_tau_secs (byte 0).
    Linear,
    /// `top * cut^floor(t / step)`: a stair-step exponential (byte 1).
    /// Keeps auction_cut_bps of the price every auction_step_secs.
    StepExp,
}

/// A market's risk parameters.
/// Ratios are basis points (10,000 = 1.0); multipliers are ten-thousandths (e4: scaled by 10^4); amounts are base
/// units of the asset named; times are seconds. Bounds are checked by init_market and
/// update_market_params (docs/design.md section 11).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct RiskParams {
    // --- health ---
    /// Borrow and withdrawal limit (initial LTV), basis points, on the conservative price.
    pub max_ltv_bps: u16,
    /// Liquidation threshold (maintenance LTV), basis points.
    /// Above it on the EMA trigger price an account is Distressed.
    pub liq_ltv_bps: u16,
    /// Emergency threshold, basis points.
    /// At or above it on the spot price the whole position goes to auction.
    pub full_ltv_bps: u16,
    /// LTV a partial liquidation or an auction slice brings the account back to, basis points.
    pub target_ltv_bps: u16,

    // --- volatility buffer: b = clamp(z * sigma * sqrt(T), min, max) ---
    /// z of the volatility buffer, ten-thousandths (20,000 = two standard deviations).
    /// The buffer is b = clamp(z * sqrt(variance * T), buffer_min, buffer_max).
    pub vol_z_e4: u32,
    /// T of the volatility buffer: the time the engine needs to unwind a position, seconds.
    pub recovery_secs: u32,
    /// Time constant W of the variance EWMA, seconds.
    pub vol_window_secs: u32,
    /// Lower clamp of the volatility buffer b, basis points.
    pub buffer_min_bps: u16,
    /// Upper clamp of the volatility buffer b, basis points.
    pub buffer_max_bps: u16,

    // --- oracle ---
    /// Oldest accepted Pyth publish time, seconds before now.
    pub oracle_max_age_secs: u32,
    /// Widest accepted conf / price of each feed (spot and EMA), basis points.
    pub oracle_max_conf_bps: u16,
    /// k in price -/+ k * conf (collateral lowered, debt raised), ten-thousandths.
    pub oracle_conf_k_e4: u32,
    /// Oldest reading a partial liquidation pays out at, seconds before now (at most
    /// oracle_max_age_secs): bounds the readings a liquidator may choose among.
    pub payout_max_age_secs: u32,
    /// Persistence: seconds a spot breach must hold, on every reading the market has seen,
    /// before it counts for an account the EMA trigger calls healthy, and how far back the
    /// auction floor's held price reaches (see engine::held). At least oracle_max_age_secs.
    pub breach_persist_secs: u32,

    // --- interest (annual rates) ---
    /// Borrow rate at zero utilization, basis points per year.
    pub base_rate_bps: u16,
    /// Rate added between zero utilization and the kink, basis points per year.
    pub slope1_bps: u16,
    /// Rate added between the kink and full utilization, basis points per year.
    pub slope2_bps: u16,
    /// Utilization at the kink of the rate curve, basis points.
    pub kink_bps: u16,
    /// Share of accrued interest owed to the insurance fund, basis points.
    pub reserve_factor_bps: u16,

    // --- caps ---
    /// Collateral cap: most total_collateral a deposit may leave, collateral-token base units.
    /// An account with debt may pass it only by what brings it back to target_ltv on the
    /// conservative price (the deposit then needs the two price accounts).
    pub collateral_cap: u64,
    /// Most total debt of the margin accounts a borrow may leave, debt-token base units.
    pub borrow_cap: u64,

    // --- partial liquidation ---
    /// Partial-liquidation bonus at liq_ltv (the buffer zone's lower edge), basis points.
    pub min_bonus_bps: u16,
    /// Partial-liquidation bonus at distress_ltv = liq_ltv / (1 - buffer), basis points.
    /// The bonus rises linearly from min_bonus_bps at liq_ltv, capped at 1 - LTV.
    pub max_bonus_bps: u16,
    /// Liquidity budget: capacity of the token bucket, debt-token base units.
    pub budget_capacity: u64,
    /// Liquidity budget: refill rate, debt-token base units per second.
    pub budget_refill_per_sec: u64,
    /// Dust limit, debt-token base units.
    /// A position's debt (and an auction's remaining tab) must be zero or at least this; a
    /// liquidity budget below it counts as exhausted.
    pub min_position: u64,

    // --- auctions ---
    /// Liquidation penalty added to an auction's tab, basis points of the principal moved.
    pub penalty_bps: u16,
    /// Starting price over spot (top = spot * buf), basis points, at least 10,000.
    pub auction_buf_bps: u16,
    /// The price curve's shape within a stage.
    pub auction_curve: AuctionCurve,
    /// Linear curve: seconds for the price to reach zero.
    pub auction_tau_secs: u32,
    /// Stair-step curve: seconds per step.
    pub auction_step_secs: u32,
    /// Stair-step curve: share of the price kept at each step, basis points.
    pub auction_cut_bps: u16,
    /// A stage may be restarted once it is older than this, seconds.
    pub auction_tail_secs: u32,
    /// A stage may be restarted once its price is below this share of its top, basis points.
    pub auction_cusp_bps: u16,
    /// Auction floor below the held spot price: floor = held * (1 - max_discount), basis points.
    pub auction_max_discount_bps: u16,
    /// Stages a borrower's auction may run, the first included.
    /// After the last, the POL backstop takes the rest; POL auctions restart without limit.
    pub auction_max_stages: u8,
    /// Flat part of the keeper reward for a kick or restart, debt-token base units.
    pub keeper_tip: u64,
    /// Proportional part of the keeper reward, basis points of the tab.
    pub keeper_chip_bps: u16,
    /// Cap on one keeper reward, debt-token base units.
    pub keeper_reward_cap: u64,

    // --- circuit breaker ---
    /// Circuit breaker: divergence limit, basis points.
    /// Trips when the spot mid diverges from the EMA mid, abs(spot - ema) / ema, by more than this.
    pub breaker_divergence_bps: u16,
    /// Circuit breaker: confidence limit, basis points.
    /// Trips when the wider spot conf / price of the two feeds exceeds this.
    pub breaker_conf_bps: u16,
    /// Circuit breaker: seconds since the last abnormal reading before a refresh clears it.
    pub breaker_cooldown_secs: u32,
}

/// Arguments of `init_market`: the market's two Pyth price feeds and its risk parameters.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct InitMarketArgs {
    /// Pyth feed id of the collateral's USD price.
    /// 32 bytes, non-zero.
    pub collateral_feed_id: [u8; 32],
    /// Pyth feed id of the debt asset's USD price.
    /// 32 bytes, non-zero and distinct from the collateral's.
    pub debt_feed_id: [u8; 32],
    /// The market's initial risk parameters; must be within their bounds.
    pub params: RiskParams,
}

/// Longest accepted duration for the time parameters: 30 days.
const MAX_SECS: u32 = 30 * 24 * 3_600;

impl RiskParams {
    /// Checks every parameter against its bounds; see docs/design.md.
    pub fn validate(&self) -> Result<()> {
        let p = self;
        let ok = |c: bool| -> Result<()> {
            require!(c, ZlError::InvalidParam);
            Ok(())
        };
        // Health ladder: 0 < target <= max < liq < full <= 100%.
        ok(p.target_ltv_bps > 0)?;
        ok(p.target_ltv_bps <= p.max_ltv_bps)?;
        ok(p.max_ltv_bps < p.liq_ltv_bps)?;
        ok(p.liq_ltv_bps < p.full_ltv_bps)?;
        ok(p.full_ltv_bps <= 10_000)?;
        // Buffer: the partial zone's top, liq / (1 - buffer), stays under
        // full_ltv at the widest buffer, so the zones keep their order.
        ok(p.buffer_min_bps <= p.buffer_max_bps && p.buffer_max_bps < 5_000)?;
        ok((p.liq_ltv_bps as u64) * 10_000
            < (p.full_ltv_bps as u64) * (10_000 - p.buffer_max_bps as u64))?;
        // Zero is refused where it would silently switch a defence off (an
        // encoder that writes 0 for a field it does not find): the buffer's
        // volatility term and the confidence adjustment.
        ok(p.vol_z_e4 > 0 && p.vol_z_e4 <= 100_000)?;
        ok(p.recovery_secs > 0 && p.recovery_secs <= MAX_SECS)?;
        ok(p.vol_window_secs >= 60 && p.vol_window_secs <= MAX_SECS)?;
        // Oracle.
        ok(p.oracle_max_age_secs > 0 && p.oracle_max_age_secs <= 3_600)?;
        ok(p.oracle_max_conf_bps > 0 && p.oracle_max_conf_bps <= 2_000)?;
        ok(p.oracle_conf_k_e4 > 0 && p.oracle_conf_k_e4 <= 50_000)?;
        ok(p.payout_max_age_secs > 0 && p.payout_max_age_secs <= p.oracle_max_age_secs)?;
        // Persistence spans more than the oldest reading the market accepts,
        // so the genuine readings one transaction may present (each within
        // oracle_max_age_secs of now) can never by themselves make a breach
        // hold.
        ok(p.breach_persist_secs >= p.oracle_max_age_secs
            && p.breach_persist_secs <= MAX_PERSIST_SECS)?;
        // Interest.
        ok(p.kink_bps >= 100 && p.kink_bps <= 9_900)?;
        ok(p.reserve_factor_bps <= 5_000)?;
        // Caps.
        ok(p.collateral_cap > 0 && p.borrow_cap > 0)?;
        // Partial liquidation: the bonus at liq_ltv must not create bad debt
        // (collateral * (1 + bonus) covers the debt while LTV < 1 / (1 + bonus)).
        ok(p.min_bonus_bps <= p.max_bonus_bps)?;
        ok((p.max_bonus_bps as u32) + (p.liq_ltv_bps as u32) < 10_000)?;
        // Partial liquidation and auction sizing solve for the target with a
        // factor (1 + bonus) or (1 + penalty): it must stay reachable.
        let worst = 10_000 + p.max_bonus_bps.max(p.penalty_bps) as u64;
        ok((p.target_ltv_bps as u64) * worst < 10_000 * 10_000)?;
        ok(p.budget_capacity > 0 && p.budget_refill_per_sec > 0)?;
        ok(p.budget_refill_per_sec <= p.budget_capacity)?;
        // Auctions.
        ok(p.penalty_bps <= 2_500)?;
        ok(p.auction_buf_bps >= 10_000 && p.auction_buf_bps <= 20_000)?;
        ok(p.auction_tau_secs > 0 && p.auction_tau_secs <= MAX_SECS)?;
        ok(p.auction_step_secs > 0 && p.auction_step_secs <= MAX_SECS)?;
        ok(p.auction_cut_bps > 0 && p.auction_cut_bps < 10_000)?;
        ok(p.auction_tail_secs > 0 && p.auction_tail_secs <= MAX_SECS)?;
        ok(p.auction_cusp_bps > 0 && p.auction_cusp_bps < 10_000)?;
        ok(p.auction_max_discount_bps > 0 && p.auction_max_discount_bps <= 5_000)?;
        ok(p.auction_max_stages >= 1 && p.auction_max_stages <= 20)?;
        ok(p.keeper_chip_bps <= 100)?;
        ok(p.keeper_tip <= p.keeper_reward_cap)?;
        // Breaker.
        ok(p.breaker_divergence_bps > 0 && p.breaker_divergence_bps <= 5_000)?;
        ok(p.breaker_conf_bps > 0 && p.breaker_conf_bps <= p.oracle_max_conf_bps)?;
        ok(p.breaker_cooldown_secs <= 86_400)?;
        Ok(())
    }

    pub fn max_ltv(&self) -> Fp {
        Fp::from_bps(self.max_ltv_bps as u64)
    }

    pub fn conf_k(&self) -> Fp {
        // e4 is the same scale as bps.
        Fp::from_bps(self.oracle_conf_k_e4 as u64)
    }

    pub fn buffer_params(&self) -> BufferParams {
        BufferParams {
            z: Fp::from_bps(self.vol_z_e4 as u64),
            recovery_secs: self.recovery_secs as u64,
            b_min: Fp::from_bps(self.buffer_min_bps as u64),
            b_max: Fp::from_bps(self.buffer_max_bps as u64),
        }
    }

    pub fn thresholds(&self, buffer: Fp) -> Thresholds {
        Thresholds {
            liq_ltv: Fp::from_bps(self.liq_ltv_bps as u64),
            full_ltv: Fp::from_bps(self.full_ltv_bps as u64),
            buffer,
        }
    }

    pub fn rate_model(&self) -> RateModel {
        RateModel {
            base: Fp::from_bps(self.base_rate_bps as u64),
            slope1: Fp::from_bps(self.slope1_bps as u64),
            slope2: Fp::from_bps(self.slope2_bps as u64),
            kink: Fp::from_bps(self.kink_bps as u64),
        }
    }

    /// Whether `next` may follow `self` in one timelocked step. Every
    /// parameter is bounded, in the direction that can hurt a borrower, a
    /// lender or a liquidator (docs/risk-parameters.md, "Steps"):
    /// - thresholds and shares of one: `liq_ltv`, `full_ltv` and `target_ltv`
    ///   fall, `max_ltv`, the penalty, both bonuses, the reserve factor, the
    ///   oracle's and the breaker's confidence and divergence limits rise, and
    ///   the buffer's clamps move, by at most [`MAX_THRESHOLD_STEP_BPS`]; the
    ///   auction's discount rises by at most [`MAX_DISCOUNT_STEP_BPS`];
    /// - the rate curve (base rate and slopes rise, kink falls) and the
    ///   auction's curve shares (start, cut, cusp) by [`MAX_CURVE_STEP_BPS`];
    /// - oracle timing: persistence falls, the payout age and the oracle's
    ///   maximum age rise, by at most [`MAX_ORACLE_STEP_SECS`];
    /// - every other amount, duration and multiplier stays within a factor
    ///   of [`MAX_STEP_FACTOR`] of its value (from 0, up to that factor);
    ///   the caps, which bind only new deposits and borrows, may fall at once.
    ///
    /// So no change pushes a healthy position to distressed or emergency,
    /// stretches the oracle, or makes rates punitive in one step; larger
    /// moves take several delays.
    pub fn check_step(&self, next: &RiskParams) -> Result<()> {
        let (a, b) = (self, next);
        let fall = |x: u16, y: u16| x.saturating_sub(y) as u64;
        let rise = |x: u16, y: u16| y.saturating_sub(x) as u64;
        let moved = |x: u16, y: u16| x.abs_diff(y) as u64;
        let secs_rise = |x: u32, y: u32| y.saturating_sub(x) as u64;
        let near = |x: u64, y: u64| {
            let (x, y) = (x as u128, y as u128);
            let f = MAX_STEP_FACTOR as u128;
            y <= x.max(1) * f && x <= y.max(1) * f
        };
        let t = MAX_THRESHOLD_STEP_BPS;
        let c = MAX_CURVE_STEP_BPS;
        let thresholds = fall(a.liq_ltv_bps, b.liq_ltv_bps) <= t
            && fall(a.full_ltv_bps, b.full_ltv_bps) <= t
            && fall(a.target_ltv_bps, b.target_ltv_bps) <= t
            && rise(a.max_ltv_bps, b.max_ltv_bps) <= t
            && rise(a.penalty_bps, b.penalty_bps) <= t
            && rise(a.min_bonus_bps, b.min_bonus_bps) <= t
            && rise(a.max_bonus_bps, b.max_bonus_bps) <= t
            && rise(a.reserve_factor_bps, b.reserve_factor_bps) <= t
            && rise(a.oracle_max_conf_bps, b.oracle_max_conf_bps) <= t
            && rise(a.breaker_divergence_bps, b.breaker_divergence_bps) <= t
            && rise(a.breaker_conf_bps, b.breaker_conf_bps) <= t
            && moved(a.buffer_min_bps, b.buffer_min_bps) <= t
            && moved(a.buffer_max_bps, b.buffer_max_bps) <= t
            && rise(a.auction_max_discount_bps, b.auction_max_discount_bps)
                <= MAX_DISCOUNT_STEP_BPS;
        let curves = rise(a.base_rate_bps, b.base_rate_bps) <= c
            && rise(a.slope1_bps, b.slope1_bps) <= c
            && rise(a.slope2_bps, b.slope2_bps) <= c
            && fall(a.kink_bps, b.kink_bps) <= c
            && moved(a.auction_buf_bps, b.auction_buf_bps) <= c
            && moved(a.auction_cut_bps, b.auction_cut_bps) <= c
            && moved(a.auction_cusp_bps, b.auction_cusp_bps) <= c;
        let timing = secs_rise(b.breach_persist_secs, a.breach_persist_secs)
            <= MAX_ORACLE_STEP_SECS
            && secs_rise(a.payout_max_age_secs, b.payout_max_age_secs) <= MAX_ORACLE_STEP_SECS
            && secs_rise(a.oracle_max_age_secs, b.oracle_max_age_secs) <= MAX_ORACLE_STEP_SECS;
        let scaled = [
            (a.vol_z_e4 as u64, b.vol_z_e4 as u64),
            (a.recovery_secs as u64, b.recovery_secs as u64),
            (a.vol_window_secs as u64, b.vol_window_secs as u64),
            (a.oracle_conf_k_e4 as u64, b.oracle_conf_k_e4 as u64),
            (a.budget_capacity, b.budget_capacity),
            (a.budget_refill_per_sec, b.budget_refill_per_sec),
            (a.min_position, b.min_position),
            (a.auction_tau_secs as u64, b.auction_tau_secs as u64),
            (a.auction_step_secs as u64, b.auction_step_secs as u64),
            (a.auction_tail_secs as u64, b.auction_tail_secs as u64),
            (a.auction_max_stages as u64, b.auction_max_stages as u64),
            (a.keeper_tip, b.keeper_tip),
            (a.keeper_chip_bps as u64, b.keeper_chip_bps as u64),
            (a.keeper_reward_cap, b.keeper_reward_cap),
            (
                a.breaker_cooldown_secs as u64,
                b.breaker_cooldown_secs as u64,
            ),
        ]
        .iter()
        .all(|&(x, y)| near(x, y));
        // A cap binds only new deposits and borrows: it may fall at once.
        let caps = near(a.collateral_cap, b.collateral_cap.max(a.collateral_cap))
            && near(a.borrow_cap, b.borrow_cap.max(a.borrow_cap));
        require!(
            thresholds && curves && timing && scaled && caps,
            ZlError::ParamsStepTooLarge
        );
        Ok(())
    }

    /// A conservative SOL/USDC-like parameter set, used by the docs, tests
    /// and bootstrap configs as a starting point.
    pub const fn example() -> RiskParams {
        RiskParams {
            max_ltv_bps: 7_000,
            liq_ltv_bps: 8_000,
            full_ltv_bps: 9_500,
            target_ltv_bps: 7_000,
            vol_z_e4: 20_000,
            recovery_secs: 3_600,
            vol_window_secs: 3_600,
            buffer_min_bps: 100,
            buffer_max_bps: 1_000,
            oracle_max_age_secs: 60,
            oracle_max_conf_bps: 200,
            oracle_conf_k_e4: 10_000,
            payout_max_age_secs: 10,
            breach_persist_secs: 120,
            base_rate_bps: 100,
            slope1_bps: 400,
            slope2_bps: 6_000,
            kink_bps: 8_000,
            reserve_factor_bps: 1_000,
            collateral_cap: u64::MAX,
            borrow_cap: u64::MAX,
            min_bonus_bps: 50,
            max_bonus_bps: 300,
            budget_capacity: 100_000_000_000,
            budget_refill_per_sec: 10_000_000,
            min_position: 10_000_000,
            penalty_bps: 300,
            auction_buf_bps: 10_000,
            auction_curve: AuctionCurve::StepExp,
            auction_tau_secs: 1_800,
            auction_step_secs: 60,
            auction_cut_bps: 9_900,
            auction_tail_secs: 1_800,
            auction_cusp_bps: 6_000,
            auction_max_discount_bps: 500,
            auction_max_stages: 3,
            keeper_tip: 1_000_000,
            keeper_chip_bps: 10,
            keeper_reward_cap: 100_000_000,
            breaker_divergence_bps: 500,
            breaker_conf_bps: 100,
            breaker_cooldown_secs: 300,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_valid() {
        RiskParams::example().validate().unwrap();
    }

    #[test]
    fn each_bound_is_enforced() {
        type Edit = fn(&mut RiskParams);
        let bad: &[(&str, Edit)] = &[
            ("target 0", |p| p.target_ltv_bps = 0),
            ("target > max", |p| p.target_ltv_bps = 7_100),
            ("max >= liq", |p| p.max_ltv_bps = 8_000),
            ("liq >= full", |p| p.liq_ltv_bps = 9_500),
            ("full > 100%", |p| p.full_ltv_bps = 10_001),
            ("buffer min > max", |p| p.buffer_min_bps = 1_100),
            ("partial zone past full_ltv at max buffer", |p| {
                p.buffer_max_bps = 1_600
            }),
            ("z too large", |p| p.vol_z_e4 = 100_001),
            ("recovery 0", |p| p.recovery_secs = 0),
            ("window < 60", |p| p.vol_window_secs = 59),
            ("age 0", |p| p.oracle_max_age_secs = 0),
            ("age > 1h", |p| p.oracle_max_age_secs = 3_601),
            ("conf 0", |p| p.oracle_max_conf_bps = 0),
            ("payout age 0", |p| p.payout_max_age_secs = 0),
            ("payout age > oracle age", |p| p.payout_max_age_secs = 61),
            ("persistence 0", |p| p.breach_persist_secs = 0),
            ("persistence under the oracle age", |p| {
                p.breach_persist_secs = 59
            }),
            ("persistence > 1h", |p| p.breach_persist_secs = 3_601),
            ("kink 0", |p| p.kink_bps = 0),
            ("reserve > 50%", |p| p.reserve_factor_bps = 5_001),
            ("cap 0", |p| p.borrow_cap = 0),
            ("bonus creates bad debt", |p| p.max_bonus_bps = 2_000),
            ("min bonus > max", |p| p.min_bonus_bps = 600),
            ("budget 0", |p| p.budget_capacity = 0),
            ("refill > capacity", |p| {
                p.budget_refill_per_sec = p.budget_capacity + 1
            }),
            ("penalty > 25%", |p| p.penalty_bps = 2_501),
            ("buf < 1", |p| p.auction_buf_bps = 9_999),
            ("cut 100%", |p| p.auction_cut_bps = 10_000),
            ("cusp 0", |p| p.auction_cusp_bps = 0),
            ("discount 0", |p| p.auction_max_discount_bps = 0),
            ("stages 0", |p| p.auction_max_stages = 0),
            ("chip > 1%", |p| p.keeper_chip_bps = 101),
            ("vol_z 0", |p| p.vol_z_e4 = 0),
            ("conf_k 0", |p| p.oracle_conf_k_e4 = 0),
            ("tip > cap", |p| p.keeper_tip = p.keeper_reward_cap + 1),
            ("divergence 0", |p| p.breaker_divergence_bps = 0),
            ("breaker conf > oracle conf", |p| p.breaker_conf_bps = 201),
        ];
        for (name, edit) in bad {
            let mut p = RiskParams::example();
            edit(&mut p);
            assert!(p.validate().is_err(), "accepted: {name}");
        }
    }

    #[test]
    fn oracle_timing_moves_in_bounded_steps() {
        let p = RiskParams::example();
        let step = |edit: fn(&mut RiskParams)| {
            let mut next = p;
            edit(&mut next);
            p.check_step(&next)
        };
        assert!(step(|n| n.breach_persist_secs = 60).is_ok());
        assert!(
            step(|n| n.breach_persist_secs = 59).is_err(),
            "persistence falls 61 s"
        );
        assert!(
            step(|n| n.breach_persist_secs = 3_600).is_ok(),
            "rising is safe"
        );
        assert!(step(|n| n.payout_max_age_secs = 60).is_ok(), "rises 50 s");
        assert!(
            step(|n| n.payout_max_age_secs = 1).is_ok(),
            "falling is safe"
        );
        let wide = RiskParams {
            oracle_max_age_secs: 600,
            ..p
        };
        let mut next = wide;
        next.payout_max_age_secs = 71;
        assert!(wide.check_step(&next).is_err(), "payout age rises 61 s");
    }

    /// Every parameter moves in bounded steps: for each, the largest move
    /// in the harmful direction is accepted and one unit (or one second, or
    /// one step of the factor) more is refused, from a base where both stay
    /// within `validate()`.
    #[test]
    fn every_parameter_moves_in_bounded_steps() {
        type Edit = fn(&mut RiskParams);
        let base = RiskParams {
            oracle_max_age_secs: 600,
            breach_persist_secs: 900,
            payout_max_age_secs: 60,
            base_rate_bps: 100,
            oracle_max_conf_bps: 500,
            collateral_cap: 1_000_000_000_000,
            borrow_cap: 1_000_000_000_000,
            ..RiskParams::example()
        };
        base.validate().unwrap();
        // (name, at the bound, one past it)
        let cases: [(&str, Edit, Edit); 36] = [
            (
                "liq falls",
                |p| p.liq_ltv_bps -= 200,
                |p| p.liq_ltv_bps -= 201,
            ),
            (
                "full falls",
                |p| p.full_ltv_bps -= 200,
                |p| p.full_ltv_bps -= 201,
            ),
            (
                "target falls",
                |p| p.target_ltv_bps -= 200,
                |p| p.target_ltv_bps -= 201,
            ),
            (
                "max_ltv rises",
                |p| p.max_ltv_bps += 200,
                |p| p.max_ltv_bps += 201,
            ),
            (
                "penalty rises",
                |p| p.penalty_bps += 200,
                |p| p.penalty_bps += 201,
            ),
            (
                "min bonus rises",
                |p| p.min_bonus_bps += 200,
                |p| p.min_bonus_bps += 201,
            ),
            (
                "max bonus rises",
                |p| p.max_bonus_bps += 200,
                |p| p.max_bonus_bps += 201,
            ),
            (
                "reserve rises",
                |p| p.reserve_factor_bps += 200,
                |p| p.reserve_factor_bps += 201,
            ),
            (
                "conf rises",
                |p| p.oracle_max_conf_bps += 200,
                |p| p.oracle_max_conf_bps += 201,
            ),
            (
                "divergence rises",
                |p| p.breaker_divergence_bps += 200,
                |p| p.breaker_divergence_bps += 201,
            ),
            (
                "breaker conf rises",
                |p| p.breaker_conf_bps += 200,
                |p| p.breaker_conf_bps += 201,
            ),
            (
                "buffer min rises",
                |p| p.buffer_min_bps += 200,
                |p| p.buffer_min_bps += 201,
            ),
            (
                "buffer max falls",
                |p| p.buffer_max_bps -= 200,
                |p| p.buffer_max_bps -= 201,
            ),
            (
                "discount rises",
                |p| p.auction_max_discount_bps += 500,
                |p| p.auction_max_discount_bps += 501,
            ),
            (
                "base rate rises",
                |p| p.base_rate_bps += 1_000,
                |p| p.base_rate_bps += 1_001,
            ),
            (
                "slope1 rises",
                |p| p.slope1_bps += 1_000,
                |p| p.slope1_bps += 1_001,
            ),
            (
                "slope2 rises",
                |p| p.slope2_bps += 1_000,
                |p| p.slope2_bps += 1_001,
            ),
            (
                "kink falls",
                |p| p.kink_bps -= 1_000,
                |p| p.kink_bps -= 1_001,
            ),
            (
                "buf rises",
                |p| p.auction_buf_bps += 1_000,
                |p| p.auction_buf_bps += 1_001,
            ),
            (
                "cut falls",
                |p| p.auction_cut_bps -= 1_000,
                |p| p.auction_cut_bps -= 1_001,
            ),
            (
                "cusp falls",
                |p| p.auction_cusp_bps -= 1_000,
                |p| p.auction_cusp_bps -= 1_001,
            ),
            (
                "persist falls",
                |p| p.breach_persist_secs -= 60,
                |p| p.breach_persist_secs -= 61,
            ),
            (
                "payout age rises",
                |p| p.payout_max_age_secs += 60,
                |p| p.payout_max_age_secs += 61,
            ),
            (
                "oracle age rises",
                |p| p.oracle_max_age_secs += 60,
                |p| p.oracle_max_age_secs += 61,
            ),
            (
                "vol z doubles",
                |p| p.vol_z_e4 *= 2,
                |p| p.vol_z_e4 = p.vol_z_e4 * 2 + 1,
            ),
            (
                "vol z halves",
                |p| p.vol_z_e4 /= 2,
                |p| p.vol_z_e4 = p.vol_z_e4 / 2 - 1,
            ),
            (
                "recovery",
                |p| p.recovery_secs *= 2,
                |p| p.recovery_secs = p.recovery_secs * 2 + 1,
            ),
            (
                "window",
                |p| p.vol_window_secs /= 2,
                |p| p.vol_window_secs = p.vol_window_secs / 2 - 1,
            ),
            (
                "conf k",
                |p| p.oracle_conf_k_e4 *= 2,
                |p| p.oracle_conf_k_e4 = p.oracle_conf_k_e4 * 2 + 1,
            ),
            (
                "collateral cap",
                |p| p.collateral_cap *= 2,
                |p| p.collateral_cap = p.collateral_cap * 2 + 1,
            ),
            (
                "borrow cap",
                |p| p.borrow_cap *= 2,
                |p| p.borrow_cap = p.borrow_cap * 2 + 1,
            ),
            (
                "budget",
                |p| p.budget_capacity /= 2,
                |p| p.budget_capacity = p.budget_capacity / 2 - 1,
            ),
            (
                "min position",
                |p| p.min_position *= 2,
                |p| p.min_position = p.min_position * 2 + 1,
            ),
            (
                "tail",
                |p| p.auction_tail_secs /= 2,
                |p| p.auction_tail_secs = p.auction_tail_secs / 2 - 1,
            ),
            (
                "reward cap",
                |p| p.keeper_reward_cap *= 2,
                |p| p.keeper_reward_cap = p.keeper_reward_cap * 2 + 1,
            ),
            (
                "cooldown",
                |p| p.breaker_cooldown_secs *= 2,
                |p| p.breaker_cooldown_secs = p.breaker_cooldown_secs * 2 + 1,
            ),
        ];
        for (name, at, past) in cases {
            let (mut ok, mut bad) = (base, base);
            at(&mut ok);
            past(&mut bad);
            assert!(
                ok.validate().is_ok() && bad.validate().is_ok(),
                "{name}: valid"
            );
            assert!(base.check_step(&ok).is_ok(), "{name}: at the bound");
            assert!(base.check_step(&bad).is_err(), "{name}: past the bound");
        }
        // A cap may fall at once.
        let mut low = base;
        low.collateral_cap = 1;
        low.borrow_cap = 1;
        assert!(base.check_step(&low).is_ok(), "caps fall at once");
        // From zero, a factor-bounded amount may rise to the factor.
        let zero_tip = RiskParams {
            keeper_tip: 0,
            ..base
        };
        let mut next = zero_tip;
        next.keeper_tip = MAX_STEP_FACTOR;
        assert!(zero_tip.check_step(&next).is_ok());
        next.keeper_tip = MAX_STEP_FACTOR + 1;
        assert!(zero_tip.check_step(&next).is_err());
    }

    #[test]
    fn an_unknown_curve_does_not_deserialize() {
        let step = RiskParams::example();
        let linear = RiskParams {
            auction_curve: AuctionCurve::Linear,
            ..step
        };
        let ser = |p: &RiskParams| anchor_lang::prelude::borsh::to_vec(p).unwrap();
        let (a, b) = (ser(&step), ser(&linear));
        assert_eq!(a.len(), RiskParams::INIT_SPACE, "one byte per tag");
        let at = (0..a.len()).find(|&i| a[i] != b[i]).unwrap();
        let mut bad = a.clone();
        bad[at] = 2;
        assert!(RiskParams::try_from_slice(&bad).is_err());
        assert_eq!(RiskParams::try_from_slice(&a).unwrap(), step);
    }
}
