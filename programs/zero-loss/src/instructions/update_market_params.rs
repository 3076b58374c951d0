use anchor_lang::prelude::*;

use crate::emit_event;

use crate::errors::ZlError;
use crate::events::MarketParamsUpdated;
use crate::state::{seeds, Market, Protocol, RiskParams};

/// Replaces a market's risk parameters (same bounds as at creation).
/// Interest is accrued at the old rates first.
#[derive(Accounts)]
pub struct UpdateMarketParams<'info> {
    pub admin: Signer<'info>,
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Account<'info, Protocol>,
    #[account(mut)]
    pub market: Account<'info, Market>,
}

pub fn handler(ctx: Context<UpdateMarketParams>, params: RiskParams) -> Result<()> {
    params.validate()?;
    let market = &mut ctx.accounts.market;
    let now = Clock::get()?.unix_timestamp;
    market.accrue_interest(now)?;
    market.params = params;
    // A smaller capacity caps the bucket at once.
    market.budget_level = market.budget_level.min(params.budget_capacity);
    market.invariant()?;
    emit_event!(MarketParamsUpdated {
        market: market.key(),
        ts: now,
    });
    Ok(())
}
