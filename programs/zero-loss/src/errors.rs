//! Every way an instruction can refuse, each with a reason that says where
//! it came from.

use anchor_lang::prelude::*;

use crate::engine::price::PriceError;
use crate::engine::MathError;

#[error_code]
pub enum ZlError {
    // --- arithmetic ---
    #[msg("math/overflow: a result does not fit")]
    MathOverflow,
    #[msg("math/underflow: a result would be negative")]
    MathUnderflow,
    #[msg("math/division-by-zero")]
    DivisionByZero,

    // --- input ---
    #[msg("input/zero-amount: the amount must be positive")]
    ZeroAmount,
    #[msg("input/amount-too-small: the amount rounds to nothing")]
    AmountTooSmall,
    #[msg("input/invalid-param: a risk parameter is out of its bounds")]
    InvalidParam,
    #[msg("input/invalid-feed-id: feed ids must be non-zero and distinct")]
    InvalidFeedId,
    #[msg("input/same-mint: collateral and debt mints must differ")]
    SameMint,

    // --- authority ---
    #[msg("auth/not-admin: the signer is not the protocol admin")]
    NotAdmin,
    #[msg("auth/not-pending-admin: the signer is not the proposed admin")]
    NotPendingAdmin,
    #[msg("auth/not-owner: the signer does not own this margin account")]
    NotOwner,

    // --- accounts ---
    #[msg("account/wrong-market: the account belongs to another market")]
    WrongMarket,
    #[msg("account/wrong-vault: the vault is not this market's")]
    WrongVault,
    #[msg("account/wrong-mint: the token account holds another mint")]
    WrongMint,

    // --- gates ---
    #[msg("gate/paused: this instruction group is paused by the admin")]
    Paused,
    #[msg("gate/circuit-breaker: the market's circuit breaker is tripped")]
    CircuitBreakerTripped,

    // --- oracle ---
    #[msg("oracle/wrong-owner: the price account is not owned by the Pyth receiver")]
    OracleWrongOwner,
    #[msg("oracle/invalid-account: the price account is not a PriceUpdateV2")]
    OracleInvalidAccount,
    #[msg("oracle/wrong-feed: the price account carries another feed id")]
    OracleWrongFeed,
    #[msg("oracle/unverified: the price update is not fully verified")]
    OracleUnverified,
    #[msg("oracle/stale: the price is older than the market's max age")]
    OracleStale,
    #[msg("oracle/future: the price is published after the current time")]
    OracleFromFuture,
    #[msg("oracle/confidence: the confidence interval is too wide")]
    OracleConfidenceTooWide,
    #[msg("oracle/non-positive: the price is not positive")]
    OracleNonPositive,
    #[msg("oracle/out-of-range: exponents and decimals put the price out of range")]
    OracleOutOfRange,

    // --- lending ---
    #[msg("lend/insufficient-liquidity: the liquidity vault cannot pay this")]
    InsufficientLiquidity,
    #[msg("lend/insufficient-collateral: the account holds less collateral")]
    InsufficientCollateral,
    #[msg("lend/insufficient-shares: fewer LP shares than asked")]
    InsufficientShares,
    #[msg("lend/insufficient-pol: the POL vault holds less than asked")]
    InsufficientPol,
    #[msg("lend/max-ltv: the action would leave the account above max_ltv")]
    MaxLtvExceeded,
    #[msg("lend/unhealthy: the account is not in the healthy zone")]
    Unhealthy,
    #[msg("lend/borrow-cap: the market's borrow cap would be exceeded")]
    BorrowCapExceeded,
    #[msg("lend/collateral-cap: the market's collateral cap would be exceeded")]
    CollateralCapExceeded,
    #[msg("lend/nothing-to-repay: the account owes nothing")]
    NothingToRepay,
    #[msg("lend/not-empty: the account still holds collateral, debt or auctions")]
    AccountNotEmpty,
    #[msg("lend/no-lp-value: the pool has shares but no assets to price them")]
    PoolInsolvent,
    #[msg("lend/in-auction: the account has an auction open")]
    AccountInAuction,
    #[msg("lend/dust: a position's debt must be zero or at least min_position")]
    DustPosition,
    #[msg("state/invariant: an account's accounting identity would break")]
    InvariantViolated,

