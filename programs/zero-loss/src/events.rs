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

/// The protocol singleton was created (init_protocol).
#[event]
#[derive(Clone, Debug)]
pub struct ProtocolInitialized {
    /// The program's upgrade authority, now the admin.
    pub admin: Pubkey,
}

/// The admin proposed a successor (propose_admin).
#[event]
#[derive(Clone, Debug)]
pub struct AdminProposed {
    /// The current admin, who made the proposal.
    pub admin: Pubkey,
    /// The proposed successor; `Pubkey::default()` cancels a proposal.
    pub pending_admin: Pubkey,
}

/// An admin transfer completed (accept_admin).
#[event]
#[derive(Clone, Debug)]
pub struct AdminAccepted {
    /// The admin before the transfer.
    pub old_admin: Pubkey,
    /// The new admin (the former pending admin).
    pub new_admin: Pubkey,
}

/// The admin replaced the paused instruction groups (set_pause).
#[event]
#[derive(Clone, Debug)]
pub struct PauseSet {
    /// The new bitset of paused groups.
    /// LP 1, DEPOSIT 2, BORROW 4, LIQUIDATION 8, AUCTION 16, TREASURY 32; 0 = nothing paused.
    pub paused: u16,
    /// When this pause lapses unless renewed, unix seconds.
    pub expires_at: i64,
}

/// A market was created (init_market).
#[event]
#[derive(Clone, Debug)]
pub struct MarketInitialized {
    /// The new market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The collateral asset's mint.
    pub collateral_mint: Pubkey,
    /// The debt asset's mint.
    pub debt_mint: Pubkey,
    /// The market's new LP-share mint.
    pub lp_mint: Pubkey,
}

/// The admin proposed new risk parameters, in force from `eta` (update_market_params).
#[event]
#[derive(Clone, Debug)]
pub struct MarketParamsProposed {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The proposed risk parameters.
    pub params: crate::state::RiskParams,
    /// The earliest time execute_market_params may apply them, unix seconds.
    pub eta: i64,
}

/// Proposed risk parameters took effect (execute_market_params).
#[event]
#[derive(Clone, Debug)]
pub struct MarketParamsUpdated {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
}

/// An LP deposited the debt asset for LP shares (lp_deposit).
#[event]
#[derive(Clone, Debug)]
pub struct LpDeposited {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The LP who deposited.
    pub lp: Pubkey,
    /// Debt asset deposited, debt-token base units.
    pub amount: u64,
    /// LP shares minted, LP-mint base units.
    pub shares: u64,
}

/// An LP burned LP shares for the debt asset (lp_withdraw).
#[event]
#[derive(Clone, Debug)]
pub struct LpWithdrawn {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The LP who withdrew.
    pub lp: Pubkey,
    /// Debt asset paid out, debt-token base units.
    pub amount: u64,
    /// LP shares burned, LP-mint base units.
    pub shares: u64,
}

/// The debt asset was added to the insurance fund (fund_insurance).
#[event]
#[derive(Clone, Debug)]
pub struct InsuranceFunded {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// Who paid.
    pub funder: Pubkey,
    /// Debt asset added to the insurance fund, debt-token base units.
    pub amount: u64,
}

/// The admin added the debt asset to POL (fund_pol).
#[event]
#[derive(Clone, Debug)]
pub struct PolFunded {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// Debt asset added to the POL debt vault, debt-token base units.
    pub amount: u64,
}

/// The admin took the debt asset or collateral out of POL (withdraw_pol).
#[event]
#[derive(Clone, Debug)]
pub struct PolWithdrawn {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// Which POL vault paid: Debt or Collateral.
    pub asset: crate::state::PolAsset,
    /// Amount withdrawn, in base units of that asset.
    pub amount: u64,
}

/// A margin account was created (open_margin_account).
#[event]
#[derive(Clone, Debug)]
pub struct MarginAccountOpened {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The new margin account.
    pub margin_account: Pubkey,
    /// Its owner.
    pub owner: Pubkey,
}

/// An empty margin account was closed (close_margin_account).
#[event]
#[derive(Clone, Debug)]
pub struct MarginAccountClosed {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The closed margin account.
    pub margin_account: Pubkey,
}

/// Collateral was added to a margin account (deposit_collateral).
#[event]
#[derive(Clone, Debug)]
pub struct CollateralDeposited {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The margin account.
    pub margin_account: Pubkey,
    /// Collateral deposited, collateral-token base units.
    pub amount: u64,
    /// The account's collateral afterwards, collateral-token base units.
    pub collateral: u64,
}

/// The owner took collateral out of a margin account (withdraw_collateral).
#[event]
#[derive(Clone, Debug)]
pub struct CollateralWithdrawn {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The margin account.
    pub margin_account: Pubkey,
    /// Collateral withdrawn, collateral-token base units.
    pub amount: u64,
    /// The account's collateral afterwards, collateral-token base units.
    pub collateral: u64,
}

