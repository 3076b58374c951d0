//! A pure model of one market driven by the engine's functions, run over
//! random action sequences with the design's invariants checked after every
//! step. Faster than the program-test run (tests/tests/invariants.rs), so it
//! explores far more sequences.

use super::auction::{self, Curve};
use super::fixed::Fp;
use super::health::{self, Thresholds, Zone};
use super::liquidation::{self, KickInput, PartialInput};
use super::waterfall;
use proptest::prelude::*;

fn bps(b: u64) -> Fp {
    Fp::from_bps(b)
}

#[derive(Clone, Copy, Debug)]
struct Account {
    coll: u64,
    debt: u64,
    in_auction: bool,
}

#[derive(Clone, Copy, Debug)]
struct Au {
    owner: usize,
    lot: u64,
    tab: u64,
    principal: u64,
    top: Fp,
    start: u64,
}

struct Model {
    price: Fp,
    now: u64,
    accounts: Vec<Account>,
    auctions: Vec<Au>,
    liquidity: u64,
    insurance: u64,
    pol_debt: u64,
    pol_coll: u64,
    /// Debt tokens held outside the market (borrowers, keepers, bidders).
    outside_debt: u64,
    /// Collateral held outside (keepers, bidders).
    outside_coll: u64,
    budget: u64,
    bad_debt: u64,
}

const MIN_POS: u64 = 10_000;
const CURVE: Curve = Curve::StepExp {
    step_secs: 60,
    cut: Fp(990_000_000_000_000_000),
};

impl Model {
    fn new(sizes: &[(u64, u16)]) -> Model {
        let mut m = Model {
            price: Fp::ONE,
            now: 0,
            accounts: vec![],
            auctions: vec![],
            liquidity: 1_000_000_000_000,
            insurance: 1_000_000_000,
            pol_debt: 2_000_000_000,
            pol_coll: 0,
            outside_debt: 1_000_000_000_000_000,
            outside_coll: 0,
            budget: 50_000_000_000,
            bad_debt: 0,
        };
        for &(coll, ltv) in sizes {
            let debt = bps(ltv as u64).mul_int_floor(coll as u128).unwrap() as u64;
            m.liquidity -= debt;
            m.outside_debt += debt;
            m.accounts.push(Account {
                coll,
                debt,
                in_auction: false,
            });
        }
        m
    }

    fn debt_tokens(&self) -> u128 {
        [
            self.liquidity,
            self.insurance,
            self.pol_debt,
            self.outside_debt,
        ]
        .iter()
        .map(|&x| x as u128)
        .sum()
    }

    fn coll_tokens(&self) -> u128 {
        let a: u128 = self.accounts.iter().map(|a| a.coll as u128).sum();
        let l: u128 = self.auctions.iter().map(|a| a.lot as u128).sum();
        a + l + self.pol_coll as u128 + self.outside_coll as u128
    }

    fn lp_assets(&self) -> u128 {
        let d: u128 = self.accounts.iter().map(|a| a.debt as u128).sum();
        let p: u128 = self.auctions.iter().map(|a| a.principal as u128).sum();
        self.liquidity as u128 + d + p
    }

    fn floor(&self) -> Fp {
        self.price.mul_ceil(bps(8_000)).unwrap()
    }

    fn keep(&mut self) {
        let th = Thresholds {
            liq_ltv: bps(8_000),
            full_ltv: bps(9_500),
            buffer: bps(100),
        };
        for i in 0..self.accounts.len() {
            let a = self.accounts[i];
            if a.debt == 0 {
                continue;
            }
            let ltv = health::ltv_ceil(a.debt as u128, a.coll, self.price).unwrap();
            let zone = health::zone(ltv, ltv, &th).unwrap();
            if zone == Zone::Buffer && !a.in_auction {
                let o = liquidation::partial(&PartialInput {
                    debt: a.debt,
                    collateral: a.coll,
                    price: self.price,
                    ltv,
                    liq_ltv_eff: th.liq_ltv_eff().unwrap(),
                    liq_ltv: th.liq_ltv,
                    target: bps(7_000),
                    min_bonus: bps(100),
                    max_bonus: bps(500),
                    budget: self.budget,
                    max_repay: u64::MAX,
                    min_position: MIN_POS,
                });
                if let Ok(o) = o {
                    assert!(
                        o.bonus <= Fp::ONE.saturating_sub(ltv),
                        "bonus above 1 - LTV"
                    );
                    let acc = &mut self.accounts[i];
                    acc.debt -= o.repay;
                    acc.coll -= o.collateral_out;
                    let after = health::ltv_ceil(acc.debt as u128, acc.coll, self.price).unwrap();
                    assert!(after <= ltv, "partial liquidation worsened health");
                    self.outside_debt -= o.repay;
                    self.liquidity += o.repay;
                    self.outside_coll += o.collateral_out;
                    self.budget -= o.repay;
                }
            } else if zone >= Zone::Distressed && (!a.in_auction || zone == Zone::Emergency) {
                let k = liquidation::kick(&KickInput {
                    debt: a.debt,
                    collateral: a.coll,
                    price: self.price,
                    spot: self.price,
                    target: bps(7_000),
                    penalty: bps(500),
                    max_discount: bps(2_000),
                    buf: bps(11_000),
                    min_position: MIN_POS,
                    budget: self.budget,
                    emergency: zone == Zone::Emergency,
                });
                if let Ok(k) = k {
                    let acc = &mut self.accounts[i];
                    acc.debt -= k.debt_slice;
                    acc.coll -= k.lot;
                    acc.in_auction = true;
                    self.budget = self.budget.saturating_sub(k.debt_slice);
                    self.auctions.push(Au {
                        owner: i,
                        lot: k.lot,
                        tab: k.tab(),
                        principal: k.debt_slice,
                        top: k.top,
                        start: self.now,
                    });
                }
            }
        }
    }

