//! Borrow interest: a kinked utilization curve and a borrow index.
//!
//! Debt is held as shares of a growing index: `debt = shares * index`. Each
//! accrual multiplies the index by `1 + apr * dt / YEAR` (simple interest
//! over the interval, compounded per accrual, as Compound and Aave do). A
//! reserve factor of the interest is set aside for the insurance fund.

use super::error::MathError;
use super::fixed::Fp;
use super::shares::debt_of_ceil;

/// Seconds in a 365-day year.
pub const SECONDS_PER_YEAR: u128 = 31_536_000;

/// The kinked rate curve (annual rates as fractions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateModel {
    /// APR at zero utilization.
    pub base: Fp,
    /// APR added from zero utilization to the kink.
    pub slope1: Fp,
    /// APR added from the kink to full utilization.
    pub slope2: Fp,
    /// Utilization at the kink, strictly between 0 and 1.
    pub kink: Fp,
}

/// `debt / (liquidity + debt)`, rounded up (a higher rate is the lenders'
/// side); zero when both are zero.
pub fn utilization(debt: u128, liquidity: u128) -> Result<Fp, MathError> {
    let total = debt.checked_add(liquidity).ok_or(MathError::Overflow)?;
    if total == 0 {
        return Ok(Fp::ZERO);
    }
    Fp::ratio_ceil(debt, total)
}

/// The borrow APR at utilization `u`, rounded up.
pub fn borrow_apr(m: &RateModel, u: Fp) -> Result<Fp, MathError> {
    let u = u.min(Fp::ONE);
    if u <= m.kink {
        m.base.checked_add(m.slope1.mul_ceil(u)?.div_ceil(m.kink)?)
    } else {
        let over = u.checked_sub(m.kink)?;
        let span = Fp::ONE.checked_sub(m.kink)?;
        m.base
            .checked_add(m.slope1)?
            .checked_add(m.slope2.mul_ceil(over)?.div_ceil(span)?)
    }
}

/// The outcome of one accrual.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accrual {
    pub index: Fp,
    /// Growth of the total debt over the interval (debt units).
    pub interest: u128,
    /// The part of `interest` owed to the insurance fund.
    pub reserve: u128,
}

/// Accrues `dt` seconds of interest on `total_shares` of debt.
pub fn accrue(
    m: &RateModel,
    index: Fp,
    total_shares: u128,
    liquidity: u128,
    dt: u64,
    reserve_factor: Fp,
) -> Result<Accrual, MathError> {
    let debt_before = debt_of_ceil(total_shares, index)?;
    if dt == 0 || total_shares == 0 {
        return Ok(Accrual {
            index,
            interest: 0,
            reserve: 0,
        });
    }
    let apr = borrow_apr(m, utilization(debt_before, liquidity)?)?;
    // growth = apr * dt / YEAR, rounded up: interest accrues in the
    // lenders' favour.
    let growth = Fp(super::fixed::mul_div_ceil(
        apr.0,
        dt as u128,
        SECONDS_PER_YEAR,
    )?);
    let index_after = index.mul_ceil(Fp::ONE.checked_add(growth)?)?;
    let debt_after = debt_of_ceil(total_shares, index_after)?;
    let interest = debt_after
        .checked_sub(debt_before)
        .ok_or(MathError::Underflow)?;
    // The reserve is rounded down: what the lenders are owed is not cut.
    let reserve = reserve_factor.mul_int_floor(interest)?;
    Ok(Accrual {
        index: index_after,
        interest,
        reserve,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn model() -> RateModel {
        RateModel {
            base: Fp::from_bps(100),
            slope1: Fp::from_bps(400),
            slope2: Fp::from_bps(6_000),
            kink: Fp::from_bps(8_000),
        }
    }

    #[test]
    fn curve_points() {
        let m = model();
        assert_eq!(borrow_apr(&m, Fp::ZERO).unwrap(), Fp::from_bps(100));
        assert_eq!(
            borrow_apr(&m, Fp::from_bps(4_000)).unwrap(),
            Fp::from_bps(300)
        );
        assert_eq!(
            borrow_apr(&m, Fp::from_bps(8_000)).unwrap(),
            Fp::from_bps(500)
        );
        assert_eq!(
            borrow_apr(&m, Fp::from_bps(9_000)).unwrap(),
            Fp::from_bps(3_500)
        );
        assert_eq!(borrow_apr(&m, Fp::ONE).unwrap(), Fp::from_bps(6_500));
    }

    #[test]
    fn a_year_at_the_kink() {
        // 800 borrowed of 1000: 80% utilization, 5% APR for a year.
        let a = accrue(
            &model(),
            Fp::ONE,
            800_000_000,
            200_000_000,
            SECONDS_PER_YEAR as u64,
            Fp::from_bps(1_000),
        )
        .unwrap();
        assert_eq!(a.interest, 40_000_000);
        assert_eq!(a.reserve, 4_000_000);
        assert_eq!(a.index, Fp::from_bps(10_500));
    }

    #[test]
    fn nothing_accrues_without_time_or_debt() {
        let a = accrue(&model(), Fp::ONE, 0, 5, 100, Fp::ZERO).unwrap();
        assert_eq!((a.index, a.interest), (Fp::ONE, 0));
        let b = accrue(&model(), Fp::ONE, 5, 5, 0, Fp::ZERO).unwrap();
        assert_eq!((b.index, b.interest), (Fp::ONE, 0));
    }

    proptest! {
        #[test]
        fn apr_is_monotone(a in 0u64..=10_000, b in 0u64..=10_000) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let m = model();
            prop_assert!(borrow_apr(&m, Fp::from_bps(lo)).unwrap() <= borrow_apr(&m, Fp::from_bps(hi)).unwrap());
        }

        #[test]
        fn index_never_falls_and_reserve_within_interest(
            shares in 1u64..u64::MAX / 4, liq in 0u64..u64::MAX / 4, dt in 0u64..10 * SECONDS_PER_YEAR as u64, rf in 0u64..=5_000,
        ) {
            let a = accrue(&model(), Fp::ONE, shares as u128, liq as u128, dt, Fp::from_bps(rf)).unwrap();
            prop_assert!(a.index >= Fp::ONE);
            prop_assert!(a.reserve <= a.interest);
        }

        #[test]
        fn split_accrual_is_not_below_one_shot(shares in 1u64..1u64 << 50, dt1 in 1u64..1_000_000, dt2 in 1u64..1_000_000) {
            // Compounding per accrual: two steps never yield less than one.
            let m = model();
            let one = accrue(&m, Fp::ONE, shares as u128, 0, dt1 + dt2, Fp::ZERO).unwrap();
            let a = accrue(&m, Fp::ONE, shares as u128, 0, dt1, Fp::ZERO).unwrap();
            let b = accrue(&m, a.index, shares as u128, 0, dt2, Fp::ZERO).unwrap();
            prop_assert!(b.index >= one.index);
        }
    }
}
