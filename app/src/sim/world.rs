//! One simulation: a value-sized book of borrowers, the venue and the bidders, then every
//! mechanism on the same path. The engine runs as deployed: the program on the in-process
//! bank, the keeper doing maintenance (refresh, kicks, restarts, POL backstops,
//! settlements) and each bidder taking partial liquidations and auction lots through its
//! own transactions. The rivals are models (`super::rivals`).
//!
//! Scale: every path is run at one price level, [`PRICE_LEVEL`] at its start, so the
//! set-up is sized in value (a book worth the same whatever the asset's price) and every
//! percentage is the same for a path at 1e-5 or at 1e6. Reported prices are the path's own.

use std::collections::HashMap;
use std::time::Instant;

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountDeserialize;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zero_loss::engine::fixed::Fp;
use zero_loss::state::{Auction, MarginAccount, Market, RiskParams};
use zero_loss_tests::market::{MarketFixture, ONE_COLL, ONE_DEBT};
use zero_loss_tests::T0;

use super::bidders::Bidder;
use super::clock::{Action, Clock, Frictions, Tick};
use super::ledger::{EndState, Ledger, MechanismMetrics, Position};
use super::report::{EngineDetail, Report, Series};
use super::rivals::{self, RivalRun};
use super::venue::Venue;
use super::Mechanism;
use crate::bank::BankChain;
use crate::keeper::{Keeper, KeeperConfig, KeeperEvent, KeeperStats, Role};
use crate::oracle_model::SimOracle;
use crate::scenario::Scenario;

/// The price every path starts at inside the simulation (debt units per collateral token).
pub const PRICE_LEVEL: f64 = 100.0;
/// LP deposits as a multiple of the book's debt (80% utilization).
const LP_PER_DEBT: f64 = 1.25;
/// Takes one bidder may make in one look.
const MAX_TAKES_PER_LOOK: usize = 16;
/// The engine's keeper refreshes the market every six hours (interest, volatility, budget,
/// breaker), as an operator paying fees would (docs/liquidation.md, lever 8) ...
const KEEPER_REFRESH_SECS: i64 = 21_600;
/// ... sooner when a refresh would widen the volatility buffer by half a point or more, or
/// clear a tripped breaker ...
const KEEPER_BUFFER_MOVE_BPS: u64 = 50;
/// ... and, while some account is past the threshold on spot but not yet on the market's
/// held price, at most every minute when the held window needs a reading, so the held
/// price sees the readings that make a breach hold.
const KEEPER_WATCH_SECS: i64 = 60;

/// An account past the partial zone but solvent is offered to the bidders at the top bonus
/// for five minutes before the keeper kicks it into an auction (docs/liquidation.md,
/// lever 4).
const KEEPER_KICK_AFTER_SECS: i64 = 300;

/// What backstop capital the rivals hold (`--rival-backstops`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RivalBackstops {
    /// The same as the engine: insurance + POL, held the way each protocol holds it.
    Equal,
    /// The insurance fund only (the earlier comparison).
    InsuranceOnly,
}

impl RivalBackstops {
    /// Every choice, by its name on the command line and in the JSON.
    pub const NAMES: [(&'static str, RivalBackstops); 2] = [
        ("equal", RivalBackstops::Equal),
        ("insurance-only", RivalBackstops::InsuranceOnly),
    ];

    /// The name on the command line and in the JSON.
    pub fn name(self) -> &'static str {
        RivalBackstops::NAMES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("equal", |(n, _)| n)
    }

