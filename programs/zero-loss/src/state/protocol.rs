use anchor_lang::prelude::*;

use crate::errors::ZlError;

/// Pause groups: each bit freezes one group of instructions.
pub mod pause {
    /// `lp_deposit`, `lp_withdraw`.
    pub const LP: u16 = 1 << 0;
    /// `open_margin_account`, `deposit_collateral`.
    pub const DEPOSIT: u16 = 1 << 1;
    /// `borrow`, `withdraw_collateral`.
    pub const BORROW: u16 = 1 << 2;
    /// `liquidate_partial`, `start_auction` (liquidation engine).
    pub const LIQUIDATION: u16 = 1 << 3;
    /// `bid`, `restart_auction`, `backstop`, `settle_auction`,
    /// `start_pol_auction`.
    pub const AUCTION: u16 = 1 << 4;
    /// `fund_insurance`, `fund_pol`, `withdraw_pol`.
    pub const TREASURY: u16 = 1 << 5;
    /// Every defined group. `repay`, `close_margin_account`,
    /// `refresh_market` and `check_health` are never pausable: a pause must
    /// not trap a borrower who wants to reduce risk.
    pub const ALL: u16 = LP | DEPOSIT | BORROW | LIQUIDATION | AUCTION | TREASURY;
}

/// The program's singleton: who administers it and what is paused.
/// PDA `["protocol"]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Protocol {
    pub version: u8,
    pub bump: u8,
    /// Bitset of [`pause`] groups currently paused.
    pub paused: u16,
    pub admin: Pubkey,
    /// Proposed next admin (two-step transfer); `Pubkey::default()` if none.
    pub pending_admin: Pubkey,
    pub reserved: [u8; 60],
}

impl Protocol {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    pub fn require_not_paused(&self, group: u16) -> Result<()> {
        require!(self.paused & group == 0, ZlError::Paused);
        Ok(())
    }

    pub fn require_admin(&self, signer: &Pubkey) -> Result<()> {
        require_keys_eq!(self.admin, *signer, ZlError::NotAdmin);
        Ok(())
    }

    pub fn invariant(&self) -> Result<()> {
        require!(self.paused & !pause::ALL == 0, ZlError::InvariantViolated);
        require!(self.admin != Pubkey::default(), ZlError::InvariantViolated);
        Ok(())
    }
}

const _: () = assert!(Protocol::SIZE == 136);
