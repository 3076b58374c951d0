//! Every PDA seed of the program, and client-side derivation helpers.

use anchor_lang::prelude::Pubkey;

pub const PROTOCOL: &[u8] = b"protocol";
pub const MARKET: &[u8] = b"market";
pub const MARGIN: &[u8] = b"margin";
pub const VAULT: &[u8] = b"vault";
pub const LP_MINT: &[u8] = b"lp_mint";
pub const AUCTION: &[u8] = b"auction";

/// The program's ProgramData account under the upgradeable loader (its
/// upgrade authority initializes the protocol).
pub fn program_data_address(program_id: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[program_id.as_ref()],
        &anchor_lang::solana_program::bpf_loader_upgradeable::ID,
    )
    .0
}

/// The five token vaults of a market, each a PDA `["vault", market, [kind]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum VaultKind {
    /// Borrowers' collateral (and collateral in auctions).
    Collateral = 0,
    /// LP deposits not lent out (debt asset).
    Liquidity = 1,
    /// The insurance fund (debt asset).
    Insurance = 2,
    /// Protocol-owned liquidity, debt asset.
    PolDebt = 3,
    /// Protocol-owned liquidity, collateral bought by the backstop.
    PolCollateral = 4,
}

impl VaultKind {
    pub const ALL: [VaultKind; 5] = [
        VaultKind::Collateral,
        VaultKind::Liquidity,
        VaultKind::Insurance,
        VaultKind::PolDebt,
        VaultKind::PolCollateral,
    ];

    pub fn seed(self) -> [u8; 1] {
        [self as u8]
    }
}

pub fn protocol_address(program_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[PROTOCOL], program_id)
}

pub fn market_address(
    program_id: &Pubkey,
    collateral_mint: &Pubkey,
    debt_mint: &Pubkey,
) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[MARKET, collateral_mint.as_ref(), debt_mint.as_ref()],
        program_id,
    )
}

pub fn vault_address(program_id: &Pubkey, market: &Pubkey, kind: VaultKind) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[VAULT, market.as_ref(), &kind.seed()], program_id)
}

pub fn lp_mint_address(program_id: &Pubkey, market: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[LP_MINT, market.as_ref()], program_id)
}

pub fn margin_address(program_id: &Pubkey, market: &Pubkey, owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[MARGIN, market.as_ref(), owner.as_ref()], program_id)
}

pub fn auction_address(program_id: &Pubkey, market: &Pubkey, id: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[AUCTION, market.as_ref(), &id.to_le_bytes()], program_id)
}
