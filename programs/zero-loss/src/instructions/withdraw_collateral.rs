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
    /// Signer: the margin account's owner.
    pub owner: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its total_collateral shrinks.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The owner's margin account; must belong to the market and to the signer.
    #[account(mut, has_one = market @ ZlError::WrongMarket, has_one = owner @ ZlError::NotOwner)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The market's collateral vault, which pays the withdrawal.
    /// Must be the vault recorded on the market, PDA ["vault", market, [0]].
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// Collateral account that receives the withdrawal.
    /// Must hold the market's collateral mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&destination.key()) @ ZlError::VaultAsUserAccount,
        constraint = destination.mint == market.collateral_mint @ ZlError::WrongMint)]
    pub destination: Box<Account<'info, TokenAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// Read only when the margin account has debt.
    /// CHECK: validated by `oracle::load_prices` when the account has debt, unused otherwise.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// Read only when the margin account has debt.
    /// CHECK: validated by `oracle::load_prices` when the account has debt, unused otherwise.
    pub debt_oracle: UncheckedAccount<'info>,
    /// The SPL Token program.
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
        risk::require_opening_risk_ok(market, remaining, m.debt_shares, &prices)?;
    }

    let before = m.position();
    m.collateral = remaining;
    market.rebook(before, m.position())?;
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