    /// The choice called `name`.
    pub fn named(name: &str) -> Option<RivalBackstops> {
        RivalBackstops::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

/// How a simulation is set up (defaults and why: docs/simulator.md, "Defaults").
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub scenario: Scenario,
    pub borrowers: usize,
    pub seed: u64,
    /// The venue's collateral reserve as a multiple of the book's collateral.
    pub depth_ratio: f64,
    /// Seconds for arbitrage to close half the gap between the venue and the path.
    pub arb_half_life_secs: f64,
    /// Insurance fund and POL at start, % of the initial debt.
    pub insurance_pct: f64,
    pub pol_pct: f64,
    /// The bidders' starting capital, all together, % of the initial debt.
    pub bidder_capital_pct: f64,
    /// The rivals' backstop capital.
    pub rival_backstops: RivalBackstops,
    /// Fees and venue depth, the same for every mechanism.
    pub frictions: Frictions,
    /// Extra steps after the path ends (at its last price) while work is left.
    pub drain_steps: u64,
    pub mechanisms: Vec<Mechanism>,
    /// The engine's market parameters.
    pub params: RiskParams,
    pub progress: bool,
}

impl SimConfig {
    pub fn new(scenario: Scenario) -> SimConfig {
        SimConfig {
            scenario,
            borrowers: 300,
            seed: 7,
            depth_ratio: 1.0,
            arb_half_life_secs: 60.0,
            insurance_pct: 2.0,
            pol_pct: 5.0,
            bidder_capital_pct: 50.0,
            rival_backstops: RivalBackstops::Equal,
            frictions: Frictions::default(),
            drain_steps: 240,
            mechanisms: Mechanism::ALL.to_vec(),
            params: RiskParams::example(),
            progress: true,
        }
    }

    /// Refuses settings no run can use, with a one-line reason.
    pub fn validate(&self) -> anyhow::Result<()> {
        let finite_pos = |v: f64| v.is_finite() && v > 0.0;
        anyhow::ensure!(self.borrowers >= 1, "--borrowers must be at least 1");
        anyhow::ensure!(self.borrowers <= 5_000, "--borrowers must be at most 5000");
        anyhow::ensure!(
            finite_pos(self.depth_ratio),
            "--depth-ratio must be a positive number, got {}",
            self.depth_ratio
        );
        anyhow::ensure!(
            self.arb_half_life_secs.is_finite() && self.arb_half_life_secs >= 0.0,
            "--arb-half-life-secs must be zero or more, got {}",
            self.arb_half_life_secs
        );
        for (name, v) in [
            ("--insurance-pct", self.insurance_pct),
            ("--pol-pct", self.pol_pct),
            ("--bidder-capital-pct", self.bidder_capital_pct),
        ] {
            anyhow::ensure!(
                v.is_finite() && (0.0..=1_000.0).contains(&v),
                "{name} must be between 0 and 1000, got {v}"
            );
        }
        anyhow::ensure!(!self.mechanisms.is_empty(), "no mechanism to run");
        let fees = &self.frictions.fees;
        anyhow::ensure!(
            fees.debt_unit_usd.is_finite() && fees.debt_unit_usd > 0.0,
            "--debt-unit-usd must be a positive number, got {}",
            fees.debt_unit_usd
        );
        Ok(())
    }

    /// The rivals' backstop capital, debt units, for `initial_debt`.
    pub fn rival_capital(&self, initial_debt: f64) -> f64 {
        let pct = match self.rival_backstops {
            RivalBackstops::Equal => self.insurance_pct + self.pol_pct,
            RivalBackstops::InsuranceOnly => self.insurance_pct,
        };
        initial_debt * pct / 100.0
    }

    /// The shared clock of one run.
    pub fn clock(&self) -> Clock {
        let path = self.path();
        Clock::new(
            path,
            self.scenario.step_secs.max(1) as f64,
            self.scenario.duration_secs as f64,
            self.drain_steps,
            self.frictions.clone(),
        )
    }

    /// The path at [`PRICE_LEVEL`].
    pub fn path(&self) -> impl Fn(f64) -> f64 + '_ {
        let scale = PRICE_LEVEL / self.scenario.start_price();
        move |t| self.scenario.price_at(t) * scale
    }
}

