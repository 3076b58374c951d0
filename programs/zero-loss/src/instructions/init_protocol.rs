use anchor_lang::prelude::*;

use crate::emit_event;

use crate::engine::pause::Credit;
use crate::errors::ZlError;
use crate::events::ProtocolInitialized;
use crate::state::{seeds, Protocol, ACCOUNT_VERSION, DEFAULT_PARAMS_DELAY_SECS};

/// Creates the protocol singleton; the signer becomes its admin. Only the
/// program's upgrade authority may sign it, so nobody can initialize the
/// protocol ahead of the deployer (the authority can then be handed to a
/// multisig, and the admin moved with `propose_admin`).
#[derive(Accounts)]
pub struct InitProtocol<'info> {
    /// Signer: the program's upgrade authority, which becomes the admin; pays the rent.
    #[account(mut)]
    pub admin: Signer<'info>,
    /// The protocol singleton to create, PDA ["protocol"].
    #[account(init, payer = admin, space = Protocol::SIZE, seeds = [seeds::PROTOCOL], bump)]
    pub protocol: Account<'info, Protocol>,
    /// The program's ProgramData account, whose upgrade authority must be the signer.
    /// The upgradeable loader's PDA of the program id.
    #[account(
        seeds = [crate::ID.as_ref()],
        bump,
        seeds::program = anchor_lang::solana_program::bpf_loader_upgradeable::ID,
        constraint = program_data.upgrade_authority_address == Some(admin.key())
            @ ZlError::NotUpgradeAuthority,
    )]
    pub program_data: Account<'info, ProgramData>,
    /// The System program.
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
    protocol.store_pause_credit(Credit::full(Clock::get()?.unix_timestamp));
    protocol.invariant()?;
    emit_event!(ProtocolInitialized {
        admin: protocol.admin
    });
    Ok(())
}
