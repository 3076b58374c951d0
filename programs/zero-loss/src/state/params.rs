//! A market's risk parameters, their units, and the bounds they must meet.
//!
//! Ratios are basis points of one (`bps`, 10_000 = 1.0); multipliers such as
//! `vol_z` and `oracle_conf_k` are ten-thousandths (`x1e4`); amounts are
//! native units of the asset named; times are seconds.

use anchor_lang::prelude::*;

use crate::engine::fixed::Fp;
use crate::engine::health::Thresholds;
use crate::engine::interest::RateModel;
use crate::engine::volatility::BufferParams;
use crate::errors::ZlError;

/// The most `liq_ltv_bps` and `full_ltv_bps` may fall, and `penalty_bps`
/// rise, in one parameter change.
pub const MAX_THRESHOLD_STEP_BPS: u64 = 200;
/// The most `auction_max_discount_bps` may rise in one parameter change.
pub const MAX_DISCOUNT_STEP_BPS: u64 = 500;
/// The most `breach_persist_secs` may fall, and `payout_max_age_secs` rise,
/// in one parameter change, seconds.
pub const MAX_ORACLE_STEP_SECS: u64 = 60;
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
/// Ratios are basis points (10,000 = 1.0); multipliers are ten-thousandths (x1e4); amounts are base
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
    pub vol_z_x1e4: u32,
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
    pub oracle_conf_k_x1e4: u32,
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
    /// Binds only deposits into accounts that owe nothing: an account with debt or an open auction
    /// may always add collateral, even past the cap.
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
        ok(p.vol_z_x1e4 <= 100_000)?;
        ok(p.recovery_secs > 0 && p.recovery_secs <= MAX_SECS)?;
        ok(p.vol_window_secs >= 60 && p.vol_window_secs <= MAX_SECS)?;
        // Oracle.
        ok(p.oracle_max_age_secs > 0 && p.oracle_max_age_secs <= 3_600)?;
        ok(p.oracle_max_conf_bps > 0 && p.oracle_max_conf_bps <= 2_000)?;
        ok(p.oracle_conf_k_x1e4 <= 50_000)?;
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
        // x1e4 is the same scale as bps.
        Fp::from_bps(self.oracle_conf_k_x1e4 as u64)
    }

    pub fn buffer_params(&self) -> BufferParams {
        BufferParams {
            z: Fp::from_bps(self.vol_z_x1e4 as u64),
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

    /// Whether `next` may follow `self` in one timelocked step: thresholds
    /// may not fall, nor the penalty and the auction's discount rise, by
    /// more than [`MAX_THRESHOLD_STEP_BPS`] / [`MAX_DISCOUNT_STEP_BPS`] at
    /// once, so no change pushes a healthy position to distressed or
    /// emergency in one step; larger moves take several delays.
    pub fn check_step(&self, next: &RiskParams) -> Result<()> {
        let fall = |a: u16, b: u16| a.saturating_sub(b) as u64;
        let ok = fall(self.liq_ltv_bps, next.liq_ltv_bps) <= MAX_THRESHOLD_STEP_BPS
            && fall(self.full_ltv_bps, next.full_ltv_bps) <= MAX_THRESHOLD_STEP_BPS
            && fall(next.penalty_bps, self.penalty_bps) <= MAX_THRESHOLD_STEP_BPS
            && fall(next.auction_max_discount_bps, self.auction_max_discount_bps)
                <= MAX_DISCOUNT_STEP_BPS
            && (self
                .breach_persist_secs
                .saturating_sub(next.breach_persist_secs) as u64)
                <= MAX_ORACLE_STEP_SECS
            && (next
                .payout_max_age_secs
                .saturating_sub(self.payout_max_age_secs) as u64)
                <= MAX_ORACLE_STEP_SECS;
        require!(ok, ZlError::ParamsStepTooLarge);
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
            vol_z_x1e4: 20_000,
            recovery_secs: 3_600,
            vol_window_secs: 3_600,
            buffer_min_bps: 100,
            buffer_max_bps: 1_000,
            oracle_max_age_secs: 60,
            oracle_max_conf_bps: 200,
            oracle_conf_k_x1e4: 10_000,
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
            ("z too large", |p| p.vol_z_x1e4 = 100_001),
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
