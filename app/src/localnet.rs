//! `zl-keeper localnet`: the end-to-end run on a local validator
//! (docs/localnet.md). `prepare` creates the two mints and the Pyth price
//! accounts (through the localnet price feeder at the receiver's id), funds
//! the keeper and writes the bootstrap config; `crash` funds the market,
//! opens borrowers and walks a scenario's prices through the feeder on
//! compressed time while a separate `zl-keeper run` liquidates, then waits
//! for every auction to settle and judges the outcome.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::solana_program::system_instruction;
use anchor_spl::token::spl_token;
use pyth_feeder::PriceArgs;
use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use solana_keypair::Keypair;
use solana_signer::Signer;
use zero_loss::client::MarketKeys;
use zero_loss::oracle::Action;
use zero_loss::state::{seeds, Market};

use crate::bootstrap::{parse_feed_id, BootstrapConfig};
use crate::chain::Chain;
use crate::keeper::{borrowers, fetch_market, market_and_prices, ZoneCounts};
use crate::oracle_model::{SimOracle, EXPONENT};
use crate::rpc::RpcChain;
use crate::scenario::{PricePoint, Scenario};
use crate::tokens::{ata, create_ata_ix, mint_to_ix};

/// SOL-like collateral and USDC-like debt.
pub const COLLATERAL_DECIMALS: u8 = 9;
pub const DEBT_DECIMALS: u8 = 6;
const ONE_COLL: f64 = 1e9;
const ONE_DEBT: f64 = 1e6;
/// The debt asset's USD price, 1e-8 units, and its confidence.
const DEBT_PRICE_E8: i64 = 100_000_000;
const DEBT_CONF_E8: u64 = 50_000;

/// What `prepare` created, read by `crash` (`setup.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Setup {
    pub collateral_mint: String,
    pub debt_mint: String,
    pub collateral_oracle: String,
    pub debt_oracle: String,
    pub collateral_feed_id: String,
    pub debt_feed_id: String,
}

fn key(s: &str) -> anyhow::Result<Pubkey> {
    s.parse()
        .map_err(|e| anyhow::anyhow!("bad address {s}: {e:?}"))
}

impl Setup {
    pub fn market(&self) -> anyhow::Result<Pubkey> {
        Ok(seeds::market_address(
            &zero_loss::ID,
            &key(&self.collateral_mint)?,
            &key(&self.debt_mint)?,
        )
        .0)
    }

    pub fn keys(&self) -> anyhow::Result<MarketKeys> {
        Ok(MarketKeys::new(
            self.market()?,
            key(&self.collateral_oracle)?,
            key(&self.debt_oracle)?,
        ))
    }

    pub fn read(path: &Path) -> anyhow::Result<Setup> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// The two price accounts and how to write them.
struct Feeds {
    collateral: (Pubkey, [u8; 32]),
    debt: (Pubkey, [u8; 32]),
}

impl Feeds {
    fn of(setup: &Setup) -> anyhow::Result<Feeds> {
        Ok(Feeds {
            collateral: (
                key(&setup.collateral_oracle)?,
                parse_feed_id(&setup.collateral_feed_id)?,
            ),
            debt: (
                key(&setup.debt_oracle)?,
                parse_feed_id(&setup.debt_feed_id)?,
            ),
        })
    }

    /// The collateral's reading from `oracle` and the debt asset's $1.
    fn args(oracle: &SimOracle, feed_ids: [[u8; 32]; 2], publish_time: i64) -> [PriceArgs; 2] {
        let r = oracle.e8();
        [
            PriceArgs {
                feed_id: feed_ids[0],
                price: r.price,
                conf: r.conf,
                exponent: EXPONENT,
                publish_time,
                ema_price: r.ema_price,
                ema_conf: r.ema_conf,
            },
            PriceArgs {
                feed_id: feed_ids[1],
                price: DEBT_PRICE_E8,
                conf: DEBT_CONF_E8,
                exponent: EXPONENT,
                publish_time,
                ema_price: DEBT_PRICE_E8,
                ema_conf: DEBT_CONF_E8,
            },
        ]
    }

