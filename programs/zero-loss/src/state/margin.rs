use anchor_lang::prelude::*;

use crate::engine::health::Zone;
use crate::errors::ZlError;

/// A margin account's status. One byte; any other value fails to
/// deserialize.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
#[borsh(use_discriminant = true)]
#[repr(u8)]
pub enum AccountStatus {
    Active = 0,
    /// At least one auction holds a slice of this account.
    InAuction = 1,
}

/// A borrower's position in one market. PDA `["margin", market, owner]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct MarginAccount {
    pub version: u8,
    pub bump: u8,
    pub status: AccountStatus,
    /// Zone at the last health computation.
    pub last_zone: Zone,
    /// Auctions holding a slice of this account.
    pub open_auctions: u16,
    pub market: Pubkey,
    pub owner: Pubkey,
    /// Collateral held, collateral native units.
    pub collateral: u64,
    /// Debt shares against the market's borrow index.
    pub debt_shares: u64,
    /// Trigger-price LTV at the last health computation, bps (rounded up;
    /// `u32::MAX` for worthless collateral).
    pub last_ltv_bps: u32,
    /// When that computation ran, unix seconds.
    pub last_health_ts: i64,
    pub reserved: [u8; 70],
}

impl MarginAccount {
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    pub fn is_empty(&self) -> bool {
        self.collateral == 0 && self.debt_shares == 0 && self.open_auctions == 0
    }

    /// Whether the account owes the market anything: debt shares, or a
    /// slice held by an open auction.
    pub fn owes_something(&self) -> bool {
        self.debt_shares > 0 || self.open_auctions > 0
    }

    pub fn invariant(&self) -> Result<()> {
        let in_auction = self.open_auctions > 0;
        require!(
            (self.status == AccountStatus::InAuction) == in_auction,
            ZlError::InvariantViolated
        );
        Ok(())
    }
}

const _: () = assert!(MarginAccount::SIZE == 176);
