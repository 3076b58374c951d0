//! Fresh data without polling (docs/keeper.md, "Design: fresh data without polling"): the
//! keeper's own copy of the accounts it reads, fed by websocket subscriptions and healed by
//! snapshots, and [`FeedChain`], the [`Chain`] that reads from it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Discriminator;
use futures::StreamExt as _;
use solana_account::Account;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_types::config::RpcAccountInfoConfig;
use zero_loss::state::MarginAccount;

use crate::chain::{Chain, SendOutcome};
use crate::rpc::{margin_accounts_config, RpcChain, MARGIN_MARKET_OFFSET};

/// What the feed knows, and how it is doing.
#[derive(Debug, Default)]
struct State {
    /// Accounts by address, with the slot each was seen at.
    accounts: HashMap<Pubkey, (u64, Account)>,
    /// The socket is open and a snapshot has healed the accounts since it opened.
    usable: bool,
    notifications: u64,
    reconnects: u64,
    snapshots: u64,
}

/// The counters a scrape shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedStats {
    pub usable: bool,
    pub accounts: usize,
    pub notifications: u64,
    pub reconnects: u64,
    pub snapshots: u64,
}

/// Accounts by address, each replaced only by a sighting from the same or a later slot.
#[derive(Debug, Default)]
pub struct Feed {
    state: Mutex<State>,
}

/// Whether `acc` is a margin account of `market` (the `getProgramAccounts` filters).
pub fn is_margin_of(acc: &Account, market: &Pubkey) -> bool {
    acc.owner == zero_loss::ID
        && acc.data.len() == MarginAccount::SIZE
        && acc.data.starts_with(MarginAccount::DISCRIMINATOR)
        && acc.data[MARGIN_MARKET_OFFSET..MARGIN_MARKET_OFFSET + 32] == market.to_bytes()
}

