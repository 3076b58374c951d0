//! `zl-keeper run --config`: the keeper's own file (docs/keeper.md, "Design: running it as
//! an operator"), apart from `bootstrap --config`'s market file. Flags override the file,
//! and the environment overrides both for what is secret or per host.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anchor_lang::prelude::Pubkey;
use serde::Deserialize;

use crate::fees::FeePolicy;
use crate::keeper::Role;

/// Environment variables that override the file and the flags.
pub const ENV_RPC_URL: &str = "ZL_KEEPER_RPC_URL";
pub const ENV_KEYPAIR: &str = "ZL_KEEPER_KEYPAIR";
pub const ENV_METRICS_ADDR: &str = "ZL_KEEPER_METRICS_ADDR";

/// The file as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFile {
    pub rpc_url: Option<String>,
    pub keypair: Option<PathBuf>,
    pub interval_secs: Option<u64>,
    pub metrics_addr: Option<String>,
    pub log_json: Option<bool>,
    pub dry_run: Option<bool>,
    pub create_token_accounts: Option<bool>,
    pub retries: Option<u32>,
    /// An address lookup table holding the markets' fixed accounts (`zl-keeper alt`):
    /// transactions are then v0.
    pub lookup_table: Option<String>,
    /// Markets ticked at once, each on its own connection.
    pub parallel_markets: Option<usize>,
    /// Keep a copy of the accounts from websocket subscriptions (default true).
    pub subscribe: Option<bool>,
    /// The websocket URL [default: the RPC URL's, as the Solana CLI derives it].
    pub ws_url: Option<String>,
    pub fees: Option<FeePolicy>,
    /// Submit through a block engine (off when absent).
    pub bundles: Option<BundleFile>,
    #[serde(default, rename = "market")]
    pub markets: Vec<MarketEntry>,
}

/// The `[bundles]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleFile {
    /// The block engine's bundle endpoint (`.../api/v1/bundles`).
    pub url: String,
    /// The block engine's tip account, and the tip paid to it in each transaction.
    pub tip_account: String,
    pub tip_lamports: u64,
    /// Wait this long for a bundle to land before sending again (default 30).
    pub land_timeout_secs: Option<u64>,
}

/// One `[[market]]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketEntry {
    pub address: String,
    pub role: Option<String>,
    pub capital: Option<u64>,
    pub max_takes: Option<usize>,
    pub edge_bps: Option<u64>,
    pub collateral_oracle: Option<String>,
    pub debt_oracle: Option<String>,
    pub shard: Option<u16>,
    pub debt_account: Option<String>,
    pub collateral_account: Option<String>,
    pub refresh_secs: Option<i64>,
    pub buffer_move_bps: Option<u64>,
}

/// What the command line says (`None`/`false`: not given).
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub rpc_url: Option<String>,
    pub keypair: Option<PathBuf>,
    pub interval_secs: Option<u64>,
    pub metrics_addr: Option<String>,
    pub log_json: bool,
    pub dry_run: bool,
    pub no_create_token_accounts: bool,
    pub retries: Option<u32>,
    pub lookup_table: Option<Pubkey>,
    pub no_subscribe: bool,
    pub ws_url: Option<String>,
    /// A fixed priority fee (floor and cap both).
    pub priority_fee: Option<u64>,
    /// Run only this market (its file entry if it has one).
    pub market: Option<Pubkey>,
    pub role: Option<String>,
    pub capital: Option<u64>,
    pub edge_bps: Option<u64>,
    pub collateral_oracle: Option<Pubkey>,
    pub debt_oracle: Option<Pubkey>,
    pub shard: Option<u16>,
    pub debt_account: Option<Pubkey>,
    pub collateral_account: Option<Pubkey>,
    pub refresh_secs: Option<i64>,
    pub buffer_move_bps: Option<u64>,
}

/// A market as the keeper will run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketSettings {
    pub address: Pubkey,
    pub role: Role,
    pub role_name: &'static str,
    pub edge_bps: u64,
    pub collateral_oracle: Option<Pubkey>,
    pub debt_oracle: Option<Pubkey>,
    pub shard: u16,
    pub debt_account: Option<Pubkey>,
    pub collateral_account: Option<Pubkey>,
    pub refresh_secs: i64,
    pub buffer_move_bps: u64,
}

