//! Loan-to-value and health zones.
//!
//! `LTV = debt / (collateral * price)`. Debt is rounded up and collateral
//! value down, so a reported LTV is never below the true one.

use super::error::MathError;
use super::fixed::Fp;

/// An LTV that stands for "debt against worthless collateral".
pub const LTV_INFINITE: Fp = Fp(u128::MAX);

/// A health zone: Healthy, Buffer, Distressed, Emergency, ordered from
/// safest to worst; judged on the EMA trigger LTV and, for Emergency, the
/// held spot LTV too. The engine's own type (no serialization): what a
/// margin account stores and events carry is `state::Zone`, converted with
/// `From`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Zone {
    /// Trigger LTV at most liq_ltv (byte 0): may borrow and withdraw within max_ltv.
    Healthy,
    /// Trigger LTV above liq_ltv, at most distress_ltv = liq_ltv / (1 - buffer) (byte 1):
    /// partial liquidation allowed.
    Buffer,
    /// Trigger LTV above distress_ltv (byte 2): a slice goes to auction.
    Distressed,
    /// Held-spot or trigger LTV at or above full_ltv (byte 3): the whole position goes to auction.
    Emergency,
}

/// The thresholds a zone is judged by (fractions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub liq_ltv: Fp,
    pub full_ltv: Fp,
    /// The volatility buffer `b` in force.
    pub buffer: Fp,
}

impl Thresholds {
    /// `liq_ltv / (1 - b)`, rounded down: the top of the partial-liquidation
    /// zone, where an account goes to auction (a lower edge auctions
    /// earlier: the lenders' side). Liquidation opens at `liq_ltv`, the
    /// rivals' threshold, whatever the buffer; a volatile market gives
    /// partial liquidations more room before an auction.
    pub fn distress_ltv(&self) -> Result<Fp, MathError> {
        self.liq_ltv.div_floor(Fp::ONE.checked_sub(self.buffer)?)
    }
}

/// `collateral * price` in debt units, rounded down.
pub fn collateral_value_floor(collateral: u64, price: Fp) -> Result<u128, MathError> {
    price.mul_int_floor(collateral as u128)
}

/// `debt / (collateral * price)`, rounded up; [`LTV_INFINITE`] when debt is
/// owed against collateral worth nothing, zero when nothing is owed.
pub fn ltv_ceil(debt: u128, collateral: u64, price: Fp) -> Result<Fp, MathError> {
    if debt == 0 {
        return Ok(Fp::ZERO);
    }
    let value = collateral_value_floor(collateral, price)?;
    if value == 0 {
        return Ok(LTV_INFINITE);
    }
    match Fp::ratio_ceil(debt, value) {
        Ok(v) => Ok(v),
        Err(MathError::Overflow) => Ok(LTV_INFINITE),
        Err(e) => Err(e),
    }
}

/// The zone for an account whose LTV is `trigger_ltv` on the EMA reading
/// and `held_ltv` on the held spot price (`engine::held`): emergency once
/// either reaches `full_ltv`.
pub fn zone(trigger_ltv: Fp, held_ltv: Fp, t: &Thresholds) -> Result<Zone, MathError> {
    if held_ltv >= t.full_ltv || trigger_ltv >= t.full_ltv {
        return Ok(Zone::Emergency);
    }
    if trigger_ltv > t.distress_ltv()? {
        return Ok(Zone::Distressed);
    }
    if trigger_ltv > t.liq_ltv {
        return Ok(Zone::Buffer);
    }
    Ok(Zone::Healthy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(buffer_bps: u64) -> Thresholds {
        Thresholds {
            liq_ltv: Fp::from_bps(8_000),
            full_ltv: Fp::from_bps(9_500),
            buffer: Fp::from_bps(buffer_bps),
        }
    }

    #[test]
    fn ltv_rounds_against_the_borrower() {
        // 1 debt against 3 units at price 1: 0.333...4
        let l = ltv_ceil(1, 3, Fp::ONE).unwrap();
        assert_eq!(l, Fp(333_333_333_333_333_334));
        assert_eq!(ltv_ceil(0, 0, Fp::ONE).unwrap(), Fp::ZERO);
        assert_eq!(ltv_ceil(1, 0, Fp::ONE).unwrap(), LTV_INFINITE);
    }

    #[test]
    fn zones_at_their_edges() {
        let th = t(1_000); // distress = 0.8 / 0.9 = 0.888...
        assert_eq!(th.distress_ltv().unwrap(), Fp(888_888_888_888_888_888));
        let z = |trig: u64, held: u64| zone(Fp::from_bps(trig), Fp::from_bps(held), &th).unwrap();
        assert_eq!(z(8_000, 8_000), Zone::Healthy);
        assert_eq!(z(8_001, 7_000), Zone::Buffer);
        assert_eq!(z(8_888, 8_888), Zone::Buffer);
        assert_eq!(z(8_889, 8_000), Zone::Distressed);
        // The held spot at full_ltv forces emergency even when the EMA lags,
        // and so does the EMA there.
        assert_eq!(z(7_000, 9_500), Zone::Emergency);
        assert_eq!(z(9_500, 7_000), Zone::Emergency);
    }

    proptest! {
        #[test]
        fn zone_is_monotone_in_ltv(a in 0u64..20_000, b in 0u64..20_000, buf in 0u64..3_000) {
            let th = t(buf);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let z_lo = zone(Fp::from_bps(lo), Fp::from_bps(lo), &th).unwrap();
            let z_hi = zone(Fp::from_bps(hi), Fp::from_bps(hi), &th).unwrap();
            prop_assert!(z_lo <= z_hi);
        }

        #[test]
        fn the_buffer_never_moves_the_threshold_and_a_wider_one_never_auctions_sooner(
            l in 0u64..20_000, b1 in 0u64..3_000, b2 in 0u64..3_000,
        ) {
            let (lo, hi) = if b1 <= b2 { (b1, b2) } else { (b2, b1) };
            let z1 = zone(Fp::from_bps(l), Fp::from_bps(l), &t(lo)).unwrap();
            let z2 = zone(Fp::from_bps(l), Fp::from_bps(l), &t(hi)).unwrap();
            prop_assert_eq!(z1 == Zone::Healthy, z2 == Zone::Healthy);
            prop_assert_eq!(z1 == Zone::Healthy, l <= 8_000);
            prop_assert!(z2 <= z1);
        }

        #[test]
        fn ltv_is_never_understated(debt in 1u64..u64::MAX, coll in 1u64..u64::MAX, price_raw in 1u128..(1u128 << 90)) {
            let price = Fp(price_raw);
            let l = ltv_ceil(debt as u128, coll, price).unwrap();
            // l * value >= debt (within exact arithmetic)
            let value = collateral_value_floor(coll, price).unwrap();
            if l != LTV_INFINITE && value > 0 {
                prop_assert!(l.mul_int_ceil(value).unwrap() >= debt as u128);
            }
        }
    }
}
