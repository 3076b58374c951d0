//! `zl-keeper`: run the keeper against a cluster, simulate a crash on an
//! in-process bank (feature `sim`, on by default), or bootstrap a market.
//! Solana CLI conventions: `-u` takes a URL or a moniker, `-k` defaults to
//! the CLI's keypair.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
#[cfg(feature = "sim")]
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use zero_loss::client::MarketKeys;
use zl_keeper::bootstrap::{bootstrap, BootstrapConfig};
use zl_keeper::chain::Chain;
use zl_keeper::config::{self, Flags, RunFile};
use zl_keeper::keeper::fetch_market;
use zl_keeper::localnet::{self, CrashConfig, PrepareConfig, Setup};
use zl_keeper::rpc::{url_for, RpcChain};
use zl_keeper::scenario::Scenario;
#[cfg(feature = "sim")]
use zl_keeper::sim::report::{render_svg, render_table, to_json};
#[cfg(feature = "sim")]
use zl_keeper::sim::sweep::{
    relative_link, render_results_md, render_sweep_svg, run_sweep, SweepConfig,
};
#[cfg(feature = "sim")]
use zl_keeper::sim::world::{self, RivalBackstops, SimConfig};
use zl_keeper::{alt, operator};

#[derive(Parser)]
#[command(
    name = "zl-keeper",
    version,
    about = "Keeper and crash simulator for the zero-loss program"
)]
struct Cli {
    /// JSON RPC URL or moniker: mainnet-beta, testnet, devnet, localhost (or m, t, d, l)
    #[arg(short = 'u', long = "url", global = true)]
    url: Option<String>,
    /// Keypair file [default: ~/.config/solana/id.json]
    #[arg(short = 'k', long = "keypair", global = true)]
    keypair: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the keeper loop against a cluster until Ctrl-C.
    Run(RunArgs),
    /// Create (or extend, with --lookup-table) an address lookup table holding the
    /// markets' fixed accounts, for v0 transactions; takes run's flags and --config.
    Alt(RunArgs),
    /// Simulate a crash on an embedded bank and compare with a generation-one baseline.
    #[cfg(feature = "sim")]
    Simulate(SimArgs),
    /// Create the protocol (if absent) and a market from a config file.
    Bootstrap {
        #[arg(long)]
        config: PathBuf,
    },
    /// The end-to-end run on a local validator (scripts/localnet-e2e.sh).
    #[command(subcommand)]
    Localnet(LocalnetCmd),
    /// Time decoding and judging N synthetic margin accounts with the program's
    /// health code (docs/keeper.md, "Scale"); prints the time per 10,000.
    BenchScan {
        #[arg(long, default_value_t = 10_000)]
        accounts: usize,
        #[arg(long, default_value_t = 7)]
        repeat: usize,
        /// Hold the accounts as the subscription path does and read them from there.
        #[arg(long)]
        feed: bool,
    },
}

#[derive(Subcommand)]
enum LocalnetCmd {
    /// Write admin.json and keeper.json into --dir (when absent) and airdrop SOL
    /// to the admin; prints both addresses.
    Keys {
        #[arg(long, default_value = "target/localnet")]
        dir: PathBuf,
        #[arg(long, default_value_t = 1_000.0)]
        airdrop_sol: f64,
    },
    /// Create the mints and the Pyth price accounts (through the price feeder
    /// at the receiver's id), fund the keeper, write bootstrap.toml and setup.json.
    Prepare(PrepareArgs),
    /// Fund the market, open borrowers, walk a scenario's prices on compressed time
    /// while `zl-keeper run` works, then wait for every auction to settle. Exits
    /// non-zero if an auction is left open, an account is left past the liquidation
    /// threshold, bad debt is recorded or the LP share price fell.
    Crash(CrashArgs),
    /// Contend for a market's accounts with priority fees for --secs, then check that the
    /// running keeper's fee (its metrics) is what its fee policy picks from the network.
    Load(LoadArgs),
    /// The keeper's part of the end-to-end verdict: every keeper path happened, every
    /// landed transaction was v0, and the metrics agree with the events in its JSON log.
    Verdict {
        #[arg(long)]
        metrics_addr: std::net::SocketAddr,
        #[arg(long)]
        keeper_log: PathBuf,
    },
}