/// The borrowers, drawn from `seed`: collateral lognormal around 10 tokens (1,000 debt
/// units of value at [`PRICE_LEVEL`]), LTV between 30% and 69%, skewed high.
pub fn draw_book(borrowers: usize, seed: u64) -> Vec<Position> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..borrowers)
        .map(|_| {
            let z = normal(&mut rng);
            let collateral = (10.0 * (0.8 * z).exp()).clamp(1.0, 200.0);
            let ltv = (0.30 + 0.395 * rng.gen::<f64>().sqrt()) * 0.995;
            Position {
                collateral,
                debt: collateral * PRICE_LEVEL * ltv,
            }
        })
        .collect()
}

/// Runs every configured mechanism and returns the report.
pub async fn run(cfg: &SimConfig) -> anyhow::Result<Report> {
    cfg.validate()?;
    let started = Instant::now();
    let book = draw_book(cfg.borrowers, cfg.seed);
    let initial_debt: f64 = book.iter().map(|p| p.debt).sum();
    let book_collateral: f64 = book.iter().map(|p| p.collateral).sum();
    let venue = Venue::new(
        PRICE_LEVEL,
        book_collateral,
        cfg.depth_ratio,
        cfg.arb_half_life_secs,
    );
    let bidders = Bidder::population(initial_debt * cfg.bidder_capital_pct / 100.0);
    let insurance = initial_debt * cfg.insurance_pct / 100.0;
    let pol = initial_debt * cfg.pol_pct / 100.0;
    let path = cfg.path();
    let clock = cfg.clock();

    let rival_capital = cfg.rival_capital(initial_debt);
    let mut mechanisms = Vec::new();
    let mut detail = EngineDetail::default();
    let mut series = Series::default();
    let mut steps = cfg.scenario.steps();
    for m in Mechanism::ALL {
        if !cfg.mechanisms.contains(&m) {
            continue;
        }
        let metrics = match m.build(&book, rival_capital) {
            None => {
                let e = run_engine(
                    cfg,
                    &clock,
                    &book,
                    venue.clone(),
                    bidders.clone(),
                    insurance,
                    pol,
                )
                .await?;
                detail = e.detail;
                series = e.series;
                steps = e.steps;
                e.metrics
            }
            Some(mut rival) => rivals::run(
                rival.as_mut(),
                RivalRun {
                    book: &book,
                    path: &path,
                    clock: &clock,
                    venue: venue.clone(),
                    bidders: bidders.clone(),
                    insurance: rival_capital,
                },
            ),
        };
        mechanisms.push((m, metrics));
    }
    Ok(Report {
        scenario: cfg.scenario.name.clone(),
        depth_ratio: cfg.depth_ratio,
        arb_half_life_secs: cfg.arb_half_life_secs,
        insurance_pct: cfg.insurance_pct,
        pol_pct: cfg.pol_pct,
        bidder_capital_pct: cfg.bidder_capital_pct,
        rival_backstops: cfg.rival_backstops.name().to_string(),
        frictions: cfg.frictions.clone(),
        borrowers: cfg.borrowers,
        seed: cfg.seed,
        steps,
        initial_debt,
        wall_secs: started.elapsed().as_secs_f64(),
        mechanisms,
        engine_detail: detail,
        series,
    })
}

/// Whole tokens to native units (floor) and back.
fn coll_native(x: f64) -> u64 {
    (x * ONE_COLL as f64) as u64
}
fn debt_native(x: f64) -> u64 {
    (x * ONE_DEBT as f64) as u64
}
fn coll_whole(n: u64) -> f64 {
    n as f64 / ONE_COLL as f64
}
fn debt_whole(n: u64) -> f64 {
    n as f64 / ONE_DEBT as f64
}

/// The venue as a taker's reference: what selling an amount fetches on top of the
/// `held` collateral it has not sold yet (the keeper core's [`crate::keeper::Venue`]).
struct VenueQuote<'a> {
    venue: &'a Venue,
    held: f64,
}