/// The owner borrowed the debt asset (borrow).
#[event]
#[derive(Clone, Debug)]
pub struct Borrowed {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The margin account.
    pub margin_account: Pubkey,
    /// Debt asset lent, debt-token base units.
    pub amount: u64,
    /// The account's debt afterwards, debt-token base units, rounded up.
    pub debt: u64,
    /// The account's LTV afterwards on the conservative price, basis points, rounded up.
    pub ltv_bps: u64,
}

/// Debt of a margin account was repaid (repay).
#[event]
#[derive(Clone, Debug)]
pub struct Repaid {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The margin account.
    pub margin_account: Pubkey,
    /// Who paid.
    pub payer: Pubkey,
    /// Debt asset actually charged, debt-token base units (at most the amount asked).
    pub amount: u64,
    /// The account's debt left, debt-token base units, rounded up.
    pub debt: u64,
}

/// A market was brought up to date (refresh_market).
#[event]
#[derive(Clone, Debug)]
pub struct MarketRefreshed {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The borrow index after accrual, 1e18 fixed point.
    pub borrow_index: u128,
    /// Interest accrued by this refresh, debt-token base units.
    pub interest: u64,
    /// Reserves moved from the liquidity vault to insurance, debt-token base units.
    pub reserves_swept: u64,
    /// Spot mid price, 1e18 fixed point, debt-token base units per collateral-token base unit.
    pub spot_price: u128,
    /// EMA mid price, 1e18 fixed point, in the same units as spot_price.
    pub ema_price: u128,
    /// Realized variance per second after this sample, 1e18 fixed point.
    pub variance: u128,
    /// Volatility buffer in force afterwards, basis points, rounded up.
    pub buffer_bps: u64,
    /// Circuit breaker reasons afterwards (DIVERGENCE 1, CONFIDENCE 2, BUDGET 4; 0 = clear).
    pub breaker_reasons: u8,
}