#[derive(clap::Args)]
struct LoadArgs {
    #[arg(long, default_value = "target/localnet/setup.json")]
    setup: PathBuf,
    /// Micro-lamports per compute unit the load bids.
    #[arg(long, default_value_t = 50_000)]
    fee: u64,
    #[arg(long, default_value_t = 8.0)]
    per_sec: f64,
    #[arg(long, default_value_t = 60)]
    secs: u64,
    /// The keeper's metrics: check its fee once the load has run --check-after-secs.
    #[arg(long)]
    metrics_addr: Option<std::net::SocketAddr>,
    #[arg(long, default_value_t = 40)]
    check_after_secs: u64,
    /// The keeper's config, for its [fees] policy [default: the default policy].
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct PrepareArgs {
    /// The bootstrap config whose mints are filled in.
    #[arg(long, default_value = "migrations/localnet-e2e.toml")]
    template: PathBuf,
    #[arg(long, default_value = "target/localnet")]
    out_dir: PathBuf,
    /// The keeper's address (funded with SOL and debt tokens).
    #[arg(long)]
    keeper: Pubkey,
    #[arg(long, default_value_t = 10.0)]
    keeper_sol: f64,
    #[arg(long, default_value_t = 1_000_000.0)]
    keeper_debt: f64,
}

#[derive(clap::Args)]
struct CrashArgs {
    #[arg(long, default_value = "target/localnet/setup.json")]
    setup: PathBuf,
    /// A built-in scenario [default: the e2e path: a lagged slide, a choppy rebound
    /// (partial liquidations), a crash (auctions); docs/localnet.md].
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(Scenario::names()))]
    scenario: Option<String>,
    /// A price path from a CSV file with header `t_secs,price[,conf]`, in 30 s steps
    /// (overrides --scenario).
    #[arg(long)]
    scenario_file: Option<PathBuf>,
    /// Where in the path to start and stop, hours [default: the whole path].
    #[arg(long)]
    from_hours: Option<f64>,
    #[arg(long)]
    to_hours: Option<f64>,
    /// Scenario seconds per real second; must match the time scaling of the
    /// bootstrap config (migrations/localnet-e2e.toml: 30).
    #[arg(long, default_value_t = 30.0)]
    speedup: f64,
    /// Real seconds between price writes.
    #[arg(long, default_value_t = 1.0)]
    tick_secs: f64,
    #[arg(long, default_value_t = 24)]
    borrowers: usize,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Whole debt tokens.
    #[arg(long, default_value_t = 300_000.0)]
    lp_deposit: f64,
    #[arg(long, default_value_t = 5_000.0)]
    insurance: f64,
    #[arg(long, default_value_t = 15_000.0)]
    pol: f64,
    /// Seconds to wait for every auction to settle once the path has ended.
    #[arg(long, default_value_t = 300)]
    settle_timeout_secs: u64,
    /// Whole debt tokens added to POL at --pol-top-up-at-min (scenario minutes, counted on
    /// past the path's end while its last price holds): with a small --pol, auctions
    /// nobody bids on restart until POL can buy them.
    #[arg(long)]
    pol_top_up: Option<f64>,
    #[arg(long, default_value_t = 0.0)]
    pol_top_up_at_min: f64,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The keeper's own TOML file: several markets, roles, capital, fees, metrics
    /// (docs/keeper.md; app/keeper.example.toml). The flags below override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run this market only (its [[market]] table from --config, if it has one).
    #[arg(long)]
    market: Option<Pubkey>,
    /// The collateral feed's PriceUpdateV2 account [default: Pyth's price feed account of the
    /// market's collateral feed id in --shard]
    #[arg(long)]
    collateral_oracle: Option<Pubkey>,
    /// The debt feed's PriceUpdateV2 account [default: as above, for the debt feed id]
    #[arg(long)]
    debt_oracle: Option<Pubkey>,
    /// The Pyth price-feed shard the default oracle accounts come from [default: 0]
    #[arg(long)]
    shard: Option<u16>,
    /// The keeper's debt-asset account [default: its associated token account]
    #[arg(long)]
    debt_account: Option<Pubkey>,
    /// The keeper's collateral account [default: its associated token account]
    #[arg(long)]
    collateral_account: Option<Pubkey>,
    /// What the keeper does on each market: maintain, take or full [default: full]
    #[arg(long, value_parser = ["maintain", "take", "full"])]
    role: Option<String>,
    /// Debt native units a tick may commit to takes, per market [default: the balance]
    #[arg(long)]
    capital: Option<u64>,
    /// Seconds between rounds over the markets (a round never starts before the last
    /// one ended) [default: 2]
    #[arg(long)]
    interval_secs: Option<u64>,
    /// Bid only this far under the oracle price, bps [default: 100]
    #[arg(long)]
    edge_bps: Option<u64>,
    /// A fixed priority fee, micro-lamports per compute unit, instead of the percentile
    /// of the network's recent fees ([fees] in --config)
    #[arg(long)]
    priority_fee: Option<u64>,
    /// Resends on transport failures (program refusals are never resent) [default: 3]
    #[arg(long)]
    retries: Option<u32>,
    /// Refresh the market at most this often, seconds [default: 30]
    #[arg(long)]
    refresh_secs: Option<i64>,
    /// Refresh sooner when a refresh would widen the volatility buffer by this much, bps
    /// [default: 50]
    #[arg(long)]
    buffer_move_bps: Option<u64>,
    /// Serve Prometheus metrics, /healthz and /readyz here (host:port)
    #[arg(long)]
    metrics_addr: Option<String>,
    /// Logs as one JSON object a line.
    #[arg(long)]
    log_json: bool,
    /// Plan and simulate every transaction; send none.
    #[arg(long)]
    dry_run: bool,
    /// Do not create a missing associated token account at start (report it).
    #[arg(long)]
    no_create_token_accounts: bool,
    /// An address lookup table of the markets' accounts (`zl-keeper alt`): transactions are
    /// then v0 and smaller.
    #[arg(long)]
    lookup_table: Option<Pubkey>,
    /// Poll over RPC instead of keeping a copy of the accounts from websocket subscriptions.
    #[arg(long)]
    no_subscribe: bool,
    /// The websocket URL [default: the RPC URL's: ws(s), port + 1]
    #[arg(long)]
    ws_url: Option<String>,
}

