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
    #[msg("oracle/superseded: the market has already used a newer reading of this feed")]
    OracleSuperseded,
    #[msg("admin/params-step: a threshold, penalty, discount or oracle timing moves too far in one step")]
    ParamsStepTooLarge,
    #[msg("admin/no-pending-params: no parameter change is pending")]
    NoPendingParams,
    #[msg("admin/timelock: the parameter change's delay has not elapsed")]
    TimelockPending,
    #[msg("admin/pol-locked: POL's debt asset cannot fall under the principal open borrower auctions still owe")]
    PolLockedByAuctions,
    #[msg("oracle/required: this call needs both price accounts (an LP withdrawal during borrower auctions, a deposit past the collateral cap)")]
    OracleRequired,
    #[msg("auth/not-upgrade-authority: only the program's upgrade authority can initialize")]
    NotUpgradeAuthority,
    #[msg("oracle/payout-too-old: a partial liquidation pays out only at a reading within payout_max_age_secs")]
    PayoutReadingTooOld,
    #[msg("batch/size: a batch liquidates 1 to 8 margin accounts, with one max_repay for each")]
    BatchSize,
    #[msg("batch/duplicate: a margin account appears more than once in the batch")]
    BatchDuplicate,
    #[msg("batch/nothing-liquidated: no account of the batch can be liquidated now")]
    NothingLiquidated,
    #[msg("admin/pause-budget: the pause budget (14 days in any 30) has no credit left")]
    PauseBudgetSpent,
}

impl ZlError {
    /// Every variant in declaration order, so `ALL[i]` has code `6000 + i`.
    /// A new variant goes at the end of the enum and of this list; the unit
    /// tests below fail when the two differ, and when the error table of
    /// `docs/design.md` (section 12) does not match them.
    pub const ALL: &'static [ZlError] = &[
        ZlError::MathOverflow,
        ZlError::MathUnderflow,
        ZlError::DivisionByZero,
        ZlError::ZeroAmount,
        ZlError::AmountTooSmall,
        ZlError::InvalidParam,
        ZlError::InvalidFeedId,
        ZlError::SameMint,
        ZlError::NotAdmin,
        ZlError::NotPendingAdmin,
        ZlError::NotOwner,
        ZlError::WrongMarket,
        ZlError::WrongVault,
        ZlError::WrongMint,
        ZlError::Paused,
        ZlError::CircuitBreakerTripped,
        ZlError::OracleWrongOwner,
        ZlError::OracleInvalidAccount,
        ZlError::OracleWrongFeed,
        ZlError::OracleUnverified,
        ZlError::OracleStale,
        ZlError::OracleFromFuture,
        ZlError::OracleConfidenceTooWide,
        ZlError::OracleNonPositive,
        ZlError::OracleOutOfRange,
        ZlError::InsufficientLiquidity,
        ZlError::InsufficientCollateral,
        ZlError::InsufficientShares,
        ZlError::InsufficientPol,
        ZlError::MaxLtvExceeded,
        ZlError::Unhealthy,
        ZlError::BorrowCapExceeded,
        ZlError::CollateralCapExceeded,
        ZlError::NothingToRepay,
        ZlError::AccountNotEmpty,
        ZlError::PoolInsolvent,
        ZlError::AccountInAuction,
        ZlError::DustPosition,
        ZlError::InvariantViolated,
        ZlError::AccountHealthy,
        ZlError::NotInBufferZone,
        ZlError::NotDistressed,
        ZlError::SelfLiquidation,
        ZlError::BudgetExhausted,
        ZlError::AuctionInProgress,
        ZlError::TargetUnreachable,
        ZlError::HealthWorsened,
        ZlError::TooExpensive,
        ZlError::AuctionDust,
        ZlError::AuctionDone,
        ZlError::AuctionNotDone,
        ZlError::ZeroBid,
        ZlError::RestartTooEarly,
        ZlError::MaxStagesReached,
        ZlError::BackstopNotAllowed,
        ZlError::WrongAuctionOwner,
        ZlError::WrongAuctionKind,
        ZlError::VaultAsUserAccount,
        ZlError::OracleSuperseded,
        ZlError::ParamsStepTooLarge,
        ZlError::NoPendingParams,
        ZlError::TimelockPending,
        ZlError::PolLockedByAuctions,
        ZlError::OracleRequired,
        ZlError::NotUpgradeAuthority,
        ZlError::PayoutReadingTooOld,
        ZlError::BatchSize,
        ZlError::BatchDuplicate,
        ZlError::NothingLiquidated,
        ZlError::PauseBudgetSpent,
    ];
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

