//! The Dutch auction: price curves, bids, restarts.
//!
//! Prices are debt units per collateral unit ([`Fp`]). Rounding favours the
//! protocol: the curve and what a bidder owes round up, the collateral a
//! bidder receives rounds down.

use super::error::MathError;
use super::fixed::{to_u64, Fp};

/// The shape of a stage's price decline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    /// `top * (1 - t / tau)`.
    Linear { tau_secs: u64 },
    /// `top * cut^floor(t / step)`.
    StepExp { step_secs: u64, cut: Fp },
}

/// Why a bid cannot go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuctionError {
    /// The price is above the bidder's `max_price`.
    TooExpensive,
    /// The bid would leave a remaining tab below the dust limit and cannot be
    /// cut to leave exactly the limit.
    Dust,
    /// Nothing left to sell or to raise.
    Done,
    /// The bid asks for nothing.
    ZeroBid,
    Math(MathError),
}

impl From<MathError> for AuctionError {
    fn from(e: MathError) -> Self {
        AuctionError::Math(e)
    }
}

/// `x^n`, each product rounded up.
pub fn pow_ceil(x: Fp, mut n: u64) -> Result<Fp, MathError> {
    let mut base = x;
    let mut acc = Fp::ONE;
    while n > 0 {
        if n & 1 == 1 {
            acc = acc.mul_ceil(base)?;
        }
        n >>= 1;
        if n > 0 {
            base = base.mul_ceil(base)?;
        }
    }
    Ok(acc)
}

/// A stage's starting price: `spot * buf`, rounded up (kicks, POL kicks
/// and restarts alike).
pub fn top(spot: Fp, buf: Fp) -> Result<Fp, MathError> {
    spot.mul_ceil(buf)
}

/// The curve's price `elapsed` seconds into a stage, rounded up (no floor).
pub fn curve_price(top: Fp, elapsed: u64, curve: Curve) -> Result<Fp, MathError> {
    match curve {
        Curve::Linear { tau_secs } => {
            if elapsed >= tau_secs {
                return Ok(Fp::ZERO);
            }
            let left = Fp::ratio_ceil((tau_secs - elapsed) as u128, tau_secs as u128)?;
            top.mul_ceil(left)
        }
        Curve::StepExp { step_secs, cut } => {
            let steps = elapsed / step_secs.max(1);
            top.mul_ceil(pow_ceil(cut, steps)?)
        }
    }
}

/// The price a bidder pays: the curve, never below `floor`.
pub fn bid_price(top: Fp, elapsed: u64, curve: Curve, floor: Fp) -> Result<Fp, MathError> {
    Ok(curve_price(top, elapsed, curve)?.max(floor))
}

/// Whether a stage may be restarted: older than `tail`, or its curve price
/// below `cusp * top`.
pub fn restart_allowed(
    top: Fp,
    elapsed: u64,
    curve: Curve,
    tail_secs: u64,
    cusp: Fp,
) -> Result<bool, MathError> {
    if elapsed > tail_secs {
        return Ok(true);
    }
    Ok(curve_price(top, elapsed, curve)? < top.mul_floor(cusp)?)
}

/// Whether the curve has reached the floor.
pub fn at_floor(top: Fp, elapsed: u64, curve: Curve, floor: Fp) -> Result<bool, MathError> {
    Ok(curve_price(top, elapsed, curve)? <= floor)
}

/// A bid's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Collateral the bidder receives.
    pub slice: u64,
    /// Debt units it pays.
    pub owe: u64,
    /// Of `owe`, the part that repays principal (the rest is penalty).
    pub principal: u64,
}

