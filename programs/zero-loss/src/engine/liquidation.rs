//! Sizing of partial liquidations and auction kicks.
//!
//! `D` is the debt, `C` the collateral, `P` a price (debt units per
//! collateral unit), `V = C * P`, `T` the target LTV.

use super::error::MathError;
use super::fixed::{mul_div_ceil, to_u64, Fp};

/// Why a liquidation cannot go ahead (beyond arithmetic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiqError {
    /// The caps (budget, the liquidator's maximum) leave nothing to do.
    NothingToLiquidate,
    /// Parameters put the target out of reach (`T * (1 + b) >= 1`).
    TargetUnreachable,
    Math(MathError),
}

impl From<MathError> for LiqError {
    fn from(e: MathError) -> Self {
        LiqError::Math(e)
    }
}

/// The bonus at `ltv`: `min_bonus` at `liq_ltv` (the threshold), rising
/// linearly to `max_bonus` at `distress_ltv` (the top of the partial zone),
/// never above `1 - ltv` (rounded down: the bonus is a payout). It grows
/// with how far the account is past the threshold, so a calm market pays
/// little and a deeper fall more.
pub fn bonus(
    ltv: Fp,
    liq_ltv: Fp,
    distress_ltv: Fp,
    min_bonus: Fp,
    max_bonus: Fp,
) -> Result<Fp, MathError> {
    let span = distress_ltv.saturating_sub(liq_ltv);
    let b = if span == Fp::ZERO || ltv >= distress_ltv {
        max_bonus
    } else {
        let into = ltv.saturating_sub(liq_ltv);
        let extra = max_bonus
            .saturating_sub(min_bonus)
            .mul_floor(into)?
            .div_floor(span)?;
        min_bonus.checked_add(extra)?
    };
    Ok(b.min(Fp::ONE.saturating_sub(ltv)))
}

/// The least `x` with `(D - x) <= T * (V - x * k)`:
/// `x = ceil((D - T*V) / (1 - T*k))`, zero when already at or below target.
pub fn repay_to_target(debt: u64, value: u128, target: Fp, k: Fp) -> Result<u128, LiqError> {
    let tk = target.mul_ceil(k)?;
    if tk >= Fp::ONE {
        return Err(LiqError::TargetUnreachable);
    }
    let tv = target.mul_int_floor(value)?;
    let excess = (debt as u128).saturating_sub(tv);
    if excess == 0 {
        return Ok(0);
    }
    let den = Fp::ONE.checked_sub(tk)?;
    Ok(mul_div_ceil(excess, Fp::ONE.0, den.0)?)
}

/// The dust rule: a repayment `want` of `debt` may not leave
/// `0 < debt - x < min_position`. Take everything if `cap` allows it, else
/// leave exactly `min_position` (or nothing can be done).
pub fn apply_dust(want: u64, debt: u64, cap: u64, min_position: u64) -> u64 {
    let rest = debt - want.min(debt);
    if rest == 0 || rest >= min_position {
        return want.min(debt);
    }
    if debt <= cap {
        debt
    } else {
        debt.saturating_sub(min_position).min(cap)
    }
}

/// A partial liquidation's inputs.
#[derive(Clone, Copy, Debug)]
pub struct PartialInput {
    pub debt: u64,
    pub collateral: u64,
    /// The price the account is sized on.
    pub price: Fp,
    /// The LTV the bonus follows (and is capped by, `1 - ltv`).
    pub ltv: Fp,
    /// Where the bonus ramp starts (the threshold) and ends (the partial
    /// zone's top).
    pub liq_ltv: Fp,
    pub distress_ltv: Fp,
    pub target: Fp,
    pub min_bonus: Fp,
    pub max_bonus: Fp,
    /// Liquidity budget available.
    pub budget: u64,
    /// The liquidator's cap.
    pub max_repay: u64,
    pub min_position: u64,
}

/// A partial liquidation's size. The collateral paid out follows the debt
/// actually retired, through [`payout_collateral`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialSize {
    /// Debt the liquidator repays at most.
    pub repay: u64,
    pub bonus: Fp,
}

/// Sizes a partial liquidation (the caller has checked the zone).
pub fn partial(i: &PartialInput) -> Result<PartialSize, LiqError> {
    let bonus = bonus(i.ltv, i.liq_ltv, i.distress_ltv, i.min_bonus, i.max_bonus)?;
    let value = i.price.mul_int_floor(i.collateral as u128)?;
    let k = Fp::ONE.checked_add(bonus)?;
    let needed = repay_to_target(i.debt, value, i.target, k)?;
    let needed = u64::try_from(needed).unwrap_or(u64::MAX);
    let cap = i.budget.min(i.max_repay).min(i.debt);
    let repay = apply_dust(needed.min(cap), i.debt, cap, i.min_position);
    if repay == 0 {
        return Err(LiqError::NothingToLiquidate);
    }
    Ok(PartialSize { repay, bonus })
}

