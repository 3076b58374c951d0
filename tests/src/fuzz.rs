//! The fuzzer on the real handlers (docs/security.md, "The fuzzer"): random
//! sequences of every instruction the program has, from several actors, one
//! of them adversarial, through program-test, with the conservation
//! invariants checked after every step. `tests/tests/fuzz.rs` runs the quick
//! run in `cargo test`; `zl-fuzz` (src/bin/zl-fuzz.rs) the long one.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use solana_account::Account;
use zero_loss::events::{AuctionStarted, HealthChecked, PartialLiquidated};
use zero_loss::state::{pause, Auction, MarginAccount, Market, OwnerKind, PolAsset, RiskParams};

use crate::market::*;
use crate::{Keypair, Signer, TxResult};

/// A small deterministic generator (xorshift64*): a sequence is its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, never zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..hi` (lo < hi).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64) as i64
    }

    /// `0..n` as an index.
    pub fn pick(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
}

/// One step of a sequence.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// Price and EMA move together by this many bps.
    Price(i64),
    /// Spot alone moves away from the EMA by this many bps (a wick).
    Wick(i64),
    Advance(i64),
    Deposit(usize, Amount),
    Withdraw(usize, Amount),
    /// Borrow this many ten-thousandths of the reference limit, or an amount.
    Borrow(usize, Amount),
    /// `payer` (a borrower index, or the adversary) repays borrower `i`.
    Repay(usize, usize, Amount),
    /// Borrower `i` repays everything, withdraws everything and closes its
    /// account; or opens it again when closed.
    OpenOrClose(usize),
    /// LP `l` (0, 1, or 2 = the adversary) deposits or exits.
    LpDeposit(usize, Amount),
    LpExit(usize, Amount),
    FundInsurance(Amount),
    FundPol(Amount),
    WithdrawPol(bool, Amount),
    PolAuction(Amount),
    Pause(u16),
    ProposeParams(i64),
    ExecuteParams,
    HandOver,
    Refresh,
    CheckHealth(usize),
    /// A partial liquidation of borrower `i` by the keeper (false) or the adversary (true).
    Partial(usize, bool, Amount),
    Batch(u8),
    Kick(usize, bool),
    Bid(usize, bool, Amount, Price),
    Restart(usize),
    Backstop(usize),
    Settle(usize),
    /// The adversary replays the n-th genuine reading still within the max age,
    /// refreshes, and liquidates and kicks every account with it.
    Replay(usize),
    /// The price falls by this many bps and the adversary leaves as an LP
    /// before anyone kicks.
    CrashAndExit(i64),
    /// The adversary withdraws from borrower `i`'s account with its own signature.
    ForeignWithdraw(usize),
}

/// An amount as a caller picks it: at a boundary or anywhere in between.
#[derive(Clone, Copy, Debug)]
pub enum Amount {
    Zero,
    One,
    /// Exactly what the rule allows (a whole balance, the whole debt, the limit).
    All,
    Max,
    /// This many ten-thousandths of `All`.
    Part(u64),
}

impl Amount {
    fn of(self, all: u64) -> u64 {
        match self {
            Amount::Zero => 0,
            Amount::One => 1,
            Amount::All => all,
            Amount::Max => u64::MAX,
            Amount::Part(bps) => ((all as u128 * bps as u128) / 10_000) as u64,
        }
    }

    fn draw(r: &mut Rng) -> Amount {
        match r.below(10) {
            0 => Amount::Zero,
            1 => Amount::One,
            2 | 3 => Amount::All,
            4 => Amount::Max,
            _ => Amount::Part(1 + r.below(10_500)),
        }
    }
}

/// A bid's price limit.
#[derive(Clone, Copy, Debug)]
pub enum Price {
    /// No limit.
    Any,
    /// Nothing.
    Zero,
}

