//! Share accounting: debt shares against the borrow index, and LP shares
//! against the pool's assets. Every conversion rounds toward the protocol:
//! what a user owes is rounded up, what a user receives is rounded down.

use super::error::MathError;
use super::fixed::{mul_div_floor, Fp};

/// The debt `shares` stand for at `index`, rounded up.
pub fn debt_of_ceil(shares: u128, index: Fp) -> Result<u128, MathError> {
    index.mul_int_ceil(shares)
}

/// Shares minted for borrowing `amount`, rounded up (the borrower owes at
/// least what was lent).
pub fn shares_for_borrow_ceil(amount: u128, index: Fp) -> Result<u128, MathError> {
    index.div_int_ceil(amount)
}

/// Shares a repayment of `amount` retires, rounded down (a repayment never
/// retires more debt than it pays).
pub fn shares_for_repay_floor(amount: u128, index: Fp) -> Result<u128, MathError> {
    index.div_int_floor(amount)
}

/// What the LPs own: `liquidity + debt - reserves owed to insurance`.
pub fn lp_assets(
    liquidity: u128,
    total_debt: u128,
    pending_reserves: u128,
) -> Result<u128, MathError> {
    liquidity
        .checked_add(total_debt)
        .ok_or(MathError::Overflow)?
        .checked_sub(pending_reserves)
        .ok_or(MathError::Underflow)
}

/// LP shares minted for depositing `amount`, rounded down. The first deposit
/// mints one share per unit. Errors when shares exist but the assets behind
/// them are gone (nothing can price a new share).
pub fn lp_shares_for_deposit_floor(
    amount: u128,
    assets: u128,
    supply: u128,
) -> Result<u128, MathError> {
    if supply == 0 {
        return Ok(amount);
    }
    mul_div_floor(amount, supply, assets)
}

/// Debt-asset units paid for burning `shares`, rounded down.
pub fn lp_amount_for_withdraw_floor(
    shares: u128,
    assets: u128,
    supply: u128,
) -> Result<u128, MathError> {
    mul_div_floor(shares, assets, supply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn debt_rounding_directions() {
        let idx = Fp::from_bps(15_000); // 1.5
        assert_eq!(shares_for_borrow_ceil(10, idx).unwrap(), 7); // 6.67 -> 7
        assert_eq!(shares_for_repay_floor(10, idx).unwrap(), 6); // 6.67 -> 6
        assert_eq!(debt_of_ceil(7, idx).unwrap(), 11); // 10.5 -> 11
    }

    #[test]
    fn lp_first_deposit_and_empty_pool() {
        assert_eq!(lp_shares_for_deposit_floor(500, 0, 0).unwrap(), 500);
        assert_eq!(
            lp_shares_for_deposit_floor(500, 0, 10),
            Err(MathError::DivisionByZero)
        );
        assert_eq!(lp_amount_for_withdraw_floor(10, 0, 10).unwrap(), 0);
    }

    proptest! {
        #[test]
        fn borrow_then_repay_never_profits(amount in 1u64..u64::MAX, idx in 1_000_000_000_000_000_000u128..100_000_000_000_000_000_000u128) {
            let index = Fp(idx);
            let shares = shares_for_borrow_ceil(amount as u128, index).unwrap();
            // Owed is at least what was borrowed.
            prop_assert!(debt_of_ceil(shares, index).unwrap() >= amount as u128);
            // Paying back the borrowed amount never retires more shares than minted.
            prop_assert!(shares_for_repay_floor(amount as u128, index).unwrap() <= shares);
        }

        #[test]
        fn deposit_then_withdraw_never_profits(
            amount in 1u64..u64::MAX / 2, assets in 1u64..u64::MAX / 2, supply in 1u64..u64::MAX / 2,
        ) {
            let shares = lp_shares_for_deposit_floor(amount as u128, assets as u128, supply as u128).unwrap();
            let back = lp_amount_for_withdraw_floor(
                shares, assets as u128 + amount as u128, supply as u128 + shares,
            ).unwrap();
            prop_assert!(back <= amount as u128);
        }

        #[test]
        fn share_price_never_falls_on_deposit(
            amount in 1u64..u64::MAX / 4, assets in 1u64..u64::MAX / 4, supply in 1u64..u64::MAX / 4,
        ) {
            let shares = lp_shares_for_deposit_floor(amount as u128, assets as u128, supply as u128).unwrap();
            // (assets + amount) / (supply + shares) >= assets / supply
            let lhs = (assets as u128 + amount as u128) * supply as u128;
            let rhs = assets as u128 * (supply as u128 + shares);
            prop_assert!(lhs >= rhs);
        }
    }
}