    /// Publishes `oracle` for the collateral and $1 for the debt, now;
    /// returns the publish time (the cluster's clock).
    async fn publish(&self, chain: &mut RpcChain, oracle: &SimOracle) -> anyhow::Result<i64> {
        let now = chain.now().await?;
        let authority = chain.keeper();
        let [c, d] = Feeds::args(oracle, [self.collateral.1, self.debt.1], now);
        let ixs = [
            pyth_feeder::write_price_ix(authority, self.collateral.0, c),
            pyth_feeder::write_price_ix(authority, self.debt.0, d),
        ];
        let r = chain.send(&ixs).await?;
        anyhow::ensure!(r.ok, "price write refused: {:?}", r.error);
        Ok(now)
    }
}

/// Writes `admin.json` and `keeper.json` into `dir` unless present, and
/// airdrops `airdrop_sol` to the admin (the validator's faucet; none and no
/// RPC at all for 0, so the keys can exist before the validator starts: the
/// admin is the program's upgrade authority). Returns both addresses.
pub async fn keys(url: &str, dir: &Path, airdrop_sol: f64) -> anyhow::Result<(Pubkey, Pubkey)> {
    std::fs::create_dir_all(dir)?;
    let mut out = vec![];
    for name in ["admin.json", "keeper.json"] {
        let path = dir.join(name);
        let kp = match solana_keypair::read_keypair_file(&path) {
            Ok(kp) => kp,
            Err(_) => {
                let kp = Keypair::new();
                solana_keypair::write_keypair_file(&kp, &path)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                kp
            }
        };
        out.push(kp.pubkey());
    }
    let lamports = (airdrop_sol * 1e9) as u64;
    if lamports == 0 {
        return Ok((out[0], out[1]));
    }
    let client = solana_rpc_client::nonblocking::rpc_client::RpcClient::new_with_commitment(
        url.to_string(),
        solana_commitment_config::CommitmentConfig::confirmed(),
    );
    let start = client.get_balance(&out[0]).await?;
    client.request_airdrop(&out[0], lamports).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.get_balance(&out[0]).await? < start + lamports {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the airdrop did not land within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok((out[0], out[1]))
}

/// How `prepare` is set up.
#[derive(Clone, Debug)]
pub struct PrepareConfig {
    /// The bootstrap config to complete with the new mints.
    pub template: PathBuf,
    pub out_dir: PathBuf,
    /// The keeper's key: funded with SOL and debt tokens.
    pub keeper: Pubkey,
    pub keeper_sol: f64,
    pub keeper_debt: f64,
    /// The collateral's starting USD price.
    pub start_price: f64,
}

async fn send_ok(
    chain: &mut RpcChain,
    what: &str,
    ixs: &[Instruction],
    extra: &[&Keypair],
) -> anyhow::Result<()> {
    let r = chain.send_with(ixs, extra).await?;
    anyhow::ensure!(r.ok, "{what} failed: {}", r.error.unwrap_or_default());
    Ok(())
}

/// Creates the mints and price accounts, funds the keeper, and writes
/// `bootstrap.toml` and `setup.json` into `out_dir`.
pub async fn prepare(chain: &mut RpcChain, cfg: &PrepareConfig) -> anyhow::Result<Setup> {
    let template = std::fs::read_to_string(&cfg.template)
        .map_err(|e| anyhow::anyhow!("{}: {e}", cfg.template.display()))?;
    let mut doc: toml::Table = toml::from_str(&template)?;
    let admin = chain.keeper();

    let mut mints = vec![];
    let mint_rent = chain
        .client
        .get_minimum_balance_for_rent_exemption(spl_token::state::Mint::LEN)
        .await?;
    for decimals in [COLLATERAL_DECIMALS, DEBT_DECIMALS] {
        let mint = Keypair::new();
        let ixs = [
            system_instruction::create_account(
                &admin,
                &mint.pubkey(),
                mint_rent,
                spl_token::state::Mint::LEN as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_mint2(
                &spl_token::ID,
                &mint.pubkey(),
                &admin,
                None,
                decimals,
            )?,
        ];
        send_ok(chain, "create mint", &ixs, &[&mint]).await?;
        mints.push(mint.pubkey());
    }
    let market = doc
        .get_mut("market")
        .and_then(|m| m.as_table_mut())
        .ok_or_else(|| anyhow::anyhow!("the template has no [market]"))?;
    market.insert("collateral_mint".into(), mints[0].to_string().into());
    market.insert("debt_mint".into(), mints[1].to_string().into());
    let text = toml::to_string(&doc)?;
    let boot: BootstrapConfig = toml::from_str(&text)?;
    boot.market_args()?;

    // The price accounts, created and first written through the feeder.
    let oracle = SimOracle::new(cfg.start_price);
    let now = chain.now().await?;
    let price_rent = chain
        .client
        .get_minimum_balance_for_rent_exemption(PriceUpdateV2::LEN)
        .await?;
    let feed_ids = [
        parse_feed_id(&boot.market.collateral_feed_id)?,
        parse_feed_id(&boot.market.debt_feed_id)?,
    ];
    let mut oracles = vec![];
    for a in Feeds::args(&oracle, feed_ids, now) {
        let account = Keypair::new();
        let ixs =
            pyth_feeder::create_price_account_ixs(admin, admin, account.pubkey(), price_rent, a);
        send_ok(chain, "create price account", &ixs, &[&account]).await?;
        oracles.push(account.pubkey());
    }

    // The keeper: SOL for fees and rent, debt tokens to bid and repay with.
    let k = cfg.keeper;
    let ixs = [
        system_instruction::transfer(&admin, &k, (cfg.keeper_sol * 1e9) as u64),
        create_ata_ix(admin, k, mints[0]),
        create_ata_ix(admin, k, mints[1]),
        mint_to_ix(
            mints[1],
            ata(&k, &mints[1]),
            admin,
            (cfg.keeper_debt * ONE_DEBT) as u64,
        )?,
    ];
    send_ok(chain, "fund the keeper", &ixs, &[]).await?;

    let setup = Setup {
        collateral_mint: mints[0].to_string(),
        debt_mint: mints[1].to_string(),
        collateral_oracle: oracles[0].to_string(),
        debt_oracle: oracles[1].to_string(),
        collateral_feed_id: boot.market.collateral_feed_id.clone(),
        debt_feed_id: boot.market.debt_feed_id.clone(),
    };
    std::fs::create_dir_all(&cfg.out_dir)?;
    std::fs::write(cfg.out_dir.join("bootstrap.toml"), text)?;
    std::fs::write(
        cfg.out_dir.join("setup.json"),
        serde_json::to_string_pretty(&setup)?,
    )?;
    Ok(setup)
}

/// The default path of the end-to-end run, in scenario time (30 s steps,
/// 215 minutes): calm at 100; a slide to 80 in 20 minutes that the EMA lags,
/// held for 40 minutes while the EMA follows (accounts enter the buffer
/// zone); a rebound to 90 held for 50 minutes (spot at or above the EMA:
/// partial liquidations pay); a slide to 85, then a gap to 62 in one step
/// (-27%: accounts jump past the partial zone, so auctions start, take bids or
/// restart, and go to the backstop) and a drift to 64. From minute 10 to 130
/// each step carries seeded noise of up to +-1.2%, which keeps realized
/// volatility, and so the buffer, up.
pub fn e2e_path(seed: u64) -> Scenario {
    /// (minute, price) knots, joined linearly.
    const KNOTS: [(f64, f64); 9] = [
        (0.0, 100.0),
        (10.0, 100.0),
        (30.0, 80.0),
        (70.0, 80.0),
        (80.0, 90.0),
        (130.0, 90.0),
        (160.0, 85.0),
        (160.5, 62.0),
        (215.0, 64.0),
    ];
    const NOISE: f64 = 0.012;
    let point = |t_secs: f64, price: f64| PricePoint {
        t_secs,
        price,
        conf_bps: None,
    };
    let mut path = Scenario {
        name: "localnet-e2e".into(),
        description: "a lagged slide, a choppy rebound, then a crash; 215 min".into(),
        step_secs: 30,
        duration_secs: KNOTS[KNOTS.len() - 1].0 as u64 * 60,
        outages: vec![],
        points: KNOTS.iter().map(|&(m, p)| point(m * 60.0, p)).collect(),
    };
    // Every step on the knots' line, with noise from minute 10 to 130.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    path.points = (0..=path.duration_secs)
        .step_by(30)
        .map(|t| {
            let (t, m) = (t as f64, t as f64 / 60.0);
            let noise = if m > 10.0 && m <= 130.0 {
                rng.gen_range(-NOISE..=NOISE)
            } else {
                0.0
            };
            point(t, path.price_at(t) * (1.0 + noise))
        })
        .collect();
    path
}

/// How `crash` is set up.
#[derive(Clone, Debug)]
pub struct CrashConfig {
    pub scenario: Scenario,
    /// The slice of the scenario played, seconds of scenario time.
    pub from_secs: f64,
    pub to_secs: f64,
    /// Scenario seconds per real second (the market's time parameters in
    /// the bootstrap config must be scaled down by the same factor).
    pub speedup: f64,
    /// Real seconds between price writes.
    pub tick: Duration,
    pub borrowers: usize,
    pub seed: u64,
    /// Whole debt tokens.
    pub lp_deposit: f64,
    pub insurance: f64,
    pub pol: f64,
    /// How long to wait for every auction to settle after the path ends.
    pub settle_timeout: Duration,
    /// Whole debt tokens added to POL once the walk reaches this scenario second.
    pub pol_top_up: Option<(f64, f64)>,
}

/// The outcome `crash` judges.
#[derive(Clone, Debug)]
pub struct CrashOutcome {
    pub share_price_before: f64,
    pub share_price_after: f64,
    pub open_auctions: u32,
    pub auctions_started: u64,
    pub recorded_bad_debt: u64,
    /// Borrowers by zone at the end.
    pub zones: ZoneCounts,
}

impl CrashOutcome {
    /// Why the run failed, if it did.
    pub fn failures(&self) -> Vec<String> {
        let mut out = vec![];
        let distressed = self.zones.past_threshold();
        if self.open_auctions > 0 {
            out.push(format!("{} auction(s) still open", self.open_auctions));
        }
        if distressed > 0 {
            out.push(format!(
                "{distressed} account(s) still past the liquidation threshold"
            ));
        }
        if self.share_price_after < self.share_price_before {
            out.push(format!(
                "the LP share price fell: {:.9} -> {:.9}",
                self.share_price_before, self.share_price_after
            ));
        }
        if self.recorded_bad_debt > 0 {
            out.push(format!("bad debt recorded: {}", self.recorded_bad_debt));
        }
        out
    }
}

fn share_price(m: &Market) -> anyhow::Result<f64> {
    let assets = m.lp_assets().map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(m.lp_shares > 0, "no LP shares");
    Ok(assets as f64 / m.lp_shares as f64)
}

/// Borrowers by zone at `now`, judged as the keeper judges them.
async fn zone_census(
    chain: &mut RpcChain,
    keys: &MarketKeys,
    now: i64,
) -> anyhow::Result<(Market, ZoneCounts)> {
    let (market, prices) = market_and_prices(chain, keys, now).await?;
    let mut view = market.clone();
    view.accrue_interest(now)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut zones = ZoneCounts::default();
    for (_, m) in borrowers(chain, &keys.market).await? {
        let h = zero_loss::risk::evaluate(&view, m.collateral, m.debt_shares, &prices)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        zones.add(h.zone);
    }
    Ok((market, zones))
}

/// Funds the market, opens borrowers, walks the prices and waits for the
/// keeper to finish.
pub async fn crash(
    chain: &mut RpcChain,
    setup: &Setup,
    cfg: &CrashConfig,
) -> anyhow::Result<CrashOutcome> {
    let keys = setup.keys()?;
    let feeds = Feeds::of(setup)?;
    let admin = chain.keeper();
    let (coll_mint, debt_mint) = (key(&setup.collateral_mint)?, key(&setup.debt_mint)?);
    let mut oracle = SimOracle::new(cfg.scenario.price_at(cfg.from_secs));
    let now = feeds.publish(chain, &oracle).await?;
    let (market, prices) = market_and_prices(chain, &keys, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e} (run bootstrap first?)"))?;
    // The borrow limit in force: max_ltv less the volatility buffer (risk::max_ltv_eff).
    let buffer = market.buffer().map_err(|e| anyhow::anyhow!("{e}"))?;
    let max_ltv = zero_loss::risk::max_ltv_eff(&market, buffer)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .0 as f64
        / 1e18;
    // The opening-risk price; the oracle holds still until the walk starts.
    let borrow_price = prices.price(Action::Borrow).0 as f64 / 1e18;

    // Lenders, the insurance fund and POL (the admin funds all three).
    let debt = |x: f64| (x * ONE_DEBT) as u64;
    let admin_debt = ata(&admin, &debt_mint);
    let admin_lp = ata(&admin, &keys.lp_mint());
    let ixs = [
        create_ata_ix(admin, admin, debt_mint),
        create_ata_ix(admin, admin, keys.lp_mint()),
        mint_to_ix(
            debt_mint,
            admin_debt,
            admin,
            debt(cfg.lp_deposit + cfg.insurance + cfg.pol),
        )?,
        keys.lp_deposit(admin, admin_debt, admin_lp, debt(cfg.lp_deposit)),
        keys.fund_insurance(admin, admin_debt, debt(cfg.insurance)),
        keys.fund_pol(admin, admin_debt, debt(cfg.pol)),
    ];
    send_ok(chain, "fund the market", &ixs, &[]).await?;
    tracing::info!(
        lp = cfg.lp_deposit,
        insurance = cfg.insurance,
        pol = cfg.pol,
        "market funded"
    );

    // Borrowers: lognormal collateral (median 10 tokens), leverage skewed
    // high, as in the simulator.
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut last_publish = Instant::now();
    for i in 0..cfg.borrowers {
        if last_publish.elapsed() > Duration::from_secs(10) {
            feeds.publish(chain, &oracle).await?;
            last_publish = Instant::now();
        }
        let z: f64 = {
            // Box-Muller.
            let (u1, u2): (f64, f64) = (rng.gen::<f64>().max(1e-12), rng.gen());
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let coll = (10.0 * (0.8 * z).exp()).clamp(1.0, 200.0);
        let coll_native = (coll * ONE_COLL) as u64;
        let ltv = 0.30 + 0.395 * rng.gen::<f64>().sqrt();
        let amount = (coll_native as f64 * borrow_price * max_ltv * ltv / 0.70) as u64;

        let b = Keypair::new();
        let o = b.pubkey();
        let ixs = [
            system_instruction::transfer(&admin, &o, 50_000_000),
            create_ata_ix(admin, o, coll_mint),
            create_ata_ix(admin, o, debt_mint),
            mint_to_ix(coll_mint, ata(&o, &coll_mint), admin, coll_native)?,
            keys.open_margin(o),
            keys.deposit(o, keys.margin_of(&o), ata(&o, &coll_mint), coll_native),
            keys.borrow(o, ata(&o, &debt_mint), amount),
        ];
        send_ok(chain, "open a borrower", &ixs, &[&b]).await?;
        tracing::info!(
            borrower = i + 1,
            of = cfg.borrowers,
            collateral = coll,
            debt = amount as f64 / ONE_DEBT,
            ltv = ltv * max_ltv / 0.70,
            "borrower opened"
        );
    }

    let before = fetch_market(chain, keys.market).await?;
    let start = oracle.clone();
    let share_price_before = share_price(&before)?;
    let total_debt = before.total_debt().map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(
        debt = total_debt as f64 / ONE_DEBT,
        share_price = share_price_before,
        "borrowers open; the crash starts"
    );

    // The price path on compressed time.
    let dt = cfg.speedup * cfg.tick.as_secs_f64();
    let steps = ((cfg.to_secs - cfg.from_secs) / dt).ceil().max(1.0) as u64;
    let started = Instant::now();
    let mut last_log = Instant::now();
    let mut top_up = cfg.pol_top_up;
    for s in 1..=steps {
        let t = (cfg.from_secs + s as f64 * dt).min(cfg.to_secs);
        if let Some((amount, _)) = top_up.filter(|(_, at)| t >= *at) {
            top_up_pol(chain, &keys, debt_mint, debt(amount)).await?;
            top_up = None;
        }
        oracle.update(cfg.scenario.price_at(t), dt, cfg.scenario.conf_bps_at(t));
        if cfg.scenario.oracle_live(t) {
            feeds.publish(chain, &oracle).await?;
        }
        if last_log.elapsed() >= Duration::from_secs(10) || s == steps {
            let m = fetch_market(chain, keys.market).await?;
            tracing::info!(
                step = s,
                of = steps,
                spot = format!("{:.2}", oracle.spot),
                ema = format!("{:.2}", oracle.ema),
                auctions_started = m.next_auction_id,
                open_auctions = m.open_auctions,
                "price walk"
            );
            last_log = Instant::now();
        }
        let next = cfg.tick.mul_f64(s as f64);
        if let Some(wait) = next.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }

    // Hold the last price until the keeper is done (or the timeout): the
    // verdict is judged on the last snapshot. Scenario time goes on while it
    // holds: a top-up set past the path's end comes when it is due.
    let drain = Instant::now();
    let deadline = drain + cfg.settle_timeout;
    let (after, zones) = loop {
        let t = cfg.to_secs + drain.elapsed().as_secs_f64() * cfg.speedup;
        if let Some((amount, _)) = top_up.filter(|(_, at)| t >= *at) {
            top_up_pol(chain, &keys, debt_mint, debt(amount)).await?;
            top_up = None;
        }
        let now = feeds.publish(chain, &oracle).await?;
        let (m, zones) = zone_census(chain, &keys, now).await?;
        let done = m.open_auctions == 0 && zones.past_threshold() == 0 && top_up.is_none();
        if done || Instant::now() >= deadline {
            break (m, zones);
        }
        tracing::info!(
            open_auctions = m.open_auctions,
            distressed = zones.distressed,
            emergency = zones.emergency,
            "waiting for the keeper"
        );
        tokio::time::sleep(cfg.tick.max(Duration::from_secs(2))).await;
    };

    let outcome = CrashOutcome {
        share_price_before,
        share_price_after: share_price(&after)?,
        open_auctions: after.open_auctions,
        auctions_started: after.next_auction_id,
        recorded_bad_debt: after.recorded_bad_debt,
        zones,
    };
    println!(
        "{}",
        render_final(&keys.market, (&before, &start), (&after, &oracle), &outcome)
    );
    Ok(outcome)
}

/// The admin mints `amount` debt native units to itself and adds them to POL.
async fn top_up_pol(
    chain: &mut RpcChain,
    keys: &MarketKeys,
    debt_mint: Pubkey,
    amount: u64,
) -> anyhow::Result<()> {
    let admin = chain.keeper();
    let admin_debt = ata(&admin, &debt_mint);
    let ixs = [
        mint_to_ix(debt_mint, admin_debt, admin, amount)?,
        keys.fund_pol(admin, admin_debt, amount),
    ];
    send_ok(chain, "top up POL", &ixs, &[]).await?;
    tracing::info!(amount, "POL topped up");
    Ok(())
}

/// The final market state, in whole tokens.
fn render_final(
    market: &Pubkey,
    (before, start): (&Market, &SimOracle),
    (after, end): (&Market, &SimOracle),
    o: &CrashOutcome,
) -> String {
    // Debt-asset amounts with 2 decimals, collateral with 4, before and after.
    let debt = |f: fn(&Market) -> u64| {
        let v = |m: &Market| format!("{:.2}", f(m) as f64 / ONE_DEBT);
        (v(before), v(after))
    };
    let coll = |f: fn(&Market) -> u64| {
        let v = |m: &Market| format!("{:.4}", f(m) as f64 / ONE_COLL);
        (v(before), v(after))
    };
    let rows = [
        (
            "collateral price (spot / EMA)",
            (
                format!("{:.2} / {:.2}", start.spot, start.ema),
                format!("{:.2} / {:.2}", end.spot, end.ema),
            ),
        ),
        (
            "debt outstanding",
            debt(|m| m.total_debt().unwrap_or(u64::MAX)),
        ),
        ("collateral held", coll(|m| m.total_collateral)),
        ("LP liquidity", debt(|m| m.liquidity_amount)),
        ("insurance fund", debt(|m| m.insurance_amount)),
        ("POL debt asset", debt(|m| m.pol_debt_amount)),
        ("POL collateral", coll(|m| m.pol_collateral_amount)),
        ("recorded bad debt", debt(|m| m.recorded_bad_debt)),
        (
            "auctions started / open",
            (
                format!("{} / {}", before.next_auction_id, before.open_auctions),
                format!("{} / {}", o.auctions_started, o.open_auctions),
            ),
        ),
        (
            "LP share price",
            (
                format!("{:.9}", o.share_price_before),
                format!("{:.9}", o.share_price_after),
            ),
        ),
        (
            "borrowers by zone (H/B/D/E)",
            (
                String::new(),
                format!(
                    "{}/{}/{}/{}",
                    o.zones.healthy, o.zones.buffer, o.zones.distressed, o.zones.emergency
                ),
            ),
        ),
    ];
    let mut out = format!(
        "market {market}\n{:<30} {:>18} {:>18}\n",
        "", "before the crash", "after"
    );
    for (k, (b, a)) in rows {
        out.push_str(&format!("{k:<30} {b:>18} {a:>18}\n"));
    }
    let failures = o.failures();
    if failures.is_empty() {
        out.push_str("PASS: every auction settled, no bad debt, the LP share price did not fall\n");
    } else {
        for f in failures {
            out.push_str(&format!("FAIL: {f}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome() -> CrashOutcome {
        CrashOutcome {
            share_price_before: 1.0,
            share_price_after: 1.001,
            open_auctions: 0,
            auctions_started: 5,
            recorded_bad_debt: 0,
            zones: ZoneCounts {
                healthy: 10,
                buffer: 2,
                ..ZoneCounts::default()
            },
        }
    }

    #[test]
    fn a_clean_run_passes_and_each_failure_is_named() {
        assert!(outcome().failures().is_empty());
        let mut o = outcome();
        o.open_auctions = 1;
        assert!(o.failures()[0].contains("still open"));
        let mut o = outcome();
        o.open_auctions = 2;
        assert_eq!(o.failures(), ["2 auction(s) still open"]);
        let mut o = outcome();
        o.zones.emergency = 1;
        assert!(o.failures()[0].contains("liquidation threshold"));
        let mut o = outcome();
        o.share_price_after = 0.999;
        assert!(o.failures()[0].contains("share price fell"));
        let mut o = outcome();
        o.recorded_bad_debt = 1;
        assert!(o.failures()[0].contains("bad debt"));
    }

    #[test]
    fn the_e2e_path_has_its_phases_and_is_reproducible() {
        let s = e2e_path(7);
        assert_eq!(s.duration_secs, 215 * 60);
        assert_eq!(s.points.len(), 215 * 2 + 1);
        assert_eq!(s.price_at(0.0), 100.0);
        let at = |m: f64| s.price_at(m * 60.0);
        // Noise stays within 1.2% of the level, and only where it should.
        assert!((at(70.0) / 80.0 - 1.0).abs() <= 0.012 + 1e-12);
        assert!((at(100.0) / 90.0 - 1.0).abs() <= 0.012 + 1e-12);
        // The gap: one 30-second step from 85 to 62.
        assert_eq!(at(160.0), 85.0);
        assert_eq!(at(160.5), 62.0);
        assert_eq!(at(215.0), 64.0);
        let low = s.points.iter().map(|p| p.price).fold(f64::MAX, f64::min);
        assert_eq!(low, 62.0);
        // The same seed, the same path; another seed, other noise.
        assert_eq!(e2e_path(7).points, s.points);
        assert_ne!(e2e_path(8).points, s.points);
    }

    #[test]
    fn the_e2e_template_completes_into_a_valid_bootstrap_config() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/localnet-e2e.toml");
        let mut doc: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let m = doc["market"].as_table_mut().unwrap();
        m.insert(
            "collateral_mint".into(),
            Pubkey::new_unique().to_string().into(),
        );
        m.insert("debt_mint".into(), Pubkey::new_unique().to_string().into());
        let cfg: BootstrapConfig = toml::from_str(&toml::to_string(&doc).unwrap()).unwrap();
        let (_, _, args) = cfg.market_args().unwrap();
        // Time parameters are the example's scaled down for compressed time.
        assert!(
            args.params.auction_step_secs
                < zero_loss::state::RiskParams::example().auction_step_secs
        );
    }
}
