//! Oracle arithmetic: two USD feeds -> the collateral's price in debt units.
//!
//! A Pyth reading is `(price ± conf) * 10^expo` USD per whole token. The
//! engine's price is debt *native units* per collateral *native unit*, so
//! token decimals are folded in here once and nothing downstream cares.

use super::error::MathError;
use super::fixed::{mul_div_floor, pow10, Fp};

/// One reading of one feed (spot or EMA), as Pyth publishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
}

/// Why a reading could not become a price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceError {
    /// The price, or the price less `k * conf`, is not positive.
    NonPositive,
    /// The exponents and decimals put the price out of representable range.
    OutOfRange,
    Math(MathError),
}

impl From<MathError> for PriceError {
    fn from(e: MathError) -> Self {
        PriceError::Math(e)
    }
}

/// Largest `|expo|` difference accepted; Pyth feeds use -5..=-10.
const MAX_SCALE_EXP: i32 = 36;

/// `conf / price`, rounded up. Errors when the price is not positive.
pub fn conf_ratio_ceil(r: Reading) -> Result<Fp, PriceError> {
    if r.price <= 0 {
        return Err(PriceError::NonPositive);
    }
    Ok(Fp::ratio_ceil(r.conf as u128, r.price as u128)?)
}

/// `|a - b| / b`: the relative divergence of `a` from `b`, rounded up.
pub fn divergence_ceil(a: Fp, b: Fp) -> Result<Fp, MathError> {
    let diff = if a >= b { a.0 - b.0 } else { b.0 - a.0 };
    Fp::ratio_ceil(diff, b.0)
}

/// The collateral's price in debt native units per collateral native unit.
///
/// The collateral side is taken at `price - k * conf` and the debt side at
/// `price + k * conf` (`k` may be zero for the mid price); `k * conf` is
/// rounded up and the quotient rounded down, so every rounding lowers the
/// collateral's value: the conservative side for a lender.
pub fn collateral_in_debt(
    collateral: Reading,
    debt: Reading,
    k: Fp,
    collateral_decimals: u8,
    debt_decimals: u8,
) -> Result<Fp, PriceError> {
    if collateral.price <= 0 || debt.price <= 0 {
        return Err(PriceError::NonPositive);
    }
    let c_band = k.mul_int_ceil(collateral.conf as u128)?;
    let d_band = k.mul_int_ceil(debt.conf as u128)?;
    let c = (collateral.price as u128)
        .checked_sub(c_band)
        .filter(|v| *v > 0)
        .ok_or(PriceError::NonPositive)?;
    let d = (debt.price as u128)
        .checked_add(d_band)
        .ok_or(MathError::Overflow)?;

    // value = c/d * 10^(ce - de + dd - cd), as a WAD.
    let exp =
        18i32 + collateral.expo - debt.expo + debt_decimals as i32 - collateral_decimals as i32;
    if !(-MAX_SCALE_EXP..=MAX_SCALE_EXP).contains(&exp) {
        return Err(PriceError::OutOfRange);
    }
    let v = if exp >= 0 {
        mul_div_floor(c, pow10(exp as u32)?, d)?
    } else {
        let den = d
            .checked_mul(pow10((-exp) as u32)?)
            .ok_or(PriceError::OutOfRange)?;
        c / den
    };
    if v == 0 {
        // Below one WAD unit (1e-18 debt units per collateral unit): useless.
        return Err(PriceError::OutOfRange);
    }
    Ok(Fp(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(price: i64, conf: u64, expo: i32) -> Reading {
        Reading { price, conf, expo }
    }

    #[test]
    fn sol_usdc_price_in_native_units() {
        // SOL $150.00 (expo -8), USDC $1.00; SOL 9 decimals, USDC 6.
        let p = collateral_in_debt(
            r(150_0000_0000, 0, -8),
            r(1_0000_0000, 0, -8),
            Fp::ZERO,
            9,
            6,
        )
        .unwrap();
        // 1 lamport = 150e-9 USD = 0.15 micro-USDC (native units).
        assert_eq!(p, Fp::ratio_floor(15, 100).unwrap());
        // 1 SOL is worth 150 USDC = 150e6 native.
        assert_eq!(p.mul_int_floor(1_000_000_000).unwrap(), 150_000_000);
    }

    #[test]
    fn confidence_widens_against_the_collateral() {
        let mid = collateral_in_debt(r(100_000, 0, -3), r(1_000, 0, -3), Fp::ZERO, 6, 6).unwrap();
        let cons = collateral_in_debt(
            r(100_000, 1_000, -3),
            r(1_000, 10, -3),
            Fp::from_int(2).unwrap(),
            6,
            6,
        )
        .unwrap();
        // (100 - 2) / (1 + 0.02) = 96.078...
        assert!(cons < mid);
        assert_eq!(cons, Fp::ratio_floor(98_000, 1_020).unwrap());
    }

    #[test]
    fn rejects_non_positive_and_out_of_range() {
        assert_eq!(
            collateral_in_debt(r(0, 0, -8), r(1, 0, -8), Fp::ZERO, 6, 6),
            Err(PriceError::NonPositive)
        );
        assert_eq!(
            collateral_in_debt(r(100, 60, -8), r(1, 0, -8), Fp::from_int(2).unwrap(), 6, 6),
            Err(PriceError::NonPositive)
        );
        assert_eq!(
            collateral_in_debt(r(100, 0, 30), r(1, 0, -30), Fp::ZERO, 6, 6),
            Err(PriceError::OutOfRange)
        );
    }

    proptest! {
        #[test]
        fn conservative_never_above_mid(
            cp in 1i64..i64::MAX / 4, cc in 0u64..1_000_000, dp in 1i64..1_000_000_000_000, dc in 0u64..1_000_000,
            k in 0u64..50_000, ce in -10i32..=-4, de in -10i32..=-4, cd in 0u8..=9, dd in 0u8..=9,
        ) {
            let mid = collateral_in_debt(r(cp, 0, ce), r(dp, 0, de), Fp::ZERO, cd, dd);
            let cons = collateral_in_debt(r(cp, cc, ce), r(dp, dc, de), Fp::from_bps(k), cd, dd);
            if let (Ok(m), Ok(c)) = (mid, cons) {
                prop_assert!(c <= m);
            }
        }

        #[test]
        fn price_scales_with_collateral_price(cp in 1i64..1_000_000_000_000, dp in 1i64..1_000_000_000_000) {
            let a = collateral_in_debt(r(cp, 0, -8), r(dp, 0, -8), Fp::ZERO, 6, 6);
            let b = collateral_in_debt(r(cp.saturating_mul(2), 0, -8), r(dp, 0, -8), Fp::ZERO, 6, 6);
            if let (Ok(a), Ok(b)) = (a, b) {
                prop_assert!(b >= a);
            }
        }
    }
}