#[cfg(test)]
mod tests {
    use super::*;

    /// This file, to read the enum's declaration.
    const SOURCE: &str = include_str!("errors.rs");
    /// The design document, whose section 12 tabulates the errors.
    const DESIGN: &str = include_str!("../../../docs/design.md");

    /// The variant names as declared in the `ZlError` enum above, in order.
    fn declared() -> Vec<&'static str> {
        let start = SOURCE
            .find("pub enum ZlError {")
            .expect("the ZlError declaration");
        let body = &SOURCE[start..];
        let body = &body[..body.find("\n}\n").expect("the end of the enum")];
        body.lines()
            .skip(1)
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("#["))
            .map(|l| {
                let name = l.strip_suffix(',').unwrap_or(l);
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric()),
                    "unexpected line in the enum: {l:?}"
                );
                name
            })
            .collect()
    }

    /// The `group/name` reason that starts a variant's message.
    fn reason(e: ZlError) -> String {
        let msg = e.to_string();
        msg.split(':').next().unwrap_or_default().to_string()
    }

    /// `(code, variant, reason)` for every variant, from the code.
    fn rows_from_code() -> Vec<(u32, String, String)> {
        ZlError::ALL
            .iter()
            .map(|&e| (u32::from(e), e.name(), reason(e)))
            .collect()
    }

    /// The error table as it belongs in `docs/design.md`.
    fn table_from_code() -> String {
        let mut t = String::from("| code | variant | reason |\n| --- | --- | --- |\n");
        for (code, name, reason) in rows_from_code() {
            t.push_str(&format!("| {code} | `{name}` | `{reason}` |\n"));
        }
        t
    }

    /// `(code, variant, reason)` for every row of the table in section 12.
    fn rows_from_design() -> Vec<(u32, String, String)> {
        let start = DESIGN
            .find("\n## 12. Errors")
            .expect("section 12 of docs/design.md");
        let section = &DESIGN[start + 1..];
        let section = &section[..section.find("\n## ").unwrap_or(section.len())];
        section
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| code") && !l.starts_with("| ---"))
            .map(|l| {
                let cells: Vec<&str> = l
                    .trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().trim_matches('`'))
                    .collect();
                assert_eq!(cells.len(), 3, "malformed row {l:?}");
                let code = cells[0].parse().unwrap_or_else(|_| panic!("code in {l:?}"));
                (code, cells[1].to_string(), cells[2].to_string())
            })
            .collect()
    }

    #[test]
    fn all_lists_every_variant_in_declaration_order() {
        let names: Vec<String> = ZlError::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(names, declared(), "ZlError::ALL differs from the enum");
        for (i, &e) in ZlError::ALL.iter().enumerate() {
            assert_eq!(e as usize, i, "{} is out of place in ALL", e.name());
            assert_eq!(
                u32::from(e),
                anchor_lang::error::ERROR_CODE_OFFSET + i as u32
            );
        }
    }

    #[test]
    fn every_reason_is_a_distinct_group_slash_name() {
        let mut seen = std::collections::BTreeSet::new();
        for &e in ZlError::ALL {
            let r = reason(e);
            let (group, name) = r
                .split_once('/')
                .unwrap_or_else(|| panic!("{}: no group/name in {r:?}", e.name()));
            let word =
                |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '-');
            assert!(word(group) && word(name), "{}: reason {r:?}", e.name());
            assert!(seen.insert(r.clone()), "reason {r:?} is used twice");
        }
    }

    #[test]
    fn the_design_error_table_matches_the_code() {
        let doc = rows_from_design();
        let code = rows_from_code();
        for (i, (d, c)) in doc.iter().zip(&code).enumerate() {
            assert_eq!(
                d,
                c,
                "row {i} of the error table in docs/design.md differs from errors.rs; \
                 the table from the code is:\n{}",
                table_from_code()
            );
        }
        assert_eq!(
            doc.len(),
            code.len(),
            "docs/design.md lists {} errors, errors.rs declares {}; the table from the code \
             is:\n{}",
            doc.len(),
            code.len(),
            table_from_code()
        );
        // The whole table, header included, as one block.
        assert!(
            DESIGN.contains(&table_from_code()),
            "the error table in docs/design.md is not the code's:\n{}",
            table_from_code()
        );
    }
}