/// Collateral paid for `repaid` debt with `bonus`, at `payout_price`:
/// `repaid * (1 + bonus) / payout_price`, rounded down (a payout), never
/// more than the account holds. Paid at the market's higher price (EMA or
/// spot mid), the bonus measured at the market price never exceeds `bonus`;
/// sized on the lower trigger price, the account still lands at or under
/// the target.
pub fn payout_collateral(
    repaid: u64,
    bonus: Fp,
    payout_price: Fp,
    collateral: u64,
) -> Result<u64, MathError> {
    let value = Fp::ONE.checked_add(bonus)?.mul_int_floor(repaid as u128)?;
    Ok(to_u64(payout_price.div_int_floor(value)?)?.min(collateral))
}

/// An auction kick's inputs.
#[derive(Clone, Copy, Debug)]
pub struct KickInput {
    pub debt: u64,
    pub collateral: u64,
    /// Price the account is valued at for sizing (the lower of trigger and spot).
    pub price: Fp,
    pub target: Fp,
    pub penalty: Fp,
    pub min_position: u64,
    pub budget: u64,
    /// Emergency: the whole position, whatever the budget.
    pub emergency: bool,
}

/// A kick's size. The penalty and lot follow the principal actually moved
/// (whole debt shares), through [`penalty_ceil`] and [`pro_rata_lot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KickSize {
    /// Debt to move into the auction (before share rounding).
    pub debt_slice: u64,
    /// The whole position goes.
    pub whole: bool,
}

/// Sizes an auction slice (the caller has checked the zone).
///
/// The debt slice `d` is the least that brings the account to the target if
/// its lot sells at spot with the penalty on top:
/// `d = ceil((D - T*V) / (1 - T*(1 + penalty)))`, capped by the budget, with
/// the dust rule. The lot is the pro-rata share of collateral,
/// `floor(C * d / D)`, as Maker's `bark` does: the rest of the account keeps
/// its LTV while the slice sells, so a falling price cannot make the account
/// look worse than it is, and leftover collateral returns at settlement.
/// The whole position goes in emergency, when the rest would be dust, or
/// when the slice's lot would take all the collateral.
pub fn kick(i: &KickInput) -> Result<KickSize, LiqError> {
    let whole = KickSize {
        debt_slice: i.debt,
        whole: true,
    };
    if i.emergency {
        return Ok(whole);
    }
    let value = i.price.mul_int_floor(i.collateral as u128)?;
    let needed = repay_to_target(i.debt, value, i.target, Fp::ONE.checked_add(i.penalty)?)?;
    let needed = u64::try_from(needed).unwrap_or(u64::MAX).max(1);
    let cap = i.budget.min(i.debt);
    let slice = apply_dust(needed.min(cap), i.debt, cap, i.min_position);
    if slice == 0 {
        return Err(LiqError::NothingToLiquidate);
    }
    if slice == i.debt {
        return Ok(whole);
    }
    let lot = pro_rata_lot(i.collateral, slice, i.debt)?;
    if lot == 0 {
        return Err(LiqError::NothingToLiquidate);
    }
    if lot >= i.collateral {
        return Ok(whole);
    }
    Ok(KickSize {
        debt_slice: slice,
        whole: false,
    })
}

/// The liquidation penalty on `principal`: `rate * principal`, rounded up
/// (owed by the borrower).
pub fn penalty_ceil(principal: u64, rate: Fp) -> Result<u64, MathError> {
    to_u64(rate.mul_int_ceil(principal as u128)?)
}

/// The pro-rata lot for a debt slice: `floor(C * slice / D)` (rounded down,
/// so the rest of the account keeps at least its share).
pub fn pro_rata_lot(collateral: u64, slice: u64, debt: u64) -> Result<u64, MathError> {
    to_u64(super::fixed::mul_div_floor(
        collateral as u128,
        slice as u128,
        debt as u128,
    )?)
}