fn draw_op(r: &mut Rng) -> Op {
    let b = |r: &mut Rng| r.pick(3);
    match r.below(100) {
        0..=7 => Op::Price(r.range(-1_500, 800)),
        8..=10 => Op::Wick(r.range(-1_000, 1_000)),
        11..=16 => Op::Advance(match r.below(8) {
            0 => 86_400 + r.range(0, 7_200),
            _ => r.range(1, 2_000),
        }),
        17..=20 => Op::Deposit(b(r), Amount::draw(r)),
        21..=23 => Op::Withdraw(b(r), Amount::draw(r)),
        24..=30 => Op::Borrow(b(r), Amount::draw(r)),
        31..=33 => Op::Repay(r.pick(4), b(r), Amount::draw(r)),
        34 => Op::OpenOrClose(b(r)),
        35..=36 => Op::LpDeposit(r.pick(3), Amount::draw(r)),
        37..=39 => Op::LpExit(r.pick(3), Amount::draw(r)),
        40 => Op::FundInsurance(Amount::draw(r)),
        41 => Op::FundPol(Amount::draw(r)),
        42 => Op::WithdrawPol(r.below(2) == 0, Amount::draw(r)),
        43 => Op::PolAuction(Amount::draw(r)),
        44 => Op::Pause(match r.below(3) {
            0 => 0,
            _ => (r.below(64) as u16) & pause::ALL,
        }),
        45 => Op::ProposeParams(r.range(-3, 4)),
        46 => Op::ExecuteParams,
        47 => Op::HandOver,
        48..=50 => Op::Refresh,
        51..=52 => Op::CheckHealth(b(r)),
        53..=60 => Op::Partial(b(r), r.below(3) == 0, Amount::draw(r)),
        61..=62 => Op::Batch(1 + r.below(7) as u8),
        63..=68 => Op::Kick(b(r), r.below(3) == 0),
        69..=77 => Op::Bid(
            r.pick(4),
            r.below(3) == 0,
            Amount::draw(r),
            if r.below(6) == 0 {
                Price::Zero
            } else {
                Price::Any
            },
        ),
        78..=80 => Op::Restart(r.pick(4)),
        81..=83 => Op::Backstop(r.pick(4)),
        84..=88 => Op::Settle(r.pick(4)),
        89..=93 => Op::Replay(r.pick(64)),
        94..=96 => Op::CrashAndExit(r.range(-5_000, -500)),
        _ => Op::ForeignWithdraw(b(r)),
    }
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub sequences: u64,
    pub steps: u64,
    /// Per operation: (went through, refused).
    pub ops: BTreeMap<&'static str, (u64, u64)>,
    pub partials: u64,
    pub kicks: u64,
    pub bad_debt_steps: u64,
    pub auctions_checked: u64,
    pub replays_refused: u64,
}

impl Stats {
    pub fn merge(&mut self, o: &Stats) {
        self.sequences += o.sequences;
        self.steps += o.steps;
        for (k, (a, b)) in &o.ops {
            let e = self.ops.entry(k).or_default();
            e.0 += a;
            e.1 += b;
        }
        self.partials += o.partials;
        self.kicks += o.kicks;
        self.bad_debt_steps += o.bad_debt_steps;
        self.auctions_checked += o.auctions_checked;
        self.replays_refused += o.replays_refused;
    }

