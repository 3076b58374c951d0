use anchor_lang::prelude::*;

use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::CollateralWithdrawn;
use crate::math::SafeMath;
use crate::oracle;
use crate::risk;
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops;

/// The owner takes collateral out. With debt outstanding the account must
/// end within `max_ltv` on the conservative price and in the healthy zone,
/// and the circuit breaker must be clear; a debt-free account needs neither
/// a price nor a clear breaker.
#[derive(Accounts)]
pub struct WithdrawCollateral<'info> {
    pub owner: Signer<'info>,
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, has_one = market @ ZlError::WrongMarket, has_one = owner @ ZlError::NotOwner)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut,
        constraint = !market.is_vault(&destination.key()) @ ZlError::VaultAsUserAccount,
        constraint = destination.mint == market.collateral_mint @ ZlError::WrongMint)]
    pub destination: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub debt_oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<WithdrawCollateral>, amount: u64) -> Result<()> {
    require!(amount > 0, ZlError::ZeroAmount);
    let a = ctx.accounts;
    // A debt-free account risks nothing: no pause, no price, no breaker.
    if a.margin_account.debt_shares > 0 {
        a.protocol.require_not_paused(pause::BORROW)?;
    }
    let market = &mut a.market;
    require!(
        a.margin_account.open_auctions == 0,
        ZlError::AccountInAuction
    );
    let m = &mut a.margin_account;
    require!(amount <= m.collateral, ZlError::InsufficientCollateral);
    let remaining = m.collateral.safe_sub(amount)?;

    // A debt-free account risks nothing: no price, no breaker.
    if m.debt_shares > 0 {
        market.require_breaker_clear()?;
        let now = Clock::get()?.unix_timestamp;
        market.accrue_interest(now)?;
        let prices = oracle::load_prices(market, &a.collateral_oracle, &a.debt_oracle, now)?;
        risk::require_breaker_clear_now(market, &prices)?;
        let report = risk::evaluate(market, remaining, m.debt_shares, &prices)?;
        risk::require_opening_risk_ok(market, &report)?;
    }

    m.collateral = remaining;
    market.total_collateral.safe_sub_assign(amount)?;
    m.invariant()?;
    market.invariant()?;

    token_ops::transfer_out(
        &a.token_program,
        market,
        a.collateral_vault.to_account_info(),
        a.destination.to_account_info(),
        amount,
    )?;
    let now = Clock::get()?.unix_timestamp;
    emit_event!(CollateralWithdrawn {
        market: market.key(),
        ts: now,
        margin_account: m.key(),
        amount,
        collateral: remaining
    });
    Ok(())
}
