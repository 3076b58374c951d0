use anchor_lang::prelude::*;

use crate::emit_event;

use crate::errors::ZlError;
use crate::events::MarginAccountClosed;
use crate::state::MarginAccount;

/// Closes an empty margin account (no collateral, no debt, no auctions) and
/// returns its rent to the owner.
#[derive(Accounts)]
pub struct CloseMarginAccount<'info> {
    /// Signer: the margin account's owner; receives the rent.
    #[account(mut)]
    pub owner: Signer<'info>,
    /// The owner's margin account to close.
    /// Must hold no collateral, no debt shares and no open auctions.
    #[account(mut, close = owner, has_one = owner @ ZlError::NotOwner,
        constraint = margin_account.is_empty() @ ZlError::AccountNotEmpty)]
    pub margin_account: Account<'info, MarginAccount>,
}

pub fn handler(ctx: Context<CloseMarginAccount>) -> Result<()> {
    let m = &ctx.accounts.margin_account;
    let now = Clock::get()?.unix_timestamp;
    emit_event!(MarginAccountClosed {
        market: m.market,
        ts: now,
        margin_account: m.key()
    });
    Ok(())
}