    fn count(&mut self, op: &Op, ok: bool) {
        let name = op_name(op);
        let e = self.ops.entry(name).or_default();
        if ok {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Price(_) => "price",
        Op::Wick(_) => "wick",
        Op::Advance(_) => "advance",
        Op::Deposit(..) => "deposit_collateral",
        Op::Withdraw(..) => "withdraw_collateral",
        Op::Borrow(..) => "borrow",
        Op::Repay(..) => "repay",
        Op::OpenOrClose(_) => "open/close_margin_account",
        Op::LpDeposit(..) => "lp_deposit",
        Op::LpExit(..) => "lp_withdraw",
        Op::FundInsurance(_) => "fund_insurance",
        Op::FundPol(_) => "fund_pol",
        Op::WithdrawPol(..) => "withdraw_pol",
        Op::PolAuction(_) => "start_pol_auction",
        Op::Pause(_) => "set_pause",
        Op::ProposeParams(_) => "update_market_params",
        Op::ExecuteParams => "execute_market_params",
        Op::HandOver => "propose/accept_admin",
        Op::Refresh => "refresh_market",
        Op::CheckHealth(_) => "check_health",
        Op::Partial(..) => "liquidate_partial",
        Op::Batch(_) => "liquidate_batch",
        Op::Kick(..) => "start_auction",
        Op::Bid(..) => "bid",
        Op::Restart(_) => "restart_auction",
        Op::Backstop(_) => "backstop",
        Op::Settle(_) => "settle_auction",
        Op::Replay(_) => "adversary: replay",
        Op::CrashAndExit(_) => "adversary: exit ahead of the kick",
        Op::ForeignWithdraw(_) => "adversary: foreign withdrawal",
    }
}

/// The exit floor of the market's held window: its lowest confidence-
/// adjusted spot reading less the auction discount, debt units per
/// collateral unit (0 before any reading).
fn exit_floor(m: &Market) -> f64 {
    let low = [m.held_prev_min, m.held_cur_min]
        .into_iter()
        .filter(|x| *x > 0)
        .min()
        .unwrap_or(0);
    low as f64 / 1e18 * (1.0 - m.params.auction_max_discount_bps as f64 / 1e4)
}

/// A copy of a user (its keypair cloned), so a step can hold it while it
/// sends.
fn owned(u: &User) -> User {
    User {
        kp: u.kp.insecure_clone(),
        collateral_ata: u.collateral_ata,
        debt_ata: u.debt_ata,
        lp_ata: u.lp_ata,
        margin: u.margin,
    }
}

/// The world a thread fuzzes: one bank, reset between sequences.
pub struct Fuzz {
    pub f: MarketFixture,
    borrowers: Vec<User>,
    /// LPs 0 and 1; index 2 is the adversary.
    lps: Vec<User>,
    keeper: User,
    adversary: User,
    /// The two admin keys and their token accounts (debt, collateral).
    admins: Vec<(Keypair, Pubkey, Pubkey)>,
    admin: usize,
    ema: f64,
    spot: f64,
    /// Every reading published: (time, EMA, spot).
    history: Vec<(i64, f64, f64)>,
    /// Open auctions: (address, kicker, owning margin account or None for POL).
    auctions: Vec<(Pubkey, Pubkey, Option<Pubkey>)>,
    snapshot: Vec<(Pubkey, Option<Account>)>,
    first_auction_id: u64,
    t0: i64,
    /// "seed S, step N", for the messages of a broken invariant.
    at: String,
    pub stats: Stats,
}

const START: f64 = 100.0;

impl Fuzz {
    pub async fn new() -> Fuzz {
        let mut f = MarketFixture::with_params(RiskParams::example()).await;
        let lps = vec![f.lp(50_000 * ONE_DEBT).await, f.lp(50_000 * ONE_DEBT).await];
        // Small backstops, so deep falls reach bad debt and the waterfall's end.
        f.fund_backstops(50 * ONE_DEBT, 100 * ONE_DEBT).await;
        let mut borrowers = Vec::new();
        for i in 0..3u64 {
            let b = f.borrower((6 + 4 * i) * ONE_COLL).await;
            f.env
                .mint_to(f.collateral_mint, b.collateral_ata, 10 * ONE_COLL)
                .await;
            f.env
                .mint_to(f.debt_mint, b.debt_ata, 2_000 * ONE_DEBT)
                .await;
            // Levered from the start (90-98% of the limit), so a fall of a
            // few steps reaches the liquidation paths.
            let coll = f.margin_state(&b).await.collateral;
            let debt = f.reference_max_borrow(coll) * (0.90 + 0.04 * i as f64);
            f.env.exec(&[f.ix_borrow(&b, debt as u64)], &[&b.kp]).await;
            borrowers.push(b);
        }
        let keeper = f.user(0, 10_000_000 * ONE_DEBT).await;
        let adversary = f.borrower(10 * ONE_COLL).await;
        f.env
            .mint_to(f.collateral_mint, adversary.collateral_ata, 10 * ONE_COLL)
            .await;
        f.env
            .mint_to(f.debt_mint, adversary.debt_ata, 50_000 * ONE_DEBT)
            .await;
        f.env
            .exec(
                &[f.ix_lp_deposit(&adversary, 10_000 * ONE_DEBT)],
                &[&adversary.kp],
            )
            .await;
        let mut admins = Vec::new();
        for kp in [f.admin.insecure_clone(), f.env.new_user(10).await] {
            let debt = f.env.create_token_account(f.debt_mint, kp.pubkey()).await;
            let coll = f
                .env
                .create_token_account(f.collateral_mint, kp.pubkey())
                .await;
            f.env.mint_to(f.debt_mint, debt, 1_000_000 * ONE_DEBT).await;
            admins.push((kp, debt, coll));
        }
        let mut keys = vec![
            f.protocol,
            f.market,
            f.lp_mint,
            f.collateral_mint,
            f.debt_mint,
            f.collateral_oracle,
            f.debt_oracle,
        ];
        keys.extend(f.vaults);
        for u in borrowers.iter().chain(&lps).chain([&keeper, &adversary]) {
            keys.extend([u.collateral_ata, u.debt_ata, u.lp_ata, u.margin]);
        }
        for (_, d, c) in &admins {
            keys.extend([*d, *c]);
        }
        let accounts = f.env.snapshot(&keys).await;
        let snapshot = keys.into_iter().zip(accounts).collect();
        let first_auction_id = f.market_state().await.next_auction_id;
        let t0 = f.env.now();
        Fuzz {
            f,
            borrowers,
            lps,
            keeper,
            adversary,
            admins,
            admin: 0,
            ema: START,
            spot: START,
            history: vec![],
            auctions: vec![],
            snapshot,
            first_auction_id,
            t0,
            at: String::new(),
            stats: Stats::default(),
        }
    }

    /// Back to the state after [`Fuzz::new`]: every named account restored,
    /// the auctions the last sequence created removed, the clock set back.
    async fn reset(&mut self) {
        let next = self.f.market_state().await.next_auction_id;
        for id in self.first_auction_id..next {
            let a = self.f.auction_at(id);
            self.f.env.set_account(&a, Account::default());
        }
        for (k, acc) in &self.snapshot {
            self.f.env.set_account(k, acc.clone().unwrap_or_default());
        }
        self.f.env.set_time(self.t0).await;
        self.ema = START;
        self.spot = START;
        self.f.set_prices(START, START);
        self.history.clear();
        self.auctions.clear();
        self.admin = 0;
    }

    /// Runs the sequence of `steps` steps drawn from `seed`, checking the
    /// invariants after every step. Panics, naming the seed and the step,
    /// on the first one broken.
    pub async fn run(&mut self, seed: u64, steps: usize) {
        self.reset().await;
        let mut r = Rng::new(seed);
        self.check(None).await;
        for i in 0..steps {
            let op = draw_op(&mut r);
            self.at = format!("seed {seed}, step {i}");
            let before = self.f.market_state().await;
            let ok = self.step(&op).await;
            self.stats.count(&op, ok);
            self.stats.steps += 1;
            let now = self.f.env.now();
            if self.history.last().map(|h| h.0) != Some(now) {
                self.history.push((now, self.ema, self.spot));
            }
            let context = format!("seed {seed}, step {i}: {op:?}");
            self.check(Some((&before, &op, &context))).await;
        }
        self.stats.sequences += 1;
    }

