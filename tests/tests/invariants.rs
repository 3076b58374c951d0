//! Random action sequences through the real program (program-test), with
//! the invariants of the design checked after every step:
//!
//! - token conservation: every vault holds what the market accounts for;
//! - the LP share price never falls while insurance + POL can pay;
//! - no bid clears below the floor; no bonus exceeds 1 - LTV;
//! - no account ends a keeper action less healthy than it started;
//! - an adversary who replays any genuine price update of the last
//!   `oracle_max_age_secs` and sequences refreshes and liquidations freely
//!   gets nothing from an update older than one the market has used (all
//!   refused, `oracle/superseded`), and with any other liquidates only what
//!   that reading puts in the buffer zone (partially) or past the threshold
//!   (auctions): no healthy account is ever liquidated.

use anchor_lang::prelude::Pubkey;
use proptest::prelude::*;
use zero_loss::events::{
    AuctionBid, AuctionStarted, BadDebtRecorded, HealthChecked, PartialLiquidated,
};
use zero_loss::state::Zone;
use zero_loss::state::{Auction, RiskParams};
use zero_loss_tests::market::*;

#[derive(Clone, Debug)]
enum Action {
    /// Move the price by this many bps (spot and EMA together).
    Price(i32),
    /// Spot alone moves by this many bps (a wick).
    Wick(i32),
    Advance(u32),
    Borrow(usize, u16),
    Repay(usize, u16),
    Refresh,
    Keep,
    Bid(u16),
    /// The LP withdraws this fraction (bps) of its shares.
    LpExit(u16),
    /// The adversary replays the n-th genuine update still within the max
    /// age, then refreshes and tries to liquidate every account with it.
    Replay(usize),
    Restart,
    Backstop,
    Settle,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (-1_500i32..800).prop_map(Action::Price),
        1 => (-1_000i32..1_000).prop_map(Action::Wick),
        2 => (1u32..2_000).prop_map(Action::Advance),
        2 => (0usize..4, 1u16..10_000).prop_map(|(i, f)| Action::Borrow(i, f)),
        1 => (0usize..4, 1u16..10_000).prop_map(|(i, f)| Action::Repay(i, f)),
        1 => Just(Action::Refresh),
        4 => Just(Action::Keep),
        3 => (1u16..=10_000).prop_map(Action::Bid),
        2 => (0usize..64).prop_map(Action::Replay),
        1 => (1u16..=5_000).prop_map(Action::LpExit),
        1 => Just(Action::Restart),
        1 => Just(Action::Backstop),
        2 => Just(Action::Settle),
    ]
}

struct World {
    f: MarketFixture,
    borrowers: Vec<User>,
    keeper: User,
    lp: User,
    auctions: Vec<(Pubkey, Pubkey, Option<Pubkey>)>,
    ema: f64,
    spot: f64,
    /// Every genuine update published so far: (publish time, EMA, spot).
    history: Vec<(i64, f64, f64)>,
    /// Replayed superseded updates, all refused.
    replays_refused: u32,
    /// LP withdrawals made while a borrower auction was open.
    lp_exits_in_auction: u32,
    /// LP withdrawals made while a margin account owed more than its
    /// collateral at the exit floor (kicked or not).
    lp_exits_underwater: u32,
    /// How many times each deep path ran: partial, kick, bid, backstop, settle.
    ran: [u32; 5],
}

impl World {
    async fn new() -> World {
        let mut f = MarketFixture::with_params(RiskParams::example()).await;
        let lp = f.lp(50_000 * ONE_DEBT).await;
        f.lp(50_000 * ONE_DEBT).await;
        f.fund_backstops(300 * ONE_DEBT, 500 * ONE_DEBT).await;
        let mut borrowers = Vec::new();
        for i in 0..4u64 {
            let b = f.borrower((5 + 3 * i) * ONE_COLL).await;
            f.env
                .mint_to(f.debt_mint, b.debt_ata, 1_000 * ONE_DEBT)
                .await;
            borrowers.push(b);
        }
        let keeper = f.user(0, 1_000_000 * ONE_DEBT).await;
        World {
            f,
            borrowers,
            keeper,
            lp,
            auctions: vec![],
            ema: 100.0,
            spot: 100.0,
            history: vec![],
            replays_refused: 0,
            lp_exits_in_auction: 0,
            lp_exits_underwater: 0,
            ran: [0; 5],
        }
    }

