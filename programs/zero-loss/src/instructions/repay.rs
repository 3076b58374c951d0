use anchor_lang::prelude::*;

use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::Repaid;
use crate::math::SafeMath;
use crate::state::{MarginAccount, Market, VaultKind};
use crate::token_ops;

/// Anyone repays debt for any margin account. `amount` above the debt
/// repays exactly the debt (so `u64::MAX` means "all of it"). Never paused.
#[derive(Accounts)]
pub struct Repay<'info> {
    /// Signer: the payer (anyone); authority of the source account.
    pub payer: Signer<'info>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Interest accrues and the repayment joins liquidity.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The margin account whose debt is repaid (any owner).
    /// Must belong to the market.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The market's liquidity vault, which receives the repayment.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// The payer's debt-asset account that pays.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&source.key()) @ ZlError::VaultAsUserAccount,
        constraint = source.mint == market.debt_mint @ ZlError::WrongMint)]
    pub source: Box<Account<'info, TokenAccount>>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Repay>, amount: u64) -> Result<()> {
    require!(amount > 0, ZlError::ZeroAmount);
    let a = ctx.accounts;
    let market = &mut a.market;
    let now = Clock::get()?.unix_timestamp;
    market.accrue_interest(now)?;
    let m = &mut a.margin_account;
    require!(m.debt_shares > 0, ZlError::NothingToRepay);
    let debt = market.debt_of(m.debt_shares)?;
    let (retired, paid) = market.retire_debt(m.debt_shares, amount)?;
    market.require_not_dust(debt.safe_sub(paid)?)?;
    let before = m.position();
    m.debt_shares.safe_sub_assign(retired)?;
    market.rebook(before, m.position())?;
    m.invariant()?;
    market.invariant()?;

    token_ops::transfer_in(
        &a.token_program,
        a.source.to_account_info(),
        a.liquidity_vault.to_account_info(),
        a.payer.to_account_info(),
        paid,
    )?;
    let remaining = market.debt_of(m.debt_shares)?;
    emit_event!(Repaid {
        market: market.key(),
        ts: now,
        margin_account: m.key(),
        payer: a.payer.key(),
        amount: paid,
        debt: remaining
    });
    Ok(())
}