    fn b(&self, i: usize) -> User {
        owned(&self.borrowers[i % self.borrowers.len()])
    }

    fn lp(&self, l: usize) -> User {
        owned(if l >= self.lps.len() {
            &self.adversary
        } else {
            &self.lps[l]
        })
    }

    fn liquidator(&self, adversary: bool) -> User {
        owned(if adversary {
            &self.adversary
        } else {
            &self.keeper
        })
    }

    async fn send(
        &mut self,
        ixs: &[anchor_lang::solana_program::instruction::Instruction],
        signers: &[&Keypair],
    ) -> TxResult {
        self.f.env.send(ixs, signers).await
    }

    /// The health the program reports for `margin` on the readings in the
    /// oracle accounts now (check_health records nothing a later
    /// instruction on the same readings would not).
    async fn health(&mut self, margin: Pubkey) -> Option<HealthChecked> {
        let ix = self.f.ix_check_health(margin);
        self.send(&[ix], &[]).await.events::<HealthChecked>().pop()
    }

    /// An account is healthy on a reading when neither its trigger nor its
    /// held LTV is past the liquidation threshold.
    fn healthy(h: &HealthChecked, m: &Market) -> bool {
        let liq = m.params.liq_ltv_bps as u64;
        h.trigger_ltv_bps <= liq && h.held_ltv_bps <= liq
    }

    /// A partial liquidation of `margin` by `who` on the readings now; asserts
    /// it goes through only for an unhealthy account.
    async fn partial(&mut self, who: bool, margin: Pubkey, max_repay: u64, ctx: &str) -> bool {
        let h = self.health(margin).await;
        let m = self.f.market_state().await;
        let liq = self.liquidator(who);
        let ix = self.f.ix_liquidate_partial(&liq, margin, max_repay);
        let kp = liq.kp.insecure_clone();
        let r = self.send(&[ix], &[&kp]).await;
        if r.error.is_none() {
            let h = h.expect("a liquidated account was judged");
            assert!(
                !Fuzz::healthy(&h, &m),
                "{ctx}: a healthy account was liquidated: {h:?}"
            );
            for ev in r.events::<PartialLiquidated>() {
                assert!(
                    ev.ltv_after_bps <= ev.ltv_before_bps,
                    "{ctx}: a liquidation worsened the LTV"
                );
            }
            self.stats.partials += 1;
        }
        r.error.is_none()
    }

    /// A kick of `margin` by `who` on the readings now; asserts it goes
    /// through only for an account past the threshold.
    async fn kick(&mut self, who: bool, margin: Pubkey, ctx: &str) -> bool {
        let h = self.health(margin).await;
        let m = self.f.market_state().await;
        let a = self.f.auction_at(m.next_auction_id);
        let kicker = self.liquidator(who);
        let ix = self.f.ix_start_auction(&kicker, margin, a);
        let (kp, key) = (kicker.kp.insecure_clone(), kicker.key());
        let r = self.send(&[ix], &[&kp]).await;
        if let Some(ev) = r.events::<AuctionStarted>().pop() {
            let h = h.expect("a kicked account was judged");
            assert!(
                !Fuzz::healthy(&h, &m),
                "{ctx}: a healthy account was kicked: {h:?}"
            );
            assert!(
                h.zone >= zero_loss::state::Zone::Distressed,
                "{ctx}: a {:?} account was kicked",
                h.zone
            );
            self.auctions.push((a, key, Some(ev.owner)));
            self.stats.kicks += 1;
        }
        r.error.is_none()
    }

    fn auction(&self, k: usize) -> Option<(Pubkey, Pubkey, Option<Pubkey>)> {
        if self.auctions.is_empty() {
            None
        } else {
            Some(self.auctions[k % self.auctions.len()])
        }
    }

