use anchor_lang::prelude::*;

use crate::emit_event;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::engine::fixed::Fp;
use crate::errors::ZlError;
use crate::events::MarketInitialized;
use crate::state::{seeds, Market, Protocol, RiskParams, VaultKind, ACCOUNT_VERSION};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct InitMarketArgs {
    /// Pyth feed id of the collateral's USD price.
    pub collateral_feed_id: [u8; 32],
    /// Pyth feed id of the debt asset's USD price.
    pub debt_feed_id: [u8; 32],
    pub params: RiskParams,
}

/// Creates a market for a (collateral, debt) pair with its five vaults and
/// its LP-share mint, all owned by the market PDA.
#[derive(Accounts)]
pub struct InitMarket<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(init, payer = admin, space = Market::SIZE,
        seeds = [seeds::MARKET, collateral_mint.key().as_ref(), debt_mint.key().as_ref()], bump)]
    pub market: Box<Account<'info, Market>>,
    pub collateral_mint: Box<Account<'info, Mint>>,
    pub debt_mint: Box<Account<'info, Mint>>,
    #[account(init, payer = admin,
        seeds = [seeds::VAULT, market.key().as_ref(), &VaultKind::Collateral.seed()], bump,
        token::mint = collateral_mint, token::authority = market)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    #[account(init, payer = admin,
        seeds = [seeds::VAULT, market.key().as_ref(), &VaultKind::Liquidity.seed()], bump,
        token::mint = debt_mint, token::authority = market)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    #[account(init, payer = admin,
        seeds = [seeds::VAULT, market.key().as_ref(), &VaultKind::Insurance.seed()], bump,
        token::mint = debt_mint, token::authority = market)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    #[account(init, payer = admin,
        seeds = [seeds::VAULT, market.key().as_ref(), &VaultKind::PolDebt.seed()], bump,
        token::mint = debt_mint, token::authority = market)]
    pub pol_debt_vault: Box<Account<'info, TokenAccount>>,
    #[account(init, payer = admin,
        seeds = [seeds::VAULT, market.key().as_ref(), &VaultKind::PolCollateral.seed()], bump,
        token::mint = collateral_mint, token::authority = market)]
    pub pol_collateral_vault: Box<Account<'info, TokenAccount>>,
    #[account(init, payer = admin,
        seeds = [seeds::LP_MINT, market.key().as_ref()], bump,
        mint::decimals = debt_mint.decimals, mint::authority = market)]
    pub lp_mint: Box<Account<'info, Mint>>,
    pub token_program: Program<'info, Token>,
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