/// Everything `run` needs, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunSettings {
    pub rpc_url: String,
    pub keypair: Option<PathBuf>,
    pub interval_secs: u64,
    pub metrics_addr: Option<SocketAddr>,
    pub log_json: bool,
    pub dry_run: bool,
    pub create_token_accounts: bool,
    pub retries: u32,
    pub lookup_table: Option<Pubkey>,
    pub parallel_markets: usize,
    /// The websocket URL to subscribe on (`None`: poll over RPC).
    pub subscribe: Option<String>,
    pub bundles: Option<crate::rpc::Bundles>,
    pub fees: FeePolicy,
    pub markets: Vec<MarketSettings>,
}

impl RunFile {
    pub fn load(path: &Path) -> anyhow::Result<RunFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        RunFile::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<RunFile> {
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.message()))
    }
}

fn key(field: &str, s: &str) -> anyhow::Result<Pubkey> {
    s.parse()
        .map_err(|_| anyhow::anyhow!("{field}: {s:?} is not a base-58 address"))
}

fn opt_key(field: &str, s: &Option<String>) -> anyhow::Result<Option<Pubkey>> {
    s.as_deref().map(|s| key(field, s)).transpose()
}

/// The role named `name`, with its capital (debt native units a tick) and takes a tick.
pub fn role_named(
    name: &str,
    capital: u64,
    max_takes: usize,
) -> anyhow::Result<(Role, &'static str)> {
    Ok(match name {
        "full" => (
            Role {
                maintain: true,
                take: true,
                capital,
                max_takes,
            },
            "full",
        ),
        "maintain" => (Role::MAINTAIN, "maintain"),
        "take" => (Role::taker(capital, max_takes), "take"),
        other => anyhow::bail!("role {other:?}: expected maintain, take or full"),
    })
}

