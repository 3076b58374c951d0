//! A pure model of one market driven through the controller's own
//! transitions (the functions the handlers call), over random action
//! sequences in any order, with the token moves each returns applied to a
//! ledger of balances. Faster than the program-test run
//! (tests/tests/invariants.rs), so it explores far more sequences; and since
//! it has no bookkeeping of its own, it checks the deployed protocol.
//!
//! After every step: token conservation for both assets; every vault's
//! balance equals the market's accounting for it; the market's totals equal
//! the sum over accounts and auctions; what the LPs own falls only through
//! recorded bad debt, and only once insurance and POL are spent; a partial
//! liquidation's bonus at the market price (spot) never exceeds `max_bonus`;
//! partial liquidations happen only where `partial_open` allows them and
//! kicks only on distressed accounts. A refused transition is rolled back, as the
//! runtime rolls back a failed transaction.

use anchor_lang::prelude::*;
use proptest::prelude::*;

use super::{auction, liquidation, Moves, Party};
use crate::engine::fixed::Fp;
use crate::engine::health::Zone;
use crate::oracle::MarketPrices;
use crate::risk;
use crate::state::{Auction, MarginAccount, Market, OwnerKind, RiskParams, VaultKind};

fn bps(b: u64) -> Fp {
    Fp::from_bps(b)
}

fn zeroed<T: AnchorDeserialize>(len: usize) -> T {
    T::deserialize(&mut &vec![0u8; len][..]).unwrap()
}

fn params() -> RiskParams {
    RiskParams {
        min_position: 10_000,
        budget_capacity: 50_000_000_000,
        budget_refill_per_sec: 5_000_000,
        ..RiskParams::example()
    }
}

#[derive(Clone)]
struct Model {
    market: Market,
    key: Pubkey,
    accounts: Vec<(Pubkey, MarginAccount)>,
    auctions: Vec<Auction>,
    /// Token balances of the market's vaults, by [`VaultKind`].
    vaults: [u64; 5],
    /// Tokens held outside the market (borrowers, keepers, bidders).
    outside_debt: u64,
    outside_coll: u64,
    keeper: Pubkey,
    /// Each auction's penalty at kick time, by id.
    penalties: std::collections::BTreeMap<u64, u64>,
    spot: Fp,
    ema: Fp,
    now: i64,
}

impl Model {
    fn new(sizes: &[(u64, u16)]) -> Model {
        let mut market: Market = zeroed(Market::INIT_SPACE);
        market.open_book();
        market.params = params();
        market.borrow_index = Fp::ONE.0;
        market.budget_level = market.params.budget_capacity;
        let mut m = Model {
            market,
            key: Pubkey::new_unique(),
            accounts: vec![],
            auctions: vec![],
            vaults: [0; 5],
            outside_debt: 1_000_000_000_000_000,
            outside_coll: 0,
            keeper: Pubkey::new_unique(),
            penalties: Default::default(),
            spot: Fp::ONE,
            ema: Fp::ONE,
            now: 1_000,
        };
        m.market.last_accrual_ts = m.now;
        m.market.budget_last_ts = m.now;
        // An LP deposit, the backstops, then each borrower's collateral and debt.
        m.deposit(VaultKind::Liquidity, 1_000_000_000_000);
        m.deposit(VaultKind::Insurance, 1_000_000_000);
        m.deposit(VaultKind::PolDebt, 2_000_000_000);
        m.market.anchor_book(m.spot).unwrap();
        for &(coll, ltv) in sizes {
            let debt = bps(ltv as u64).mul_int_floor(coll as u128).unwrap() as u64;
            let mut acc: MarginAccount = zeroed(MarginAccount::INIT_SPACE);
            acc.owner = Pubkey::new_unique();
            acc.market = m.key;
            acc.collateral = coll;
            acc.debt_shares = debt; // index 1.0
            m.market.total_collateral += coll;
            m.vaults[VaultKind::Collateral as usize] += coll;
            m.market.total_debt_shares += debt;
            m.market.liquidity_amount -= debt;
            m.vaults[VaultKind::Liquidity as usize] -= debt;
            m.outside_debt += debt;
            m.market.rebook((0, 0), acc.position()).unwrap();
            m.accounts.push((Pubkey::new_unique(), acc));
        }
        m
    }

    fn deposit(&mut self, kind: VaultKind, amount: u64) {
        let field = match kind {
            VaultKind::Liquidity => &mut self.market.liquidity_amount,
            VaultKind::Insurance => &mut self.market.insurance_amount,
            VaultKind::PolDebt => &mut self.market.pol_debt_amount,
            _ => unreachable!(),
        };
        *field += amount;
        self.vaults[kind as usize] += amount;
        self.outside_debt -= amount;
    }

