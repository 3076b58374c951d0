use anchor_lang::prelude::*;

use crate::emit_event;

use crate::errors::ZlError;
use crate::events::PauseSet;
use crate::math::SafeMath;
use crate::state::{pause, seeds, Protocol, MAX_PAUSE_SECS};

/// Sets the paused instruction groups (a bitset of `state::pause`) for at
/// most `MAX_PAUSE_SECS`; the admin must renew a longer pause.
#[derive(Accounts)]
pub struct SetPause<'info> {
    /// Signer: the admin.
    pub admin: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; its pause bitset is replaced.
    #[account(mut, seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Account<'info, Protocol>,
}

pub fn handler(ctx: Context<SetPause>, paused: u16) -> Result<()> {
    require!(paused & !pause::ALL == 0, ZlError::InvalidParam);
    let protocol = &mut ctx.accounts.protocol;
    let now = Clock::get()?.unix_timestamp;
    protocol.paused = paused;
    protocol.pause_expires_at = now.safe_add(MAX_PAUSE_SECS)?;
    protocol.invariant()?;
    emit_event!(PauseSet {
        paused,
        expires_at: protocol.pause_expires_at,
    });
    Ok(())
}