/// The keeper reward for a kick or restart: `min(tip + chip * tab, cap)`,
/// rounded down.
pub fn keeper_reward(tab: u64, tip: u64, chip: Fp, cap: u64) -> Result<u64, MathError> {
    let chip_part = to_u64(chip.mul_int_floor(tab as u128)?)?;
    Ok(tip.saturating_add(chip_part).min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::health::ltv_ceil;
    use proptest::prelude::*;

    fn bps(b: u64) -> Fp {
        Fp::from_bps(b)
    }

    #[test]
    fn bonus_rises_across_the_zone_and_is_capped() {
        let b = |l| bonus(bps(l), bps(7_200), bps(8_000), bps(100), bps(500)).unwrap();
        assert_eq!(b(7_200), bps(100));
        assert_eq!(b(7_600), bps(300));
        assert_eq!(b(8_000), bps(500));
        // At 97% LTV the cap 1 - LTV = 3% binds.
        assert_eq!(
            bonus(bps(9_700), bps(7_200), bps(9_800), bps(500), bps(500)).unwrap(),
            bps(300)
        );
    }

    #[test]
    fn a_partial_liquidation_lands_on_the_target() {
        // 10 units at price 1 against 7.8 debt: LTV 78%.
        let i = PartialInput {
            debt: 7_800_000,
            collateral: 10_000_000,
            price: Fp::ONE,
            ltv: bps(7_800),
            liq_ltv: bps(7_200),
            distress_ltv: bps(8_000),
            target: bps(7_000),
            min_bonus: bps(100),
            max_bonus: bps(500),
            budget: u64::MAX,
            max_repay: u64::MAX,
            min_position: 10,
        };
        let o = partial(&i).unwrap();
        assert_eq!(o.bonus, bps(400));
        // r = (7.8 - 7.0) / (1 - 0.7 * 1.04) = 0.8 / 0.272 = 2.941176...
        assert_eq!(o.repay, 2_941_177);
        let out = payout_collateral(o.repay, o.bonus, Fp::ONE, i.collateral).unwrap();
        assert_eq!(out, 3_058_824);
        let after = ltv_ceil((i.debt - o.repay) as u128, i.collateral - out, Fp::ONE).unwrap();
        assert!(after <= bps(7_000), "{after:?}");
        // Paid at a market price 10% above the trigger price: fewer units,
        // the same value at that price, and the account still lands.
        let high = bps(11_000);
        let out_high = payout_collateral(o.repay, o.bonus, high, i.collateral).unwrap();
        assert_eq!(out_high, 2_780_749);
        let got = high.mul_int_floor(out_high as u128).unwrap();
        assert!(got <= bps(10_400).mul_int_ceil(o.repay as u128).unwrap());
        let after = ltv_ceil((i.debt - o.repay) as u128, i.collateral - out_high, Fp::ONE).unwrap();
        assert!(after <= bps(7_000), "{after:?}");
    }

    #[test]
    fn caps_and_dust() {
        assert_eq!(apply_dust(95, 100, 1_000, 10), 100, "rest 5 < 10: take all");
        assert_eq!(
            apply_dust(95, 100, 96, 10),
            90,
            "cannot take all: leave min_position"
        );
        assert_eq!(apply_dust(50, 100, 1_000, 10), 50);
        assert_eq!(apply_dust(100, 100, 100, 10), 100);
        assert_eq!(apply_dust(5, 8, 5, 10), 0, "all dust and no room: nothing");
    }

    #[test]
    fn emergency_takes_everything() {
        let i = KickInput {
            debt: 960,
            collateral: 1_000,
            price: Fp::ONE,
            target: bps(7_000),
            penalty: bps(500),
            min_position: 10,
            budget: 0,
            emergency: true,
        };
        let o = kick(&i).unwrap();
        assert!(o.whole);
        assert_eq!(o.debt_slice, 960);
        assert_eq!(penalty_ceil(o.debt_slice, i.penalty).unwrap(), 48);
    }

    #[test]
    fn a_distressed_kick_takes_a_pro_rata_slice_that_lands_on_the_target_at_spot() {
        let i = KickInput {
            debt: 8_500_000,
            collateral: 10_000_000,
            price: Fp::ONE,
            target: bps(7_000),
            penalty: bps(500),
            min_position: 10,
            budget: u64::MAX,
            emergency: false,
        };
        let o = kick(&i).unwrap();
        assert!(!o.whole);
        // d = (8.5 - 7) / (1 - 0.7 * 1.05) = 1.5 / 0.265 = 5.660377..
        assert_eq!(o.debt_slice, 5_660_378);
        let penalty = penalty_ceil(o.debt_slice, i.penalty).unwrap();
        assert_eq!(penalty, 283_019);
        // Pro rata: the rest keeps its LTV while the slice sells.
        let lot = pro_rata_lot(i.collateral, o.debt_slice, i.debt).unwrap();
        assert_eq!(lot, 6_659_268);
        let rest = (i.debt - o.debt_slice) as u128;
        assert!(rest * i.collateral as u128 <= i.debt as u128 * (i.collateral - lot) as u128);
        // Sold at spot, the leftover comes back and the account sits at target.
        let sold = o.debt_slice + penalty;
        let settled = ltv_ceil(
            (i.debt - o.debt_slice) as u128,
            i.collateral - sold,
            Fp::ONE,
        )
        .unwrap();
        assert!(settled <= bps(7_000), "{settled:?}");
        // Budget-capped slices are smaller; an empty budget refuses.
        let capped = kick(&KickInput {
            budget: 1_000_000,
            ..i
        })
        .unwrap();
        assert_eq!(capped.debt_slice, 1_000_000);
        assert_eq!(
            kick(&KickInput { budget: 0, ..i }),
            Err(LiqError::NothingToLiquidate)
        );
    }

    #[test]
    fn keeper_reward_is_capped() {
        assert_eq!(
            keeper_reward(1_000_000, 100, bps(10), 10_000).unwrap(),
            1_100
        );
        assert_eq!(
            keeper_reward(u64::MAX, 100, bps(100), 10_000).unwrap(),
            10_000
        );
    }

    proptest! {
        #[test]
        fn partial_liquidation_invariants(
            coll in 1_000u64..1_000_000_000_000, ltv_bps in 7_201u64..=8_000, price_raw in 1_000_000_000_000_000u128..1_000_000_000_000_000_000_000,
            budget in 0u64..u64::MAX, max_repay in 0u64..u64::MAX, min_pos in 0u64..1_000_000,
            premium_bps in 0u64..5_000,
        ) {
            let price = Fp(price_raw);
            // The payout price: the market's higher price, at or above the trigger.
            let payout = price.mul_ceil(bps(10_000 + premium_bps)).unwrap();
            let value = price.mul_int_floor(coll as u128).unwrap();
            let debt = (Fp::from_bps(ltv_bps).mul_int_floor(value).unwrap()) as u64;
            prop_assume!(debt > 0);
            let ltv = ltv_ceil(debt as u128, coll, price).unwrap();
            prop_assume!(ltv > bps(7_200) && ltv <= bps(8_000));
            let i = PartialInput {
                debt, collateral: coll, price, ltv, liq_ltv: bps(7_200), distress_ltv: bps(8_000), target: bps(7_000),
                min_bonus: bps(100), max_bonus: bps(500), budget, max_repay, min_position: min_pos,
            };
            match partial(&i) {
                Ok(o) => {
                    // Never above the caps; never beyond the bonus cap.
                    prop_assert!(o.repay <= budget.min(max_repay).min(debt));
                    prop_assert!(o.bonus <= Fp::ONE.saturating_sub(ltv));
                    let out = payout_collateral(o.repay, o.bonus, payout, coll).unwrap();
                    prop_assert!(out <= coll);
                    // The liquidator never receives more than repay * (1 + bonus)
                    // of value at the payout price, nor beyond max_bonus.
                    let got = payout.mul_int_floor(out as u128).unwrap();
                    prop_assert!(got <= Fp::ONE.checked_add(o.bonus).unwrap().mul_int_ceil(o.repay as u128).unwrap());
                    prop_assert!(got <= bps(10_500).mul_int_ceil(o.repay as u128).unwrap());
                    // Dust: the rest is nothing or at least min_position.
                    let rest = debt - o.repay;
                    prop_assert!(rest == 0 || rest >= min_pos);
                    // The account is never left less healthy.
                    let after = ltv_ceil(rest as u128, coll - out, price).unwrap();
                    prop_assert!(after <= ltv, "{:?} > {:?}", after, ltv);
                }
                Err(e) => prop_assert_eq!(e, LiqError::NothingToLiquidate),
            }
        }

        #[test]
        fn kick_invariants(
            coll in 1_000u64..1_000_000_000_000, ltv_bps in 8_001u64..12_000, budget in 0u64..u64::MAX, emergency in any::<bool>(),
        ) {
            let price = Fp::from_bps(3_000);
            let value = price.mul_int_floor(coll as u128).unwrap();
            let debt = (Fp::from_bps(ltv_bps).mul_int_floor(value).unwrap()) as u64;
            prop_assume!(debt > 0);
            let i = KickInput {
                debt, collateral: coll, price, target: bps(7_000), penalty: bps(500),
                min_position: 100, budget, emergency,
            };
            match kick(&i) {
                Ok(o) => {
                    prop_assert!(o.debt_slice <= debt);
                    prop_assert!(o.whole || o.debt_slice <= budget);
                    let rest = debt - o.debt_slice;
                    prop_assert!(rest == 0 || rest >= 100);
                    prop_assert!(o.whole == (o.debt_slice == debt));
                    let lot = if o.whole { coll } else { pro_rata_lot(coll, o.debt_slice, debt).unwrap() };
                    prop_assert!(lot > 0 && lot <= coll);
                    prop_assert!(o.whole || lot < coll);
                    // Pro rata: the rest is never left less healthy. Exactly:
                    // rest / (C - lot) <= D / C.
                    prop_assert!(rest as u128 * coll as u128 <= debt as u128 * (coll - lot) as u128);
                }
                Err(e) => prop_assert!(!emergency && e == LiqError::NothingToLiquidate),
            }
        }
    }
}
