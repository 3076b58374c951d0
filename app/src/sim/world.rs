//! The engine run: a market in the in-process bank, LPs, insurance and POL,
//! many borrowers, the keeper, and the price path applied step by step; the
//! generation-one baseline replayed on the same path and pool model.

use std::collections::HashSet;
use std::time::Instant;

use anchor_lang::prelude::Pubkey;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zero_loss::engine::fixed::Fp;
use zero_loss::state::RiskParams;
use zero_loss_tests::market::{MarketFixture, ONE_COLL, ONE_DEBT};
use zero_loss_tests::T0;

use super::baseline::{Baseline, BaselineAccount, BaselineParams};
use super::pool::Pool;
use super::report::{Metrics, Report, Series};
use crate::bank::BankChain;
use crate::keeper::{Keeper, KeeperConfig, KeeperEvent, Venue};
use crate::oracle_model::SimOracle;
use crate::scenario::Scenario;

/// How a simulation is set up.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub scenario: Scenario,
    pub borrowers: usize,
    pub seed: u64,
    /// Each side of the constant-product pool, in debt tokens.
    pub pool_depth: f64,
    /// Fraction of the gap to the fundamental price arbitrage closes per step.
    pub arb_speed: f64,
    /// The keeper's bidding edge, bps.
    pub edge_bps: u64,
    /// LP deposit, insurance and POL funding, debt tokens.
    pub lp_deposit: f64,
    pub insurance: f64,
    pub pol: f64,
    /// Extra steps after the path ends for auctions to finish (at the last price).
    pub drain_steps: u64,
    pub progress: bool,
}

impl SimConfig {
    pub fn new(scenario: Scenario) -> SimConfig {
        SimConfig {
            scenario,
            borrowers: 300,
            seed: 7,
            pool_depth: 300_000.0,
            arb_speed: 0.2,
            edge_bps: 100,
            lp_deposit: 3_000_000.0,
            insurance: 50_000.0,
            pol: 150_000.0,
            drain_steps: 240,
            progress: true,
        }
    }
}

/// Collateral native units to whole tokens, and back.
fn coll_whole(n: u64) -> f64 {
    n as f64 / ONE_COLL as f64
}
fn debt_whole(n: u64) -> f64 {
    n as f64 / ONE_DEBT as f64
}

/// The pool as the keeper's reference: what selling an amount fetches.
struct PoolVenue<'a>(&'a Pool);

