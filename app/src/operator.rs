//! `zl-keeper run`: the keeper as an operator runs it (docs/keeper.md, "Design: running it
//! as an operator"). One key, one RPC endpoint, several markets ticked in turn; the priority
//! fee from the network before each market's tick; the keeper's token accounts checked (and
//! created) at start; a [`Snapshot`] for the metrics after each tick.

use std::future::Future;

use futures::StreamExt as _;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use zero_loss::client::MarketKeys;

use crate::chain::Chain;
use crate::config::{MarketSettings, RunSettings};
use crate::feed::{self, Feed, FeedChain, FeedConfig};
use crate::keeper::{fetch_market, Keeper, KeeperConfig};
use crate::metrics::{self, MarketView, Snapshot};
use crate::rpc::{fee_accounts, RpcChain};
use crate::tokens::{ata, create_ata_ix};

/// One market's keeper and what the metrics show of it.
pub struct MarketRun {
    pub keeper: Keeper,
    pub keys: MarketKeys,
    pub view: MarketView,
}

/// The keeper config of `m` for the key `me`, with the market's mints for the default token
/// accounts and its feed ids for the default oracle accounts.
pub fn keeper_config(
    m: &MarketSettings,
    market: &zero_loss::state::Market,
    me: &Pubkey,
) -> KeeperConfig {
    KeeperConfig {
        market: m.address,
        collateral_oracle: m.collateral_oracle.unwrap_or_else(|| {
            crate::pyth::price_feed_account(m.shard, &market.collateral_feed_id)
        }),
        debt_oracle: m
            .debt_oracle
            .unwrap_or_else(|| crate::pyth::price_feed_account(m.shard, &market.debt_feed_id)),
        debt_account: m.debt_account.unwrap_or_else(|| ata(me, &market.debt_mint)),
        collateral_account: m
            .collateral_account
            .unwrap_or_else(|| ata(me, &market.collateral_mint)),
        edge_bps: m.edge_bps,
        tx_cost: 0,
        tx_cost_per_account: 0,
        refresh_secs: m.refresh_secs,
        buffer_move_bps: m.buffer_move_bps,
        watch_secs: m.refresh_secs,
        kick_after_secs: 0,
        role: m.role,
    }
}

/// Loads `m`, and makes sure of the keeper's token accounts: a missing associated account
/// is created (`create`, and not in a dry run); any other missing one is reported on the
/// market's view, and the tick stops the work that needs it.
pub async fn prepare_market(
    chain: &mut RpcChain,
    m: &MarketSettings,
    create: bool,
) -> anyhow::Result<MarketRun> {
    let me = chain.keeper();
    let market = fetch_market(chain, m.address).await?;
    let cfg = keeper_config(m, &market, &me);
    let accounts = [
        (cfg.debt_account, market.debt_mint),
        (cfg.collateral_account, market.collateral_mint),
    ];
    let found = chain.get_accounts(&accounts.map(|(k, _)| k)).await?;
    let mut problems = Vec::new();
    for ((account, mint), acc) in accounts.iter().zip(found) {
        if acc.is_some() {
            continue;
        }
        let is_ata = *account == ata(&me, mint);
        if is_ata && create && !chain.dry_run {
            let out = chain.send(&[create_ata_ix(me, me, *mint)]).await?;
            if out.ok {
                tracing::info!(%account, %mint, "created the keeper's associated token account");
                continue;
            }
            problems.push(format!(
                "token account {account} (mint {mint}) missing and not created: {}",
                out.error.unwrap_or_default()
            ));
        } else {
            problems.push(format!(
                "token account {account} (mint {mint}) missing{}",
                if is_ata {
                    "; create it or run with create_token_accounts"
                } else {
                    ""
                }
            ));
        }
    }
    for p in &problems {
        tracing::warn!(market = %m.address, "{p}");
    }
    let keys = MarketKeys::new(m.address, cfg.collateral_oracle, cfg.debt_oracle);
    tracing::info!(market = %m.address, role = m.role_name, collateral_oracle = %cfg.collateral_oracle, debt_oracle = %cfg.debt_oracle, "market ready");
    Ok(MarketRun {
        keeper: Keeper::new(cfg),
        keys,
        view: MarketView {
            market: m.address.to_string(),
            role: m.role_name,
            problems,
            ..MarketView::default()
        },
    })
}

/// One tick of one market: the fee from the network over the market's writable accounts,
/// the keeper's tick with the oracle's spot as the venue, the view updated.
pub async fn tick_market(chain: &mut FeedChain, run: &mut MarketRun) {
    let started = std::time::Instant::now();
    run.view.priority_fee = chain.rpc.refresh_fee(&fee_accounts(&run.keys)).await;
    // The reference price over RPC: the oracle's spot, as the tick reads it.
    let result = run.keeper.tick_at_oracle(chain).await;
    let v = &mut run.view;
    v.ticks += 1;
    v.tick_seconds.observe(started.elapsed().as_secs_f64());
    match result {
        Ok(report) => {
            for e in &report.events {
                tracing::info!(market = %run.keys.market, "{}", e.summary());
            }
            tracing::info!(
                market = %run.keys.market,
                accounts = report.accounts_checked,
                healthy = report.zones.healthy,
                buffer = report.zones.buffer,
                distressed = report.zones.distressed,
                emergency = report.zones.emergency,
                auctions = report.open_auctions,
                actions = report.events.len(),
                fee = v.priority_fee,
                "tick"
            );
            v.zones = report.zones;
            v.open_auctions = report.open_auctions;
            v.debt_balance = report.debt_balance;
            v.collateral_balance = report.collateral_balance;
            v.oracle_age_secs = report.oracle_age_secs;
            if report.prices_ok {
                v.last_good_tick = Some(report.now);
            }
            // What is missing now; start-up problems give way to the tick's own reading.
            v.problems = report.missing;
        }
        Err(e) => {
            v.tick_errors += 1;
            tracing::warn!(market = %run.keys.market, error = %e, "tick failed");
        }
    }
    v.stats = run.keeper.stats.clone();
    v.landed = chain.rpc.landed;
    v.landed_v0 = chain.rpc.landed_v0;
}