    fn pay(&mut self, j: usize, slice: u64, owe: u64, principal: u64, by_pol: bool) {
        let au = &mut self.auctions[j];
        au.lot -= slice;
        au.tab -= owe;
        au.principal -= principal;
        if by_pol {
            self.pol_debt -= owe;
            self.pol_coll += slice;
        } else {
            self.outside_debt -= owe;
            self.outside_coll += slice;
        }
        self.liquidity += principal;
        self.insurance += owe - principal;
    }

    fn bid(&mut self, j: usize, frac: u16) {
        let Some(au) = self.auctions.get(j).copied() else {
            return;
        };
        let floor = self.floor();
        let price = auction::bid_price(au.top, self.now - au.start, CURVE, floor).unwrap();
        assert!(price >= floor, "bid below the floor");
        let max_lot = ((au.lot as u128 * frac as u128) / 10_000).max(1) as u64;
        if let Ok(f) = auction::fill(au.lot, au.tab, au.principal, max_lot, price, MIN_POS) {
            assert!(
                f.owe as u128 >= price.mul_int_floor(f.slice as u128).unwrap(),
                "bidder underpaid"
            );
            self.pay(j, f.slice, f.owe, f.principal, false);
        }
    }

    fn backstop(&mut self, j: usize) {
        let Some(au) = self.auctions.get(j).copied() else {
            return;
        };
        let floor = self.floor();
        let stale = self.now - au.start > 1_800;
        if !(stale || auction::at_floor(au.top, self.now - au.start, CURVE, floor).unwrap()) {
            return;
        }
        let affordable = floor
            .div_int_floor(self.pol_debt as u128)
            .unwrap()
            .min(u64::MAX as u128) as u64;
        if affordable == 0 {
            return;
        }
        if let Ok(f) = auction::fill(au.lot, au.tab, au.principal, affordable, floor, 0) {
            self.pay(j, f.slice, f.owe, f.principal, true);
        }
    }

    fn settle(&mut self, j: usize) {
        let Some(au) = self.auctions.get(j).copied() else {
            return;
        };
        if au.lot != 0 && au.tab != 0 {
            return;
        }
        let c = waterfall::cover(au.principal, self.insurance, self.pol_debt);
        self.insurance -= c.insurance;
        self.pol_debt -= c.pol;
        self.liquidity += c.insurance + c.pol;
        self.bad_debt += c.bad_debt;
        if c.bad_debt > 0 {
            assert_eq!(
                (self.insurance, self.pol_debt),
                (0, 0),
                "bad debt while backstops could pay"
            );
        }
        self.accounts[au.owner].coll += au.lot;
        self.auctions.remove(j);
        let owner = au.owner;
        self.accounts[owner].in_auction = self.auctions.iter().any(|a| a.owner == owner);
    }
}

#[derive(Clone, Debug)]
enum Act {
    Price(i32),
    Time(u16),
    Keep,
    Bid(usize, u16),
    Backstop(usize),
    Settle(usize),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => (-2_000i32..1_000).prop_map(Act::Price),
        2 => (1u16..3_000).prop_map(Act::Time),
        3 => Just(Act::Keep),
        4 => (0usize..6, 1u16..=10_000).prop_map(|(j, f)| Act::Bid(j, f)),
        1 => (0usize..6).prop_map(Act::Backstop),
        2 => (0usize..6).prop_map(Act::Settle),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn engine_model_keeps_the_invariants(
        sizes in proptest::collection::vec((1_000_000u64..10_000_000_000, 3_000u16..7_000), 1..6),
        acts in proptest::collection::vec(act(), 1..80),
    ) {
        let mut m = Model::new(&sizes);
        let (debt0, coll0) = (m.debt_tokens(), m.coll_tokens());
        let mut assets = m.lp_assets();
        for a in acts {
            let insurance_and_pol_before = m.insurance as u128 + m.pol_debt as u128;
            match a {
                Act::Price(b) => {
                    let f = bps((10_000 + b as i64).max(100) as u64);
                    m.price = m.price.mul_floor(f).unwrap().max(Fp(1_000_000));
                }
                Act::Time(s) => m.now += s as u64,
                Act::Keep => m.keep(),
                Act::Bid(j, f) => m.bid(j, f),
                Act::Backstop(j) => m.backstop(j),
                Act::Settle(j) => m.settle(j),
            }
            // Token conservation, both assets.
            prop_assert_eq!(m.debt_tokens(), debt0);
            prop_assert_eq!(m.coll_tokens(), coll0);
            // What the LPs own only falls through bad debt, and only once
            // insurance and POL are spent.
            let now_assets = m.lp_assets();
            if now_assets < assets {
                prop_assert!(insurance_and_pol_before < assets - now_assets || (m.insurance == 0 && m.pol_debt == 0));
                prop_assert!(m.bad_debt > 0);
            }
            assets = now_assets;
        }
    }
}
