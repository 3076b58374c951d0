//! Zero-Loss Liquidation Engine: isolated margin markets on Solana that
//! unwind distressed accounts without bad debt. See docs/design.md.
#![allow(clippy::result_large_err)]

use anchor_lang::prelude::*;

#[cfg(not(target_os = "solana"))]
pub mod client;
pub mod controller;
pub mod engine;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod oracle;
pub mod risk;
pub mod state;
pub mod token_ops;

use instructions::*;
use state::{InitMarketArgs, PolAsset, RiskParams};

declare_id!("GjqhNQpeyP4vu6iFAV4pRQTyVFC9X7ixVAQQFWoBKoaz");

// Who to tell about a vulnerability, readable from the deployed binary
// (explorers show it; `query-security-txt` prints it). Only in the on-chain
// build: the keeper and the native tests link the program crate too, and a
// second `SECURITY_TXT` symbol there would be misleading. The policy is
// SECURITY.md; docs/deploy.md says what to confirm before a mainnet deploy.
#[cfg(all(target_os = "solana", not(feature = "no-entrypoint")))]
solana_security_txt::security_txt! {
    name: "Zero-Loss Liquidation Engine",
    project_url: "https://github.com/zero-loss-labs/zero-loss-engine",
    contacts: "email:security@zero-loss.dev,link:https://github.com/zero-loss-labs/zero-loss-engine/security/advisories/new",
    policy: "https://github.com/zero-loss-labs/zero-loss-engine/blob/main/SECURITY.md",
    preferred_languages: "en",
    source_code: "https://github.com/zero-loss-labs/zero-loss-engine",
    auditors: "None"
}

/// Isolated margin markets that unwind distressed accounts without bad debt:
/// LPs lend the debt asset, borrowers post collateral in margin accounts, and
/// permissionless keepers refresh, check health, liquidate in part, run
/// multi-stage Dutch auctions, backstop with protocol-owned liquidity and
/// settle through the insurance fund. See docs/integration.md.
#[program]
pub mod zero_loss {
    use super::*;

