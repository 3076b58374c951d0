use anchor_lang::prelude::*;

use crate::emit_event;

use crate::errors::ZlError;
use crate::events::{MarketParamsProposed, MarketParamsUpdated};
use crate::math::SafeMath;
use crate::state::{seeds, Market, Protocol, RiskParams};

/// The admin proposes new risk parameters (the same bounds as at creation,
/// and no threshold, penalty or discount further than one step from the
/// parameters in force). They take effect through `execute_market_params`
/// once the protocol's `params_delay_secs` has passed; a new proposal
/// replaces a pending one and restarts the delay.
#[derive(Accounts)]
pub struct UpdateMarketParams<'info> {
    /// Signer: the admin.
    pub admin: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; `admin` must be its admin.
    /// Its params_delay_secs sets the proposal's timelock.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Account<'info, Protocol>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// The proposal is stored on it.
    #[account(mut)]
    pub market: Account<'info, Market>,
}

pub fn handler(ctx: Context<UpdateMarketParams>, params: RiskParams) -> Result<()> {
    params.validate()?;
    let a = ctx.accounts;
    let market = &mut a.market;
    market.params.check_step(&params)?;
    let now = Clock::get()?.unix_timestamp;
    let eta = now.safe_add(a.protocol.params_delay_secs as i64)?;
    market.pending_params = params;
    market.pending_params_eta = eta;
    emit_event!(MarketParamsProposed {
        market: market.key(),
        ts: now,
        params,
        eta,
    });
    Ok(())
}

/// Permissionless: puts pending parameters in force once their delay has
/// passed. Interest is accrued at the old rates first.
#[derive(Accounts)]
pub struct ExecuteMarketParams<'info> {
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its pending parameters are put in force.
    #[account(mut)]
    pub market: Account<'info, Market>,
}

pub fn execute_handler(ctx: Context<ExecuteMarketParams>) -> Result<()> {
    let market = &mut ctx.accounts.market;
    require!(market.pending_params_eta != 0, ZlError::NoPendingParams);
    let now = Clock::get()?.unix_timestamp;
    require!(now >= market.pending_params_eta, ZlError::TimelockPending);
    market.accrue_interest(now)?;
    let params = market.pending_params;
    market.params = params;
    market.pending_params_eta = 0;
    // A smaller capacity caps the bucket at once.
    market.budget_level = market.budget_level.min(params.budget_capacity);
    market.invariant()?;
    emit_event!(MarketParamsUpdated {
        market: market.key(),
        ts: now,
    });
    Ok(())
}
