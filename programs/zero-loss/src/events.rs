//! Events an indexer can decode (Anchor `emit!`: base64 in "Program data:"
//! log lines, an 8-byte discriminator then Borsh). Amounts are native units.

use anchor_lang::prelude::*;

/// Emits an event. On the SBF VM this is exactly Anchor's `emit!`. Off-chain
/// (program-test running the program natively) Anchor 1.2.2 compiles
/// `sol_log_data` to nothing, so the same bytes go through the native
/// syscall stubs instead, where a test harness can log them.
#[macro_export]
macro_rules! emit_event {
    ($event:expr) => {{
        #[cfg(target_os = "solana")]
        anchor_lang::prelude::emit!($event);
        #[cfg(not(target_os = "solana"))]
        anchor_lang::compat::solana_sysvar::program_stubs::sol_log_data(&[
            &anchor_lang::Event::data(&$event),
        ]);
    }};
}

#[event]
#[derive(Clone, Debug)]
pub struct ProtocolInitialized {
    pub admin: Pubkey,
}

#[event]
#[derive(Clone, Debug)]
pub struct AdminProposed {
    pub admin: Pubkey,
    pub pending_admin: Pubkey,
}

#[event]
#[derive(Clone, Debug)]
pub struct AdminAccepted {
    pub old_admin: Pubkey,
    pub new_admin: Pubkey,
}

#[event]
#[derive(Clone, Debug)]
pub struct PauseSet {
    pub paused: u16,
    /// When this pause lapses unless renewed, unix seconds.
    pub expires_at: i64,
}

#[event]
#[derive(Clone, Debug)]
pub struct MarketInitialized {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub collateral_mint: Pubkey,
    pub debt_mint: Pubkey,
    pub lp_mint: Pubkey,
}

/// The admin proposed new parameters; they may take effect from `eta`.
#[event]
#[derive(Clone, Debug)]
pub struct MarketParamsProposed {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub params: crate::state::RiskParams,
    /// The earliest `execute_market_params`, unix seconds.
    pub eta: i64,
}

/// Proposed parameters took effect.
#[event]
#[derive(Clone, Debug)]
pub struct MarketParamsUpdated {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
}

