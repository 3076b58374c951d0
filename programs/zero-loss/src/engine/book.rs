//! The underwater book: a running aggregate of indebted accounts by how
//! deep in debt they are, so an LP exit or deposit can be priced net of the
//! loss in accounts not yet kicked (docs/security.md, "Design: the
//! underwater book").
//!
//! An account's key is `x = debt_shares / collateral` (debt shares per
//! collateral unit). Interest moves the index, not the shares, so a key
//! never goes stale between changes of the account. The buckets are
//! geometric, [`PER_OCTAVE`] to an octave, spanning `2^-8 .. 2^8` around an
//! anchor (a share price the market recorded once); accounts outside the
//! span sit in the end buckets, and the end buckets are open (bucket 0
//! starts at zero, the top one has no upper edge).
//!
//! Stored as bytes (Borsh copies a byte vector at once; 192 integers cost
//! about 12,000 CU a side): bucket `k` is the little-endian `u64` debt
//! shares at `16k` and `u64` collateral at `16k + 8`.

use super::fixed::{Fp, WAD};
use super::MathError;

/// Number of buckets.
pub const BUCKETS: usize = 96;
/// Buckets per doubling of the key: each is `2^(1/6)`, 12.2%, wide.
pub const PER_OCTAVE: i32 = 6;
/// The anchor's bucket: bucket `MID` starts at the anchor.
const MID: i32 = (BUCKETS as i32) / 2;
/// Bytes of a stored book: `(shares, collateral)` per bucket.
pub const BYTES: usize = BUCKETS * 16;