impl Venue for PoolVenue<'_> {
    fn sell_price(&self, collateral: u64) -> Option<Fp> {
        let q = coll_whole(collateral);
        if q <= 0.0 {
            return None;
        }
        let avg = self.0.sell_quote(q) / q; // debt tokens per collateral token
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

/// Runs a simulation and returns its report.
pub async fn run(cfg: &SimConfig) -> anyhow::Result<Report> {
    let started = Instant::now();
    let sc = &cfg.scenario;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let params = RiskParams::example();
    let mut f = MarketFixture::with_params(params).await;
    let start_price = sc.start_price();
    let mut oracle = SimOracle::new(start_price);
    publish(&oracle, &mut f);

    // Lenders, the insurance fund and POL, the keeper.
    f.lp((cfg.lp_deposit * ONE_DEBT as f64) as u64).await;
    f.fund_backstops(
        (cfg.insurance * ONE_DEBT as f64) as u64,
        (cfg.pol * ONE_DEBT as f64) as u64,
    )
    .await;
    let keeper_user = f.user(0, 100_000_000 * ONE_DEBT).await;

    // Borrowers: lognormal collateral (median 10 tokens), leverage skewed high.
    let mut margins = Vec::with_capacity(cfg.borrowers);
    let mut baseline_accounts = Vec::with_capacity(cfg.borrowers);
    let bar = progress_bar(cfg.progress, cfg.borrowers as u64, "opening borrowers");
    for _ in 0..cfg.borrowers {
        let z = normal(&mut rng);
        let coll = (10.0 * (0.8 * z).exp()).clamp(1.0, 200.0);
        let coll_native = (coll * ONE_COLL as f64) as u64;
        let ltv = 0.30 + 0.395 * rng.gen::<f64>().sqrt();
        let b = f.borrower(coll_native).await;
        let amount = (f.reference_max_borrow(coll_native) * ltv / 0.70) as u64;
        let r = f.env.send(&[f.ix_borrow(&b, amount)], &[&b.kp]).await;
        anyhow::ensure!(r.error.is_none(), "setup borrow failed: {:?}", r.error);
        margins.push(b.margin);
        baseline_accounts.push(BaselineAccount {
            collateral: coll_whole(coll_native),
            debt: debt_whole(amount),
        });
        bar.inc(1);
    }
    bar.finish_and_clear();

    let initial_debt = debt_whole(
        f.market_state()
            .await
            .total_debt()
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let mut baseline = Baseline::new(baseline_accounts, BaselineParams::default());
    let mut engine_pool = Pool::with_depth(start_price, cfg.pool_depth);
    let mut baseline_pool = Pool::with_depth(start_price, cfg.pool_depth);
    let mut keeper = Keeper::new(KeeperConfig {
        market: f.market,
        collateral_oracle: f.collateral_oracle,
        debt_oracle: f.debt_oracle,
        debt_account: keeper_user.debt_ata,
        collateral_account: keeper_user.collateral_ata,
        edge_bps: cfg.edge_bps,
        refresh_secs: 0,
    });

    let dt = sc.step_secs.max(1);
    let path_steps = sc.duration_secs / dt;
    let total_steps = path_steps + cfg.drain_steps;
    let mut series = Series::default();
    series.t.push(0.0);
    series.fundamental.push(sc.price_at(0.0));
    series.price.push(engine_pool.price());
    series.ema.push(oracle.ema);
    series.trigger.push(oracle.trigger());
    let mut em = Metrics::default();
    let mut liquidated: HashSet<Pubkey> = HashSet::new();
    let bar = progress_bar(cfg.progress, total_steps, &sc.name);
    let mut steps = 0;
    for s in 1..=total_steps {
        steps = s;
        let t = (s.min(path_steps) * dt) as f64;
        let fundamental = sc.price_at(t);
        engine_pool.arbitrage_toward(fundamental, cfg.arb_speed);
        baseline_pool.arbitrage_toward(fundamental, cfg.arb_speed);
        oracle.update(engine_pool.price(), dt as f64, sc.conf_bps_at(t));
        f.env.set_time(T0 + (s * dt) as i64).await;
        if sc.oracle_live(t) {
            publish(&oracle, &mut f);
        }

        let report = {
            let mut chain = BankChain {
                env: &mut f.env,
                keeper: &keeper_user.kp,
                margins: &margins,
            };
            keeper.tick(&mut chain, &PoolVenue(&engine_pool)).await?
        };
        let now_t = (s * dt) as f64;
        for ev in &report.events {
            match ev {
                KeeperEvent::Partial(e) => {
                    let q = coll_whole(e.collateral_out);
                    engine_pool.sell_collateral(q);
                    em.debt_liquidated += debt_whole(e.repaid);
                    em.borrower_penalty += debt_whole(e.repaid) * e.bonus_bps as f64 / 1e4;
                    em.record_sale(q, debt_whole(e.repaid), oracle.spot);
                    em.record_action(now_t);
                    liquidated.insert(e.margin_account);
                    series.engine_liquidations.push((now_t, oracle.spot));
                }
                KeeperEvent::Kick(e) => {
                    em.auctions_started += 1;
                    em.insurance_used += debt_whole(e.keeper_reward);
                    em.record_action(now_t);
                    liquidated.insert(e.owner);
                    series.engine_liquidations.push((now_t, oracle.spot));
                }
                KeeperEvent::Bid(e) => {
                    let q = coll_whole(e.collateral);
                    engine_pool.sell_collateral(q);
                    em.debt_liquidated += debt_whole(e.principal);
                    em.borrower_penalty += debt_whole(e.penalty);
                    em.record_sale(q, debt_whole(e.paid), oracle.spot);
                    em.record_action(now_t);
                }
                KeeperEvent::Restart(e) => {
                    em.auctions_restarted += 1;
                    em.insurance_used += debt_whole(e.keeper_reward);
                }
                KeeperEvent::Backstop(e) => {
                    em.auctions_backstopped += 1;
                    em.pol_used += debt_whole(e.paid);
                    em.debt_liquidated += debt_whole(e.principal);
                    em.borrower_penalty += debt_whole(e.penalty);
                    em.record_sale(coll_whole(e.collateral), debt_whole(e.paid), oracle.spot);
                    em.record_action(now_t);
                }
                KeeperEvent::Settle(e) => {
                    em.insurance_used += debt_whole(e.insurance_paid);
                    em.pol_used += debt_whole(e.pol_paid);
                    em.record_action(now_t);
                }
            }
        }
        if s <= path_steps {
            baseline.step(t, &mut baseline_pool);
            series.t.push(t);
            series.fundamental.push(fundamental);
            series.price.push(engine_pool.price());
            series.ema.push(oracle.ema);
            series.trigger.push(oracle.trigger());
        } else if report.open_auctions == 0 && report.zones.past_threshold() == 0 {
            break;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let m = f.market_state().await;
    em.bad_debt = debt_whole(m.recorded_bad_debt);
    em.lp_loss = em.bad_debt;
    em.accounts_liquidated = liquidated.len() as u64;
    em.transactions = keeper.stats.transactions;
    em.initial_debt = initial_debt;
    em.finish();
    series.baseline_liquidations = baseline.events.clone();
    let mut base = baseline.metrics.clone();
    base.initial_debt = initial_debt;
    base.finish();
    Ok(Report {
        scenario: sc.name.clone(),
        borrowers: cfg.borrowers,
        seed: cfg.seed,
        steps,
        wall_secs: started.elapsed().as_secs_f64(),
        engine: em,
        baseline: base,
        series,
    })
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen::<f64>().max(1e-12);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn progress_bar(show: bool, len: u64, label: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>20} [{bar:40}] {pos}/{len} {elapsed_precise}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    bar
}