impl Feed {
    pub fn new() -> Arc<Feed> {
        Arc::new(Feed::default())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `key` as seen at `slot` (`None`: closed). Ignored if the feed holds a later sighting.
    pub fn apply(&self, key: Pubkey, slot: u64, acc: Option<Account>) {
        let mut s = self.state();
        if s.accounts.get(&key).is_some_and(|(seen, _)| *seen > slot) {
            return;
        }
        match acc {
            // A closed account comes back with no lamports.
            Some(a) if a.lamports > 0 => {
                s.accounts.insert(key, (slot, a));
            }
            _ => {
                s.accounts.remove(&key);
            }
        }
    }

    /// A notification: applied and counted.
    pub fn notify(&self, key: Pubkey, slot: u64, acc: Option<Account>) {
        self.apply(key, slot, acc);
        self.state().notifications += 1;
    }

    pub fn get(&self, key: &Pubkey) -> Option<Account> {
        self.state().accounts.get(key).map(|(_, a)| a.clone())
    }

    /// Forgets `keys`: the next read of them goes to the RPC.
    pub fn forget(&self, keys: &[Pubkey]) {
        let mut s = self.state();
        for k in keys {
            s.accounts.remove(k);
        }
    }

    /// The margin accounts of `market` the feed holds.
    pub fn margin_accounts(&self, market: &Pubkey) -> Vec<Pubkey> {
        self.state()
            .accounts
            .iter()
            .filter(|(_, (_, a))| is_margin_of(a, market))
            .map(|(k, _)| *k)
            .collect()
    }

    /// A snapshot of `market`'s margin accounts taken at or after `slot`: each is applied,
    /// and a margin account of the market absent from it and not seen since `slot` is
    /// dropped (it was closed).
    pub fn heal_market(&self, market: &Pubkey, slot: u64, found: Vec<(Pubkey, Account)>) {
        let present: std::collections::HashSet<Pubkey> = found.iter().map(|(k, _)| *k).collect();
        for (k, a) in found {
            self.apply(k, slot, Some(a));
        }
        let mut s = self.state();
        s.accounts
            .retain(|k, (seen, a)| present.contains(k) || *seen > slot || !is_margin_of(a, market));
    }

    pub fn set_usable(&self, usable: bool) {
        self.state().usable = usable;
    }

    pub fn usable(&self) -> bool {
        self.state().usable
    }

    pub fn stats(&self) -> FeedStats {
        let s = self.state();
        FeedStats {
            usable: s.usable,
            accounts: s.accounts.len(),
            notifications: s.notifications,
            reconnects: s.reconnects,
            snapshots: s.snapshots,
        }
    }
}

/// What the feed subscribes to and heals.
#[derive(Clone, Debug)]
pub struct FeedConfig {
    pub ws_url: String,
    pub markets: Vec<Pubkey>,
    /// Markets, oracles, the keeper's token accounts.
    pub fixed: Vec<Pubkey>,
    pub snapshot_every: Duration,
    /// The first reconnection waits this long, doubling to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl FeedConfig {
    pub fn new(ws_url: String, markets: Vec<Pubkey>, fixed: Vec<Pubkey>) -> FeedConfig {
        FeedConfig {
            ws_url,
            markets,
            fixed,
            snapshot_every: Duration::from_secs(60),
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// The websocket address of an RPC URL, as the Solana CLI derives it: `http` becomes `ws`
/// (`https`, `wss`), and an explicit port goes up by one (8899 to 8900).
pub fn ws_url_for(rpc_url: &str) -> String {
    let (scheme, rest) = match rpc_url.split_once("://") {
        Some(("https", r)) => ("wss", r),
        Some((_, r)) => ("ws", r),
        None => ("ws", rpc_url),
    };
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = match host.rsplit_once(':') {
        Some((h, p)) => match p.parse::<u16>() {
            Ok(port) => format!("{h}:{}", port.saturating_add(1)),
            Err(_) => host.to_string(),
        },
        None => host.to_string(),
    };
    format!("{scheme}://{host}{path}")
}

fn account_config() -> RpcAccountInfoConfig {
    RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::Base64),
        data_slice: None,
        commitment: Some(CommitmentConfig::confirmed()),
        min_context_slot: None,
    }
}

/// Heals the feed from the RPC: every market's margin accounts and the fixed accounts.
pub async fn snapshot(feed: &Feed, rpc: &RpcClient, cfg: &FeedConfig) -> anyhow::Result<()> {
    let slot = rpc
        .get_slot_with_commitment(CommitmentConfig::confirmed())
        .await?;
    for market in &cfg.markets {
        let mut config = margin_accounts_config(market);
        config.account_config.data_slice = None;
        let found = rpc
            .get_program_ui_accounts_with_config(&zero_loss::ID, config)
            .await?
            .into_iter()
            .filter_map(|(k, ui)| Some((k, ui.to_account()?)))
            .collect();
        feed.heal_market(market, slot, found);
    }
    for chunk in cfg.fixed.chunks(100) {
        let got = rpc
            .get_multiple_accounts_with_commitment(chunk, CommitmentConfig::confirmed())
            .await?;
        let at = got.context.slot.max(slot);
        for (k, a) in chunk.iter().zip(got.value) {
            feed.apply(*k, at, a);
        }
    }
    feed.state().snapshots += 1;
    Ok(())
}

/// One connection's life: subscribe, heal, then apply notifications and heal every
/// `snapshot_every` until the socket closes or fails.
async fn connection(feed: &Feed, rpc: &RpcClient, cfg: &FeedConfig) -> anyhow::Result<()> {
    let client = PubsubClient::new(cfg.ws_url.as_str()).await?;
    let mut streams = Vec::new();
    for market in &cfg.markets {
        let mut config = margin_accounts_config(market);
        config.account_config = account_config();
        let (stream, _unsub) = client
            .program_subscribe(&zero_loss::ID, Some(config))
            .await?;
        streams.push(
            stream
                .map(|r| {
                    let key = r.value.pubkey.parse::<Pubkey>().ok();
                    (key, r.context.slot, r.value.account.to_account())
                })
                .boxed(),
        );
    }
    for key in &cfg.fixed {
        let key = *key;
        let (stream, _unsub) = client
            .account_subscribe(&key, Some(account_config()))
            .await?;
        streams.push(
            stream
                .map(move |r| (Some(key), r.context.slot, r.value.to_account()))
                .boxed(),
        );
    }
    // Heal what may have changed before the subscriptions took.
    snapshot(feed, rpc, cfg).await?;
    feed.set_usable(true);
    tracing::info!(subscriptions = streams.len(), "feed connected and healed");
    let mut all = futures::stream::select_all(streams);
    let mut heal = tokio::time::interval(cfg.snapshot_every);
    heal.tick().await;
    loop {
        tokio::select! {
            next = all.next() => match next {
                Some((Some(key), slot, acc)) => feed.notify(key, slot, acc),
                Some((None, _, _)) => {}
                None => anyhow::bail!("the websocket closed"),
            },
            _ = heal.tick() => {
                if let Err(e) = snapshot(feed, rpc, cfg).await {
                    tracing::warn!(error = %e, "feed snapshot failed; the next one heals");
                }
            }
        }
    }
}

/// Runs the feed until the task is dropped: connects, and reconnects after any failure
/// with a doubling backoff. While it is down, [`FeedChain`] reads over RPC.
pub async fn run(feed: Arc<Feed>, rpc: Arc<RpcClient>, cfg: FeedConfig) {
    let mut wait = cfg.backoff;
    loop {
        let started = std::time::Instant::now();
        let e = connection(&feed, &rpc, &cfg).await.unwrap_err();
        feed.set_usable(false);
        feed.state().reconnects += 1;
        // A connection that lived a while starts the backoff again.
        if started.elapsed() > cfg.max_backoff {
            wait = cfg.backoff;
        }
        tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "feed down; reading over RPC");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(cfg.max_backoff);
    }
}

/// A [`Chain`] that reads from the feed while it is usable and over RPC otherwise; what a
/// send writes is forgotten, so the next read of it goes to the RPC.
pub struct FeedChain {
    pub rpc: RpcChain,
    pub feed: Option<Arc<Feed>>,
}

impl FeedChain {
    fn live(&self) -> Option<&Arc<Feed>> {
        self.feed.as_ref().filter(|f| f.usable())
    }
}

impl Chain for FeedChain {
    fn keeper(&self) -> Pubkey {
        self.rpc.keeper()
    }