fn word(book: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&book[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Bucket `k`'s `(debt shares, collateral)` in a stored book ([`BYTES`] long).
pub fn entry(book: &[u8], k: usize) -> (u64, u64) {
    (word(book, 16 * k), word(book, 16 * k + 8))
}

/// Writes bucket `k`'s `(debt shares, collateral)`.
pub fn set_entry(book: &mut [u8], k: usize, (shares, collateral): (u64, u64)) {
    book[16 * k..16 * k + 8].copy_from_slice(&shares.to_le_bytes());
    book[16 * k + 8..16 * k + 16].copy_from_slice(&collateral.to_le_bytes());
}

/// Fractional bits of [`STEP`].
const STEP_BITS: i32 = 60;

/// `2^(j/6)` for `j` in `0..6`, with 60 fractional bits, rounded down (each
/// under 2^61, so a step times a `u64` fits in `u128`): with the anchor a
/// power of two, every edge is a step shifted.
const STEP: [u128; 6] = [
    1_152_921_504_606_846_976,
    1_294_110_633_600_925_654,
    1_452_590_072_530_635_490,
    1_630_477_228_166_597_776,
    1_830_148_809_249_668_226,
    2_054_272_581_141_342_534,
];

/// The anchor for a share price: the power of two at or below it (raw 1e18
/// fixed point; at least 1).
pub fn anchor_for(share_price: Fp) -> Fp {
    let raw = share_price.0.max(1);
    Fp(1u128 << (127 - raw.leading_zeros()))
}

/// Bucket `k`'s lower edge (`1..BUCKETS`), exactly `STEP[j] * 2^shift` (raw
/// units) with `k - MID = 6 * octave + j` and `shift = log2(anchor) +
/// octave - 60`: the anchor times `2^((k - MID) / 6)`.
fn step_and_shift(anchor: Fp, k: usize) -> (u128, i32) {
    let a = 127 - anchor.0.max(1).leading_zeros() as i32;
    let q = k as i32 - MID;
    let (octave, j) = (q.div_euclid(PER_OCTAVE), q.rem_euclid(PER_OCTAVE));
    (STEP[j as usize], a + octave - STEP_BITS)
}

/// The lower edge of bucket `k` (`1..BUCKETS`), rounded down to a raw unit;
/// `None` past `u128::MAX` (an edge no key reaches).
pub fn edge(anchor: Fp, k: usize) -> Option<Fp> {
    let (step, shift) = step_and_shift(anchor, k);
    if shift >= 0 {
        let shift = shift as u32;
        if shift >= step.leading_zeros() {
            return None;
        }
        Some(Fp(step << shift))
    } else {
        let shift = (-shift) as u32;
        Some(Fp(if shift >= 128 { 0 } else { step >> shift }))
    }
}

/// The bucket of an account holding `collateral` against `shares` debt
/// shares, or `None` when it owes nothing (it is not in the book): the
/// highest `k` whose lower edge is at most `shares / collateral` (bucket 0
/// below the first edge, the top bucket from the last edge up). An account
/// with debt and no collateral goes to the top bucket.
///
/// In integers, with no division: the octave from the bit lengths (one
/// comparison, since the step of `j = 0` is exactly `2^60`), then the step
/// within it (at most five products).
pub fn bucket_of(anchor: Fp, shares: u64, collateral: u64) -> Result<Option<usize>, MathError> {
    if shares == 0 {
        return Ok(None);
    }
    if collateral == 0 {
        return Ok(Some(BUCKETS - 1));
    }
    let left = (shares as u128) * WAD;
    let coll = collateral as u128;
    // floor(log2(left / coll)): t or t - 1 from the bit lengths.
    let t = (coll.leading_zeros() as i32) - (left.leading_zeros() as i32);
    let fits = |e: i32| -> bool { shl_at_most(coll, e, left) };
    let log = if fits(t) { t } else { t - 1 };
    let a = 127 - anchor.0.max(1).leading_zeros() as i32;
    let octave = log - a;
    // The step within the octave: the highest j with step_j * coll * 2^(a +
    // octave - 60) <= left.
    let shift = a + octave - STEP_BITS;
    let mut j = 0;
    while j + 1 < STEP.len() && shl_at_most(STEP[j + 1] * coll, shift, left) {
        j += 1;
    }
    let k = MID as i64 + (PER_OCTAVE * octave) as i64 + j as i64;
    Ok(Some(k.clamp(0, BUCKETS as i64 - 1) as usize))
}

/// Whether `v * 2^e <= bound`, exactly (`e` of either sign).
fn shl_at_most(v: u128, e: i32, bound: u128) -> bool {
    if e >= 0 {
        // v * 2^e <= bound  <=>  v <= floor(bound / 2^e).
        let e = e as u32;
        e < 128 && v <= bound >> e
    } else {
        // v <= bound * 2^-e; a product past u128 is past v.
        let e = (-e) as u32;
        e >= bound.leading_zeros() || v <= bound << e
    }
}

/// Which side of the true shortfall a bound lies on. An LP exit takes the
/// upper bound (the one who leaves must not take a loss with it), an LP
/// deposit the lower (the one who enters must not buy shares cheap): each
/// leans against the LP who moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Upper,
    Lower,
}

/// [`shortfall_ceil`] or [`shortfall_floor`].
pub fn shortfall(
    anchor: Fp,
    book: &[u8],
    index: Fp,
    price: Fp,
    bound: Bound,
) -> Result<u128, MathError> {
    match bound {
        Bound::Upper => shortfall_ceil(anchor, book, index, price),
        Bound::Lower => shortfall_floor(book, index, price),
    }
}

/// A lower bound on the same sum: each bucket's `floor(shares * index) -
/// ceil(collateral * price)` where positive (a sum of shortfalls is at least
/// the shortfall of the sums), exact for a bucket wholly underwater.
pub fn shortfall_floor(book: &[u8], index: Fp, price: Fp) -> Result<u128, MathError> {
    let mut total: u128 = 0;
    for k in 0..BUCKETS {
        let (s, c) = entry(book, k);
        if s == 0 {
            continue;
        }
        let debt = index.mul_int_floor(s as u128)?;
        let part = debt.saturating_sub(price.mul_int_ceil(c as u128)?);
        total = total.checked_add(part).ok_or(MathError::Overflow)?;
    }
    Ok(total)
}

/// An upper bound on `sum max(0, debt - collateral * price)` over the
/// book's accounts at borrow `index` and collateral `price` (debt units per
/// collateral unit), debt-token units. A bucket wholly above `price /
/// index` counts exactly (`ceil(shares * index) - floor(collateral *
/// price)`), one wholly below counts nothing, and the one that straddles
/// it counts `collateral * (hi * index - price)`, at most its debt (the top
/// bucket, open above, its debt): over by at most one bucket's width of
/// that bucket's collateral value, never under (beyond a unit of rounding
/// per account).
///
/// `book` is a stored book, [`BYTES`] long.
pub fn shortfall_ceil(anchor: Fp, book: &[u8], index: Fp, price: Fp) -> Result<u128, MathError> {
    let mut total: u128 = 0;
    for k in 0..BUCKETS {
        let (s, c) = entry(book, k);
        let (s, c) = (s as u128, c as u128);
        if s == 0 {
            continue;
        }
        let debt = index.mul_int_ceil(s)?;
        let lo = if k == 0 {
            Some(Fp::ZERO)
        } else {
            edge(anchor, k)
        };
        let hi = if k + 1 == BUCKETS {
            None
        } else {
            edge(anchor, k + 1)
        };
        // An edge past u128 is past every price too.
        let above = |e: Fp| -> Result<bool, MathError> {
            Ok(e.mul_floor(index).map_or(true, |v| v >= price))
        };
        let part = if lo.map_or(Ok(true), above)? {
            debt.saturating_sub(price.mul_int_floor(c)?)
        } else {
            // One raw unit up: the edge is rounded down.
            match hi.map(|h| Fp(h.0.saturating_add(1)).mul_ceil(index)) {
                Some(Ok(h)) if h <= price => 0,
                Some(Ok(h)) => h.checked_sub(price)?.mul_int_ceil(c)?.min(debt),
                // Open above (the top bucket), or an edge past u128.
                _ => debt,
            }
        };
        total = total.checked_add(part).ok_or(MathError::Overflow)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference key: a binary search over the edges, each compared in
    /// exact integers (`shares * 1e18 >= edge * collateral`).
    fn bucket_by_search(anchor: Fp, shares: u64, collateral: u64) -> usize {
        let at_or_above = |k: usize| {
            let (step, shift) = step_and_shift(anchor, k);
            shl_at_most(step * collateral as u128, shift, shares as u128 * WAD)
        };
        let (mut lo, mut hi) = (0usize, BUCKETS);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if at_or_above(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn fp(x: f64) -> Fp {
        Fp((x * 1e18) as u128)
    }

    #[test]
    fn edges_rise_by_a_sixth_of_an_octave() {
        let a = anchor_for(fp(0.15));
        assert!(
            a <= fp(0.15) && fp(0.15).0 < 2 * a.0,
            "a power of two at or below"
        );
        assert_eq!(edge(a, MID as usize).unwrap(), a);
        assert_eq!(edge(a, MID as usize + 6).unwrap().0, a.0 * 2);
        assert_eq!(edge(a, MID as usize - 6).unwrap().0, a.0 / 2);
        for k in 2..BUCKETS {
            let (lo, hi) = (edge(a, k - 1).unwrap().0, edge(a, k).unwrap().0);
            let ratio = hi as f64 / lo as f64;
            assert!((ratio - 2f64.powf(1.0 / 6.0)).abs() < 1e-9, "{k}: {ratio}");
        }
    }

    #[test]
    fn the_ends_hold_what_lies_outside_the_span() {
        let a = anchor_for(fp(1.0));
        assert_eq!(bucket_of(a, 0, 10).unwrap(), None);
        assert_eq!(bucket_of(a, 5, 0).unwrap(), Some(BUCKETS - 1));
        assert_eq!(bucket_of(a, 1, 1_000_000).unwrap(), Some(0));
        assert_eq!(bucket_of(a, 1_000_000, 1).unwrap(), Some(BUCKETS - 1));
        let k = bucket_of(a, 1, 1).unwrap().unwrap();
        assert!(edge(a, k).unwrap() <= Fp::ONE && Fp::ONE < edge(a, k + 1).unwrap());
        assert_eq!(k, MID as usize + 4, "1.0 is 2^0.79 times the anchor 2^59");
        // At the far ends the edges leave u128 or reach zero.
        let huge = anchor_for(Fp(u128::MAX / 2));
        assert_eq!(edge(huge, BUCKETS - 1), None);
        let k = bucket_of(huge, u64::MAX, 1).unwrap().unwrap();
        let x = Fp(u64::MAX as u128 * WAD);
        assert!(
            edge(huge, k).unwrap() <= x && x < edge(huge, k + 1).unwrap(),
            "{k}"
        );
        assert_eq!(edge(anchor_for(Fp(1)), 1), Some(Fp(0)));
    }

    #[test]
    fn a_bucket_wholly_underwater_counts_exactly_and_one_above_water_counts_nothing() {
        let a = anchor_for(fp(1.0));
        let mut b = vec![0u8; BYTES];
        // 1,000 shares against 500 collateral: x = 2, price 1.5 -> 250 short.
        let k = bucket_of(a, 1_000, 500).unwrap().unwrap();
        set_entry(&mut b, k, (1_000, 500));
        assert_eq!(entry(&b, k), (1_000, 500));
        assert_eq!(shortfall_ceil(a, &b, Fp::ONE, fp(1.5)).unwrap(), 250);
        // At price 3 (x * index = 2 < 3) nothing is short.
        assert_eq!(shortfall_ceil(a, &b, Fp::ONE, fp(3.0)).unwrap(), 0);
        // The index carries the key: at index 2 the debt is 2,000 against 1,500.
        assert_eq!(
            shortfall_ceil(a, &b, Fp::from_int(2).unwrap(), fp(3.0)).unwrap(),
            500
        );
    }

    proptest! {
        /// The key from the bit lengths is the highest edge at or under the
        /// exact ratio, as a search over every edge finds it.
        #[test]
        fn the_key_is_the_highest_edge_under_the_ratio(
            anchor in 1u128..u128::MAX,
            shares in 1u64..u64::MAX,
            collateral in 1u64..u64::MAX,
        ) {
            let a = anchor_for(Fp(anchor));
            prop_assert_eq!(
                bucket_of(a, shares, collateral).unwrap(),
                Some(bucket_by_search(a, shares, collateral))
            );
            // And with the anchor near the ratio, where the inner buckets are.
            let x = shares as u128 * WAD / collateral as u128;
            let near = anchor_for(Fp((x >> (anchor % 16)).max(1)));
            let k = bucket_of(near, shares, collateral).unwrap().unwrap();
            prop_assert_eq!(k, bucket_by_search(near, shares, collateral));
        }

        /// Whatever the accounts, index and price, the book's bound is at
        /// least the true sum of the accounts' shortfalls, and over it by at
        /// most one bucket's width of the straddling bucket's collateral
        /// value plus a unit per account.
        #[test]
        fn the_bound_is_never_under_the_true_shortfall(
            anchor in 1_000_000u128..(1u128 << 80),
            accounts in proptest::collection::vec((1u64..1u64 << 40, 0u64..1u64 << 40), 1..12),
            index in 1_000_000_000_000_000_000u128..4_000_000_000_000_000_000u128,
            rel in (WAD / 1_024)..(WAD * 1_024),
        ) {
            // The price near the anchor's span, where the bound is tight.
            let (anchor, index) = (anchor_for(Fp(anchor)), Fp(index));
            let price = anchor.mul_floor(Fp(rel)).unwrap().max(Fp(1));
            let mut b = vec![0u8; BYTES];
            let mut truth: u128 = 0;
            let mut straddle_value: u128 = 0;
            for &(sh, co) in &accounts {
                let k = bucket_of(anchor, sh, co).unwrap().unwrap();
                let (s, c) = entry(&b, k);
                set_entry(&mut b, k, (s + sh, c + co));
                let debt = index.mul_int_ceil(sh as u128).unwrap();
                truth += debt.saturating_sub(price.mul_int_floor(co as u128).unwrap());
                straddle_value += price.mul_int_ceil(co as u128).unwrap();
            }
            let bound = shortfall_ceil(anchor, &b, index, price).unwrap();
            let n = accounts.len() as u128;
            prop_assert!(bound + n >= truth, "bound {} < truth {}", bound, truth);
            // The lower bound is never over it.
            let lower = shortfall(anchor, &b, index, price, Bound::Lower).unwrap();
            prop_assert!(lower <= truth, "lower {} > truth {}", lower, truth);
            // Inside the span (the straddling bucket closed at both ends),
            // over by at most 2^(1/6) - 1 of the collateral's value (and a
            // unit each).
            let low_end = edge(anchor, 1).unwrap().mul_ceil(index).unwrap();
            let high_end = edge(anchor, BUCKETS - 1).unwrap().mul_floor(index).unwrap();
            if low_end <= price && price <= high_end {
                let slack = straddle_value / 8 + 2 * n;
                prop_assert!(bound <= truth + slack, "bound {} truth {} slack {}", bound, truth, slack);
            }
        }
    }
}
