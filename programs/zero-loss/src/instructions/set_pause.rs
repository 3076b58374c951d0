use anchor_lang::prelude::*;

use crate::emit_event;

use crate::errors::ZlError;
use crate::events::PauseSet;
use crate::state::{seeds, Protocol};

/// Sets the paused instruction groups (a bitset of `state::pause`) for as
/// long as the pause budget's credit lasts, at most `MAX_PAUSE_SECS` (a
/// week); the admin must renew a longer pause, and no 30 days hold more than
/// 14 paused (`engine::pause`, `admin/pause-budget`). 0 unpauses.
#[derive(Accounts)]
pub struct SetPause<'info> {
    /// Signer: the admin.
    pub admin: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; its pause bitset is replaced.
    #[account(mut, seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Account<'info, Protocol>,
}

pub fn handler(ctx: Context<SetPause>, paused: u16) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    let now = Clock::get()?.unix_timestamp;
    let expires_at = protocol.set_pause(paused, now)?;
    emit_event!(PauseSet { paused, expires_at });
    Ok(())
}