/// The market's circuit breaker tripped.
/// Emitted by refresh_market on an abnormal reading, and by liquidate_partial and start_auction
/// when their draw exhausts the liquidity budget.
#[event]
#[derive(Clone, Debug)]
pub struct BreakerTripped {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// Why it tripped, a bitset: DIVERGENCE 1, CONFIDENCE 2, BUDGET 4.
    pub reasons: u8,
    /// Divergence abs(spot - ema) / ema of the mid prices, basis points, rounded up.
    /// 0 when a budget draw tripped the breaker.
    pub divergence_bps: u64,
    /// The wider spot conf / price of the two feeds, basis points, rounded up.
    /// 0 when a budget draw tripped the breaker.
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

/// The circuit breaker cleared after its cooldown (refresh_market).
#[event]
#[derive(Clone, Debug)]
pub struct BreakerCleared {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// Seconds the breaker stayed tripped.
    pub tripped_secs: i64,
}

/// A margin account's health was computed and stored (check_health).
#[event]
#[derive(Clone, Debug)]
pub struct HealthChecked {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The margin account.
    pub margin_account: Pubkey,
    /// The account's collateral, collateral-token base units.
    pub collateral: u64,
    /// The account's debt, debt-token base units, rounded up.
    pub debt: u64,
    /// LTV on the EMA trigger price, basis points, rounded up; u64::MAX for worthless collateral.
    pub trigger_ltv_bps: u64,
    /// LTV on the spot price, basis points, rounded up; u64::MAX for worthless collateral.
    pub spot_ltv_bps: u64,
    /// LTV on the held spot price (the highest spot over more than breach_persist_secs, or the
    /// higher of spot and EMA before the market has seen that long), basis points, rounded up.
    /// The emergency test reads it.
    pub held_ltv_bps: u64,
    /// Volatility buffer in force, basis points, rounded up.
    pub buffer_bps: u64,
    /// Top of the partial-liquidation zone, liq_ltv / (1 - buffer), basis points, rounded up.
    pub distress_ltv_bps: u64,
    /// The account's health zone.
    pub zone: crate::state::Zone,
}

/// Part of a margin account's debt was repaid for collateral plus a bonus (liquidate_partial).
#[event]
#[derive(Clone, Debug)]
pub struct PartialLiquidated {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The margin account.
    pub margin_account: Pubkey,
    /// The liquidator who signed.
    pub liquidator: Pubkey,
    /// Debt repaid by the liquidator, debt-token base units.
    pub repaid: u64,
    /// Collateral it received, collateral-token base units.
    pub collateral_out: u64,
    /// The bonus applied, basis points, rounded up.
    pub bonus_bps: u64,
    /// The price the collateral was paid out at (the spot mid price), 1e18 fixed point.
    /// Debt-token base units per collateral-token base unit.
    pub payout_price: u128,
    /// Trigger-price LTV before, basis points, rounded up.
    pub ltv_before_bps: u64,
    /// Trigger-price LTV after, basis points, rounded up.
    pub ltv_after_bps: u64,
    /// Liquidity budget left after the draw, debt-token base units.
    pub budget_left: u64,
}

/// A Dutch auction was opened (start_auction or start_pol_auction).
#[event]
#[derive(Clone, Debug)]
pub struct AuctionStarted {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The new auction account.
    pub auction: Pubkey,
    /// The auction's id (its PDA seed).
    pub id: u64,
    /// The margin account, or the market for POL collateral.
    pub owner: Pubkey,
    /// Who created it and paid its rent (the admin for POL).
    pub kicker: Pubkey,
    /// Collateral for sale, collateral-token base units.
    pub lot: u64,
    /// Debt to raise (principal plus penalty), debt-token base units.
    pub tab: u64,
    /// Of the tab, the principal owed to the lenders, debt-token base units.
    pub principal: u64,
    /// Starting price, 1e18 fixed point, debt-token base units per collateral-token base unit.
    pub top: u128,
    /// Whether the account was in the Emergency zone (false for POL).
    pub emergency: bool,
    /// Whether the whole position moved into the auction (false for POL).
    pub whole_position: bool,
    /// Keeper reward paid to the kicker from insurance, debt-token base units (0 for POL).
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

/// A bidder bought collateral from an auction (bid).
#[event]
#[derive(Clone, Debug)]
pub struct AuctionBid {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The auction account.
    pub auction: Pubkey,
    /// The bidder.
    pub bidder: Pubkey,
    /// Price paid, 1e18 fixed point, debt-token base units per collateral-token base unit.
    pub price: u128,
    /// Collateral bought, collateral-token base units.
    pub collateral: u64,
    /// Debt asset paid, debt-token base units (principal plus penalty).
    pub paid: u64,
    /// Of `paid`, the part that repays principal, debt-token base units.
    pub principal: u64,
    /// Of `paid`, the penalty part, debt-token base units.
    pub penalty: u64,
    /// Collateral left in the auction, collateral-token base units.
    pub lot_left: u64,
    /// Tab left to raise, debt-token base units.
    pub tab_left: u64,
}

/// An auction started a new stage (restart_auction).
#[event]
#[derive(Clone, Debug)]
pub struct AuctionRestarted {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The auction account.
    pub auction: Pubkey,
    /// The new stage number (restarts so far).
    pub stage: u8,
    /// The new starting price, 1e18 fixed point.
    /// Debt-token base units per collateral-token base unit.
    pub top: u128,
    /// The keeper who restarted it.
    pub keeper: Pubkey,
    /// Keeper reward paid from insurance, debt-token base units.
    pub keeper_reward: u64,
}

/// POL bought a borrower auction's lot at the floor (backstop).
#[event]
#[derive(Clone, Debug)]
pub struct AuctionBackstopped {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The auction account.
    pub auction: Pubkey,
    /// The price paid: the floor, at most the live spot; 1e18 fixed point.
    /// Debt-token base units per collateral-token base unit.
    pub price: u128,
    /// Collateral bought by POL, collateral-token base units.
    pub collateral: u64,
    /// Debt asset paid from the POL debt vault, debt-token base units.
    pub paid: u64,
    /// Of `paid`, the part that repays principal, debt-token base units.
    pub principal: u64,
    /// Of `paid`, the penalty part, debt-token base units.
    pub penalty: u64,
    /// Collateral left in the auction, collateral-token base units.
    pub lot_left: u64,
    /// Tab left to raise, debt-token base units.
    pub tab_left: u64,
}

/// A finished auction was closed (settle_auction).
#[event]
#[derive(Clone, Debug)]
pub struct AuctionSettled {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The closed auction account.
    pub auction: Pubkey,
    /// The auction's owner: the margin account, or the market for POL collateral.
    pub owner: Pubkey,
    /// Debt raised over the auction's life (initial tab minus tab left), debt-token base units.
    pub raised: u64,
    /// Leftover collateral returned to the owner, collateral-token base units.
    pub collateral_returned: u64,
    /// Principal shortfall paid by the insurance fund, debt-token base units.
    pub insurance_paid: u64,
    /// Principal shortfall paid by POL, debt-token base units.
    pub pol_paid: u64,
    /// Principal shortfall written off against the LPs, debt-token base units.
    pub bad_debt: u64,
    /// Penalty left unpaid and forgiven, debt-token base units.
    pub penalty_forgiven: u64,
}

/// A shortfall neither insurance nor POL could pay was written off (settle_auction).
#[event]
#[derive(Clone, Debug)]
pub struct BadDebtRecorded {
    /// The market.
    pub market: Pubkey,
    /// Unix time of the instruction, seconds.
    pub ts: i64,
    /// The auction whose settlement recorded it.
    pub auction: Pubkey,
    /// Bad debt recorded by this settlement, debt-token base units.
    pub amount: u64,
    /// The market's cumulative recorded bad debt afterwards, debt-token base units.
    pub total: u64,
}
