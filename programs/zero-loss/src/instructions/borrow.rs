use anchor_lang::prelude::*;

use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::engine::shares;
use crate::errors::ZlError;
use crate::events::Borrowed;
use crate::math::to_u64;
use crate::math::SafeMath;
use crate::oracle;
use crate::risk;
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops;

/// The owner borrows the debt asset against the account's collateral.
#[derive(Accounts)]
pub struct Borrow<'info> {
    /// Signer: the margin account's owner.
    pub owner: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Interest accrues and liquidity is lent out.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The owner's margin account; must belong to the market and to the signer.
    #[account(mut, has_one = market @ ZlError::WrongMarket, has_one = owner @ ZlError::NotOwner)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The market's liquidity vault, which pays the loan.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// Debt-asset account that receives the loan.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&destination.key()) @ ZlError::VaultAsUserAccount,
        constraint = destination.mint == market.debt_mint @ ZlError::WrongMint)]
    pub destination: Box<Account<'info, TokenAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub debt_oracle: UncheckedAccount<'info>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Borrow>, amount: u64) -> Result<()> {
    require!(amount > 0, ZlError::ZeroAmount);
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::BORROW)?;
    let market = &mut a.market;
    market.require_breaker_clear()?;
    require!(
        a.margin_account.open_auctions == 0,
        ZlError::AccountInAuction
    );
    let now = Clock::get()?.unix_timestamp;
    market.accrue_interest(now)?;
    let prices = oracle::load_prices(market, &a.collateral_oracle, &a.debt_oracle, now)?;
    risk::require_breaker_clear_now(market, &prices)?;

    let available = market
        .liquidity_amount
        .saturating_sub(market.pending_reserves);
    require!(amount <= available, ZlError::InsufficientLiquidity);
    // Shares rounded up: the borrower owes at least `amount`.
    let new_shares = to_u64(shares::shares_for_borrow_ceil(
        amount as u128,
        market.index(),
    )?)?;
    let m = &mut a.margin_account;
    let account_shares = m.debt_shares.safe_add(new_shares)?;
    market.total_debt_shares.safe_add_assign(new_shares)?;
    require!(
        market.total_debt()? <= market.params.borrow_cap,
        ZlError::BorrowCapExceeded
    );
    let report = risk::require_opening_risk_ok(market, m.collateral, account_shares, &prices)?;
    market.require_not_dust(report.debt)?;

    let before = m.position();
    m.debt_shares = account_shares;
    market.rebook(before, m.position())?;
    market.liquidity_amount.safe_sub_assign(amount)?;
    m.invariant()?;
    market.invariant()?;

    token_ops::transfer_out(
        &a.token_program,
        market,
        a.liquidity_vault.to_account_info(),
        a.destination.to_account_info(),
        amount,
    )?;
    emit_event!(Borrowed {
        market: market.key(),
        ts: now,
        margin_account: m.key(),
        amount,
        debt: report.debt,
        ltv_bps: risk::ltv_bps(report.ltv),
    });
    Ok(())
}