    async fn now(&mut self) -> anyhow::Result<i64> {
        self.rpc.now().await
    }

    async fn get_accounts(&mut self, keys: &[Pubkey]) -> anyhow::Result<Vec<Option<Account>>> {
        let Some(feed) = self.live().cloned() else {
            return self.rpc.get_accounts(keys).await;
        };
        let mut out: Vec<Option<Account>> = keys.iter().map(|k| feed.get(k)).collect();
        let missing: Vec<(usize, Pubkey)> = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| out[*i].is_none())
            .map(|(i, k)| (i, *k))
            .collect();
        if !missing.is_empty() {
            let fetched = self
                .rpc
                .get_accounts(&missing.iter().map(|(_, k)| *k).collect::<Vec<_>>())
                .await?;
            for ((i, _), a) in missing.into_iter().zip(fetched) {
                out[i] = a;
            }
        }
        Ok(out)
    }

    async fn margin_accounts(&mut self, market: &Pubkey) -> anyhow::Result<Vec<Pubkey>> {
        match self.live() {
            Some(feed) => Ok(feed.margin_accounts(market)),
            None => self.rpc.margin_accounts(market).await,
        }
    }

    async fn send(&mut self, ixs: &[Instruction]) -> anyhow::Result<SendOutcome> {
        let out = self.rpc.send(ixs).await;
        if let Some(feed) = &self.feed {
            let written: Vec<Pubkey> = ixs
                .iter()
                .flat_map(|ix| {
                    ix.accounts
                        .iter()
                        .filter(|m| m.is_writable)
                        .map(|m| m.pubkey)
                })
                .collect();
            feed.forget(&written);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn margin(market: &Pubkey, collateral: u64) -> Account {
        Account {
            lamports: 1,
            data: crate::bench_scan::margin_bytes(*market, collateral, 1),
            owner: zero_loss::ID,
            executable: false,
            rent_epoch: 0,
        }
    }

    #[test]
    fn a_sighting_never_goes_back_in_time() {
        let feed = Feed::new();
        let (market, k) = (Pubkey::new_unique(), Pubkey::new_unique());
        feed.apply(k, 10, Some(margin(&market, 5)));
        feed.apply(k, 9, Some(margin(&market, 4)));
        let coll = |feed: &Feed| {
            let a = feed.get(&k).unwrap();
            <MarginAccount as anchor_lang::AccountDeserialize>::try_deserialize(
                &mut a.data.as_slice(),
            )
            .unwrap()
            .collateral
        };
        assert_eq!(coll(&feed), 5, "the older sighting was ignored");
        feed.apply(k, 10, Some(margin(&market, 6)));
        assert_eq!(coll(&feed), 6, "the same slot replaces");
        // Closed: no lamports.
        let mut closed = margin(&market, 6);
        closed.lamports = 0;
        feed.apply(k, 11, Some(closed));
        assert!(feed.get(&k).is_none());
    }

    #[test]
    fn margin_accounts_are_the_markets_and_a_snapshot_drops_the_closed() {
        let feed = Feed::new();
        let (m1, m2) = (Pubkey::new_unique(), Pubkey::new_unique());
        let (a, b, c) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        feed.apply(a, 5, Some(margin(&m1, 1)));
        feed.apply(b, 5, Some(margin(&m1, 1)));
        feed.apply(c, 5, Some(margin(&m2, 1)));
        let mut mine = feed.margin_accounts(&m1);
        mine.sort();
        let mut want = vec![a, b];
        want.sort();
        assert_eq!(mine, want);
        // A snapshot at slot 8 holds only `a`: `b` was closed meanwhile; `c` is another
        // market's and stays.
        feed.heal_market(&m1, 8, vec![(a, margin(&m1, 2))]);
        assert_eq!(feed.margin_accounts(&m1), vec![a]);
        assert_eq!(feed.margin_accounts(&m2), vec![c]);
        // Forgotten accounts are read over RPC next.
        feed.forget(&[a]);
        assert!(feed.get(&a).is_none());
        let s = feed.stats();
        assert_eq!((s.accounts, s.usable), (1, false));
    }

    #[test]
    fn the_websocket_url_follows_the_cli() {
        assert_eq!(ws_url_for("http://127.0.0.1:8899"), "ws://127.0.0.1:8900");
        assert_eq!(
            ws_url_for("https://api.devnet.solana.com"),
            "wss://api.devnet.solana.com"
        );
        assert_eq!(
            ws_url_for("https://rpc.example:443/key"),
            "wss://rpc.example:444/key"
        );
    }
}