#[cfg(feature = "sim")]
#[derive(clap::Args)]
struct SimArgs {
    /// A named scenario: a real recorded path (app/data/prices) or a stylized one.
    #[arg(long, default_value = "eth-2020-03-12_binance-usdtm-perp-1m", value_parser = clap::builder::PossibleValuesParser::new(Scenario::names()))]
    scenario: String,
    /// A price path from a CSV file with header `t_secs,price[,conf]` (overrides --scenario).
    #[arg(long)]
    scenario_file: Option<PathBuf>,
    /// Step for --scenario-file paths, seconds (0: about 1000 steps).
    #[arg(long, default_value_t = 60)]
    step_secs: u64,
    #[arg(long, default_value_t = 300)]
    borrowers: usize,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The venue's collateral reserve as a multiple of the margin accounts' collateral.
    #[arg(long, default_value_t = 1.0)]
    depth_ratio: f64,
    /// Seconds for arbitrage to close half the gap between the venue and the path.
    #[arg(long, default_value_t = 60.0)]
    arb_half_life_secs: f64,
    /// Insurance fund at start, % of the initial debt.
    #[arg(long, default_value_t = 2.0)]
    insurance_pct: f64,
    /// Protocol-owned liquidity at start, % of the initial debt.
    #[arg(long, default_value_t = 5.0)]
    pol_pct: f64,
    /// The bidders' starting capital, all together, % of the initial debt (it comes back
    /// only as they sell what they bought).
    #[arg(long, default_value_t = 50.0)]
    bidder_capital_pct: f64,
    /// The rivals' backstop capital: `equal` (the engine's insurance + POL, held each
    /// protocol's way) or `insurance-only` (the insurance fund alone).
    #[arg(long, default_value = "equal", value_parser = clap::builder::PossibleValuesParser::new(RivalBackstops::NAMES.map(|(n, _)| n)))]
    rival_backstops: String,
    /// USD per debt unit of the value-sized book (sets what a transaction's fee weighs:
    /// the average account holds 1,000 debt units of collateral).
    #[arg(long, default_value_t = 10.0)]
    debt_unit_usd: f64,
    /// SOL's price in USD, for transaction fees.
    #[arg(long, default_value_t = 150.0)]
    sol_usd: f64,
    /// The engine's market parameters: a TOML file with a `[params]` table of overrides of
    /// RiskParams::example() (the format of migrations/*.toml).
    #[arg(long)]
    params: Option<PathBuf>,
    /// Write the report as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw the engine run (path, venue, EMA, trigger, liquidations) as SVG.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Run every real scenario at depth ratios 0.5, 1 and 2 for every mechanism and write
    /// the results table (--results) and its plot (--results-plot).
    #[arg(long)]
    sweep: bool,
    #[arg(long, default_value = "docs/results.md")]
    results: PathBuf,
    #[arg(long, default_value = "docs/img/results.svg")]
    results_plot: PathBuf,
    /// Only these scenarios in the sweep (comma-separated) [default: every real one and
    /// every stress scenario].
    #[arg(long, value_delimiter = ',')]
    sweep_scenarios: Vec<String>,
    /// Depth ratios in the sweep (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [0.5, 1.0, 2.0])]
    sweep_depths: Vec<f64>,
    /// Parallel runs in the sweep [default: the machine's cores].
    #[arg(long)]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

fn default_keypair_path() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".config/solana/id.json")
}