impl crate::keeper::Venue for VenueQuote<'_> {
    fn sell_price(&self, collateral: u64) -> Option<Fp> {
        let q = coll_whole(collateral);
        if q <= 0.0 {
            return None;
        }
        // Debt tokens per collateral token, at the margin of what is held.
        let avg = (self.venue.quote(self.held + q) - self.venue.quote(self.held)) / q;
        let native = avg * ONE_DEBT as f64 / ONE_COLL as f64;
        (native.is_finite() && native > 0.0).then_some(Fp((native * 1e18) as u128))
    }
}

/// Writes `oracle`'s reading into the collateral's `PriceUpdateV2`, published now.
fn publish(oracle: &SimOracle, f: &mut MarketFixture) {
    let r = oracle.e8();
    let p = &mut f.collateral_price;
    p.price = r.price;
    p.conf = r.conf;
    p.ema_price = r.ema_price;
    p.ema_conf = r.ema_conf;
    f.publish_now();
}

struct EngineRun {
    metrics: MechanismMetrics,
    detail: EngineDetail,
    series: Series,
    steps: u64,
}

/// An open auction as the ledger sees it: the account it sells, the principal it must
/// repay and what its buyers have paid so far.
struct OpenAuction {
    account: usize,
    principal: f64,
    paid: f64,
}

/// What the engine run tracks besides the bank: the ledger and a mirror of each position.
struct Books {
    ledger: Ledger,
    positions: Vec<Position>,
    index: HashMap<Pubkey, usize>,
    auctions: HashMap<Pubkey, OpenAuction>,
    detail: EngineDetail,
    liquidations: Vec<(f64, f64)>,
}

impl Books {
    /// Records one event at `t` (path price `p`, at the simulation's level; `unscale`
    /// converts to the path's own for the plot). A take's collateral goes to `bidder`'s
    /// inventory, paid from its cash.
    fn record(
        &mut self,
        ev: &KeeperEvent,
        t: f64,
        p: f64,
        unscale: f64,
        bidder: Option<&mut Bidder>,
    ) {
        // Collateral bought and what was paid for it.
        let mut bought = None;
        match ev {
            KeeperEvent::Partial(e) => {
                self.detail.partial_liquidations += 1;
                let (q, repaid) = (coll_whole(e.collateral_out), debt_whole(e.repaid));
                if let Some(&i) = self.index.get(&e.margin_account) {
                    self.ledger.liquidated(i, t, self.positions[i]);
                    self.ledger.take(i, q, p);
                    self.ledger.repaid(i, repaid);
                    self.positions[i].collateral -= q;
                    self.positions[i].debt -= repaid;
                }
                bought = Some((q, repaid));
                self.liquidations.push((t, p * unscale));
            }
            KeeperEvent::Kick(e) => {
                self.detail.auctions_started += 1;
                if let Some(&i) = self.index.get(&e.owner) {
                    let (lot, principal) = (coll_whole(e.lot), debt_whole(e.principal));
                    // Nothing has left the borrower yet: the lot is sold by the takes.
                    self.ledger.liquidated(i, t, self.positions[i]);
                    self.positions[i].collateral -= lot;
                    self.positions[i].debt -= principal;
                    self.auctions.insert(
                        e.auction,
                        OpenAuction {
                            account: i,
                            principal,
                            paid: 0.0,
                        },
                    );
                    self.liquidations.push((t, p * unscale));
                }
            }
            KeeperEvent::Bid(e) => {
                self.detail.bids += 1;
                self.ledger.action(t);
                let (q, paid) = (coll_whole(e.collateral), debt_whole(e.paid));
                self.auction_take(e.auction, q, paid, p);
                bought = Some((q, paid));
            }
            KeeperEvent::Restart(_) => self.detail.auctions_restarted += 1,
            KeeperEvent::Backstop(e) => {
                self.detail.auctions_backstopped += 1;
                self.ledger.action(t);
                let (q, paid) = (coll_whole(e.collateral), debt_whole(e.paid));
                self.auction_take(e.auction, q, paid, p);
            }
            KeeperEvent::Settle(e) => {
                self.ledger.action(t);
                if let Some(a) = self.auctions.remove(&e.auction) {
                    // Handed back: never taken, never re-marked.
                    self.positions[a.account].collateral += coll_whole(e.collateral_returned);
                }
            }
        }
        if let (Some((q, paid)), Some(b)) = (bought, bidder) {
            b.buy(q, paid);
        }
    }

