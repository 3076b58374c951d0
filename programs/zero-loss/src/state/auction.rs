use anchor_lang::prelude::*;

use crate::engine::auction::Curve;
use crate::engine::fixed::Fp;
use crate::errors::ZlError;
use crate::state::{AuctionCurve, RiskParams};

/// Who owns an auction's collateral (and receives its leftovers). One byte
/// on the account; any other value fails to deserialize.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
#[borsh(use_discriminant = true)]
#[repr(u8)]
pub enum OwnerKind {
    /// A margin account's slice.
    Margin = 0,
    /// Protocol-owned collateral being unwound.
    Pol = 1,
}

/// A Dutch auction of one lot of collateral.
/// PDA `["auction", market, id (u64 LE)]`. Closed at settlement (rent to the
/// kicker).
#[account]
#[derive(InitSpace, Debug)]
pub struct Auction {
    pub version: u8,
    pub bump: u8,
    /// Restarts so far (0 = the first stage).
    pub stage: u8,
    pub owner_kind: OwnerKind,
    pub id: u64,
    pub market: Pubkey,
    /// The margin account (owner_kind MARGIN) or the market (POL).
    pub owner: Pubkey,
    /// Who kicked it: paid the rent, gets it back at settlement.
    pub kicker: Pubkey,
    /// Collateral left to sell, collateral native units.
    pub lot: u64,
    /// Debt units left to raise (principal + penalty).
    pub tab: u64,
    /// Of `tab`, principal still owed to the lenders.
    pub principal: u64,
    /// Starting price of the current stage, WAD debt units per collateral unit.
    pub top: u128,
    /// When the current stage began, unix seconds.
    pub stage_start: i64,
    pub created_at: i64,
    /// The lot and tab at kick time (for reports).
    pub initial_lot: u64,
    pub initial_tab: u64,
    /// Keeper rewards paid for this auction so far (kick and restarts), debt
    /// native units; together never more than its penalty.
    pub rewards_paid: u64,
    pub reserved: [u8; 60],
}

impl Auction {
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    pub fn top(&self) -> Fp {
        Fp(self.top)
    }

    pub fn elapsed(&self, now: i64) -> u64 {
        now.saturating_sub(self.stage_start).max(0) as u64
    }

    pub fn is_done(&self) -> bool {
        self.tab == 0 || self.lot == 0
    }

    pub fn invariant(&self) -> Result<()> {
        require!(self.principal <= self.tab, ZlError::InvariantViolated);
        require!(self.lot <= self.initial_lot, ZlError::InvariantViolated);
        Ok(())
    }
}

impl RiskParams {
    /// The market's auction curve.
    pub fn curve(&self) -> Curve {
        match self.auction_curve {
            AuctionCurve::Linear => Curve::Linear {
                tau_secs: self.auction_tau_secs as u64,
            },
            AuctionCurve::StepExp => Curve::StepExp {
                step_secs: self.auction_step_secs as u64,
                cut: Fp::from_bps(self.auction_cut_bps as u64),
            },
        }
    }
}

const _: () = assert!(Auction::SIZE == 256);