/// Runs every market until `stop` resolves (checked between rounds: a tick is never cut
/// short), serving the metrics on `settings.metrics_addr` if set. Each market has its own
/// connection from `connect` and its ticks run beside the others' (at most
/// `settings.parallel_markets` at once): markets share no account, so their transactions
/// never contend. Within a market, sends stay in order: each plan is made on the state the
/// last one leaves.
pub async fn run(
    settings: &RunSettings,
    connect: impl Fn() -> anyhow::Result<RpcChain>,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<Vec<MarketRun>> {
    let mut lanes = Vec::with_capacity(settings.markets.len());
    for m in &settings.markets {
        let mut chain = connect()?;
        chain.dry_run = settings.dry_run;
        if let Some(table) = settings.lookup_table {
            let n = chain.use_lookup_table(table).await?;
            tracing::info!(market = %m.address, %table, addresses = n, "v0 transactions with the lookup table");
        }
        let run = prepare_market(&mut chain, m, settings.create_token_accounts).await?;
        lanes.push((
            FeedChain {
                rpc: chain,
                feed: None,
            },
            run,
        ));
    }
    // One websocket for every market's margin accounts. The market, its oracles and the
    // keeper's balances are not taken from it: a tick reads them together in one
    // getMultipleAccounts, so they come from one slot (a copy fed by separate
    // notifications can pair a market with an older reading than it has used, which the
    // program refuses as superseded: the first end-to-end run lost ticks so).
    let feed = match &settings.subscribe {
        Some(ws_url) => {
            let feed = Feed::new();
            let markets = lanes.iter().map(|(_, r)| r.keys.market).collect();
            let rpc = std::sync::Arc::new(connect()?.client);
            let cfg = FeedConfig::new(ws_url.clone(), markets, vec![]);
            tokio::spawn(feed::run(feed.clone(), rpc, cfg));
            for (chain, _) in lanes.iter_mut() {
                chain.feed = Some(feed.clone());
            }
            // Not the URL: it often carries the provider's key.
            tracing::info!("subscriptions on");
            Some(feed)
        }
        None => None,
    };
    let shared: metrics::Shared = Default::default();
    let server = match settings.metrics_addr {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("metrics address {addr}: {e}"))?;
            tracing::info!(addr = %listener.local_addr()?, "metrics on /metrics, /healthz, /readyz");
            Some(tokio::spawn(metrics::serve(listener, shared.clone())))
        }
        None => None,
    };
    let keeper = lanes.first().map(|(c, _)| c.keeper());
    tracing::info!(keeper = ?keeper, markets = lanes.len(), dry_run = settings.dry_run, "keeper started");
    // Before the first round ends, a scrape shows the markets (and /readyz why they are not
    // ready yet), not an empty keeper.
    let publish = |lanes: &[(FeedChain, MarketRun)], sol: Option<u64>| {
        let snapshot = Snapshot {
            markets: lanes.iter().map(|(_, r)| r.view.clone()).collect(),
            sol_lamports: sol,
            dry_run: settings.dry_run,
            interval_secs: settings.interval_secs,
            feed: feed.as_ref().map(|f| f.stats()),
        };
        match shared.lock() {
            Ok(mut s) => *s = snapshot,
            Err(p) => *p.into_inner() = snapshot,
        }
    };
    publish(&lanes, None);
    tokio::pin!(stop);
    loop {
        futures::stream::iter(lanes.iter_mut())
            .for_each_concurrent(settings.parallel_markets.max(1), |(chain, run)| {
                tick_market(chain, run)
            })
            .await;
        let sol = match lanes.first() {
            Some((chain, _)) => chain.rpc.sol_balance().await.ok(),
            None => None,
        };
        publish(&lanes, sol);
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(Duration::from_secs(settings.interval_secs)) => {}
        }
    }
    for (_, r) in &lanes {
        let s = &r.keeper.stats;
        tracing::info!(
            market = %r.keys.market,
            transactions = s.transactions,
            failed = s.failed,
            races_lost = s.races_lost,
            partials = s.partials,
            batches = s.batches,
            kicks = s.kicks,
            bids = s.bids,
            restarts = s.restarts,
            backstops = s.backstops,
            settlements = s.settlements,
            fees_lamports = s.fees_lamports,
            "shutting down"
        );
    }
    if let Some(s) = server {
        s.abort();
    }
    Ok(lanes.into_iter().map(|(_, r)| r).collect())
}