fn load_keypair(path: Option<PathBuf>) -> anyhow::Result<solana_keypair::Keypair> {
    let path = path.unwrap_or_else(default_keypair_path);
    solana_keypair::read_keypair_file(&path)
        .map_err(|e| anyhow::anyhow!("keypair {}: {e}", path.display()))
}

fn init_logs(default: &str) {
    init_logs_as(default, false)
}

/// Logs at `default` (or `RUST_LOG`), as text or one JSON object a line.
fn init_logs_as(default: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if json {
        fmt.json().flatten_event(true).init();
    } else {
        fmt.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init();
    }
}

/// Writes `text` to `path`, creating its directory.
#[cfg(feature = "sim")]
fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    std::fs::write(path, text).with_context(|| path.display().to_string())
}

/// Errors end the program with one line on stderr and exit code 1, never a backtrace.
fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Usage errors in one line too (clap's own is a paragraph); help and version as usual.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            let text = e.render().to_string();
            eprintln!("{}", text.lines().next().unwrap_or("error: bad arguments"));
            return std::process::ExitCode::from(2);
        }
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::SUCCESS;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let Cli { url, keypair, cmd } = cli;
    // `run` resolves its URL with its config file and the environment.
    let cmd = match cmd {
        Cmd::Run(a) => return run_cmd(url, keypair, a).await,
        Cmd::Alt(a) => return alt_cmd(url, keypair, a).await,
        other => other,
    };
    let url = url.unwrap_or_else(|| "localhost".into());
    match cmd {
        #[cfg(feature = "sim")]
        Cmd::Simulate(a) => simulate(a).await,
        Cmd::Bootstrap { config } => bootstrap_cmd(&url, keypair, &config).await,
        Cmd::Localnet(LocalnetCmd::Keys { dir, airdrop_sol }) => {
            localnet_keys(&url, &dir, airdrop_sol).await
        }
        Cmd::Localnet(LocalnetCmd::Prepare(a)) => localnet_prepare(&url, keypair, a).await,
        Cmd::Localnet(LocalnetCmd::Crash(a)) => localnet_crash(&url, keypair, a).await,
        Cmd::Localnet(LocalnetCmd::Load(a)) => localnet_load(&url, keypair, a).await,
        Cmd::Localnet(LocalnetCmd::Verdict {
            metrics_addr,
            keeper_log,
        }) => localnet_verdict(metrics_addr, &keeper_log).await,
        Cmd::Run(_) | Cmd::Alt(_) => unreachable!("handled above"),
        Cmd::BenchScan {
            accounts,
            repeat,
            feed,
        } => bench_scan(accounts, repeat, feed),
    }
}

fn bench_scan(accounts: usize, repeat: usize, feed: bool) -> anyhow::Result<()> {
    let b = zl_keeper::bench_scan::run(accounts, repeat, feed)?;
    let (min, median, max) = b.per_10k();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    println!(
        "bench-scan{}: {} accounts decoded and judged, {} runs; per 10,000 accounts: min {:.1} ms, median {:.1} ms, max {:.1} ms (goal: under 1,000 ms)",
        if feed { " --feed" } else { "" },
        b.accounts,
        b.runs.len(),
        ms(min),
        ms(median),
        ms(max)
    );
    let z = b.zones;
    println!(
        "zones: {} healthy, {} buffer, {} distressed, {} emergency",
        z.healthy, z.buffer, z.distressed, z.emergency
    );
    Ok(())
}

