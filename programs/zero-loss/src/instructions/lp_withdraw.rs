use anchor_lang::prelude::*;

use crate::controller::lp;
use crate::emit_event;

use super::lp_deposit::LpLiquidity;
use crate::events::LpWithdrawn;
use crate::oracle;
use crate::state::pause;
use crate::token_ops::{self};

/// Burns `shares` LP shares for the debt asset (rounded down):
/// `controller::lp::exit`, priced by `controller::lp::exit_quote` (net of
/// the shortfall in sight while the market has debt, on the oracle accounts,
/// which are then required), so an LP who leaves ahead of a loss, or ahead
/// of the kick that would show it, bears its share of it.
pub fn handler(ctx: Context<LpLiquidity>, shares_in: u64) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::LP)?;
    let now = Clock::get()?.unix_timestamp;
    let held = a.lp_shares.amount;
    let (co, dor) = (a.collateral_oracle.as_deref(), a.debt_oracle.as_deref());
    let (moves, amount) = lp::exit(&mut a.market, shares_in, held, now, |m| {
        oracle::load_required_prices(m, co, dor, now)
    })?;
    token_ops::apply(&a.endpoints(), &moves)?;
    emit_event!(LpWithdrawn {
        market: a.market.key(),
        ts: now,
        lp: a.lp.key(),
        amount,
        shares: shares_in
    });
    Ok(())
}
