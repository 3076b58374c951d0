use anchor_lang::prelude::*;

use crate::emit_event;

use crate::errors::ZlError;
use crate::events::PauseSet;
use crate::state::{pause, seeds, Protocol};

/// Sets the paused instruction groups (a bitset of `state::pause`).
#[derive(Accounts)]
pub struct SetPause<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Account<'info, Protocol>,
}

pub fn handler(ctx: Context<SetPause>, paused: u16) -> Result<()> {
    require!(paused & !pause::ALL == 0, ZlError::InvalidParam);
    let protocol = &mut ctx.accounts.protocol;
    protocol.paused = paused;
    protocol.invariant()?;
    emit_event!(PauseSet { paused });
    Ok(())
}
