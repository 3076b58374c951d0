//! Who pays an auction's shortfall: the insurance fund, then POL, and only
//! then the LPs, as recorded bad debt.

/// How a shortfall was covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Cover {
    pub insurance: u64,
    pub pol: u64,
    /// What nobody could pay: written off against the LPs.
    pub bad_debt: u64,
}

/// Covers `shortfall` from `insurance` then `pol`.
pub fn cover(shortfall: u64, insurance: u64, pol: u64) -> Cover {
    let from_insurance = shortfall.min(insurance);
    let rest = shortfall - from_insurance;
    let from_pol = rest.min(pol);
    Cover {
        insurance: from_insurance,
        pol: from_pol,
        bad_debt: rest - from_pol,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn order_of_payers() {
        assert_eq!(
            cover(100, 150, 50),
            Cover {
                insurance: 100,
                pol: 0,
                bad_debt: 0
            }
        );
        assert_eq!(
            cover(100, 30, 50),
            Cover {
                insurance: 30,
                pol: 50,
                bad_debt: 20
            }
        );
        assert_eq!(cover(0, 30, 50), Cover::default());
    }

    proptest! {
        #[test]
        fn sums_and_order(s in any::<u64>(), i in any::<u64>(), p in any::<u64>()) {
            let c = cover(s, i, p);
            prop_assert_eq!(c.insurance as u128 + c.pol as u128 + c.bad_debt as u128, s as u128);
            prop_assert!(c.pol == 0 || c.insurance == i.min(s));
            prop_assert!(c.bad_debt == 0 || (c.insurance == i && c.pol == p));
        }
    }
}
