//! The treasury's transitions: funding insurance and POL, POL's withdrawal,
//! and the sweep of reserves into insurance (docs/design.md, section 4.7).

use anchor_lang::prelude::*;

use super::{Moves, Party};
use crate::errors::ZlError;
use crate::math::SafeMath;
use crate::state::{Market, PolAsset, VaultKind};

/// Anyone adds `amount` of the debt asset to the insurance fund.
pub fn fund_insurance(market: &mut Market, amount: u64) -> Result<Moves> {
    require!(amount > 0, ZlError::ZeroAmount);
    market.insurance_amount.safe_add_assign(amount)?;
    Ok(Moves::default().with(
        Party::CallerDebt,
        Party::Vault(VaultKind::Insurance),
        amount,
    ))
}

/// The admin adds `amount` of the debt asset to POL, the auction backstop.
pub fn fund_pol(market: &mut Market, amount: u64) -> Result<Moves> {
    require!(amount > 0, ZlError::ZeroAmount);
    market.pol_debt_amount.safe_add_assign(amount)?;
    Ok(Moves::default().with(Party::CallerDebt, Party::Vault(VaultKind::PolDebt), amount))
}

/// The POL vault that holds `asset`.
pub fn pol_vault(asset: PolAsset) -> VaultKind {
    match asset {
        PolAsset::Debt => VaultKind::PolDebt,
        PolAsset::Collateral => VaultKind::PolCollateral,
    }
}

/// The admin takes `amount` of `asset` out of POL, to the caller's account
/// of that asset. Of POL's debt asset, what open borrower auctions can still
/// need stays: their outstanding principal, the most the waterfall can ask
/// of it (the rest may leave, so a small auction, or a restart, cannot lock
/// it all).
pub fn withdraw_pol(market: &mut Market, asset: PolAsset, amount: u64) -> Result<Moves> {
    require!(amount > 0, ZlError::ZeroAmount);
    let auction_debt = market.auction_debt;
    let (held, locked, to) = match asset {
        PolAsset::Debt => (&mut market.pol_debt_amount, auction_debt, Party::CallerDebt),
        PolAsset::Collateral => (
            &mut market.pol_collateral_amount,
            0,
            Party::CallerCollateral,
        ),
    };
    require!(amount <= *held, ZlError::InsufficientPol);
    require!(*held - amount >= locked, ZlError::PolLockedByAuctions);
    held.safe_sub_assign(amount)?;
    Ok(Moves::default().with(Party::Vault(pol_vault(asset)), to, amount))
}

/// Moves as much of the pending reserves as liquidity allows into the
/// insurance fund (`Market::take_reserve_sweep`); returns the moves and the
/// amount.
pub fn sweep_reserves(market: &mut Market) -> Result<(Moves, u64)> {
    let swept = market.take_reserve_sweep()?;
    let moves = Moves::default().with(
        Party::Vault(VaultKind::Liquidity),
        Party::Vault(VaultKind::Insurance),
        swept,
    );
    Ok((moves, swept))
}