    // --- liquidation ---
    #[msg("liq/healthy: the account is healthy")]
    AccountHealthy,
    #[msg("liq/not-buffer-zone: partial liquidation needs the buffer zone; distressed accounts go to auction")]
    NotInBufferZone,
    #[msg("liq/not-distressed: an auction needs a distressed or emergency account")]
    NotDistressed,
    #[msg("liq/self-liquidation: the owner cannot liquidate its own account")]
    SelfLiquidation,
    #[msg("liq/budget-exhausted: the market's liquidity budget leaves nothing to liquidate")]
    BudgetExhausted,
    #[msg("liq/auction-open: the account already has an auction open (and is not in emergency)")]
    AuctionInProgress,
    #[msg("liq/target-unreachable: the parameters put the target LTV out of reach")]
    TargetUnreachable,
    #[msg("liq/worse-health: the action would leave the account less healthy")]
    HealthWorsened,

    // --- auctions ---
    #[msg("auction/too-expensive: the price is above the bidder's max_price")]
    TooExpensive,
    #[msg("auction/dust: the bid would leave a tab below min_position")]
    AuctionDust,
    #[msg("auction/done: nothing left to sell or raise")]
    AuctionDone,
    #[msg("auction/not-done: the tab is not raised and the lot is not gone")]
    AuctionNotDone,
    #[msg("auction/zero-bid: the bid buys nothing")]
    ZeroBid,
    #[msg("auction/restart-too-early: the stage is neither past tail nor below cusp")]
    RestartTooEarly,
    #[msg("auction/max-stages: the last stage is reached; the backstop takes over")]
    MaxStagesReached,
    #[msg("auction/backstop-not-allowed: neither at the last stale stage nor at the floor")]
    BackstopNotAllowed,
    #[msg("auction/wrong-owner: the account is not this auction's owner")]
    WrongAuctionOwner,
    #[msg("auction/wrong-kind: the instruction does not apply to this auction's owner kind")]
    WrongAuctionKind,

    // --- appended: codes are part of the interface, new variants go last ---
    #[msg("account/vault-as-user-account: a market vault cannot stand in for the caller's token account")]
    VaultAsUserAccount,
}

impl From<MathError> for ZlError {
    fn from(e: MathError) -> Self {
        match e {
            MathError::Overflow => ZlError::MathOverflow,
            MathError::Underflow => ZlError::MathUnderflow,
            MathError::DivisionByZero => ZlError::DivisionByZero,
        }
    }
}

impl From<crate::engine::liquidation::LiqError> for ZlError {
    fn from(e: crate::engine::liquidation::LiqError) -> Self {
        use crate::engine::liquidation::LiqError as L;
        match e {
            L::NothingToLiquidate => ZlError::BudgetExhausted,
            L::TargetUnreachable => ZlError::TargetUnreachable,
            L::Math(m) => m.into(),
        }
    }
}

impl From<crate::engine::auction::AuctionError> for ZlError {
    fn from(e: crate::engine::auction::AuctionError) -> Self {
        use crate::engine::auction::AuctionError as A;
        match e {
            A::TooExpensive => ZlError::TooExpensive,
            A::Dust => ZlError::AuctionDust,
            A::Done => ZlError::AuctionDone,
            A::ZeroBid => ZlError::ZeroBid,
            A::Math(m) => m.into(),
        }
    }
}

impl From<PriceError> for ZlError {
    fn from(e: PriceError) -> Self {
        match e {
            PriceError::NonPositive => ZlError::OracleNonPositive,
            PriceError::OutOfRange => ZlError::OracleOutOfRange,
            PriceError::Math(m) => m.into(),
        }
    }
}
