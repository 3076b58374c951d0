use anchor_lang::prelude::*;

use crate::engine::health;
use crate::errors::ZlError;

/// A margin account's status, one byte: Active (0) or InAuction (1).
/// Any other value fails to deserialize.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
#[repr(u8)]
pub enum AccountStatus {
    /// No auction holds a slice of this account (byte 0).
    Active,
    /// At least one auction holds a slice of this account (byte 1).
    InAuction,
}

/// A health zone, one byte: Healthy (0), Buffer (1), Distressed (2), Emergency (3).
/// Ordered from safest to worst; judged on the EMA trigger LTV and, for Emergency, the held spot
/// LTV too. Stored on a margin account and in events; the engine's health::Zone converts to it.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    InitSpace,
)]
#[repr(u8)]
pub enum Zone {
    /// Trigger LTV at most liq_ltv (byte 0): may borrow and withdraw within max_ltv.
    Healthy,
    /// Trigger LTV above liq_ltv, at most distress_ltv = liq_ltv / (1 - buffer) (byte 1):
    /// partial liquidation allowed.
    Buffer,
    /// Trigger LTV above distress_ltv (byte 2): a slice goes to auction.
    Distressed,
    /// Held-spot or trigger LTV at or above full_ltv (byte 3): the whole position goes to auction.
    Emergency,
}

impl From<health::Zone> for Zone {
    fn from(z: health::Zone) -> Zone {
        match z {
            health::Zone::Healthy => Zone::Healthy,
            health::Zone::Buffer => Zone::Buffer,
            health::Zone::Distressed => Zone::Distressed,
            health::Zone::Emergency => Zone::Emergency,
        }
    }
}

/// A borrower's position in one market, one per (market, owner).
/// PDA ["margin", market, owner].
#[account]
#[derive(InitSpace, Debug)]
pub struct MarginAccount {
    /// Account layout version (ACCOUNT_VERSION, currently 1), written at creation.
    pub version: u8,
    /// Bump of this account's PDA.
    pub bump: u8,
    /// Active, or InAuction exactly while open_auctions is non-zero.
    pub status: AccountStatus,
    /// Health zone at the last check_health (informational; never trusted).
    pub last_zone: Zone,
    /// Number of open auctions holding a slice of this account.
    pub open_auctions: u16,
    /// The market this account belongs to.
    pub market: Pubkey,
    /// The owner: the only signer who may borrow, withdraw collateral or close it.
    pub owner: Pubkey,
    /// Collateral held, collateral-token base units (excludes slices in auctions).
    pub collateral: u64,
    /// Debt shares of the market's borrow index.
    /// Debt = shares x borrow_index, rounded up, in debt-token base units.
    pub debt_shares: u64,
    /// Trigger-price (EMA) LTV at the last check_health, basis points, rounded up.
    /// u32::MAX if it does not fit (e.g. debt against worthless collateral).
    pub last_ltv_bps: u32,
    /// When check_health last ran on this account, unix seconds (0 if never).
    pub last_health_ts: i64,
    /// Reserved for future fields (70 bytes, zero).
    pub reserved: [u8; 70],
}

impl MarginAccount {
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// `(collateral, debt_shares)`: what places the account in the market's
    /// underwater book (`Market::rebook`).
    pub fn position(&self) -> (u64, u64) {
        (self.collateral, self.debt_shares)
    }

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