/// `zl-keeper simulate`: one run and its report, or the sweep (`--sweep`).
#[cfg(feature = "sim")]
async fn simulate(a: SimArgs) -> anyhow::Result<()> {
    // program-test and the keeper log at info; keep the terminal for the report.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    init_logs("error");
    let scenario = match &a.scenario_file {
        Some(p) => Scenario::from_csv_file(p, a.step_secs)?,
        None => Scenario::named(&a.scenario)?,
    };
    let mut cfg = SimConfig::new(scenario);
    cfg.borrowers = a.borrowers;
    cfg.seed = a.seed;
    cfg.depth_ratio = a.depth_ratio;
    cfg.arb_half_life_secs = a.arb_half_life_secs;
    cfg.insurance_pct = a.insurance_pct;
    cfg.pol_pct = a.pol_pct;
    cfg.bidder_capital_pct = a.bidder_capital_pct;
    cfg.rival_backstops = RivalBackstops::named(&a.rival_backstops)
        .ok_or_else(|| anyhow::anyhow!("unknown --rival-backstops {}", a.rival_backstops))?;
    cfg.frictions.fees.debt_unit_usd = a.debt_unit_usd;
    cfg.frictions.fees.sol_usd = a.sol_usd;
    if let Some(p) = &a.params {
        cfg.params = zl_keeper::bootstrap::ParamsFile::load(p)?;
    }
    cfg.progress = !a.no_progress;
    cfg.validate()?;
    if a.sweep {
        return simulate_sweep(&a, cfg);
    }
    let report = world::run(&cfg).await?;
    println!("{}", render_table(&report));
    if let Some(p) = &a.json {
        write_file(p, &serde_json::to_string_pretty(&to_json(&report))?)?;
    }
    if let Some(p) = &a.plot {
        write_file(p, &render_svg(&report))?;
    }
    Ok(())
}

/// `zl-keeper simulate --sweep`: every scenario of the sweep at every depth ratio, with
/// `cfg` as the template of each run; writes the results page and its plot (blocks the
/// calling thread until the sweep ends).
#[cfg(feature = "sim")]
fn simulate_sweep(a: &SimArgs, cfg: SimConfig) -> anyhow::Result<()> {
    let names: Vec<String> = if a.sweep_scenarios.is_empty() {
        Scenario::REAL
            .iter()
            .chain(Scenario::STRESS)
            .map(|s| s.to_string())
            .collect()
    } else {
        a.sweep_scenarios.clone()
    };
    let scenarios = names
        .iter()
        .map(|n| Scenario::named(n))
        .collect::<Result<Vec<_>, _>>()?;
    let sweep = SweepConfig {
        scenarios,
        depth_ratios: a.sweep_depths.clone(),
        base: cfg,
        jobs: a
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        progress: !a.no_progress,
    };
    let reports = run_sweep(&sweep)?;
    let plot_link = relative_link(&a.results, &a.results_plot);
    write_file(&a.results, &render_results_md(&sweep, &reports, &plot_link))?;
    write_file(&a.results_plot, &render_sweep_svg(&reports))?;
    if let Some(p) = &a.json {
        let all: Vec<_> = reports.iter().map(to_json).collect();
        write_file(p, &serde_json::to_string_pretty(&all)?)?;
    }
    println!(
        "{} runs; results in {} and {}",
        reports.len(),
        a.results.display(),
        a.results_plot.display()
    );
    Ok(())
}

/// `zl-keeper bootstrap`.
async fn bootstrap_cmd(url: &str, keypair: Option<PathBuf>, config: &Path) -> anyhow::Result<()> {
    init_logs("info");
    let cfg = BootstrapConfig::from_file(config)?;
    let mut chain = RpcChain::new(url_for(url), load_keypair(keypair)?, 10_000, 3);
    let market = bootstrap(&mut chain, &cfg).await?;
    println!("market {market}");
    Ok(())
}

/// `zl-keeper localnet keys`.
async fn localnet_keys(url: &str, dir: &Path, airdrop_sol: f64) -> anyhow::Result<()> {
    init_logs("info");
    let (admin, keeper) = localnet::keys(&url_for(url), dir, airdrop_sol).await?;
    println!("admin {admin}\nkeeper {keeper}");
    Ok(())
}