    fn floor_now(&self) -> f64 {
        // spot less conf (0.05%) over the debt's conf, times (1 - 20%), per lamport.
        self.spot * 0.9995 / 1.0005 * zero_loss_tests::market::FLOOR_KEEP * 1e-3
    }

    async fn step(&mut self, a: &Action) {
        self.step_inner(a).await;
        // Every action leaves the live reading published now: a genuine update.
        let now = self.f.env.now();
        if self.history.last().map(|h| h.0) != Some(now) {
            self.history.push((now, self.ema, self.spot));
        }
    }

    /// The adversary's turn: a genuine update of its choice from the last
    /// `oracle_max_age_secs`, a refresh, then a partial liquidation and a
    /// kick of every account; the live reading is restored after.
    async fn replay(&mut self, pick: usize) {
        let f = &mut self.f;
        let now = f.env.now();
        let max_age = RiskParams::example().oracle_max_age_secs as i64;
        let window: Vec<_> = self
            .history
            .iter()
            .filter(|h| now - h.0 <= max_age)
            .copied()
            .collect();
        if window.is_empty() {
            return;
        }
        let (t, ema, spot) = window[pick % window.len()];
        let m = f.market_state().await;
        let superseded = t < m.collateral_publish_time || t < m.debt_publish_time;
        let e = |usd: f64| (usd * 1e8).round() as i64;
        f.collateral_price.ema_price = e(ema);
        f.collateral_price.ema_conf = (e(ema) / 2_000) as u64;
        f.collateral_price.price = e(spot);
        f.collateral_price.conf = (e(spot) / 2_000) as u64;
        f.collateral_price.publish_time = t;
        f.debt_price.publish_time = t;
        f.write_oracles();
        let code = |r: &zero_loss_tests::TxResult| r.custom_code();
        let superseded_code = Some(zero_loss_tests::zl_code(
            zero_loss_tests::ZlError::OracleSuperseded,
        ));
        let r = f.env.send(&[f.ix_refresh()], &[]).await;
        if superseded {
            assert_eq!(
                code(&r),
                superseded_code,
                "an older update refreshed the market"
            );
        }
        for b in &self.borrowers {
            let r = f.env.send(&[f.ix_check_health(b.margin)], &[]).await;
            let zone = r.events::<HealthChecked>().pop().map(|h| h.zone);
            let before = f.market_state().await.next_auction_id;
            let a = f.next_auction().await;
            let liq = f
                .env
                .send(
                    &[f.ix_liquidate_partial(&self.keeper, b.margin, u64::MAX)],
                    &[&self.keeper.kp],
                )
                .await;
            let kick = f
                .env
                .send(
                    &[f.ix_start_auction(&self.keeper, b.margin, a)],
                    &[&self.keeper.kp],
                )
                .await;
            if superseded {
                for r in [&liq, &kick] {
                    assert_eq!(code(r), superseded_code, "a superseded update was used");
                }
                self.replays_refused += 1;
                continue;
            }
            if liq.error.is_none() {
                assert_eq!(
                    zone,
                    Some(Zone::Buffer),
                    "partial liquidation outside the buffer zone"
                );
                self.ran[0] += 1;
            }
            if kick.error.is_none() {
                assert!(
                    zone >= Some(Zone::Distressed),
                    "a {zone:?} account was kicked"
                );
                self.ran[1] += 1;
                let owner = kick.events::<AuctionStarted>().pop().map(|e| e.owner);
                self.auctions.push((a, self.keeper.key(), owner));
                assert_eq!(f.market_state().await.next_auction_id, before + 1);
            }
        }
        // The live reading again.
        f.set_prices(self.ema, self.spot);
    }