/// Fills a bid for up to `max_lot` at `price` against an auction with `lot`
/// collateral and `tab` to raise (`principal_left` of it principal).
/// Maker's dust rule, widened: a fill may not leave `0 < tab < min_left`
/// while collateral remains (the caller's limit: the dust limit, and for a
/// bid at least one unit's worth at the floor, so the last unit can never
/// sell under the floor); it is cut to the whole units that leave at least
/// `min_left`, and pays `slice * price` for them (rounded up), never more a
/// unit than the price.
///
/// The last unit: a fill that raises the whole tab receives
/// `floor(tab / price)` collateral, but at least one unit, so a tab worth
/// less than one unit of collateral (a large-unit mint: a 0-decimal token,
/// or any unit priced above `min_position`) is still bought, and every
/// auction can be finished by a bid for its whole lot, whatever the mint's
/// decimals and the price. The bidder's gain is under one unit.
pub fn fill(
    lot: u64,
    tab: u64,
    principal_left: u64,
    max_lot: u64,
    price: Fp,
    min_left: u64,
) -> Result<Fill, AuctionError> {
    if lot == 0 || tab == 0 {
        return Err(AuctionError::Done);
    }
    if max_lot == 0 {
        return Err(AuctionError::ZeroBid);
    }
    let mut slice = max_lot.min(lot);
    let mut owe = to_u64(price.mul_int_ceil(slice as u128)?)?;
    if owe > tab {
        // Raise the tab exactly; the bidder gets what it buys, rounded down.
        owe = tab;
        slice = to_u64(price.div_int_floor(tab as u128)?)?.max(1).min(lot);
    } else if owe < tab && slice < lot && tab - owe < min_left {
        if tab <= min_left {
            return Err(AuctionError::Dust);
        }
        // The whole units that leave at least `min_left`, at the price:
        // `ceil(slice * price) <= tab - min_left` as `slice * price` is.
        slice = to_u64(price.div_int_floor((tab - min_left) as u128)?)?;
        owe = to_u64(price.mul_int_ceil(slice as u128)?)?;
    }
    if slice == 0 || owe == 0 {
        return Err(AuctionError::ZeroBid);
    }
    Ok(Fill {
        slice,
        owe,
        principal: owe.min(principal_left),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bps(b: u64) -> Fp {
        Fp::from_bps(b)
    }

    const STEP: Curve = Curve::StepExp {
        step_secs: 60,
        cut: Fp(990_000_000_000_000_000),
    };
    const LIN: Curve = Curve::Linear { tau_secs: 1_000 };

    #[test]
    fn curves() {
        let top = Fp::from_int(100).unwrap();
        assert_eq!(curve_price(top, 0, STEP).unwrap(), top);
        assert_eq!(curve_price(top, 59, STEP).unwrap(), top);
        assert_eq!(
            curve_price(top, 60, STEP).unwrap(),
            Fp::from_int(99).unwrap()
        );
        assert_eq!(
            curve_price(top, 120, STEP).unwrap(),
            Fp(98_010_000_000_000_000_000)
        );
        assert_eq!(
            curve_price(top, 250, LIN).unwrap(),
            Fp::from_int(75).unwrap()
        );
        assert_eq!(curve_price(top, 1_000, LIN).unwrap(), Fp::ZERO);
        assert_eq!(
            bid_price(top, 2_000, LIN, Fp::from_int(80).unwrap()).unwrap(),
            Fp::from_int(80).unwrap()
        );
        assert_eq!(pow_ceil(bps(9_900), 0).unwrap(), Fp::ONE);
    }

    #[test]
    fn restarts() {
        let top = Fp::from_int(100).unwrap();
        assert!(!restart_allowed(top, 100, LIN, 900, bps(6_000)).unwrap());
        assert!(
            restart_allowed(top, 901, LIN, 900, bps(6_000)).unwrap(),
            "past tail"
        );
        assert!(
            restart_allowed(top, 401, LIN, 900, bps(6_000)).unwrap(),
            "below cusp"
        );
        assert!(
            !restart_allowed(top, 400, LIN, 900, bps(6_000)).unwrap(),
            "at cusp"
        );
    }

    #[test]
    fn fills() {
        let p = Fp::from_int(2).unwrap();
        // A plain partial fill.
        assert_eq!(
            fill(100, 150, 140, 10, p, 5).unwrap(),
            Fill {
                slice: 10,
                owe: 20,
                principal: 20
            }
        );
        // Over the tab: pay the tab, get tab / price.
        assert_eq!(
            fill(100, 150, 140, 100, p, 5).unwrap(),
            Fill {
                slice: 75,
                owe: 150,
                principal: 140
            }
        );
        // Would leave 2 < 5 of tab: cut to the whole units that leave 5 or
        // more, at the price (72 units for 144, leaving 6).
        assert_eq!(
            fill(100, 150, 140, 74, p, 5).unwrap(),
            Fill {
                slice: 72,
                owe: 144,
                principal: 140
            }
        );
        // A tab already at the dust limit must be bought whole.
        assert_eq!(fill(100, 5, 5, 2, p, 5), Err(AuctionError::Dust));
        assert_eq!(
            fill(100, 5, 5, 3, p, 5).unwrap(),
            Fill {
                slice: 2,
                owe: 5,
                principal: 5
            }
        );
        // Taking the whole lot is always allowed, whatever tab remains.
        assert_eq!(
            fill(10, 150, 140, 10, p, 5).unwrap(),
            Fill {
                slice: 10,
                owe: 20,
                principal: 20
            }
        );
        assert_eq!(fill(0, 150, 140, 10, p, 5), Err(AuctionError::Done));
        // A large-unit mint: 50 debt units per unit of collateral, dust 10.
        // A bid that would leave 5 < 10 is cut to one unit at its price (it
        // paid 95 for it before the cut was priced), leaving 55. With the
        // floor's unit as the limit (a bid's), what is left is worth at
        // least one unit at the floor.
        let big = Fp::from_int(50).unwrap();
        let cut = fill(3, 105, 100, 2, big, 10).unwrap();
        assert_eq!((cut.slice, cut.owe), (1, 50));
        let cut = fill(3, 105, 100, 2, big, 48).unwrap();
        assert_eq!((cut.slice, cut.owe), (1, 50));
        assert!(105 - cut.owe >= 48);
        // A tab worth a fifth of a unit (left by a backstop POL could not
        // finish, or kicked so): the next bid buys the last unit for it
        // (before, floor(10 / 50) = 0 and no bid, backstop or restart could
        // end it).
        assert_eq!(
            fill(2, 10, 5, 1, big, 10).unwrap(),
            Fill {
                slice: 1,
                owe: 10,
                principal: 5
            }
        );
        assert_eq!(fill(10, 150, 140, 0, p, 5), Err(AuctionError::ZeroBid));
    }

    proptest! {
        #[test]
        fn curves_never_rise_and_respect_the_floor(top in 1u128..(1u128 << 100), t1 in 0u64..100_000, t2 in 0u64..100_000, floor_bps in 0u64..10_000) {
            let top = Fp(top);
            let (a, b) = if t1 <= t2 { (t1, t2) } else { (t2, t1) };
            for c in [STEP, LIN] {
                prop_assert!(curve_price(top, a, c).unwrap() >= curve_price(top, b, c).unwrap());
                prop_assert!(curve_price(top, a, c).unwrap() <= top);
                let floor = top.mul_floor(Fp::from_bps(floor_bps)).unwrap();
                prop_assert!(bid_price(top, b, c, floor).unwrap() >= floor);
            }
        }

        /// Any open auction, at any price and dust limit, is finished by a
        /// bid for its whole lot: the tab is raised or the lot is gone.
        #[test]
        fn a_bid_for_the_whole_lot_always_finishes_the_auction(
            lot in 1u64..1_000_000, tab in 1u64..1_000_000_000_000,
            price in 1_000u128..1_000_000_000_000_000_000_000_000_000u128, dust in 0u64..1_000_000_000_000,
        ) {
            // From 1e-15 to 1e12 debt units per collateral unit.
            let price = Fp(price);
            let f = fill(lot, tab, tab, lot, price, dust).unwrap();
            prop_assert!(f.owe == tab || f.slice == lot);
            prop_assert!(f.slice >= 1 && f.slice <= lot && f.owe <= tab);
        }

        #[test]
        fn fills_never_undercharge(lot in 1u64..u64::MAX / 2, tab in 1u64..u64::MAX / 2, max_lot in 1u64..u64::MAX / 2, price in 1u128..(1u128 << 80), dust in 0u64..1_000_000) {
            let price = Fp(price);
            if let Ok(f) = fill(lot, tab, tab, max_lot, price, dust) {
                prop_assert!(f.slice <= lot && f.slice <= max_lot && f.owe <= tab);
                // The bidder pays at least slice * price, but for the last
                // unit of a tab worth less than one.
                prop_assert!(
                    f.owe as u128 >= price.mul_int_floor(f.slice as u128).unwrap()
                        || (f.slice == 1 && f.owe == tab)
                );
                // And never more a unit than the price (rounded up), but for a
                // fill that raises the whole tab (it pays the tab for the
                // whole units it covers, less than one unit's worth over).
                prop_assert!(
                    f.owe == tab || f.owe as u128 <= price.mul_int_ceil(f.slice as u128).unwrap()
                );
                // Dust: what remains of the tab is nothing, at least the limit, or the lot is gone.
                let rest = tab - f.owe;
                prop_assert!(rest == 0 || rest >= dust || f.slice == lot);
            }
        }
    }
}