    fn prices(&self) -> MarketPrices {
        MarketPrices {
            trigger: self.ema,
            spot: self.spot,
            spot_mid: self.spot,
            ema_mid: self.ema,
            // As if every reading had held: the model explores any price.
            held: self.spot,
            low: self.spot,
            conf_ratio: Fp::ZERO,
            collateral_time: self.now,
            debt_time: self.now,
        }
    }

    fn balance(&mut self, p: Party) -> &mut u64 {
        match p {
            Party::Vault(k) => &mut self.vaults[k as usize],
            Party::CallerDebt => &mut self.outside_debt,
            Party::CallerCollateral => &mut self.outside_coll,
            Party::CallerShares | Party::LpMint => unreachable!("no LP moves in the model"),
        }
    }

    /// The token program: every move must be covered by its source.
    fn apply(&mut self, moves: &Moves) {
        for mv in moves.iter() {
            let from = self.balance(mv.from);
            assert!(*from >= mv.amount, "a move overdraws {:?}", mv.from);
            *from -= mv.amount;
            *self.balance(mv.to) += mv.amount;
        }
    }

    fn debt_tokens(&self) -> u128 {
        [1, 2, 3]
            .iter()
            .map(|&k| self.vaults[k] as u128)
            .sum::<u128>()
            + self.outside_debt as u128
    }

    fn coll_tokens(&self) -> u128 {
        [0, 4].iter().map(|&k| self.vaults[k] as u128).sum::<u128>() + self.outside_coll as u128
    }

    /// The account's zone with interest accrued to now, judged apart from
    /// the transition under test.
    fn zone(&self, i: usize) -> Zone {
        let mut market = self.market.clone();
        market.accrue_interest(self.now).unwrap();
        let acc = &self.accounts[i].1;
        risk::evaluate(&market, acc.collateral, acc.debt_shares, &self.prices())
            .unwrap()
            .zone
    }

