//! Unsigned fixed-point arithmetic with explicit rounding.
//!
//! [`Fp`] is a WAD: a `u128` scaled by 10^18. Every operation that can lose
//! precision names its rounding direction (`_floor` / `_ceil`), so the call
//! site shows who the rounding favours. Products are formed in 256 bits, so
//! `a * b / c` is exact before the final rounding and only overflows when the
//! *result* does not fit in 128 bits.

use super::error::MathError;

/// 10^18: the WAD scale.
pub const WAD: u128 = 1_000_000_000_000_000_000;
/// Basis points in one.
pub const BPS: u128 = 10_000;

/// A non-negative fixed-point number with 18 decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fp(pub u128);

impl Fp {
    pub const ZERO: Fp = Fp(0);
    pub const ONE: Fp = Fp(WAD);

    /// The raw scaled value.
    pub const fn raw(self) -> u128 {
        self.0
    }

    /// An integer `n` as a fixed-point number.
    pub fn from_int(n: u128) -> Result<Fp, MathError> {
        n.checked_mul(WAD).map(Fp).ok_or(MathError::Overflow)
    }

    /// `bps / 10_000` (exact).
    pub const fn from_bps(bps: u64) -> Fp {
        // 10^18 / 10^4 = 10^14; u64::MAX * 10^14 < u128::MAX.
        Fp(bps as u128 * (WAD / BPS))
    }

    /// `num / den`, rounded down.
    pub fn ratio_floor(num: u128, den: u128) -> Result<Fp, MathError> {
        mul_div_floor(num, WAD, den).map(Fp)
    }

    /// `num / den`, rounded up.
    pub fn ratio_ceil(num: u128, den: u128) -> Result<Fp, MathError> {
        mul_div_ceil(num, WAD, den).map(Fp)
    }

    pub fn checked_add(self, o: Fp) -> Result<Fp, MathError> {
        self.0.checked_add(o.0).map(Fp).ok_or(MathError::Overflow)
    }

    pub fn checked_sub(self, o: Fp) -> Result<Fp, MathError> {
        self.0.checked_sub(o.0).map(Fp).ok_or(MathError::Underflow)
    }

    pub fn saturating_sub(self, o: Fp) -> Fp {
        Fp(self.0.saturating_sub(o.0))
    }

    pub fn mul_floor(self, o: Fp) -> Result<Fp, MathError> {
        mul_div_floor(self.0, o.0, WAD).map(Fp)
    }

    pub fn mul_ceil(self, o: Fp) -> Result<Fp, MathError> {
        mul_div_ceil(self.0, o.0, WAD).map(Fp)
    }

    pub fn div_floor(self, o: Fp) -> Result<Fp, MathError> {
        mul_div_floor(self.0, WAD, o.0).map(Fp)
    }

    pub fn div_ceil(self, o: Fp) -> Result<Fp, MathError> {
        mul_div_ceil(self.0, WAD, o.0).map(Fp)
    }

    /// `amount * self`, as an integer, rounded down.
    pub fn mul_int_floor(self, amount: u128) -> Result<u128, MathError> {
        mul_div_floor(amount, self.0, WAD)
    }

    /// `amount * self`, as an integer, rounded up.
    pub fn mul_int_ceil(self, amount: u128) -> Result<u128, MathError> {
        mul_div_ceil(amount, self.0, WAD)
    }

    /// `amount / self`, as an integer, rounded down.
    pub fn div_int_floor(self, amount: u128) -> Result<u128, MathError> {
        mul_div_floor(amount, WAD, self.0)
    }

    /// `amount / self`, as an integer, rounded up.
    pub fn div_int_ceil(self, amount: u128) -> Result<u128, MathError> {
        mul_div_ceil(amount, WAD, self.0)
    }

    /// Square root, rounded down.
    pub fn sqrt_floor(self) -> Result<Fp, MathError> {
        // sqrt(x / 1e18) * 1e18 = sqrt(x * 1e18) = sqrt(x) * 1e9.
        match self.0.checked_mul(WAD) {
            Some(n) => Ok(Fp(isqrt_u128(n))),
            // Large x: sqrt(x) * 1e9 is floor-exact to within 1e9 units of
            // 1e-18, far below anything the engine resolves.
            None => Ok(Fp(isqrt_u128(self.0) * 1_000_000_000)),
        }
    }

