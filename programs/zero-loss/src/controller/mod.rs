//! The program's state transitions, each in one place, on the plain account
//! structs and validated prices (docs/design.md, section 4.7): the
//! liquidation path, and the lending and LP half.
//!
//! The handlers load and check accounts, read the clock and the oracles,
//! call one function here, apply the token [`Moves`] it returns and emit the
//! event built from its outcome. The pure model tests drive the same
//! functions, and the keeper asks them for its decisions, so what is tested
//! and what the keeper expects is what runs on chain.

pub mod auction;
pub mod lending;
pub mod liquidation;
pub mod lp;
#[cfg(test)]
mod model_tests;
pub mod treasury;

use crate::state::VaultKind;

/// One end of a token movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// A market vault (signed for by the market PDA).
    Vault(VaultKind),
    /// The caller's debt-asset token account (signed for by the caller).
    CallerDebt,
    /// The caller's collateral token account (signed for by the caller).
    CallerCollateral,
    /// The caller's LP-share token account (signed for by the caller).
    CallerShares,
    /// The market's LP mint: shares moved from it are minted (signed for by
    /// the market PDA), shares moved to it are burned.
    LpMint,
}

/// The two assets of a market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asset {
    Collateral,
    Debt,
    /// The market's LP shares.
    Shares,
}

impl Party {
    /// The asset this party holds.
    pub const fn asset(self) -> Asset {
        match self {
            Party::Vault(VaultKind::Collateral)
            | Party::Vault(VaultKind::PolCollateral)
            | Party::CallerCollateral => Asset::Collateral,
            Party::Vault(_) | Party::CallerDebt => Asset::Debt,
            Party::CallerShares | Party::LpMint => Asset::Shares,
        }
    }
}

/// A token movement a transition asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    pub from: Party,
    pub to: Party,
    pub amount: u64,
}

/// The token movements of one transition, in order (three at most).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Moves {
    items: [Option<Move>; 3],
}

impl Moves {
    /// Adds a movement; zero amounts are kept (the token layer skips them).
    fn push(&mut self, from: Party, to: Party, amount: u64) {
        debug_assert_eq!(from.asset(), to.asset(), "a move between assets");
        let slot = self.items.iter_mut().find(|m| m.is_none());
        *slot.expect("at most three moves per transition") = Some(Move { from, to, amount });
    }

    fn with(mut self, from: Party, to: Party, amount: u64) -> Moves {
        self.push(from, to, amount);
        self
    }

    pub fn iter(&self) -> impl Iterator<Item = &Move> {
        self.items.iter().flatten()
    }
}
