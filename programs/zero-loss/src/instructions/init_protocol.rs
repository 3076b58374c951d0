use anchor_lang::prelude::*;

use crate::emit_event;

use crate::errors::ZlError;
use crate::events::ProtocolInitialized;
use crate::state::{seeds, Protocol, ACCOUNT_VERSION, DEFAULT_PARAMS_DELAY_SECS};

/// Creates the protocol singleton; the signer becomes its admin. Only the
/// program's upgrade authority may sign it, so nobody can initialize the
/// protocol ahead of the deployer (the authority can then be handed to a
/// multisig, and the admin moved with `propose_admin`).
#[derive(Accounts)]
pub struct InitProtocol<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(init, payer = admin, space = Protocol::SIZE, seeds = [seeds::PROTOCOL], bump)]
    pub protocol: Account<'info, Protocol>,
    /// The program's ProgramData account (upgradeable loader, at its PDA of
    /// the program id): its upgrade authority must be the signer.
    #[account(
        seeds = [crate::ID.as_ref()],
        bump,
        seeds::program = anchor_lang::solana_program::bpf_loader_upgradeable::ID,
        constraint = program_data.upgrade_authority_address == Some(admin.key())
            @ ZlError::NotUpgradeAuthority,
    )]
    pub program_data: Account<'info, ProgramData>,
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