#[event]
#[derive(Clone, Debug)]
pub struct LpDeposited {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub lp: Pubkey,
    pub amount: u64,
    pub shares: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct LpWithdrawn {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub lp: Pubkey,
    pub amount: u64,
    pub shares: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct InsuranceFunded {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub funder: Pubkey,
    pub amount: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct PolFunded {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub amount: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct PolWithdrawn {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub asset: crate::instructions::pol::PolAsset,
    pub amount: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct MarginAccountOpened {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub margin_account: Pubkey,
    pub owner: Pubkey,
}

#[event]
#[derive(Clone, Debug)]
pub struct MarginAccountClosed {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub margin_account: Pubkey,
}

#[event]
#[derive(Clone, Debug)]
pub struct CollateralDeposited {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub margin_account: Pubkey,
    pub amount: u64,
    pub collateral: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct CollateralWithdrawn {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub margin_account: Pubkey,
    pub amount: u64,
    pub collateral: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct Borrowed {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub margin_account: Pubkey,
    pub amount: u64,
    pub debt: u64,
    /// Post-borrow LTV on the conservative price, bps.
    pub ltv_bps: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct Repaid {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub margin_account: Pubkey,
    pub payer: Pubkey,
    pub amount: u64,
    pub debt: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct MarketRefreshed {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub borrow_index: u128,
    pub interest: u64,
    pub reserves_swept: u64,
    /// Spot price (mid), WAD debt units per collateral unit.
    pub spot_price: u128,
    /// EMA price (mid), WAD.
    pub ema_price: u128,
    /// Variance per second, WAD.
    pub variance: u128,
    pub buffer_bps: u64,
    pub breaker_reasons: u8,
}

#[event]
#[derive(Clone, Debug)]
pub struct BreakerTripped {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub reasons: u8,
    pub divergence_bps: u64,
    pub conf_bps: u64,
}

/// A liquidity-budget draw tripped the circuit breaker.
pub fn emit_budget_tripped(market: Pubkey, ts: i64) {
    emit_event!(BreakerTripped {
        market,
        ts,
        reasons: crate::state::breaker::BUDGET,
        divergence_bps: 0,
        conf_bps: 0,
    });
}

#[event]
#[derive(Clone, Debug)]
pub struct BreakerCleared {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub tripped_secs: i64,
}

#[event]
#[derive(Clone, Debug)]
pub struct HealthChecked {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub margin_account: Pubkey,
    pub collateral: u64,
    pub debt: u64,
    /// LTV on the EMA trigger price, bps, rounded up (u64::MAX: worthless).
    pub trigger_ltv_bps: u64,
    /// LTV on the spot price, bps.
    pub spot_ltv_bps: u64,
    pub buffer_bps: u64,
    pub liq_ltv_eff_bps: u64,
    pub zone: crate::engine::health::Zone,
}

#[event]
#[derive(Clone, Debug)]
pub struct PartialLiquidated {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub margin_account: Pubkey,
    pub liquidator: Pubkey,
    /// Debt repaid by the liquidator.
    pub repaid: u64,
    /// Collateral it received.
    pub collateral_out: u64,
    pub bonus_bps: u64,
    /// The price the collateral was paid out at (the spot mid price), WAD
    /// debt units per collateral unit.
    pub payout_price: u128,
    pub ltv_before_bps: u64,
    pub ltv_after_bps: u64,
    /// Liquidity budget left.
    pub budget_left: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct AuctionStarted {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub auction: Pubkey,
    pub id: u64,
    /// The margin account, or the market for POL collateral.
    pub owner: Pubkey,
    pub kicker: Pubkey,
    pub lot: u64,
    pub tab: u64,
    pub principal: u64,
    /// WAD debt units per collateral unit.
    pub top: u128,
    pub emergency: bool,
    pub whole_position: bool,
    pub keeper_reward: u64,
}

impl AuctionStarted {
    /// The event of a kick (a margin slice or POL's collateral).
    pub fn of(
        new: &crate::controller::auction::NewAuction,
        auction: Pubkey,
        out: &crate::controller::auction::KickOutcome,
        ts: i64,
    ) -> AuctionStarted {
        AuctionStarted {
            market: new.market,
            ts,
            auction,
            id: out.id,
            owner: new.owner,
            kicker: new.kicker,
            lot: out.lot,
            tab: out.tab,
            principal: out.principal,
            top: out.top.0,
            emergency: out.emergency,
            whole_position: out.whole_position,
            keeper_reward: out.keeper_reward,
        }
    }
}

#[event]
#[derive(Clone, Debug)]
pub struct AuctionBid {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub auction: Pubkey,
    pub bidder: Pubkey,
    /// WAD debt units per collateral unit.
    pub price: u128,
    pub collateral: u64,
    pub paid: u64,
    pub principal: u64,
    pub penalty: u64,
    pub lot_left: u64,
    pub tab_left: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct AuctionRestarted {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub auction: Pubkey,
    pub stage: u8,
    pub top: u128,
    pub keeper: Pubkey,
    pub keeper_reward: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct AuctionBackstopped {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub auction: Pubkey,
    /// The floor price paid, WAD.
    pub price: u128,
    pub collateral: u64,
    pub paid: u64,
    pub principal: u64,
    pub penalty: u64,
    pub lot_left: u64,
    pub tab_left: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct AuctionSettled {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub auction: Pubkey,
    pub owner: Pubkey,
    /// Debt units raised over the auction's life.
    pub raised: u64,
    /// Collateral returned to the owner.
    pub collateral_returned: u64,
    /// Shortfall paid by the insurance fund.
    pub insurance_paid: u64,
    /// Shortfall paid by POL.
    pub pol_paid: u64,
    /// Shortfall written off against the LPs.
    pub bad_debt: u64,
    /// Penalty left unpaid and forgiven.
    pub penalty_forgiven: u64,
}

#[event]
#[derive(Clone, Debug)]
pub struct BadDebtRecorded {
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    pub auction: Pubkey,
    pub amount: u64,
    pub total: u64,
}