    /// Runs a transition; on refusal, rolls the whole model back.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Model) -> Result<T>) -> Option<T> {
        let before = self.clone();
        match f(self) {
            Ok(t) => Some(t),
            Err(_) => {
                *self = before;
                None
            }
        }
    }

    fn partial(&mut self, i: usize, max_repay: u64) {
        let Some(i) = (!self.accounts.is_empty()).then(|| i % self.accounts.len()) else {
            return;
        };
        let (zone, prices, now, keeper) = (self.zone(i), self.prices(), self.now, self.keeper);
        let out = self.attempt(|m| {
            liquidation::liquidate_partial(
                &mut m.market,
                &mut m.accounts[i].1,
                &prices,
                now,
                &keeper,
                max_repay,
            )
        });
        if let Some(out) = out {
            // Only where the rule opens it: the buffer zone at the trigger, past
            // liq_ltv on the held price, distressed, or in an emergency while solvent at
            // the trigger; never an insolvent account.
            assert!(
                liquidation::partial_open(&out.plan.before),
                "partial liquidation where it is not open"
            );
            assert!(
                zone != Zone::Emergency || out.plan.before.trigger_ltv < bps(10_000),
                "{zone:?} at {:?}",
                out.plan.before.trigger_ltv
            );
            // The bonus at the market price (spot) never exceeds max_bonus.
            let market_price = self.spot;
            let got = market_price
                .mul_int_floor(out.plan.collateral_out as u128)
                .unwrap();
            let cap = bps(10_000 + self.market.params.max_bonus_bps as u64)
                .mul_int_ceil(out.plan.repaid as u128)
                .unwrap();
            assert!(got <= cap, "bonus above max_bonus: {got} > {cap}");
            assert!(out.ltv_after <= out.plan.before.trigger_ltv);
            self.apply(&out.moves);
        }
    }

    fn kick(&mut self, i: usize) {
        let Some(i) = (!self.accounts.is_empty()).then(|| i % self.accounts.len()) else {
            return;
        };
        let (zone, prices, now) = (self.zone(i), self.prices(), self.now);
        let new = auction::NewAuction {
            market: self.key,
            owner: self.accounts[i].0,
            kicker: self.keeper,
            bump: 255,
        };
        let out = self.attempt(|m| {
            let mut au: Auction = zeroed(Auction::INIT_SPACE);
            let out = auction::kick(
                &mut m.market,
                &mut m.accounts[i].1,
                &mut au,
                &new,
                &prices,
                now,
            )?;
            m.auctions.push(au);
            Ok(out)
        });
        if let Some(out) = out {
            assert!(zone >= Zone::Distressed, "kick of a {zone:?} account");
            assert!(self.auctions.last().unwrap().owner_kind == OwnerKind::Margin);
            assert!(
                out.keeper_reward <= out.tab - out.principal,
                "reward above the penalty"
            );
            self.penalties.insert(out.id, out.tab - out.principal);
            self.apply(&out.moves);
        }
    }

    fn kick_pol(&mut self, frac: u16) {
        let lot = (self.market.pol_collateral_amount as u128 * frac as u128 / 10_000) as u64;
        let (prices, now) = (self.prices(), self.now);
        let new = auction::NewAuction {
            market: self.key,
            owner: self.key,
            kicker: self.keeper,
            bump: 255,
        };
        if let Some(out) = self.attempt(|m| {
            let mut au: Auction = zeroed(Auction::INIT_SPACE);
            let out = auction::kick_pol(&mut m.market, &mut au, &new, &prices, now, lot)?;
            m.auctions.push(au);
            Ok(out)
        }) {
            self.penalties.insert(out.id, 0);
            self.apply(&out.moves);
        }
    }

    fn with_auction<T>(
        &mut self,
        j: usize,
        f: impl FnOnce(&mut Market, &mut Auction, &MarketPrices, i64) -> Result<T>,
    ) -> Option<T> {
        if self.auctions.is_empty() {
            return None;
        }
        let j = j % self.auctions.len();
        let (prices, now) = (self.prices(), self.now);
        self.attempt(|m| f(&mut m.market, &mut m.auctions[j], &prices, now))
    }

    fn bid(&mut self, j: usize, frac: u16) {
        let out = self.with_auction(j, |market, au, prices, now| {
            let max_lot = ((au.lot as u128 * frac as u128) / 10_000).max(1) as u64;
            let floor = risk::auction_floor(&au.terms, prices)?;
            let out = auction::bid(market, au, prices, now, max_lot, u128::MAX)?;
            assert!(out.price >= floor, "bid below the floor");
            Ok(out)
        });
        if let Some(out) = out {
            assert!(
                out.fill.owe as u128 >= out.price.mul_int_floor(out.fill.slice as u128).unwrap()
                    || out.fill.slice == 1,
                "bidder underpaid"
            );
            self.apply(&out.moves);
        }
    }

    fn backstop(&mut self, j: usize) {
        if let Some(out) = self.with_auction(j, auction::backstop) {
            self.apply(&out.moves);
        }
    }

    fn restart(&mut self, j: usize) {
        if let Some(out) = self.with_auction(j, auction::restart) {
            self.apply(&out.moves);
        }
    }

    fn settle(&mut self, j: usize) {
        if self.auctions.is_empty() {
            return;
        }
        let j = j % self.auctions.len();
        let au = self.auctions[j].clone();
        let owner = self.accounts.iter().position(|(k, _)| *k == au.owner);
        let key = self.key;
        let insurance_and_pol =
            self.market.insurance_amount as u128 + self.market.pol_debt_amount as u128;
        let out = self.attempt(|m| {
            let account = owner.map(|i| {
                let (k, acc) = &mut m.accounts[i];
                (acc, *k)
            });
            let out = auction::settle(&mut m.market, &key, &au, account)?;
            m.auctions.remove(j);
            Ok(out)
        });
        if let Some(out) = out {
            if out.cover.bad_debt > 0 {
                assert!(
                    (out.cover.insurance + out.cover.pol) as u128 == insurance_and_pol,
                    "bad debt while backstops could pay"
                );
            }
            self.apply(&out.moves);
        }
    }

    fn refresh(&mut self) {
        let now = self.now;
        self.attempt(|m| m.market.accrue_interest(now));
        self.market.refill_budget(now);
    }

    /// The keeper's pass: partial liquidations and kicks where the zone
    /// calls for them.
    fn keep(&mut self) {
        for i in 0..self.accounts.len() {
            match self.zone(i) {
                Zone::Buffer => self.partial(i, u64::MAX),
                Zone::Distressed | Zone::Emergency => self.kick(i),
                Zone::Healthy => {}
            }
        }
    }

    fn lp_assets(&self) -> u128 {
        self.market.lp_assets().unwrap() as u128
    }

    fn check(&self, debt0: u128, coll0: u128) {
        assert_eq!(self.debt_tokens(), debt0, "debt tokens conserved");
        assert_eq!(self.coll_tokens(), coll0, "collateral tokens conserved");
        let mk = &self.market;
        let v = |k: VaultKind| self.vaults[k as usize];
        assert_eq!(v(VaultKind::Collateral), mk.total_collateral);
        assert_eq!(v(VaultKind::Liquidity), mk.liquidity_amount);
        assert_eq!(v(VaultKind::Insurance), mk.insurance_amount);
        assert_eq!(v(VaultKind::PolDebt), mk.pol_debt_amount);
        assert_eq!(v(VaultKind::PolCollateral), mk.pol_collateral_amount);
        let coll: u64 = self.accounts.iter().map(|(_, a)| a.collateral).sum::<u64>()
            + self.auctions.iter().map(|a| a.lot).sum::<u64>();
        assert_eq!(coll, mk.total_collateral, "collateral by owner");
        let shares: u64 = self.accounts.iter().map(|(_, a)| a.debt_shares).sum();
        assert_eq!(shares, mk.total_debt_shares);
        // The underwater book holds every account where its position puts it.
        let mut book: Market = zeroed(Market::INIT_SPACE);
        book.open_book();
        book.book_anchor = mk.book_anchor;
        for (_, a) in &self.accounts {
            book.rebook((0, 0), a.position()).unwrap();
        }
        assert_eq!(book.book, mk.book, "the underwater book");
        let margin = || {
            self.auctions
                .iter()
                .filter(|a| a.owner_kind == OwnerKind::Margin)
        };
        assert_eq!(margin().map(|a| a.principal).sum::<u64>(), mk.auction_debt);
        assert_eq!(margin().map(|a| a.lot).sum::<u64>(), mk.auction_lots);
        assert_eq!(self.auctions.len() as u32, mk.open_auctions);
        for au in &self.auctions {
            // All keeper rewards of one auction stay within its penalty.
            assert!(
                au.rewards_paid <= self.penalties[&au.id],
                "rewards above the penalty"
            );
        }
        for (k, a) in &self.accounts {
            let open = self.auctions.iter().filter(|au| au.owner == *k).count();
            assert_eq!(open, a.open_auctions as usize);
            a.invariant().unwrap();
        }
        mk.invariant().unwrap();
    }
}

