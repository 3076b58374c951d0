use anchor_lang::prelude::*;

use crate::emit_event;

use crate::events::ProtocolInitialized;
use crate::state::{seeds, Protocol, ACCOUNT_VERSION, DEFAULT_PARAMS_DELAY_SECS};

/// Creates the protocol singleton; the signer becomes its admin. Run it in
/// the same deployment step as the program upload (see docs/design.md).
#[derive(Accounts)]
pub struct InitProtocol<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(init, payer = admin, space = Protocol::SIZE, seeds = [seeds::PROTOCOL], bump)]
    pub protocol: Account<'info, Protocol>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<InitProtocol>) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    protocol.version = ACCOUNT_VERSION;
    protocol.bump = ctx.bumps.protocol;
    protocol.paused = 0;
    protocol.admin = ctx.accounts.admin.key();
    protocol.pending_admin = Pubkey::default();
    protocol.params_delay_secs = DEFAULT_PARAMS_DELAY_SECS;
    protocol.invariant()?;
    emit_event!(ProtocolInitialized {
        admin: protocol.admin
    });
    Ok(())
}