    /// Does `op`; returns whether its transaction (the last, for composite
    /// steps) went through.
    async fn step(&mut self, op: &Op) -> bool {
        let ctx = format!("{}: {op:?}", self.at);
        let admin_kp = self.admins[self.admin].0.insecure_clone();
        let (admin_debt, admin_coll) = (self.admins[self.admin].1, self.admins[self.admin].2);
        let admin = admin_kp.pubkey();
        match *op {
            Op::Price(bps) => {
                self.ema = (self.ema * (1.0 + bps as f64 / 1e4)).max(1.0);
                self.spot = self.ema;
                self.f.set_prices(self.ema, self.spot);
                true
            }
            Op::Wick(bps) => {
                self.spot = (self.ema * (1.0 + bps as f64 / 1e4)).max(1.0);
                self.f.set_prices(self.ema, self.spot);
                true
            }
            Op::Advance(secs) => {
                self.f.advance(secs).await;
                true
            }
            Op::Deposit(i, amt) => {
                let b = self.b(i);
                let bal = self.f.env.token_balance(b.collateral_ata).await;
                let ix = self.f.ix_deposit(&b, amt.of(bal));
                let kp = b.kp.insecure_clone();
                self.send(&[ix], &[&kp]).await.error.is_none()
            }
            Op::Withdraw(i, amt) => {
                let b = self.b(i);
                let Some(m) = self.margin(b.margin).await else {
                    return false;
                };
                let ix = self.f.ix_withdraw(&b, amt.of(m.collateral));
                let kp = b.kp.insecure_clone();
                self.send(&[ix], &[&kp]).await.error.is_none()
            }
            Op::Borrow(i, amt) => {
                let b = self.b(i);
                let Some(m) = self.margin(b.margin).await else {
                    return false;
                };
                let limit = self.f.reference_max_borrow(m.collateral) as u64;
                let ix = self.f.ix_borrow(&b, amt.of(limit));
                let kp = b.kp.insecure_clone();
                self.send(&[ix], &[&kp]).await.error.is_none()
            }
            Op::Repay(payer, i, amt) => {
                let payer = if payer >= 3 {
                    owned(&self.adversary)
                } else {
                    self.b(payer)
                };
                let (pkp, margin) = (payer.kp.insecure_clone(), self.b(i).margin);
                let Some(m) = self.margin(margin).await else {
                    return false;
                };
                let debt = self
                    .f
                    .market_state()
                    .await
                    .debt_of(m.debt_shares)
                    .unwrap_or(0);
                let ix = self.f.ix_repay(&payer, margin, amt.of(debt));
                self.send(&[ix], &[&pkp]).await.error.is_none()
            }
            Op::OpenOrClose(i) => {
                let b = self.b(i);
                let kp = b.kp.insecure_clone();
                let Some(m) = self.margin(b.margin).await else {
                    let ix = self.f.ix_open(&b);
                    return self.send(&[ix], &[&kp]).await.error.is_none();
                };
                if m.debt_shares > 0 {
                    let ix = self.f.ix_repay(&b, b.margin, u64::MAX);
                    self.send(&[ix], &[&kp]).await;
                }
                let left = self.margin(b.margin).await.map_or(0, |m| m.collateral);
                if left > 0 {
                    let ix = self.f.ix_withdraw(&b, left);
                    self.send(&[ix], &[&kp]).await;
                }
                let ix = self.f.ix_close(&b);
                self.send(&[ix], &[&kp]).await.error.is_none()
            }
            Op::LpDeposit(l, amt) => {
                let u = self.lp(l);
                let bal = self.f.env.token_balance(u.debt_ata).await;
                let ix = self
                    .f
                    .ix_lp_deposit(&u, amt.of(bal.min(100_000 * ONE_DEBT)));
                let kp = u.kp.insecure_clone();
                self.lp_move(ix, &kp, &ctx).await
            }
            Op::LpExit(l, amt) => {
                let u = self.lp(l);
                let shares = self.f.env.token_balance(u.lp_ata).await;
                let ix = self.f.ix_lp_withdraw(&u, amt.of(shares));
                let kp = u.kp.insecure_clone();
                self.lp_move(ix, &kp, &ctx).await
            }
            Op::FundInsurance(amt) => {
                let k = &self.keeper;
                let ix = self
                    .f
                    .ix_fund_insurance(&k.key(), k.debt_ata, amt.of(1_000 * ONE_DEBT));
                let kp = k.kp.insecure_clone();
                self.send(&[ix], &[&kp]).await.error.is_none()
            }
            Op::FundPol(amt) => {
                let ix = self
                    .f
                    .ix_fund_pol(&admin, admin_debt, amt.of(1_000 * ONE_DEBT));
                self.send(&[ix], &[&admin_kp]).await.error.is_none()
            }
            Op::WithdrawPol(debt, amt) => {
                let m = self.f.market_state().await;
                let (asset, vault, dest, held) = if debt {
                    (
                        PolAsset::Debt,
                        self.f.vault(zero_loss::state::VaultKind::PolDebt),
                        admin_debt,
                        m.pol_debt_amount,
                    )
                } else {
                    (
                        PolAsset::Collateral,
                        self.f.vault(zero_loss::state::VaultKind::PolCollateral),
                        admin_coll,
                        m.pol_collateral_amount,
                    )
                };
                let ix = self
                    .f
                    .ix_withdraw_pol(&admin, vault, dest, asset, amt.of(held));
                self.send(&[ix], &[&admin_kp]).await.error.is_none()
            }
            Op::PolAuction(amt) => {
                let m = self.f.market_state().await;
                let a = self.f.auction_at(m.next_auction_id);
                let ix = self
                    .f
                    .ix_start_pol_auction(&admin, a, amt.of(m.pol_collateral_amount));
                let r = self.send(&[ix], &[&admin_kp]).await;
                if r.error.is_none() {
                    self.auctions.push((a, admin, None));
                }
                r.error.is_none()
            }
            Op::Pause(flags) => {
                let ix = self.f.ix_set_pause(&admin, flags);
                self.send(&[ix], &[&admin_kp]).await.error.is_none()
            }
            Op::ProposeParams(step) => {
                let mut p = self.f.market_state().await.params;
                p.reserve_factor_bps =
                    (p.reserve_factor_bps as i64 + 100 * step).clamp(0, 5_000) as u16;
                p.liq_ltv_bps = (p.liq_ltv_bps as i64 + 50 * step).clamp(0, 10_000) as u16;
                let ix = self.f.ix_update_params(&admin, p);
                self.send(&[ix], &[&admin_kp]).await.error.is_none()
            }
            Op::ExecuteParams => {
                let ix = self.f.ix_execute_params();
                self.send(&[ix], &[]).await.error.is_none()
            }
            Op::HandOver => {
                let next = 1 - self.admin;
                let to = self.admins[next].0.insecure_clone();
                let ix = self.f.ix_propose_admin(&admin, to.pubkey());
                if self.send(&[ix], &[&admin_kp]).await.error.is_some() {
                    return false;
                }
                let ix = self.f.ix_accept_admin(&to.pubkey());
                let ok = self.send(&[ix], &[&to]).await.error.is_none();
                if ok {
                    self.admin = next;
                }
                ok
            }
            Op::Refresh => {
                let ix = self.f.ix_refresh();
                self.send(&[ix], &[]).await.error.is_none()
            }
            Op::CheckHealth(i) => {
                let m = self.b(i).margin;
                self.health(m).await.is_some()
            }
            Op::Partial(i, who, amt) => {
                let margin = self.b(i).margin;
                let debt = match self.margin(margin).await {
                    Some(m) => self
                        .f
                        .market_state()
                        .await
                        .debt_of(m.debt_shares)
                        .unwrap_or(0),
                    None => 0,
                };
                self.partial(who, margin, amt.of(debt), &ctx).await
            }
            Op::Batch(mask) => {
                let mut margins = vec![];
                for (i, b) in self.borrowers.iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        margins.push(b.margin);
                    }
                }
                let mut judged = vec![];
                for &mg in &margins {
                    judged.push(self.health(mg).await);
                }
                let m = self.f.market_state().await;
                let ix = self.f.ix_liquidate_batch(
                    &self.keeper,
                    &margins,
                    vec![u64::MAX; margins.len()],
                );
                let kp = self.keeper.kp.insecure_clone();
                let r = self.send(&[ix], &[&kp]).await;
                for ev in r.events::<PartialLiquidated>() {
                    let i = margins
                        .iter()
                        .position(|x| *x == ev.margin_account)
                        .expect("a batch member");
                    let h = judged[i].as_ref().expect("judged");
                    assert!(
                        !Fuzz::healthy(h, &m),
                        "{ctx}: the batch liquidated a healthy account"
                    );
                    self.stats.partials += 1;
                }
                r.error.is_none()
            }
            Op::Kick(i, who) => {
                let margin = self.b(i).margin;
                self.kick(who, margin, &ctx).await
            }
            Op::Bid(k, who, amt, price) => {
                let Some((a, _, _)) = self.auction(k) else {
                    return false;
                };
                let Some(au) = self.read_auction(a).await else {
                    return false;
                };
                let bidder = self.liquidator(who);
                let max_price = match price {
                    Price::Any => u128::MAX,
                    Price::Zero => 0,
                };
                let ix = self.f.ix_bid(&bidder, a, amt.of(au.lot), max_price);
                let kp = bidder.kp.insecure_clone();
                self.send(&[ix], &[&kp]).await.error.is_none()
            }
            Op::Restart(k) => {
                let Some((a, _, _)) = self.auction(k) else {
                    return false;
                };
                let ix = self.f.ix_restart(&self.keeper, a);
                let kp = self.keeper.kp.insecure_clone();
                self.send(&[ix], &[&kp]).await.error.is_none()
            }
            Op::Backstop(k) => {
                let Some((a, _, _)) = self.auction(k) else {
                    return false;
                };
                let ix = self.f.ix_backstop(&self.keeper.key(), a);
                let kp = self.keeper.kp.insecure_clone();
                self.send(&[ix], &[&kp]).await.error.is_none()
            }
            Op::Settle(k) => {
                let Some((a, kicker, margin)) = self.auction(k) else {
                    return false;
                };
                let ix = self.f.ix_settle(&self.keeper.key(), a, kicker, margin);
                let kp = self.keeper.kp.insecure_clone();
                let ok = self.send(&[ix], &[&kp]).await.error.is_none();
                if ok {
                    self.auctions.retain(|x| x.0 != a);
                }
                ok
            }
            Op::Replay(pick) => self.replay(pick, &ctx).await,
            Op::CrashAndExit(bps) => {
                self.ema = (self.ema * (1.0 + bps as f64 / 1e4)).max(1.0);
                self.spot = self.ema;
                self.f.set_prices(self.ema, self.spot);
                let shares = self.f.env.token_balance(self.adversary.lp_ata).await;
                let ix = self.f.ix_lp_withdraw(&self.adversary, shares / 2);
                let kp = self.adversary.kp.insecure_clone();
                self.lp_move(ix, &kp, &ctx).await
            }
            Op::ForeignWithdraw(i) => {
                let victim = self.b(i).margin;
                let before = self.f.env.snapshot(&[victim, self.f.market]).await;
                // The adversary's own withdrawal instruction, aimed at the victim's account.
                let ix = replace_account(
                    self.f.ix_withdraw(&self.adversary, 1),
                    self.adversary.margin,
                    victim,
                );
                let kp = self.adversary.kp.insecure_clone();
                let r = self.send(&[ix], &[&kp]).await;
                assert!(
                    r.error.is_some(),
                    "{ctx}: a withdrawal from another's account went through"
                );
                let after = self.f.env.snapshot(&[victim, self.f.market]).await;
                assert_eq!(
                    before, after,
                    "{ctx}: a refused withdrawal changed an account"
                );
                false
            }
        }
    }

    /// An LP deposit or exit; asserts it does not lower the marked share
    /// price of the LPs who do not move: the LPs' assets less the shortfall
    /// in sight (open auctions' principal beyond their lots, and each margin
    /// account's debt beyond its collateral, exactly, account by account),
    /// with collateral at the exit floor the market's window now holds.
    async fn lp_move(
        &mut self,
        ix: anchor_lang::solana_program::instruction::Instruction,
        kp: &Keypair,
        ctx: &str,
    ) -> bool {
        // Interest accrued first (a refresh), so the move is compared at one
        // borrow index: interest on an underwater account raises its
        // shortfall by more than the LPs' share of it.
        let refresh = self.f.ix_refresh();
        self.send(&[refresh], &[]).await;
        let before = self.f.market_state().await;
        let r = self.send(&[ix], &[kp]).await;
        if r.error.is_none() && before.last_accrual_ts == self.f.env.now() {
            let after = self.f.market_state().await;
            let floor = exit_floor(&after);
            let (b, a) = (
                self.marked_share_price(&before, floor).await,
                self.marked_share_price(&after, floor).await,
            );
            if let (Some(b), Some(a)) = (b, a) {
                assert!(
                    a >= b * (1.0 - 1e-9),
                    "{ctx}: an LP move lowered the marked share price: {b} -> {a}"
                );
            }
        }
        r.error.is_none()
    }

    async fn marked_share_price(&mut self, m: &Market, floor: f64) -> Option<f64> {
        if m.lp_shares == 0 {
            return None;
        }
        let mut unkicked = 0.0;
        for acc in self.margin_accounts().await {
            let debt = m.debt_of(acc.debt_shares).ok()? as f64;
            unkicked += (debt - acc.collateral as f64 * floor).max(0.0);
        }
        let in_auction = (m.auction_debt as f64 - m.auction_lots as f64 * floor).max(0.0);
        let backstops = (m.insurance_amount + m.pol_debt_amount) as f64;
        let uncovered = (in_auction + unkicked - backstops).max(0.0);
        Some((m.lp_assets().ok()? as f64 - uncovered) / m.lp_shares as f64)
    }

    /// The adversary's replay: a genuine reading of its choice from the last
    /// `oracle_max_age_secs`, a refresh, then a partial liquidation and a kick
    /// of every account with it; the live reading is restored after. An
    /// older reading than the market's newest is refused everywhere.
    async fn replay(&mut self, pick: usize, ctx: &str) -> bool {
        let now = self.f.env.now();
        let m = self.f.market_state().await;
        let max_age = m.params.oracle_max_age_secs as i64;
        let window: Vec<_> = self
            .history
            .iter()
            .filter(|h| now - h.0 <= max_age)
            .copied()
            .collect();
        if window.is_empty() {
            return false;
        }
        let (t, ema, spot) = window[pick % window.len()];
        let superseded = t < m.collateral_publish_time || t < m.debt_publish_time;
        let reading = self.f.collateral_reading(ema, spot, t);
        self.f.present(reading, t);
        let superseded_code = Some(crate::zl_code(crate::ZlError::OracleSuperseded));
        let r = self.send(&[self.f.ix_refresh()], &[]).await;
        if superseded {
            assert_eq!(
                r.custom_code(),
                superseded_code,
                "{ctx}: an older reading refreshed the market"
            );
            self.stats.replays_refused += 1;
        }
        let margins: Vec<Pubkey> = self.borrowers.iter().map(|b| b.margin).collect();
        for margin in margins {
            let p = self.partial(true, margin, u64::MAX, ctx).await;
            let k = self.kick(true, margin, ctx).await;
            if superseded {
                assert!(!p && !k, "{ctx}: a superseded reading liquidated");
            }
        }
        self.f.set_prices(self.ema, self.spot);
        !superseded
    }

    /// Every open margin account of the world (the borrowers' and the
    /// adversary's).
    async fn margin_accounts(&mut self) -> Vec<MarginAccount> {
        let keys: Vec<Pubkey> = self
            .borrowers
            .iter()
            .chain([&self.adversary])
            .map(|u| u.margin)
            .collect();
        let mut out = Vec::new();
        for key in keys {
            out.extend(self.margin(key).await);
        }
        out
    }

    async fn margin(&mut self, key: Pubkey) -> Option<MarginAccount> {
        let acc = self.f.env.account(key).await?;
        anchor_lang::AccountDeserialize::try_deserialize(&mut acc.data.as_slice()).ok()
    }

    async fn read_auction(&mut self, key: Pubkey) -> Option<Auction> {
        let acc = self.f.env.account(key).await?;
        anchor_lang::AccountDeserialize::try_deserialize(&mut acc.data.as_slice()).ok()
    }

    /// The invariants, after a step (`None`: at the start of a sequence).
    async fn check(&mut self, step: Option<(&Market, &Op, &str)>) {
        let ctx = step
            .map(|s| s.2.to_string())
            .unwrap_or_else(|| "start".into());
        self.f.assert_conservation().await;
        let m = self.f.market_state().await;
        // Collateral and debt shares by owner; the underwater book.
        let mut coll: u128 = 0;
        let mut shares: u128 = 0;
        let mut book = m.clone();
        book.open_book();
        for acc in self.margin_accounts().await {
            coll += acc.collateral as u128;
            shares += acc.debt_shares as u128;
            book.rebook((0, 0), acc.position()).expect("rebook");
        }
        let (mut principal, mut lots, mut open) = (0u128, 0u128, 0u32);
        let auctions = self.auctions.clone();
        for (a, _, _) in &auctions {
            let au = self
                .read_auction(*a)
                .await
                .unwrap_or_else(|| panic!("{ctx}: an open auction vanished"));
            open += 1;
            coll += au.lot as u128;
            if au.owner_kind == OwnerKind::Margin {
                principal += au.principal as u128;
                lots += au.lot as u128;
            }
        }
        assert_eq!(
            coll, m.total_collateral as u128,
            "{ctx}: collateral by owner"
        );
        assert_eq!(
            shares, m.total_debt_shares as u128,
            "{ctx}: debt shares by owner"
        );
        assert_eq!(
            book.book, m.book,
            "{ctx}: the underwater book differs from the accounts"
        );
        assert_eq!(
            principal, m.auction_debt as u128,
            "{ctx}: auction principal"
        );
        assert_eq!(lots, m.auction_lots as u128, "{ctx}: auction lots");
        assert_eq!(open, m.open_auctions, "{ctx}: open auctions");
        assert_eq!(
            self.f.env.mint_supply(self.f.lp_mint).await,
            m.lp_shares,
            "{ctx}: LP shares"
        );
        // The share price falls only by a loss the waterfall could not cover.
        if let Some((before, op, _)) = step {
            if m.recorded_bad_debt > before.recorded_bad_debt {
                self.stats.bad_debt_steps += 1;
            }
            let lp_move = matches!(op, Op::LpDeposit(..) | Op::LpExit(..) | Op::CrashAndExit(_));
            if before.lp_shares > 0 && m.lp_shares > 0 && !lp_move {
                let (p0, p1) = (
                    before.lp_assets().unwrap() as f64 / before.lp_shares as f64,
                    m.lp_assets().unwrap() as f64 / m.lp_shares as f64,
                );
                if p1 < p0 * (1.0 - 1e-12) {
                    assert!(
                        m.recorded_bad_debt > before.recorded_bad_debt,
                        "{ctx}: the share price fell without bad debt: {p0} -> {p1}"
                    );
                    assert_eq!(
                        (m.insurance_amount, m.pol_debt_amount),
                        (0, 0),
                        "{ctx}: the share price fell while backstops could pay"
                    );
                }
            }
        }
        // Every open auction can be finished (simulated: nothing written).
        let p: zero_loss::state::Protocol = self.f.env.read(self.f.protocol).await;
        for (a, kicker, margin) in auctions {
            self.stats.auctions_checked += 1;
            let kp = self.keeper.kp.insecure_clone();
            let tries = [
                self.f.ix_bid(&self.keeper, a, u64::MAX, u128::MAX),
                self.f.ix_settle(&self.keeper.key(), a, kicker, margin),
                self.f.ix_restart(&self.keeper, a),
                self.f.ix_backstop(&self.keeper.key(), a),
            ];
            let mut any = false;
            for ix in tries {
                if self.f.env.simulate(&[ix], &[&kp]).await.is_none() {
                    any = true;
                    break;
                }
            }
            let paused = p.paused & pause::AUCTION != 0 && p.pause_expires_at > self.f.env.now();
            assert!(
                any || paused || m.breaker_tripped(),
                "{ctx}: auction {a} cannot be finished"
            );
        }
    }
}

/// Runs `sequences` sequences of `steps` steps from seeds `first..`, in one
/// world; returns what they did.
pub async fn run(first: u64, sequences: u64, steps: usize) -> Stats {
    let mut w = Fuzz::new().await;
    for seed in first..first + sequences {
        w.run(seed, steps).await;
    }
    w.stats
}