#[derive(Clone, Debug)]
enum Act {
    /// Spot moves by this many bps; the EMA follows part of the way.
    Price(i32, u8),
    Time(u16),
    Refresh,
    Keep,
    Partial(usize, u64),
    Kick(usize),
    KickPol(u16),
    Bid(usize, u16),
    Backstop(usize),
    Restart(usize),
    Settle(usize),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => (-2_000i32..1_000, 0u8..=100).prop_map(|(b, f)| Act::Price(b, f)),
        2 => (1u16..3_000).prop_map(Act::Time),
        1 => Just(Act::Refresh),
        3 => Just(Act::Keep),
        1 => (0usize..6, 1u64..u64::MAX).prop_map(|(i, r)| Act::Partial(i, r)),
        1 => (0usize..6).prop_map(Act::Kick),
        1 => (1u16..=10_000).prop_map(Act::KickPol),
        4 => (0usize..8, 1u16..=10_000).prop_map(|(j, f)| Act::Bid(j, f)),
        1 => (0usize..8).prop_map(Act::Backstop),
        1 => (0usize..8).prop_map(Act::Restart),
        2 => (0usize..8).prop_map(Act::Settle),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_controller_keeps_the_invariants(
        sizes in proptest::collection::vec((1_000_000u64..10_000_000_000, 3_000u16..7_000), 1..6),
        acts in proptest::collection::vec(act(), 1..80),
    ) {
        let mut m = Model::new(&sizes);
        let (debt0, coll0) = (m.debt_tokens(), m.coll_tokens());
        m.check(debt0, coll0);
        let mut assets = m.lp_assets();
        let mut bad_debt = m.market.recorded_bad_debt;
        for a in acts {
            let backstops_before = m.market.insurance_amount as u128 + m.market.pol_debt_amount as u128;
            match a {
                Act::Price(b, follow) => {
                    let f = bps((10_000 + b as i64).max(100) as u64);
                    m.spot = m.spot.mul_floor(f).unwrap().max(Fp(1_000_000));
                    // The EMA moves `follow`% of the way to spot.
                    let (s, e) = (m.spot.0, m.ema.0);
                    m.ema = Fp(if s >= e { e + (s - e) * follow as u128 / 100 } else { e - (e - s) * follow as u128 / 100 });
                }
                Act::Time(s) => m.now += s as i64,
                Act::Refresh => m.refresh(),
                Act::Keep => m.keep(),
                Act::Partial(i, r) => m.partial(i, r),
                Act::Kick(i) => m.kick(i),
                Act::KickPol(f) => m.kick_pol(f),
                Act::Bid(j, f) => m.bid(j, f),
                Act::Backstop(j) => m.backstop(j),
                Act::Restart(j) => m.restart(j),
                Act::Settle(j) => m.settle(j),
            }
            m.check(debt0, coll0);
            // What the LPs own falls only through bad debt, and only once
            // insurance and POL are spent.
            let now_assets = m.lp_assets();
            if now_assets < assets {
                prop_assert!(m.market.recorded_bad_debt > bad_debt, "LP assets fell without bad debt");
                prop_assert!(backstops_before < assets - now_assets || (m.market.insurance_amount == 0 && m.market.pol_debt_amount == 0));
            }
            assets = now_assets;
            bad_debt = m.market.recorded_bad_debt;
        }
    }
}
