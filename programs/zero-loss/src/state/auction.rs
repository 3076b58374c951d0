use anchor_lang::prelude::*;

use crate::engine::auction::Curve;
use crate::engine::fixed::Fp;
use crate::errors::ZlError;
use crate::state::{AuctionCurve, RiskParams};

/// Who owns an auction's collateral and receives its leftovers, one byte.
/// Margin (0): a margin account's slice; Pol (1): protocol-owned collateral. Any other value fails
/// to deserialize.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
#[repr(u8)]
pub enum OwnerKind {
    /// A margin account's slice (byte 0).
    Margin,
    /// Protocol-owned collateral being sold (byte 1).
    Pol,
}

/// A Dutch auction of one lot of collateral.
/// Created by start_auction (a borrower's slice) or start_pol_auction (POL's collateral) and closed
/// by settle_auction, which returns its rent to the kicker. PDA ["auction", market, id as u64
/// little-endian].
#[account]
#[derive(InitSpace, Debug)]
pub struct Auction {
    /// Account layout version (ACCOUNT_VERSION, currently 1), written at creation.
    pub version: u8,
    /// Bump of this account's PDA.
    pub bump: u8,
    /// Restarts so far (0 = the first stage).
    pub stage: u8,
    /// Whose collateral is sold: a margin account's slice or POL's own.
    pub owner_kind: OwnerKind,
    /// The market's next_auction_id when this auction was created; its PDA seed.
    pub id: u64,
    /// The market this auction belongs to.
    pub market: Pubkey,
    /// The margin account (owner_kind Margin) or the market itself (owner_kind Pol).
    pub owner: Pubkey,
    /// Who created it and paid its rent; the rent returns to this key at settlement.
    pub kicker: Pubkey,
    /// Collateral left to sell, collateral-token base units.
    pub lot: u64,
    /// Debt left to raise (principal plus penalty), debt-token base units.
    pub tab: u64,
    /// Of `tab`, the principal still owed to the lenders, debt-token base units.
    pub principal: u64,
    /// Starting price of the current stage, 1e18 fixed point.
    /// Debt-token base units per collateral-token base unit.
    pub top: u128,
    /// When the current stage began, unix seconds.
    pub stage_start: i64,
    /// When the auction was created, unix seconds.
    pub created_at: i64,
    /// The lot at creation, collateral-token base units (for reports).
    pub initial_lot: u64,
    /// The tab at creation, debt-token base units; raised so far = initial_tab - tab.
    pub initial_tab: u64,
    /// Keeper rewards paid for this auction so far (kick and restarts), debt-token base units.
    /// Together never more than its penalty.
    pub rewards_paid: u64,
    /// The market's auction parameters at the kick, fixed for the auction's life: a later
    /// parameter change moves no open auction's curve, floor, restarts or dust rule.
    pub terms: AuctionTerms,
    /// Reserved for future fields (30 bytes, zero).
    pub reserved: [u8; 30],
}

/// An auction's terms, copied from the market's parameters at the kick (RiskParams::auction_terms);
/// each field is the RiskParams field of the same name with the auction_ prefix dropped.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct AuctionTerms {
    /// The price curve's shape within a stage.
    pub curve: AuctionCurve,
    /// Linear curve: seconds for the price to reach zero.
    pub tau_secs: u32,
    /// Stair-step curve: seconds per step.
    pub step_secs: u32,
    /// Stair-step curve: share of the price kept at each step, basis points.
    pub cut_bps: u16,
    /// A stage may be restarted once it is older than this, seconds.
    pub tail_secs: u32,
    /// A stage may be restarted once its price is below this share of its top, basis points.
    pub cusp_bps: u16,
    /// A stage's top over spot at its start, basis points.
    pub buf_bps: u16,
    /// The floor below the held spot price, basis points.
    pub max_discount_bps: u16,
    /// Stages a borrower's auction may run, the first included.
    pub max_stages: u8,
    /// The dust limit for the remaining tab, debt-token base units.
    pub min_position: u64,
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
    /// The terms an auction kicked now runs on.
    pub fn auction_terms(&self) -> AuctionTerms {
        AuctionTerms {
            curve: self.auction_curve,
            tau_secs: self.auction_tau_secs,
            step_secs: self.auction_step_secs,
            cut_bps: self.auction_cut_bps,
            tail_secs: self.auction_tail_secs,
            cusp_bps: self.auction_cusp_bps,
            buf_bps: self.auction_buf_bps,
            max_discount_bps: self.auction_max_discount_bps,
            max_stages: self.auction_max_stages,
            min_position: self.min_position,
        }
    }
}

impl AuctionTerms {
    /// The price curve.
    pub fn curve(&self) -> Curve {
        match self.curve {
            AuctionCurve::Linear => Curve::Linear {
                tau_secs: self.tau_secs as u64,
            },
            AuctionCurve::StepExp => Curve::StepExp {
                step_secs: self.step_secs as u64,
                cut: Fp::from_bps(self.cut_bps as u64),
            },
        }
    }

    /// A stage's top over spot.
    pub fn buf(&self) -> Fp {
        Fp::from_bps(self.buf_bps as u64)
    }

    /// The share of the held price the floor keeps: `1 - max_discount`.
    pub fn floor_keep(&self) -> Result<Fp> {
        Ok(Fp::ONE.checked_sub(Fp::from_bps(self.max_discount_bps as u64))?)
    }
}

const _: () = assert!(Auction::SIZE == 256);
