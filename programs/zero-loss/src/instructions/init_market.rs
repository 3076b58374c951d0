use anchor_lang::prelude::*;

use crate::emit_event;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::engine::fixed::Fp;
use crate::errors::ZlError;
use crate::events::MarketInitialized;
use crate::state::{seeds, InitMarketArgs, Market, Protocol, VaultKind, ACCOUNT_VERSION};

/// Creates a market for a (collateral, debt) pair with its five vaults and
/// its LP-share mint, all owned by the market PDA.
#[derive(Accounts)]
pub struct InitMarket<'info> {
    /// Signer: the admin; pays the rent of the market, its vaults and its LP mint.
    #[account(mut)]
    pub admin: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; `admin` must be its admin.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market to create, PDA ["market", collateral_mint, debt_mint].
    #[account(init, payer = admin, space = Market::SIZE,
        seeds = [seeds::MARKET, collateral_mint.key().as_ref(), debt_mint.key().as_ref()], bump)]
    pub market: Box<Account<'info, Market>>,
    /// The collateral asset's SPL Token mint.
    pub collateral_mint: Box<Account<'info, Mint>>,
    /// The debt asset's SPL Token mint (must differ from the collateral mint).
    pub debt_mint: Box<Account<'info, Mint>>,
    /// The collateral vault to create (collateral mint, owned by the market).
    /// PDA ["vault", market, [0]].
    #[account(init, payer = admin,
        seeds = [seeds::VAULT, market.key().as_ref(), &VaultKind::Collateral.seed()], bump,
        token::mint = collateral_mint, token::authority = market)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The liquidity vault to create (debt mint, owned by the market).
    /// PDA ["vault", market, [1]].
    #[account(init, payer = admin,
        seeds = [seeds::VAULT, market.key().as_ref(), &VaultKind::Liquidity.seed()], bump,
        token::mint = debt_mint, token::authority = market)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// The insurance vault to create (debt mint, owned by the market).
    /// PDA ["vault", market, [2]].
    #[account(init, payer = admin,
        seeds = [seeds::VAULT, market.key().as_ref(), &VaultKind::Insurance.seed()], bump,
        token::mint = debt_mint, token::authority = market)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// The POL debt-asset vault to create (debt mint, owned by the market).
    /// PDA ["vault", market, [3]].
    #[account(init, payer = admin,
        seeds = [seeds::VAULT, market.key().as_ref(), &VaultKind::PolDebt.seed()], bump,
        token::mint = debt_mint, token::authority = market)]
    pub pol_debt_vault: Box<Account<'info, TokenAccount>>,
    /// The POL collateral vault to create (collateral mint, owned by the market).
    /// PDA ["vault", market, [4]].
    #[account(init, payer = admin,
        seeds = [seeds::VAULT, market.key().as_ref(), &VaultKind::PolCollateral.seed()], bump,
        token::mint = collateral_mint, token::authority = market)]
    pub pol_collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The LP-share mint to create, PDA ["lp_mint", market].
    /// Same decimals as the debt mint; the market is its mint authority, with no freeze authority.
    #[account(init, payer = admin,
        seeds = [seeds::LP_MINT, market.key().as_ref()], bump,
        mint::decimals = debt_mint.decimals, mint::authority = market)]
    pub lp_mint: Box<Account<'info, Mint>>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
    /// The System program.
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<InitMarket>, args: InitMarketArgs) -> Result<()> {
    let a = &ctx.accounts;
    require_keys_neq!(
        a.collateral_mint.key(),
        a.debt_mint.key(),
        ZlError::SameMint
    );
    require!(
        args.collateral_feed_id != [0; 32]
            && args.debt_feed_id != [0; 32]
            && args.collateral_feed_id != args.debt_feed_id,
        ZlError::InvalidFeedId
    );
    args.params.validate()?;
    let now = Clock::get()?.unix_timestamp;
    let b = &ctx.bumps;
    let vaults = [
        a.collateral_vault.key(),
        a.liquidity_vault.key(),
        a.insurance_vault.key(),
        a.pol_debt_vault.key(),
        a.pol_collateral_vault.key(),
    ];
    let (collateral_mint, debt_mint, lp_mint) =
        (a.collateral_mint.key(), a.debt_mint.key(), a.lp_mint.key());
    let (collateral_decimals, debt_decimals) = (a.collateral_mint.decimals, a.debt_mint.decimals);

    let m = &mut ctx.accounts.market;
    m.version = ACCOUNT_VERSION;
    m.open_book();
    m.bump = b.market;
    m.vault_bumps = [
        b.collateral_vault,
        b.liquidity_vault,
        b.insurance_vault,
        b.pol_debt_vault,
        b.pol_collateral_vault,
    ];
    m.lp_mint_bump = b.lp_mint;
    m.collateral_decimals = collateral_decimals;
    m.debt_decimals = debt_decimals;
    m.collateral_mint = collateral_mint;
    m.debt_mint = debt_mint;
    m.lp_mint = lp_mint;
    m.vaults = vaults;
    m.collateral_feed_id = args.collateral_feed_id;
    m.debt_feed_id = args.debt_feed_id;
    m.params = args.params;
    m.borrow_index = Fp::ONE.0;
    m.last_accrual_ts = now;
    m.budget_level = args.params.budget_capacity;
    m.budget_last_ts = now;
    m.invariant()?;
    emit_event!(MarketInitialized {
        market: m.key(),
        ts: now,
        collateral_mint,
        debt_mint,
        lp_mint
    });
    Ok(())
}
