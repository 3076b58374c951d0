//! The lending half's transitions: collateral in and out, borrowing and
//! repaying (docs/design.md, section 4.7). Each books the market and the
//! account and returns its token moves; the handler applies them.
//!
//! A transition that needs prices on some paths only takes a loader
//! (`prices`) and calls it there, after accruing interest: the rule for
//! when prices are read lives with the rule that reads them.

use anchor_lang::prelude::*;

use super::{Moves, Party};
use crate::engine::fixed::Fp;
use crate::engine::shares;
use crate::errors::ZlError;
use crate::math::{to_u64, SafeMath};
use crate::oracle::MarketPrices;
use crate::risk;
use crate::state::{MarginAccount, Market, VaultKind};

/// Deposits `amount` of collateral into `account`. Past the collateral cap
/// only an indebted account may, and only by what brings it back to the
/// target LTV on the conservative price (`risk::collateral_for_target`,
/// on the prices `prices` loads, then only): a whale at the cap cannot stop
/// a distressed borrower topping up, nor can a small debt open the cap.
pub fn deposit(
    market: &mut Market,
    account: &mut MarginAccount,
    amount: u64,
    now: i64,
    prices: impl FnOnce(&mut Market) -> Result<MarketPrices>,
) -> Result<Moves> {
    require!(amount > 0, ZlError::ZeroAmount);
    let total = market.total_collateral.safe_add(amount)?;
    if total > market.params.collateral_cap {
        require!(account.debt_shares > 0, ZlError::CollateralCapExceeded);
        market.accrue_interest(now)?;
        let prices = prices(market)?;
        let room = risk::collateral_for_target(market, account.debt_shares, &prices)?;
        require!(
            account.collateral.safe_add(amount)? <= room,
            ZlError::CollateralCapExceeded
        );
    }
    market.total_collateral = total;
    let collateral = account.collateral.safe_add(amount)?;
    market.set_position(account, collateral, account.debt_shares)?;
    account.invariant()?;
    Ok(Moves::default().with(
        Party::CallerCollateral,
        Party::Vault(VaultKind::Collateral),
        amount,
    ))
}

/// Withdraws `amount` of `account`'s collateral. No auction may hold a
/// slice of it. With debt, the market's breaker must be clear (stored and
/// on the current reading) and the account must end within the borrow
/// limit and healthy on the prices `prices` loads; a debt-free account
/// risks nothing and reads none.
pub fn withdraw(
    market: &mut Market,
    account: &mut MarginAccount,
    amount: u64,
    now: i64,
    prices: impl FnOnce(&mut Market) -> Result<MarketPrices>,
) -> Result<Moves> {
    require!(amount > 0, ZlError::ZeroAmount);
    require!(account.open_auctions == 0, ZlError::AccountInAuction);
    require!(
        amount <= account.collateral,
        ZlError::InsufficientCollateral
    );
    let remaining = account.collateral.safe_sub(amount)?;
    if account.debt_shares > 0 {
        market.require_breaker_clear()?;
        market.accrue_interest(now)?;
        let prices = prices(market)?;
        risk::require_breaker_clear_now(market, &prices)?;
        risk::require_opening_risk_ok(market, remaining, account.debt_shares, &prices)?;
    }
    market.set_position(account, remaining, account.debt_shares)?;
    market.total_collateral.safe_sub_assign(amount)?;
    account.invariant()?;
    market.invariant()?;
    Ok(Moves::default().with(
        Party::Vault(VaultKind::Collateral),
        Party::CallerCollateral,
        amount,
    ))
}

/// What a borrow left: the account's debt (rounded up) and its LTV on the
/// conservative price.
#[derive(Clone, Copy, Debug)]
pub struct Borrowed {
    pub debt: u64,
    pub ltv: Fp,
}

/// Lends `amount` to `account`: at most the free liquidity
/// (`Market::free_liquidity`), within the borrow cap, the borrow limit and
/// the dust rule, healthy after, with the breaker clear; debt shares
/// rounded up (the borrower owes at least `amount`).
pub fn borrow(
    market: &mut Market,
    account: &mut MarginAccount,
    amount: u64,
    now: i64,
    prices: impl FnOnce(&mut Market) -> Result<MarketPrices>,
) -> Result<(Moves, Borrowed)> {
    require!(amount > 0, ZlError::ZeroAmount);
    market.require_breaker_clear()?;
    require!(account.open_auctions == 0, ZlError::AccountInAuction);
    market.accrue_interest(now)?;
    let prices = prices(market)?;
    risk::require_breaker_clear_now(market, &prices)?;
    require!(
        amount <= market.free_liquidity(),
        ZlError::InsufficientLiquidity
    );
    let new_shares = to_u64(shares::shares_for_borrow_ceil(
        amount as u128,
        market.index(),
    )?)?;
    let account_shares = account.debt_shares.safe_add(new_shares)?;
    market.total_debt_shares.safe_add_assign(new_shares)?;
    require!(
        market.total_debt()? <= market.params.borrow_cap,
        ZlError::BorrowCapExceeded
    );
    let opening =
        risk::require_opening_risk_ok(market, account.collateral, account_shares, &prices)?;
    market.require_not_dust(opening.debt)?;
    market.set_position(account, account.collateral, account_shares)?;
    market.liquidity_amount.safe_sub_assign(amount)?;
    account.invariant()?;
    market.invariant()?;
    let moves = Moves::default().with(
        Party::Vault(VaultKind::Liquidity),
        Party::CallerDebt,
        amount,
    );
    Ok((
        moves,
        Borrowed {
            debt: opening.debt,
            ltv: opening.ltv,
        },
    ))
}

/// What a repayment did: the amount charged and the debt left.
#[derive(Clone, Copy, Debug)]
pub struct Repaid {
    pub paid: u64,
    pub remaining: u64,
}

/// Repays up to `amount` of `account`'s debt (anyone may): all of it when
/// `amount` covers it, else whole shares, charged at their value rounded up
/// and never above `amount` (`Market::retire_debt`); what is left is zero or
/// at least the dust limit.
pub fn repay(
    market: &mut Market,
    account: &mut MarginAccount,
    amount: u64,
    now: i64,
) -> Result<(Moves, Repaid)> {
    require!(amount > 0, ZlError::ZeroAmount);
    market.accrue_interest(now)?;
    require!(account.debt_shares > 0, ZlError::NothingToRepay);
    let debt = market.debt_of(account.debt_shares)?;
    let (retired, paid) = market.retire_debt(account.debt_shares, amount)?;
    market.require_not_dust(debt.safe_sub(paid)?)?;
    let shares_left = account.debt_shares.safe_sub(retired)?;
    market.set_position(account, account.collateral, shares_left)?;
    account.invariant()?;
    market.invariant()?;
    let remaining = market.debt_of(account.debt_shares)?;
    let moves = Moves::default().with(Party::CallerDebt, Party::Vault(VaultKind::Liquidity), paid);
    Ok((moves, Repaid { paid, remaining }))
}
