use anchor_lang::prelude::*;

use crate::emit_event;

use crate::errors::ZlError;
use crate::events::{AdminAccepted, AdminProposed};
use crate::state::{seeds, Protocol};

/// Step one of an admin transfer: the admin names a successor (or clears
/// the proposal with `Pubkey::default()`).
#[derive(Accounts)]
pub struct ProposeAdmin<'info> {
    /// Signer: the current admin.
    pub admin: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; its pending_admin is set.
    #[account(mut, seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Account<'info, Protocol>,
}

pub fn propose_handler(ctx: Context<ProposeAdmin>, new_admin: Pubkey) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    protocol.pending_admin = new_admin;
    emit_event!(AdminProposed {
        admin: protocol.admin,
        pending_admin: new_admin
    });
    Ok(())
}

/// Step two: the successor accepts, proving it holds the key.
#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    /// Signer: the proposed admin, who becomes the admin.
    pub pending_admin: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; its pending_admin must be the signer.
    #[account(mut, seeds = [seeds::PROTOCOL], bump = protocol.bump,
        has_one = pending_admin @ ZlError::NotPendingAdmin)]
    pub protocol: Account<'info, Protocol>,
}

pub fn accept_handler(ctx: Context<AcceptAdmin>) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    require!(
        protocol.pending_admin != Pubkey::default(),
        ZlError::NotPendingAdmin
    );
    let old_admin = protocol.admin;
    protocol.admin = protocol.pending_admin;
    protocol.pending_admin = Pubkey::default();
    protocol.invariant()?;
    emit_event!(AdminAccepted {
        old_admin,
        new_admin: protocol.admin
    });
    Ok(())
}