    async fn step_inner(&mut self, a: &Action) {
        let floor = self.floor_now();
        if let Action::Replay(pick) = *a {
            return self.replay(pick).await;
        }
        let f = &mut self.f;
        match *a {
            Action::Price(bps) => {
                self.ema = (self.ema * (1.0 + bps as f64 / 1e4)).max(1.0);
                self.spot = self.ema;
                f.set_prices(self.ema, self.spot);
            }
            Action::Wick(bps) => {
                self.spot = (self.ema * (1.0 + bps as f64 / 1e4)).max(1.0);
                f.set_prices(self.ema, self.spot);
            }
            Action::Advance(secs) => f.advance(secs as i64).await,
            Action::Borrow(i, frac) => {
                let b = &self.borrowers[i];
                let coll = f.margin_state(b).await.collateral;
                let max = f.reference_max_borrow(coll);
                let amount = (max * frac as f64 / 1e4) as u64;
                if amount > 0 {
                    f.env.send(&[f.ix_borrow(b, amount)], &[&b.kp]).await;
                }
            }
            Action::Repay(i, frac) => {
                let b = &self.borrowers[i];
                let amount = (1_000 * ONE_DEBT) * frac as u64 / 10_000;
                f.env
                    .send(&[f.ix_repay(b, b.margin, amount.max(1))], &[&b.kp])
                    .await;
            }
            Action::Refresh => {
                f.env.send(&[f.ix_refresh()], &[]).await;
            }
            Action::Keep => {
                for b in &self.borrowers {
                    let r = f.env.send(&[f.ix_check_health(b.margin)], &[]).await;
                    let Some(h) = r.events::<HealthChecked>().pop() else {
                        continue;
                    };
                    match h.zone {
                        Zone::Buffer => {
                            let r = f
                                .env
                                .send(
                                    &[f.ix_liquidate_partial(&self.keeper, b.margin, u64::MAX)],
                                    &[&self.keeper.kp],
                                )
                                .await;
                            for ev in r.events::<PartialLiquidated>() {
                                self.ran[0] += 1;
                                assert!(
                                    ev.bonus_bps <= 10_000 - ev.ltv_before_bps.min(10_000),
                                    "bonus above 1 - LTV"
                                );
                                assert!(
                                    ev.ltv_after_bps <= ev.ltv_before_bps,
                                    "liquidation worsened health"
                                );
                            }
                        }
                        Zone::Distressed | Zone::Emergency => {
                            let a = f.next_auction().await;
                            let r = f
                                .env
                                .send(
                                    &[f.ix_start_auction(&self.keeper, b.margin, a)],
                                    &[&self.keeper.kp],
                                )
                                .await;
                            if let Some(ev) = r.events::<AuctionStarted>().pop() {
                                self.ran[1] += 1;
                                self.auctions.push((a, self.keeper.key(), Some(ev.owner)));
                            }
                        }
                        _ => {}
                    }
                }
            }
            Action::Bid(frac) => {
                for &(a, _, _) in &self.auctions {
                    let Some(acc) = f.env.account(a).await else {
                        continue;
                    };
                    let au: Auction =
                        anchor_lang::AccountDeserialize::try_deserialize(&mut acc.data.as_slice())
                            .unwrap();
                    let lot = (au.lot as u128 * frac as u128 / 10_000).max(1) as u64;
                    let r = f
                        .env
                        .send(
                            &[f.ix_bid(&self.keeper, a, lot, u128::MAX)],
                            &[&self.keeper.kp],
                        )
                        .await;
                    for ev in r.events::<AuctionBid>() {
                        self.ran[2] += 1;
                        assert!(
                            ev.price as f64 / 1e18 >= floor * (1.0 - 1e-9),
                            "bid below the floor"
                        );
                    }
                }
            }
            Action::Replay(_) => unreachable!("handled above"),
            Action::LpExit(frac) => {
                // No withdrawal leaves the LPs who stay with a lower share
                // price, the visible uncovered shortfall marked, than an
                // equal split of it would: open auctions' principal beyond
                // their lots, and each margin account's debt beyond its
                // collateral (kicked or not), both at the exit floor.
                let before = f.market_state().await;
                let mut unkicked = 0.0;
                for b in &self.borrowers {
                    let acc = f.margin_state(b).await;
                    let debt = before.debt_of(acc.debt_shares).unwrap() as f64;
                    unkicked += (debt - acc.collateral as f64 * floor).max(0.0);
                }
                let marked = |m: &zero_loss::state::Market| {
                    let backing = m.auction_lots as f64 * floor;
                    let backstops = (m.insurance_amount + m.pol_debt_amount) as f64;
                    let in_auction = (m.auction_debt as f64 - backing).max(0.0);
                    let uncovered = (in_auction + unkicked - backstops).max(0.0);
                    (m.lp_assets().unwrap() as f64 - uncovered) / m.lp_shares as f64
                };
                let shares = f.env.token_balance(self.lp.lp_ata).await * frac as u64 / 10_000;
                if shares > 0 {
                    let r = f
                        .env
                        .send(&[f.ix_lp_withdraw(&self.lp, shares)], &[&self.lp.kp])
                        .await;
                    if r.error.is_none() {
                        self.lp_exits_in_auction += (before.auction_debt > 0) as u32;
                        self.lp_exits_underwater += (unkicked > 0.0) as u32;
                        let after = f.market_state().await;
                        assert!(
                            marked(&after) >= marked(&before) * (1.0 - 1e-6),
                            "an LP exit lowered the marked share price: {} -> {}",
                            marked(&before),
                            marked(&after)
                        );
                    }
                }
            }
            Action::Restart => {
                for &(a, _, _) in &self.auctions {
                    f.env
                        .send(&[f.ix_restart(&self.keeper, a)], &[&self.keeper.kp])
                        .await;
                }
            }
            Action::Backstop => {
                for &(a, _, _) in &self.auctions {
                    let r = f
                        .env
                        .send(&[f.ix_backstop(&self.keeper.key(), a)], &[&self.keeper.kp])
                        .await;
                    self.ran[3] += r.error.is_none() as u32;
                }
            }
            Action::Settle => {
                let mut bad = false;
                for &(a, kicker, owner) in &self.auctions {
                    let r = f
                        .env
                        .send(
                            &[f.ix_settle(&self.keeper.key(), a, kicker, owner)],
                            &[&self.keeper.kp],
                        )
                        .await;
                    bad |= !r.events::<BadDebtRecorded>().is_empty();
                    self.ran[4] += r.error.is_none() as u32;
                }
                if bad {
                    // Bad debt is recorded only once insurance and POL are spent.
                    let m = f.market_state().await;
                    assert_eq!(
                        (m.insurance_amount, m.pol_debt_amount),
                        (0, 0),
                        "bad debt while backstops could pay"
                    );
                }
                let mut live = Vec::new();
                for x in self.auctions.drain(..) {
                    if f.env.account(x.0).await.is_some() {
                        live.push(x);
                    }
                }
                self.auctions = live;
            }
        }
    }
}