    pub fn min(self, o: Fp) -> Fp {
        if self <= o {
            self
        } else {
            o
        }
    }

    pub fn max(self, o: Fp) -> Fp {
        if self >= o {
            self
        } else {
            o
        }
    }

    /// Value in basis points, rounded up (for reporting and comparisons that
    /// must not understate a risk figure).
    pub fn to_bps_ceil(self) -> Result<u64, MathError> {
        let v = mul_div_ceil(self.0, BPS, WAD)?;
        u64::try_from(v).map_err(|_| MathError::Overflow)
    }
}

/// Narrows a `u128` to `u64` with a typed error.
pub fn to_u64(v: u128) -> Result<u64, MathError> {
    u64::try_from(v).map_err(|_| MathError::Overflow)
}

/// `a * b` as a 256-bit number `(hi, lo)`.
pub fn wide_mul(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & MASK);
    let (b_hi, b_lo) = (b >> 64, b & MASK);
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    let (mid, mid_carry) = lh.overflowing_add(hl);
    let (lo, lo_carry) = ll.overflowing_add(mid << 64);
    let hi = hh + (mid >> 64) + ((mid_carry as u128) << 64) + lo_carry as u128;
    (hi, lo)
}

/// `(hi:lo) / d` for 64-bit halves with `hi < d`: one step of long division
/// by a 64-bit divisor using only 64-bit hardware division (Hacker's Delight,
/// `divlu`). On SBF, 128-bit division is a slow software loop; this is not.
fn divlu(hi: u64, lo: u64, d: u64) -> (u64, u64) {
    debug_assert!(hi < d);
    const B: u64 = 1 << 32;
    let s = d.leading_zeros();
    let v = d << s;
    let (vn1, vn0) = (v >> 32, v & (B - 1));
    let un32 = if s == 0 {
        hi
    } else {
        (hi << s) | (lo >> (64 - s))
    };
    let un10 = lo << s;
    let (un1, un0) = (un10 >> 32, un10 & (B - 1));
    let mut q1 = un32 / vn1;
    let mut rhat = un32 - q1 * vn1;
    while q1 >= B || q1 * vn0 > (rhat << 32) + un1 {
        q1 -= 1;
        rhat += vn1;
        if rhat >= B {
            break;
        }
    }
    let un21 = (un32 << 32)
        .wrapping_add(un1)
        .wrapping_sub(q1.wrapping_mul(v));
    let mut q0 = un21 / vn1;
    rhat = un21 - q0 * vn1;
    while q0 >= B || q0 * vn0 > (rhat << 32) + un0 {
        q0 -= 1;
        rhat += vn1;
        if rhat >= B {
            break;
        }
    }
    let r = (un21 << 32)
        .wrapping_add(un0)
        .wrapping_sub(q0.wrapping_mul(v))
        >> s;
    ((q1 << 32) | q0, r)
}

/// `n / d` and `n % d` for `d` that fits in 64 bits, from 64-bit divisions.
fn div_rem_by_u64(n: u128, d: u64) -> (u128, u64) {
    let (hi, lo) = ((n >> 64) as u64, n as u64);
    let (qh, r) = (hi / d, hi % d);
    let (ql, r) = divlu(r, lo, d);
    (((qh as u128) << 64) | ql as u128, r)
}

/// `n / d` and `n % d`, avoiding 128-bit division when `d` fits in 64 bits
/// (almost always here: WAD, prices, values).
pub fn div_rem(n: u128, d: u128) -> Result<(u128, u128), MathError> {
    if d == 0 {
        return Err(MathError::DivisionByZero);
    }
    if d >> 64 == 0 {
        if n >> 64 == 0 {
            let (n, d) = (n as u64, d as u64);
            return Ok(((n / d) as u128, (n % d) as u128));
        }
        let (q, r) = div_rem_by_u64(n, d as u64);
        return Ok((q, r as u128));
    }
    Ok((n / d, n % d))
}