/// `file` (if any) under `flags`, under the environment `env` (a lookup, so tests pass their own).
pub fn resolve(
    file: Option<RunFile>,
    flags: &Flags,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<RunSettings> {
    let file = file.unwrap_or_default();
    let metrics = env(ENV_METRICS_ADDR)
        .or_else(|| flags.metrics_addr.clone())
        .or(file.metrics_addr);
    let metrics_addr = metrics
        .map(|a| {
            a.parse()
                .map_err(|_| anyhow::anyhow!("metrics_addr {a:?} is not host:port"))
        })
        .transpose()?;
    let mut fees = file.fees.unwrap_or_default();
    if let Some(fee) = flags.priority_fee {
        fees = FeePolicy {
            retry_bump_pct: fees.retry_bump_pct,
            ..FeePolicy::fixed(fee)
        };
    }
    fees.validate()?;
    let mut entries = file.markets;
    if let Some(m) = flags.market {
        let found = entries
            .iter()
            .position(|e| key("market.address", &e.address).ok() == Some(m));
        entries = vec![match found {
            Some(i) => entries.swap_remove(i),
            None => MarketEntry {
                address: m.to_string(),
                ..MarketEntry::default()
            },
        }];
    }
    anyhow::ensure!(
        !entries.is_empty(),
        "no market: give --market or [[market]] tables in --config"
    );
    let per_market_keys = flags.collateral_oracle.is_some()
        || flags.debt_oracle.is_some()
        || flags.debt_account.is_some()
        || flags.collateral_account.is_some();
    anyhow::ensure!(
        !per_market_keys || entries.len() == 1,
        "--collateral-oracle, --debt-oracle, --debt-account and --collateral-account name one \
         market's accounts: with several markets, set them in each [[market]] table"
    );
    let mut markets = Vec::with_capacity(entries.len());
    for e in &entries {
        let address = key("market.address", &e.address)?;
        anyhow::ensure!(
            !markets
                .iter()
                .any(|m: &MarketSettings| m.address == address),
            "market {address} is listed twice"
        );
        let role = flags
            .role
            .clone()
            .or(e.role.clone())
            .unwrap_or_else(|| "full".into());
        let capital = flags.capital.or(e.capital).unwrap_or(u64::MAX);
        let (role, role_name) = role_named(&role, capital, e.max_takes.unwrap_or(usize::MAX))?;
        markets.push(MarketSettings {
            address,
            role,
            role_name,
            edge_bps: flags.edge_bps.or(e.edge_bps).unwrap_or(100),
            collateral_oracle: flags
                .collateral_oracle
                .or(opt_key("collateral_oracle", &e.collateral_oracle)?),
            debt_oracle: flags
                .debt_oracle
                .or(opt_key("debt_oracle", &e.debt_oracle)?),
            shard: flags.shard.or(e.shard).unwrap_or(0),
            debt_account: flags
                .debt_account
                .or(opt_key("debt_account", &e.debt_account)?),
            collateral_account: flags
                .collateral_account
                .or(opt_key("collateral_account", &e.collateral_account)?),
            refresh_secs: flags.refresh_secs.or(e.refresh_secs).unwrap_or(30),
            buffer_move_bps: flags.buffer_move_bps.or(e.buffer_move_bps).unwrap_or(50),
        });
    }
    let interval_secs = flags.interval_secs.or(file.interval_secs).unwrap_or(2);
    anyhow::ensure!(interval_secs > 0, "interval_secs must be positive");
    let rpc_url = env(ENV_RPC_URL)
        .or_else(|| flags.rpc_url.clone())
        .or(file.rpc_url)
        .unwrap_or_else(|| "localhost".into());
    let subscribe = (!flags.no_subscribe && file.subscribe.unwrap_or(true)).then(|| {
        flags
            .ws_url
            .clone()
            .or(file.ws_url)
            .unwrap_or_else(|| crate::feed::ws_url_for(&crate::rpc::url_for(&rpc_url)))
    });
    let bundles = file
        .bundles
        .map(|b| {
            anyhow::ensure!(
                b.url.starts_with("http://") || b.url.starts_with("https://"),
                "bundles.url {:?} is not an http(s) URL",
                b.url
            );
            Ok(crate::rpc::Bundles {
                url: b.url,
                tip_account: key("bundles.tip_account", &b.tip_account)?,
                tip_lamports: b.tip_lamports,
                land_timeout: std::time::Duration::from_secs(b.land_timeout_secs.unwrap_or(30)),
            })
        })
        .transpose()?;
    Ok(RunSettings {
        rpc_url,
        subscribe,
        bundles,
        keypair: env(ENV_KEYPAIR)
            .map(PathBuf::from)
            .or_else(|| flags.keypair.clone())
            .or(file.keypair),
        interval_secs,
        metrics_addr,
        log_json: flags.log_json || file.log_json.unwrap_or(false),
        dry_run: flags.dry_run || file.dry_run.unwrap_or(false),
        create_token_accounts: !flags.no_create_token_accounts
            && file.create_token_accounts.unwrap_or(true),
        retries: flags.retries.or(file.retries).unwrap_or(3),
        lookup_table: flags
            .lookup_table
            .or(opt_key("lookup_table", &file.lookup_table)?),
        parallel_markets: file.parallel_markets.unwrap_or(4).max(1),
        fees,
        markets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn example() -> RunFile {
        RunFile::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("keeper.example.toml")).unwrap()
    }

    #[test]
    fn the_shipped_example_resolves() {
        let s = resolve(Some(example()), &Flags::default(), no_env).unwrap();
        assert_eq!(s.markets.len(), 2);
        assert_eq!(
            s.markets[0].role,
            Role {
                capital: 50_000_000_000,
                max_takes: 32,
                ..Role::FULL
            }
        );
        assert_eq!(s.markets[1].role, Role::MAINTAIN);
        assert_eq!(s.markets[1].role_name, "maintain");
        assert_eq!(s.fees.percentile, 75);
        assert_eq!(s.metrics_addr, Some("127.0.0.1:9464".parse().unwrap()));
        assert!(!s.dry_run && s.create_token_accounts);
        assert_eq!(s.bundles, None, "off unless configured");
    }

    #[test]
    fn flags_override_the_file_and_the_environment_overrides_both() {
        let flags = Flags {
            rpc_url: Some("devnet".into()),
            priority_fee: Some(7),
            edge_bps: Some(250),
            dry_run: true,
            ..Flags::default()
        };
        let s = resolve(Some(example()), &flags, no_env).unwrap();
        assert_eq!(s.rpc_url, "devnet");
        assert_eq!((s.fees.floor, s.fees.cap), (7, 7));
        assert!(s.markets.iter().all(|m| m.edge_bps == 250));
        assert!(s.dry_run);
        let env = |k: &str| match k {
            ENV_RPC_URL => Some("https://rpc.example/secret-key".to_string()),
            ENV_KEYPAIR => Some("/run/secrets/keeper.json".to_string()),
            _ => None,
        };
        let s = resolve(Some(example()), &flags, env).unwrap();
        assert_eq!(s.rpc_url, "https://rpc.example/secret-key");
        assert_eq!(s.keypair, Some(PathBuf::from("/run/secrets/keeper.json")));
    }

    #[test]
    fn market_selects_one_and_per_market_accounts_need_one() {
        let file = example();
        let second = key("", &file.markets[1].address).unwrap();
        let flags = Flags {
            market: Some(second),
            ..Flags::default()
        };
        let s = resolve(Some(file.clone()), &flags, no_env).unwrap();
        assert_eq!(s.markets.len(), 1);
        assert_eq!(s.markets[0].role_name, "maintain", "its file entry is kept");
        let flags = Flags {
            debt_oracle: Some(Pubkey::new_unique()),
            ..Flags::default()
        };
        let e = resolve(Some(file), &flags, no_env).unwrap_err();
        assert!(e.to_string().contains("one market's accounts"), "{e}");
        // The old single-market command line, with no file.
        let m = Pubkey::new_unique();
        let s = resolve(
            None,
            &Flags {
                market: Some(m),
                ..Flags::default()
            },
            no_env,
        )
        .unwrap();
        assert_eq!(s.markets[0].address, m);
        assert_eq!(s.markets[0].role, Role::FULL);
        assert_eq!(
            (s.interval_secs, s.retries, s.rpc_url.as_str()),
            (2, 3, "localhost")
        );
    }

    #[test]
    fn bad_files_are_refused_in_one_line() {
        let bad = |text: &str| {
            let file = RunFile::parse(text);
            let e = match file {
                Err(e) => e,
                Ok(f) => resolve(Some(f), &Flags::default(), no_env).unwrap_err(),
            };
            let msg = e.to_string();
            assert!(!msg.trim().is_empty() && !msg.contains('\n'), "{msg:?}");
            msg
        };
        assert!(bad("intervl_secs = 2").contains("unknown field"));
        assert!(bad("").contains("no market"));
        assert!(bad("[[market]]\naddress = \"nope\"").contains("not a base-58 address"));
        let m = Pubkey::new_unique();
        assert!(bad(&format!("[[market]]\naddress = \"{m}\"\nrole = \"boss\"")).contains("role"));
        assert!(bad(&format!(
            "[[market]]\naddress = \"{m}\"\n[[market]]\naddress = \"{m}\""
        ))
        .contains("twice"));
        assert!(bad(&format!(
            "[fees]\nfloor = 10\ncap = 1\n[[market]]\naddress = \"{m}\""
        ))
        .contains("floor"));
        assert!(bad(&format!(
            "metrics_addr = \"nine\"\n[[market]]\naddress = \"{m}\""
        ))
        .contains("host:port"));
        assert!(bad(&format!(
            "[bundles]\nurl = \"ftp://x\"\ntip_account = \"{m}\"\ntip_lamports = 1\n[[market]]\naddress = \"{m}\""
        ))
        .contains("http"));
        assert!(bad(&format!(
            "[bundles]\nurl = \"ftp://x\"\ntip_account = \"{m}\"\ntip_lamports = 1\n[[market]]\naddress = \"{m}\""
        ))
        .contains("http"));
    }
}
