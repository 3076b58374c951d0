use anchor_lang::prelude::*;

use crate::emit_event;

use super::lp_deposit::{lp_assets_priced, LpLiquidity};
use crate::engine::shares;
use crate::errors::ZlError;
use crate::events::LpWithdrawn;
use crate::math::to_u64;
use crate::math::SafeMath;
use crate::risk;
use crate::state::pause;
use crate::token_ops;

/// Burns `shares` LP shares for the debt asset (rounded down). Refused while
/// the circuit breaker is tripped, and beyond the liquidity not lent out.
/// While the market has debt, the LPs' assets are marked down by the
/// shortfall in sight beyond what insurance and POL hold
/// (`Market::uncovered_shortfall`: open lots and the underwater book, the
/// collateral at the window's low less the discount, on the oracle
/// accounts, which are then required): an LP who leaves ahead of the loss,
/// or ahead of the kick that would show it, bears its share of it. Deposits are priced on the same net assets
/// (`lp_deposit`), so neither way in or out moves a visible loss onto the
/// LPs who stay.
pub fn handler(ctx: Context<LpLiquidity>, shares_in: u64) -> Result<()> {
    require!(shares_in > 0, ZlError::ZeroAmount);
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::LP)?;
    let market = &mut a.market;
    market.require_breaker_clear()?;
    require!(a.lp_shares.amount >= shares_in, ZlError::InsufficientShares);
    let now = Clock::get()?.unix_timestamp;
    market.accrue_interest(now)?;

    let assets = lp_assets_priced(
        market,
        a.collateral_oracle.as_deref(),
        a.debt_oracle.as_deref(),
        now,
        risk::lot_valuation,
    )?;
    let amount = to_u64(shares::lp_amount_for_withdraw_floor(
        shares_in as u128,
        assets as u128,
        market.lp_shares as u128,
    )?)?;
    require!(amount > 0, ZlError::AmountTooSmall);
    // Reserves owed to insurance are not the LPs' to take.
    let available = market
        .liquidity_amount
        .saturating_sub(market.pending_reserves);
    require!(amount <= available, ZlError::InsufficientLiquidity);
    market.liquidity_amount.safe_sub_assign(amount)?;
    require!(shares_in <= market.lp_shares, ZlError::InvariantViolated);
    market.lp_shares.safe_sub_assign(shares_in)?;
    market.invariant()?;

    token_ops::burn_shares(
        &a.token_program,
        a.lp_mint.to_account_info(),
        a.lp_shares.to_account_info(),
        a.lp.to_account_info(),
        shares_in,
    )?;
    token_ops::transfer_out(
        &a.token_program,
        market,
        a.liquidity_vault.to_account_info(),
        a.lp_token.to_account_info(),
        amount,
    )?;
    emit_event!(LpWithdrawn {
        market: market.key(),
        ts: now,
        lp: a.lp.key(),
        amount,
        shares: shares_in
    });
    Ok(())
}