/// `(hi, lo) / d` for a 256-bit dividend; returns `(quotient, remainder)`.
/// Errors when the quotient does not fit in 128 bits or `d == 0`.
fn wide_div(hi: u128, lo: u128, d: u128) -> Result<(u128, u128), MathError> {
    if d == 0 {
        return Err(MathError::DivisionByZero);
    }
    if hi == 0 {
        return div_rem(lo, d);
    }
    if hi >= d {
        return Err(MathError::Overflow);
    }
    if d >> 64 == 0 {
        // hi < d < 2^64: the top limb is zero; three steps of `divlu`.
        let d = d as u64;
        let (q2, r) = divlu(0, hi as u64, d);
        let (q1, r) = divlu(r, (lo >> 64) as u64, d);
        let (q0, r) = divlu(r, lo as u64, d);
        debug_assert_eq!(q2, 0);
        return Ok((((q1 as u128) << 64) | q0 as u128, r as u128));
    }
    // Restoring long division, one bit at a time (divisors above 2^64 only).
    // `rem < d` holds throughout, so `rem << 1 | bit` fits in 129 bits: track
    // the carried-out bit apart.
    let mut rem = hi;
    let mut q: u128 = 0;
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            q |= 1;
        }
    }
    Ok((q, rem))
}

/// `a * b / d`, rounded down.
pub fn mul_div_floor(a: u128, b: u128, d: u128) -> Result<u128, MathError> {
    if let Some(p) = a.checked_mul(b) {
        return div_rem(p, d).map(|(q, _)| q);
    }
    let (hi, lo) = wide_mul(a, b);
    wide_div(hi, lo, d).map(|(q, _)| q)
}

/// `a * b / d`, rounded up.
pub fn mul_div_ceil(a: u128, b: u128, d: u128) -> Result<u128, MathError> {
    if d == 0 {
        return Err(MathError::DivisionByZero);
    }
    let (q, r) = match a.checked_mul(b) {
        Some(p) => div_rem(p, d)?,
        None => {
            let (hi, lo) = wide_mul(a, b);
            wide_div(hi, lo, d)?
        }
    };
    if r == 0 {
        Ok(q)
    } else {
        q.checked_add(1).ok_or(MathError::Overflow)
    }
}