/// Runs the sequence, checking the invariants after each step; returns how
/// often each deep path ran, and how many superseded replays were refused.
fn run(actions: Vec<Action>) -> ([u32; 5], u32, u32, u32) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut w = World::new().await;
        let mut share_price = w.f.share_price().await;
        for a in &actions {
            w.step(a).await;
            w.f.assert_conservation().await;
            let sp = w.f.share_price().await;
            let m = w.f.market_state().await;
            if sp < share_price * (1.0 - 1e-12) {
                assert!(
                    m.recorded_bad_debt > 0,
                    "share price fell without bad debt: {share_price} -> {sp} after {a:?}"
                );
                assert_eq!(
                    (m.insurance_amount, m.pol_debt_amount),
                    (0, 0),
                    "share price fell while backstops could pay"
                );
            }
            share_price = sp;
        }
        (
            w.ran,
            w.replays_refused,
            w.lp_exits_in_auction,
            w.lp_exits_underwater,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 50, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_over_random_action_sequences(actions in proptest::collection::vec(action(), 10..40)) {
        run(actions);
    }
}

/// A deterministic crash sequence, so that the deep paths (auctions,
/// backstop, waterfall) run on every CI pass whatever proptest draws.
#[test]
fn invariants_hold_through_a_crash() {
    use Action::*;
    let mut seq = vec![
        Borrow(0, 9_900),
        Borrow(1, 9_900),
        Borrow(2, 9_000),
        Borrow(3, 5_000),
        // The adversary keeps an update from 20 s ago and replays it after
        // the market has moved on, then replays the live one.
        Advance(20),
        Price(-800),
        Advance(20),
        Refresh,
        Replay(0),
        Replay(1),
    ];
    for _ in 0..6 {
        seq.extend([Price(-500), Advance(60), Refresh, Keep, Bid(3_000)]);
    }
    seq.extend([
        Price(-3_000),
        // An LP leaves after the crash, ahead of the keeper's kicks.
        LpExit(1_000),
        Keep,
        LpExit(2_000),
        Advance(1_801),
        Restart,
        Bid(2_000),
        Advance(1_801),
        Restart,
        Advance(1_801),
        Backstop,
        Bid(10_000),
        Settle,
    ]);
    seq.extend([Advance(20_000), Bid(10_000), Backstop, Settle, Refresh]);
    let ([partial, kicks, bids, backstops, settles], refused, exits, underwater) = run(seq);
    assert!(refused > 0, "the superseded replay must be tried");
    assert!(exits > 0, "an LP must leave while an auction is open");
    assert!(
        underwater > 0,
        "an LP must leave while an account is underwater"
    );
    assert!(
        partial > 0 && kicks > 0 && bids > 0 && backstops > 0 && settles > 0,
        "the crash must reach every path: {partial} {kicks} {bids} {backstops} {settles}"
    );
}