/// `zl-keeper localnet prepare`.
async fn localnet_prepare(
    url: &str,
    keypair: Option<PathBuf>,
    a: PrepareArgs,
) -> anyhow::Result<()> {
    init_logs("info");
    let mut chain = RpcChain::new(url_for(url), load_keypair(keypair)?, 0, 3);
    let setup = localnet::prepare(
        &mut chain,
        &PrepareConfig {
            template: a.template,
            out_dir: a.out_dir.clone(),
            keeper: a.keeper,
            keeper_sol: a.keeper_sol,
            keeper_debt: a.keeper_debt,
            start_price: 100.0,
        },
    )
    .await?;
    println!(
        "collateral mint {}\ndebt mint {}\ncollateral oracle {}\ndebt oracle {}\nwrote {}",
        setup.collateral_mint,
        setup.debt_mint,
        setup.collateral_oracle,
        setup.debt_oracle,
        a.out_dir.display()
    );
    Ok(())
}

/// `zl-keeper localnet crash`.
async fn localnet_crash(url: &str, keypair: Option<PathBuf>, a: CrashArgs) -> anyhow::Result<()> {
    init_logs("info");
    let setup = Setup::read(&a.setup)?;
    let scenario = match (&a.scenario_file, &a.scenario) {
        (Some(p), _) => Scenario::from_csv_file(p, 30)?,
        (None, Some(name)) => Scenario::named(name)?,
        (None, None) => localnet::e2e_path(a.seed),
    };
    let from_secs = a.from_hours.map_or(0.0, |h| h * 3_600.0);
    let to_secs = a
        .to_hours
        .map_or(scenario.duration_secs as f64, |h| h * 3_600.0);
    anyhow::ensure!(
        from_secs < to_secs && a.speedup > 0.0 && a.tick_secs > 0.0,
        "need --from-hours < --to-hours and positive --speedup, --tick-secs"
    );
    let mut chain = RpcChain::new(url_for(url), load_keypair(keypair)?, 0, 3);
    let outcome = localnet::crash(
        &mut chain,
        &setup,
        &CrashConfig {
            scenario,
            from_secs,
            to_secs,
            speedup: a.speedup,
            tick: Duration::from_secs_f64(a.tick_secs),
            borrowers: a.borrowers,
            seed: a.seed,
            lp_deposit: a.lp_deposit,
            insurance: a.insurance,
            pol: a.pol,
            settle_timeout: Duration::from_secs(a.settle_timeout_secs),
            pol_top_up: a.pol_top_up.map(|x| (x, a.pol_top_up_at_min * 60.0)),
        },
    )
    .await?;
    let failures = outcome.failures();
    anyhow::ensure!(failures.is_empty(), "{}", failures.join("; "));
    Ok(())
}

async fn localnet_load(url: &str, keypair: Option<PathBuf>, a: LoadArgs) -> anyhow::Result<()> {
    init_logs("info");
    let setup = Setup::read(&a.setup)?;
    let keys = setup.keys()?;
    let writable = zl_keeper::rpc::fee_accounts(&keys);
    let policy = match &a.config {
        Some(p) => RunFile::load(p)?.fees.unwrap_or_default(),
        None => zl_keeper::fees::FeePolicy::default(),
    };
    let chain = RpcChain::new(url_for(url), load_keypair(keypair)?, 0, 0);
    let secs = Duration::from_secs(a.secs);
    let check = async {
        let Some(addr) = a.metrics_addr else {
            return anyhow::Ok(None);
        };
        tokio::time::sleep(Duration::from_secs(a.check_after_secs)).await;
        let r =
            zl_keeper::e2e::fee_check(&chain, &writable, &policy, addr, &keys.market, 10).await?;
        Ok(Some(r))
    };
    let (sent, checked) = tokio::join!(
        zl_keeper::e2e::load(&chain, &writable, a.fee, a.per_sec, secs),
        check
    );
    println!(
        "load: {} transactions at {} micro-lamports a unit",
        sent?, a.fee
    );
    if let Some((keeper, network)) = checked? {
        println!(
            "fee check: the keeper bids {keeper}, its policy (p{}, floor {}, cap {}) picks {network} from the network",
            policy.percentile, policy.floor, policy.cap
        );
        anyhow::ensure!(
            keeper == network && keeper > policy.floor,
            "the keeper's fee {keeper} does not follow the network's ({network}, floor {})",
            policy.floor
        );
    }
    Ok(())
}