/// Integer square root of a `u128`, rounded down: Newton's iteration from
/// a power-of-two guess above the root, a handful of divisions.
pub fn isqrt_u128(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let bits = 128 - n.leading_zeros();
    let mut x = 1u128 << bits.div_ceil(2);
    loop {
        // x >= sqrt(n) throughout; the iteration decreases until it stops.
        let (q, _) = div_rem(n, x).unwrap_or((0, 0));
        let y = (x + q) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// `10^exp` as a `u128`.
pub fn pow10(exp: u32) -> Result<u128, MathError> {
    10u128.checked_pow(exp).ok_or(MathError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wad_basics() {
        let half = Fp::ratio_floor(1, 2).unwrap();
        assert_eq!(half, Fp(WAD / 2));
        assert_eq!(Fp::from_bps(2_500), Fp(WAD / 4));
        assert_eq!(Fp::ONE.mul_floor(half).unwrap(), half);
        assert_eq!(
            Fp::from_int(9).unwrap().sqrt_floor().unwrap(),
            Fp::from_int(3).unwrap()
        );
        assert_eq!(Fp::ratio_floor(1, 3).unwrap().0, 333_333_333_333_333_333);
        assert_eq!(Fp::ratio_ceil(1, 3).unwrap().0, 333_333_333_333_333_334);
    }

    #[test]
    fn division_by_zero_is_typed() {
        assert_eq!(mul_div_floor(1, 1, 0), Err(MathError::DivisionByZero));
        assert_eq!(
            mul_div_ceil(u128::MAX, u128::MAX, 0),
            Err(MathError::DivisionByZero)
        );
        assert_eq!(Fp::ONE.div_floor(Fp::ZERO), Err(MathError::DivisionByZero));
    }

    #[test]
    fn wide_products_divide_exactly() {
        // (2^127) * 6 / 3 = 2^128 overflows; (2^127) * 6 / 12 = 2^126.
        assert_eq!(mul_div_floor(1 << 127, 6, 3), Err(MathError::Overflow));
        assert_eq!(mul_div_floor(1 << 127, 6, 12), Ok(1 << 126));
        assert_eq!(
            mul_div_floor(u128::MAX, u128::MAX, u128::MAX),
            Ok(u128::MAX)
        );
        assert_eq!(mul_div_ceil(u128::MAX, 3, 4), Ok(u128::MAX / 4 * 3 + 3));
    }

    #[test]
    fn sqrt_of_large_values() {
        assert_eq!(isqrt_u128(u128::MAX), u64::MAX as u128);
        let r = Fp(u128::MAX).sqrt_floor().unwrap().0;
        assert_eq!(r, u64::MAX as u128 * 1_000_000_000);
        assert_eq!(Fp::from_bps(100).sqrt_floor().unwrap(), Fp::from_bps(1_000));
    }

    proptest! {
        #[test]
        fn mul_div_matches_reference_when_small(a in 0u128..(1u128 << 64), b in 0u128..(1u128 << 64), d in 1u128..u128::MAX) {
            let p = a * b;
            prop_assert_eq!(mul_div_floor(a, b, d).unwrap(), p / d);
            prop_assert_eq!(mul_div_ceil(a, b, d).unwrap(), p.div_ceil(d));
        }

        #[test]
        fn wide_mul_div_roundtrip(a in any::<u128>(), b in 1u128..u128::MAX) {
            // a * b / b == a for every a, b: exercises the 256-bit path.
            prop_assert_eq!(mul_div_floor(a, b, b).unwrap(), a);
            prop_assert_eq!(mul_div_ceil(a, b, b).unwrap(), a);
        }

        #[test]
        fn floor_le_ceil_and_differ_by_at_most_one(a in any::<u128>(), b in any::<u64>(), d in 1u128..u128::MAX) {
            let f = mul_div_floor(a, b as u128, d);
            let c = mul_div_ceil(a, b as u128, d);
            if let (Ok(f), Ok(c)) = (f, c) {
                prop_assert!(f <= c && c - f <= 1);
            }
        }

        #[test]
        fn isqrt_is_floor(x in any::<u128>()) {
            let r = isqrt_u128(x);
            prop_assert!(r * r <= x);
            prop_assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > x));
        }

        #[test]
        fn fp_sqrt_is_floor_where_exact(x in 0u128..(u128::MAX / WAD)) {
            let r = Fp(x).sqrt_floor().unwrap().0;
            let n = wide_mul(x, WAD);
            prop_assert!(wide_mul(r, r) <= n);
            prop_assert!(wide_mul(r + 1, r + 1) > n);
        }

        #[test]
        fn div_rem_matches_native(n in any::<u128>(), d in 1u128..u128::MAX, small in 1u64..u64::MAX) {
            prop_assert_eq!(div_rem(n, d).unwrap(), (n / d, n % d));
            let s = small as u128;
            prop_assert_eq!(div_rem(n, s).unwrap(), (n / s, n % s));
        }

        #[test]
        fn divlu_matches_native(hi in any::<u64>(), lo in any::<u64>(), d in 1u64..u64::MAX) {
            let hi = hi % d;
            let n = ((hi as u128) << 64) | lo as u128;
            let (q, r) = divlu(hi, lo, d);
            prop_assert_eq!((q as u128, r as u128), (n / d as u128, n % d as u128));
        }

        #[test]
        fn wide_div_by_small_divisors_matches_the_bit_loop(a in any::<u128>(), b in any::<u128>(), d in 1u64..u64::MAX) {
            // a * b / d through the limb path equals the same through u128
            // arithmetic where it fits, and a*b/d*d + r == a*b always.
            let (hi, lo) = wide_mul(a, b);
            if let Ok((q, r)) = wide_div(hi, lo, d as u128) {
                let (qh, ql) = wide_mul(q, d as u128);
                let (sum, carry) = ql.overflowing_add(r);
                prop_assert_eq!((qh + carry as u128, sum), (hi, lo));
                prop_assert!(r < d as u128);
            } else {
                prop_assert!(hi >= d as u128);
            }
        }
    }
}
