use anchor_lang::prelude::*;

use crate::emit_event;

use crate::events::MarginAccountOpened;
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, ACCOUNT_VERSION};

/// Opens the owner's margin account in a market (the owner pays the rent).
#[derive(Accounts)]
pub struct OpenMarginAccount<'info> {
    /// Signer: the account's owner; pays the rent.
    #[account(mut)]
    pub owner: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market the margin account belongs to.
    pub market: Box<Account<'info, Market>>,
    /// The margin account to create, PDA ["margin", market, owner].
    #[account(init, payer = owner, space = MarginAccount::SIZE,
        seeds = [seeds::MARGIN, market.key().as_ref(), owner.key().as_ref()], bump)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The System program.
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<OpenMarginAccount>) -> Result<()> {
    ctx.accounts.protocol.require_not_paused(pause::DEPOSIT)?;
    let market = ctx.accounts.market.key();
    let owner = ctx.accounts.owner.key();
    let m = &mut ctx.accounts.margin_account;
    m.version = ACCOUNT_VERSION;
    m.bump = ctx.bumps.margin_account;
    m.market = market;
    m.owner = owner;
    m.invariant()?;
    let now = Clock::get()?.unix_timestamp;
    emit_event!(MarginAccountOpened {
        market,
        ts: now,
        margin_account: m.key(),
        owner
    });
    Ok(())
}