async fn localnet_verdict(
    metrics_addr: std::net::SocketAddr,
    keeper_log: &Path,
) -> anyhow::Result<()> {
    let (code, text) = zl_keeper::metrics::scrape(metrics_addr, "/metrics").await?;
    anyhow::ensure!(code == 200, "the keeper's /metrics answered {code}");
    let log = std::fs::read_to_string(keeper_log)
        .map_err(|e| anyhow::anyhow!("{}: {e}", keeper_log.display()))?;
    let counts = zl_keeper::e2e::events_in_log(&log);
    println!("keeper events: {counts:?}");
    let failures = zl_keeper::e2e::verdict(&text, &log);
    anyhow::ensure!(failures.is_empty(), "{}", failures.join("; "));
    println!("keeper verdict PASSED: every path happened, all v0, metrics agree with the events");
    Ok(())
}

/// `zl-keeper run`: the keeper loop, a tick every `--interval-secs`, until SIGINT or
/// SIGTERM.
async fn run_cmd(url: Option<String>, keypair: Option<PathBuf>, a: RunArgs) -> anyhow::Result<()> {
    let s = run_settings(url, keypair, a)?;
    init_logs_as("info", s.log_json);
    let mut stop = Shutdown::listen()?;
    operator::run(&s, || rpc_chain(&s), stop.requested()).await?;
    Ok(())
}

/// `zl-keeper alt`: a lookup table holding every market's fixed accounts.
async fn alt_cmd(url: Option<String>, keypair: Option<PathBuf>, a: RunArgs) -> anyhow::Result<()> {
    let s = run_settings(url, keypair, a)?;
    init_logs_as("info", s.log_json);
    let mut chain = rpc_chain(&s)?;
    let me = chain.keeper();
    let mut wanted = Vec::new();
    for m in &s.markets {
        let market = fetch_market(&mut chain, m.address).await?;
        let cfg = operator::keeper_config(m, &market, &me);
        let keys = MarketKeys::new(m.address, cfg.collateral_oracle, cfg.debt_oracle);
        for k in alt::market_addresses(&keys, me, cfg.debt_account, cfg.collateral_account) {
            if !wanted.contains(&k) {
                wanted.push(k);
            }
        }
    }
    let (table, added) = chain.ensure_lookup_table(s.lookup_table, &wanted).await?;
    println!(
        "lookup table {table}: {added} addresses added, {} wanted",
        wanted.len()
    );
    println!(
        "use it: lookup_table = \"{table}\" in the keeper's config, or --lookup-table {table}"
    );
    Ok(())
}

fn rpc_chain(s: &config::RunSettings) -> anyhow::Result<RpcChain> {
    let client = RpcClient::new_with_commitment(url_for(&s.rpc_url), CommitmentConfig::confirmed());
    let keypair = s.keypair.clone().map(expand_home);
    let mut chain = RpcChain::with_client(client, load_keypair(keypair)?, s.fees, s.retries);
    chain.bundles = s.bundles.clone();
    Ok(chain)
}

fn run_settings(
    url: Option<String>,
    keypair: Option<PathBuf>,
    a: RunArgs,
) -> anyhow::Result<config::RunSettings> {
    let file = a.config.as_deref().map(RunFile::load).transpose()?;
    let flags = Flags {
        rpc_url: url,
        keypair,
        interval_secs: a.interval_secs,
        metrics_addr: a.metrics_addr,
        log_json: a.log_json,
        dry_run: a.dry_run,
        no_create_token_accounts: a.no_create_token_accounts,
        retries: a.retries,
        lookup_table: a.lookup_table,
        no_subscribe: a.no_subscribe,
        ws_url: a.ws_url,
        priority_fee: a.priority_fee,
        market: a.market,
        role: a.role,
        capital: a.capital,
        edge_bps: a.edge_bps,
        collateral_oracle: a.collateral_oracle,
        debt_oracle: a.debt_oracle,
        shard: a.shard,
        debt_account: a.debt_account,
        collateral_account: a.collateral_account,
        refresh_secs: a.refresh_secs,
        buffer_move_bps: a.buffer_move_bps,
    };
    config::resolve(file, &flags, |k| std::env::var(k).ok())
}

/// `~/x` as `$HOME/x` (a config file's keypair path).
fn expand_home(p: PathBuf) -> PathBuf {
    match (p.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => p,
    }
}

/// SIGINT (Ctrl-C) or SIGTERM, listened for from the keeper's start: a
/// signal that arrives during a tick is kept, and the keeper stops when the
/// tick has ended (a tick is never cut short).
struct Shutdown {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn listen() -> anyhow::Result<Shutdown> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Shutdown {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Shutdown {})
    }

    async fn requested(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