    /// `q` of an auction's lot bought for `paid` when the path is at `p`: the collateral
    /// leaves the borrower now; what the payment covers of the principal is repaid, the
    /// rest is penalty.
    fn auction_take(&mut self, auction: Pubkey, q: f64, paid: f64, p: f64) {
        if let Some(a) = self.auctions.get_mut(&auction) {
            let toward = paid.min((a.principal - a.paid).max(0.0));
            a.paid += paid;
            self.ledger.take(a.account, q, p);
            self.ledger.repaid(a.account, toward);
        }
    }
}

/// The transactions a keeper sent between `before` and `after`, and their fees at `tick`
/// (a refused one at the CU of a partial liquidation: it is charged for its limit).
fn fees_between(
    clock: &Clock,
    tick: &Tick,
    before: &KeeperStats,
    after: &KeeperStats,
) -> (u64, f64) {
    let n = |a: u64, b: u64| b.saturating_sub(a) as f64;
    let fee = |a: Action| clock.fee(tick, a);
    let batches = clock.batch_fee(
        tick,
        after.batches.saturating_sub(before.batches),
        after.batched.saturating_sub(before.batched),
    );
    let total = n(before.refreshes, after.refreshes) * fee(Action::RefreshMarket)
        + n(before.partials, after.partials) * fee(Action::LiquidatePartial)
        + batches
        + n(before.kicks, after.kicks) * fee(Action::StartAuction)
        + n(before.bids, after.bids) * fee(Action::Bid)
        + n(before.restarts, after.restarts) * fee(Action::RestartAuction)
        + n(before.backstops, after.backstops) * fee(Action::Backstop)
        + n(before.settlements, after.settlements) * fee(Action::SettleAuction)
        + n(before.failed, after.failed) * fee(Action::LiquidatePartial);
    (
        after.transactions.saturating_sub(before.transactions),
        total,
    )
}