    // --- admin ---
    /// Creates the protocol singleton (PDA ["protocol"]) and makes the signer its admin.
    /// Signer: the program's upgrade authority, checked against the program's ProgramData account.
    /// Fails if the protocol already exists.
    pub fn init_protocol(ctx: Context<InitProtocol>) -> Result<()> {
        init_protocol::handler(ctx)
    }
    /// Proposes `new_admin` as the next admin (step one of a two-step transfer).
    /// Signer: admin. `Pubkey::default()` cancels a pending proposal.
    pub fn propose_admin(ctx: Context<ProposeAdmin>, new_admin: Pubkey) -> Result<()> {
        admin_transfer::propose_handler(ctx, new_admin)
    }
    /// Completes an admin transfer: the proposed admin becomes the admin.
    /// Signer: the pending admin. A proposal must exist.
    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        admin_transfer::accept_handler(ctx)
    }
    /// Sets which instruction groups are paused.
    /// `paused` replaces the bitset: LP 1, DEPOSIT 2, BORROW 4, LIQUIDATION 8, AUCTION 16,
    /// TREASURY 32 (0 unpauses all). Signer: admin. Other bits are refused; the pause lapses
    /// after 7 days unless renewed.
    pub fn set_pause(ctx: Context<SetPause>, paused: u16) -> Result<()> {
        set_pause::handler(ctx, paused)
    }
    /// Creates a market for a (collateral mint, debt mint) pair, with its five vaults and LP mint.
    /// Signer: admin, who pays the rent. The mints must differ, the Pyth feed ids must be non-zero
    /// and distinct, and the risk parameters must be within their bounds.
    pub fn init_market(ctx: Context<InitMarket>, args: InitMarketArgs) -> Result<()> {
        init_market::handler(ctx, args)
    }
    /// Proposes new risk parameters for a market, in force after the protocol's timelock.
    /// Signer: admin. The parameters must be within their bounds, and thresholds, penalty and
    /// auction discount may move at most one step. A new proposal replaces a pending one.
    pub fn update_market_params(
        ctx: Context<UpdateMarketParams>,
        params: RiskParams,
    ) -> Result<()> {
        update_market_params::handler(ctx, params)
    }
    /// Puts a market's pending risk parameters in force once their timelock has elapsed.
    /// Anyone may call it (no signer account); never paused. Interest is accrued at the old
    /// rates first.
    pub fn execute_market_params(ctx: Context<ExecuteMarketParams>) -> Result<()> {
        update_market_params::execute_handler(ctx)
    }

    // --- liquidity ---
    /// Deposits `amount` of the debt asset and mints LP shares (rounded down).
    /// Signer: the LP. Paused with LP. Refused when shares exist but the pool's assets are zero.
    /// While the market has debt, both oracle accounts are required and the shortfall in sight
    /// (open auctions and the underwater book, collateral at the held floor) is deducted.
    pub fn lp_deposit(ctx: Context<LpLiquidity>, amount: u64) -> Result<()> {
        lp_deposit::handler(ctx, amount)
    }
    /// Burns `shares` LP shares and pays out the debt asset they are worth (rounded down).
    /// Signer: owner or delegate of the LP-share account. Paused with LP; refused while the circuit
    /// breaker is tripped and beyond the liquidity not lent out. While the market has debt, both
    /// oracle accounts are required and the shortfall in sight (open auctions and the underwater
    /// book, collateral at the window's low less the discount) is deducted.
    pub fn lp_withdraw(ctx: Context<LpLiquidity>, shares: u64) -> Result<()> {
        lp_withdraw::handler(ctx, shares)
    }
    /// Adds `amount` of the debt asset to the market's insurance fund.
    /// Signer: anyone (owner or delegate of the source account). Paused with TREASURY.
    pub fn fund_insurance(ctx: Context<FundInsurance>, amount: u64) -> Result<()> {
        fund_insurance::handler(ctx, amount)
    }
    /// Adds `amount` of the debt asset to the market's POL debt vault, the auction backstop.
    /// Signer: admin (owner or delegate of the source account). Paused with TREASURY.
    pub fn fund_pol(ctx: Context<FundPol>, amount: u64) -> Result<()> {
        pol::fund_handler(ctx, amount)
    }
    /// Withdraws `amount` of POL's debt asset or collateral (`asset`) to a token account.
    /// Signer: admin. Paused with TREASURY. At most what POL holds; POL's debt asset cannot leave
    /// while borrower auctions are open.
    pub fn withdraw_pol(ctx: Context<WithdrawPol>, asset: PolAsset, amount: u64) -> Result<()> {
        pol::withdraw_handler(ctx, asset, amount)
    }

    // --- borrower ---
    /// Opens the signer's margin account in a market (PDA ["margin", market, owner]).
    /// Signer: owner, who pays the rent. Paused with DEPOSIT.
    pub fn open_margin_account(ctx: Context<OpenMarginAccount>) -> Result<()> {
        open_margin_account::handler(ctx)
    }
    /// Deposits `amount` of collateral into a margin account.
    /// Signer: anyone, into any account of the market. Paused with DEPOSIT. Past the collateral
    /// cap, only into an indebted account and only up to what restores its target LTV (the oracle
    /// accounts are then required).
    pub fn deposit_collateral(ctx: Context<DepositCollateral>, amount: u64) -> Result<()> {
        deposit_collateral::handler(ctx, amount)
    }
    /// Withdraws `amount` of collateral from a margin account to the owner's token account.
    /// Signer: owner. No auction may be open on the account. With debt outstanding: paused with
    /// BORROW, needs a clear circuit breaker and valid prices, and the account must end Healthy and
    /// within max_ltv on the conservative price.
    pub fn withdraw_collateral(ctx: Context<WithdrawCollateral>, amount: u64) -> Result<()> {
        withdraw_collateral::handler(ctx, amount)
    }
    /// Borrows `amount` of the debt asset against the margin account's collateral.
    /// Signer: owner. Paused with BORROW; needs a clear circuit breaker and no open auction. The
    /// account must end Healthy, within max_ltv on the conservative price, under the borrow cap,
    /// and owing at least min_position.
    pub fn borrow(ctx: Context<Borrow>, amount: u64) -> Result<()> {
        borrow::handler(ctx, amount)
    }
    /// Repays up to `amount` of a margin account's debt (`u64::MAX` repays all of it).
    /// Signer: anyone, for any account. Never paused. The account must owe something, and the debt
    /// left must be zero or at least min_position.
    pub fn repay(ctx: Context<Repay>, amount: u64) -> Result<()> {
        repay::handler(ctx, amount)
    }
    /// Closes an empty margin account (no collateral, debt shares or open auctions).
    /// Signer: owner, who receives the rent. Never paused.
    pub fn close_margin_account(ctx: Context<CloseMarginAccount>) -> Result<()> {
        close_margin_account::handler(ctx)
    }

    // --- permissionless ---
    /// Permissionless crank: brings a market's interest, volatility, budget and breaker up to date.
    /// Accrues interest, samples prices into the volatility estimate, refills the liquidity budget,
    /// trips or clears the circuit breaker and sweeps pending reserves to insurance. Anyone may
    /// call it (no signer account); never paused.
    pub fn refresh_market(ctx: Context<RefreshMarket>) -> Result<()> {
        refresh_market::handler(ctx)
    }
    /// Computes a margin account's health at current prices and stores the snapshot on it.
    /// Reports LTVs, volatility buffer, effective threshold and zone in HealthChecked. Anyone may
    /// call it (no signer account); never paused.
    pub fn check_health(ctx: Context<CheckHealth>) -> Result<()> {
        check_health::handler(ctx)
    }

    // --- liquidation (permissionless) ---
    /// Partially liquidates a margin account, repaying up to `max_repay` of its debt.
    /// The liquidator gets collateral worth the repayment plus a bonus, sized to reach target_ltv
    /// within the liquidity budget. Signer: anyone but the owner. Paused with LIQUIDATION; needs
    /// the Buffer zone (or Healthy with held spot LTV past liq_ltv, or Distressed, or Emergency
    /// while the trigger LTV is under 100%), no open auction, and a reading at most
    /// payout_max_age_secs old.
    pub fn liquidate_partial(ctx: Context<LiquidatePartial>, max_repay: u64) -> Result<()> {
        liquidate_partial::handler(ctx, max_repay)
    }
    /// The partial liquidation of 1 to 8 margin accounts of the market (remaining accounts,
    /// writable), each at most its `max_repays` entry, on `liquidate_partial`'s rule. Refused
    /// whole for a malformed batch; an account that cannot be liquidated now is skipped, and
    /// a batch that liquidates none is refused. Signer: anyone but the owners. Paused with
    /// LIQUIDATION.
    pub fn liquidate_batch<'info>(
        ctx: Context<'info, LiquidateBatch<'info>>,
        max_repays: Vec<u64>,
    ) -> Result<()> {
        liquidate_batch::handler(ctx, max_repays)
    }
    /// Kicks a Distressed or Emergency margin account into a new Dutch auction.
    /// A slice of its debt and collateral (the whole position in Emergency) moves into the Auction.
    /// Signer: anyone (the kicker), who pays its rent and earns the keeper reward. Paused with
    /// LIQUIDATION; an account with an auction open can be kicked again only in Emergency.
    pub fn start_auction(ctx: Context<StartAuction>) -> Result<()> {
        start_auction::handler(ctx)
    }
    /// Buys up to `max_lot` collateral from an auction at the current curve price.
    /// The price is never below the floor; refused above `max_price` (WAD debt units per collateral
    /// unit). Signer: anyone. Paused with AUCTION; the auction must not be done.
    pub fn bid(ctx: Context<Bid>, max_lot: u64, max_price: u128) -> Result<()> {
        bid::handler(ctx, max_lot, max_price)
    }
    /// Restarts an auction's stage from a new top on the live spot price.
    /// Pays the caller the keeper reward. Signer: anyone. Paused with AUCTION. The stage must be
    /// older than auction_tail_secs or priced below auction_cusp_bps of its top, and a borrower's
    /// auction must not be at its last stage.
    pub fn restart_auction(ctx: Context<RestartAuction>) -> Result<()> {
        restart_auction::handler(ctx)
    }
    /// Has POL buy a borrower auction's lot at the floor price, as far as its debt vault allows.
    /// Signer: anyone. Paused with AUCTION. Allowed at the last stage once a restart would be due,
    /// or once the curve has reached the floor.
    pub fn backstop(ctx: Context<Backstop>) -> Result<()> {
        backstop::handler(ctx)
    }
    /// Closes a finished auction (tab raised or lot gone) and returns its rent to the kicker.
    /// Returns leftover collateral to its owner; a principal shortfall is paid by insurance, then
    /// POL, and the rest recorded as bad debt. Signer: anyone. Never paused.
    pub fn settle_auction(ctx: Context<SettleAuction>) -> Result<()> {
        settle_auction::handler(ctx)
    }

    // --- POL ---
    /// Puts `lot` of POL's collateral up for auction, with a tab of its spot value and no penalty.
    /// Signer: admin, who pays the auction's rent. Paused with AUCTION. `lot` must be positive and
    /// at most what POL holds.
    pub fn start_pol_auction(ctx: Context<StartPolAuction>, lot: u64) -> Result<()> {
        start_pol_auction::handler(ctx, lot)
    }
}