async fn run_engine(
    cfg: &SimConfig,
    clock: &Clock,
    book: &[Position],
    mut venue: Venue,
    mut bidders: Vec<Bidder>,
    insurance: f64,
    pol: f64,
) -> anyhow::Result<EngineRun> {
    let sc = &cfg.scenario;
    let path = cfg.path();
    let unscale = sc.start_price() / PRICE_LEVEL;
    let initial_debt: f64 = book.iter().map(|p| p.debt).sum();
    let mut f = MarketFixture::with_params(cfg.params).await;
    let mut oracle = SimOracle::new(PRICE_LEVEL);
    publish(&oracle, &mut f);

    f.lp(debt_native(initial_debt * LP_PER_DEBT) + ONE_DEBT)
        .await;
    f.fund_backstops(debt_native(insurance), debt_native(pol))
        .await;
    let keeper_user = f.user(0, ONE_DEBT).await;
    // Each bidder's bank balance is ample; its cash is enforced by the keeper core's role
    // (`Role::taker`).
    let mut takers = Vec::with_capacity(bidders.len());
    for b in &bidders {
        let u = f.user(0, debt_native(initial_debt * 20.0)).await;
        let k = Keeper::new(KeeperConfig {
            market: f.market,
            collateral_oracle: f.collateral_oracle,
            debt_oracle: f.debt_oracle,
            debt_account: u.debt_ata,
            collateral_account: u.collateral_ata,
            edge_bps: b.edge_bps.round() as u64,
            tx_cost: 0,
            tx_cost_per_account: 0,
            refresh_secs: i64::MAX,
            buffer_move_bps: u64::MAX,
            watch_secs: i64::MAX,
            kick_after_secs: 0,
            role: Role::taker(0, MAX_TAKES_PER_LOOK),
        });
        takers.push((u, k));
    }

    let mut margins = Vec::with_capacity(book.len());
    let bar = progress_bar(cfg.progress, book.len() as u64, "opening borrowers");
    for p in book {
        let b = f.borrower(coll_native(p.collateral)).await;
        let r = f
            .env
            .send(&[f.ix_borrow(&b, debt_native(p.debt))], &[&b.kp])
            .await;
        anyhow::ensure!(r.error.is_none(), "setup borrow failed: {:?}", r.error);
        margins.push(b.margin);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut books = Books {
        ledger: Ledger::new(book, insurance, pol),
        positions: book.to_vec(),
        index: margins.iter().enumerate().map(|(i, k)| (*k, i)).collect(),
        auctions: HashMap::new(),
        detail: EngineDetail::default(),
        liquidations: Vec::new(),
    };

    let mut keeper = Keeper::new(KeeperConfig {
        market: f.market,
        collateral_oracle: f.collateral_oracle,
        debt_oracle: f.debt_oracle,
        debt_account: keeper_user.debt_ata,
        collateral_account: keeper_user.collateral_ata,
        edge_bps: 0,
        tx_cost: 0,
        tx_cost_per_account: 0,
        refresh_secs: KEEPER_REFRESH_SECS,
        buffer_move_bps: KEEPER_BUFFER_MOVE_BPS,
        watch_secs: KEEPER_WATCH_SECS,
        kick_after_secs: KEEPER_KICK_AFTER_SECS,
        role: Role::MAINTAIN,
    });

    let dt = sc.step_secs.max(1);
    let mut series = Series::default();
    let push_series = |series: &mut Series, t: f64, o: &SimOracle, v: &Venue| {
        series.t.push(t);
        series.price.push(o.spot * unscale);
        series.venue.push(v.price() * unscale);
        series.ema.push(o.ema * unscale);
        series.trigger.push(o.trigger() * unscale);
    };
    push_series(&mut series, 0.0, &oracle, &venue);
    let bar = progress_bar(cfg.progress, clock.ticks.len() as u64, &sc.name);
    let mut steps = 0;
    let mut price = PRICE_LEVEL;
    // The accounts open to a partial liquidation at the keeper's last look: what the
    // bidders saw at the previous step and act on now.
    let mut seen_buffer: Vec<Pubkey> = Vec::new();
    let mut peak_outlay = 0.0f64;
    for tick in &clock.ticks {
        steps = tick.step;
        let t = tick.t.min(sc.duration_secs as f64);
        let clock_t = tick.t;
        price = tick.price;
        rivals::open_step(&mut venue, tick, dt as f64);
        oracle.update(price, dt as f64, sc.conf_bps_at(t));
        f.env.set_time(T0 + tick.t as i64).await;
        if sc.oracle_live(t) {
            publish(&oracle, &mut f);
        }

        // The bidders, fastest first, on what they saw at the previous step: partial
        // liquidations of the accounts then in the buffer zone, lots of auctions then
        // open; each transaction's fee from their cash.
        let take_fee = clock.fee(tick, Action::LiquidatePartial);
        // What each account past the first adds to a batch's fee.
        let per_account = clock.batch_account_fee(tick);
        for (b, (u, k)) in bidders.iter_mut().zip(takers.iter_mut()) {
            if !b.look(clock_t) {
                continue;
            }
            k.cfg.tx_cost = debt_native(take_fee);
            k.cfg.tx_cost_per_account = debt_native(per_account.max(0.0));
            for _ in 0..MAX_TAKES_PER_LOOK {
                let cash = (b.available() - take_fee).max(0.0);
                k.cfg.role = Role::taker(debt_native(cash), 1);
                if k.cfg.role.capital == 0 {
                    break;
                }
                let before = k.stats.clone();
                let took = {
                    let mut chain = BankChain {
                        env: &mut f.env,
                        keeper: &u.kp,
                        margins: &seen_buffer,
                    };
                    let quote = VenueQuote {
                        venue: &venue,
                        held: b.inventory(),
                    };
                    k.tick(&mut chain, &quote).await?
                };
                let (n, fee) = fees_between(clock, tick, &before, &k.stats);
                books.ledger.txs(n, fee);
                b.pay_fee(fee);
                for ev in &took.events {
                    books.record(ev, clock_t, price, unscale, Some(b));
                }
                if took.events.is_empty() {
                    break;
                }
            }
        }

        // What the takers have out now, before this step's sales.
        peak_outlay = peak_outlay.max(bidders.iter().map(Bidder::outlay).sum());

        // The keeper: refresh, kicks, restarts, backstops, settlements.
        let before = keeper.stats.clone();
        let report = {
            let mut chain = BankChain {
                env: &mut f.env,
                keeper: &keeper_user.kp,
                margins: &margins,
            };
            let quote = VenueQuote {
                venue: &venue,
                held: 0.0,
            };
            keeper.tick(&mut chain, &quote).await?
        };
        let (n, fee) = fees_between(clock, tick, &before, &keeper.stats);
        books.ledger.txs(n, fee);
        for ev in &report.events {
            books.record(ev, clock_t, price, unscale, None);
        }
        seen_buffer = report.buffer.clone();
        rivals::close_step(&mut bidders, &mut venue, &mut books.ledger, price);
        if tick.on_path {
            push_series(&mut series, t, &oracle, &venue);
        } else if report.open_auctions == 0 && report.zones.past_threshold() == 0 {
            break;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    // The end: recorded bad debt, plus what open positions and auctions owe beyond their
    // collateral at the final price; the backstops' holdings.
    let m = f.market_state().await;
    let mut underwater = 0.0;
    for key in &margins {
        if let Some(ma) = read::<MarginAccount>(&mut f, *key).await {
            let debt = debt_whole(m.debt_of(ma.debt_shares).unwrap_or(0));
            underwater += (debt - coll_whole(ma.collateral) * price).max(0.0);
        }
    }
    for id in 0..m.next_auction_id {
        let key = f.auction_at(id);
        if let Some(au) = read::<Auction>(&mut f, key).await {
            underwater += (debt_whole(au.tab) - coll_whole(au.lot) * price).max(0.0);
        }
    }
    let end = engine_end(&m, price, underwater);
    let end_t = clock.path_steps as f64 * clock.dt;
    let metrics = books.ledger.finish(&path, clock.dt, end_t, end);
    series.engine_liquidations = books.liquidations;
    Ok(EngineRun {
        metrics,
        detail: EngineDetail {
            refreshes: keeper.stats.refreshes,
            refused: keeper.stats.failed + takers.iter().map(|(_, k)| k.stats.failed).sum::<u64>(),
            takers_peak_outlay: peak_outlay,
            ..books.detail
        },
        series,
        steps,
    })
}

/// The engine's end state from its market at `price` (at the simulation's level).
fn engine_end(m: &Market, price: f64, underwater: f64) -> EndState {
    EndState {
        bad_debt: debt_whole(m.recorded_bad_debt) + underwater,
        insurance_end: debt_whole(m.insurance_amount),
        pol_end: debt_whole(m.pol_debt_amount) + coll_whole(m.pol_collateral_amount) * price,
    }
}

async fn read<T: AccountDeserialize>(f: &mut MarketFixture, key: Pubkey) -> Option<T> {
    let acc = f.env.account(key).await?;
    T::try_deserialize(&mut acc.data.as_slice()).ok()
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen::<f64>().max(1e-12);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The engine run's bar, labelled.
fn progress_bar(show: bool, len: u64, label: &str) -> indicatif::ProgressBar {
    let bar = super::progress_bar(
        show,
        len,
        "{msg:>20} [{bar:40}] {pos}/{len} {elapsed_precise}",
    );
    bar.set_message(label.to_string());
    bar
}
