//! What an operator scrapes (docs/keeper.md, "Metrics"): the keeper's counters rendered in
//! Prometheus' text exposition format on each scrape, `/healthz` and `/readyz`, served by a
//! minimal HTTP/1.1 responder on tokio (one request a connection). No registry, no globals:
//! the run loop replaces a [`Snapshot`] after each tick and the server renders it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub use crate::histogram::Histogram;
use crate::keeper::{ActionStats, KeeperStats, ZoneCounts};

/// A market's keeper as the last tick left it.
#[derive(Clone, Debug, Default)]
pub struct MarketView {
    pub market: String,
    pub role: &'static str,
    pub stats: KeeperStats,
    pub zones: ZoneCounts,
    pub open_auctions: usize,
    /// The keeper's token balances, native units (`None`: the account is missing).
    pub debt_balance: Option<u64>,
    pub collateral_balance: Option<u64>,
    /// Seconds since the older of the two oracle readings the last tick read.
    pub oracle_age_secs: Option<i64>,
    /// The priority fee the last tick chose, micro-lamports per compute unit.
    pub priority_fee: u64,
    /// Transactions this market's connection landed, and of them v0 ones.
    pub landed: u64,
    pub landed_v0: u64,
    /// Unix time of the last tick that read valid prices.
    pub last_good_tick: Option<i64>,
    pub ticks: u64,
    pub tick_errors: u64,
    pub tick_seconds: Histogram,
    /// Why this market is not ready (empty: ready, once it has ticked).
    pub problems: Vec<String>,
}

/// Everything a scrape shows.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub markets: Vec<MarketView>,
    /// The keeper's SOL, lamports (`None` until read).
    pub sol_lamports: Option<u64>,
    pub dry_run: bool,
    /// Seconds between ticks: a market is stale after three.
    pub interval_secs: u64,
    /// The subscriptions' copy, when on.
    pub feed: Option<crate::feed::FeedStats>,
}

pub type Shared = Arc<Mutex<Snapshot>>;

/// One metric family: its HELP and TYPE lines, then its samples.
struct Family<'a> {
    out: &'a mut String,
}

impl<'a> Family<'a> {
    fn new(out: &'a mut String, name: &str, kind: &str, help: &str) -> Family<'a> {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        Family { out }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let _ = write!(self.out, "{name}");
        if !labels.is_empty() {
            let body: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.out, "{{{}}}", body.join(","));
        }
        let _ = writeln!(self.out, " {value}");
    }

    fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &Histogram) {
        let mut acc = 0u64;
        for (b, c) in h.bounds.iter().zip(&h.counts) {
            acc += c;
            let le = b.to_string();
            let mut l = labels.to_vec();
            l.push(("le", &le));
            self.sample(&format!("{name}_bucket"), &l, acc);
        }
        let mut l = labels.to_vec();
        l.push(("le", "+Inf"));
        self.sample(&format!("{name}_bucket"), &l, h.count);
        self.sample(&format!("{name}_sum"), labels, h.sum);
        self.sample(&format!("{name}_count"), labels, h.count);
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The text exposition of `s` (docs/keeper.md lists every family).
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let markets = &s.markets;
    let each = |out: &mut String,
                name: &str,
                kind: &str,
                help: &str,
                f: &dyn Fn(&mut Family, &MarketView)| {
        let mut fam = Family::new(out, name, kind, help);
        for m in markets {
            f(&mut fam, m);
        }
    };
    each(
        &mut out,
        "zl_keeper_accounts",
        "gauge",
        "Indebted margin accounts at the last tick, by zone.",
        &|f, m| {
            let z = m.zones;
            for (zone, n) in [
                ("healthy", z.healthy),
                ("buffer", z.buffer),
                ("distressed", z.distressed),
                ("emergency", z.emergency),
            ] {
                f.sample(
                    "zl_keeper_accounts",
                    &[("market", &m.market), ("zone", zone)],
                    n,
                );
            }
        },
    );
    each(
        &mut out,
        "zl_keeper_open_auctions",
        "gauge",
        "Auctions open at the last tick.",
        &|f, m| {
            f.sample(
                "zl_keeper_open_auctions",
                &[("market", &m.market)],
                m.open_auctions,
            )
        },
    );
    let per_action = |out: &mut String, name: &str, help: &str, get: fn(&ActionStats) -> u64| {
        let mut fam = Family::new(out, name, "counter", help);
        for m in markets {
            for (action, a) in &m.stats.actions {
                fam.sample(name, &[("market", &m.market), ("action", action)], get(a));
            }
        }
    };
    per_action(
        &mut out,
        "zl_keeper_actions_sent_total",
        "Transactions sent (or simulated, in a dry run), by action.",
        |c| c.sent,
    );
    per_action(
        &mut out,
        "zl_keeper_actions_landed_total",
        "Transactions that landed and succeeded, by action.",
        |c| c.landed,
    );
    per_action(
        &mut out,
        "zl_keeper_races_lost_total",
        "Refusals that mean another keeper got there first, by action.",
        |c| c.races,
    );
    {
        let name = "zl_keeper_actions_refused_total";
        let mut fam = Family::new(
            &mut out,
            name,
            "counter",
            "Transactions refused or failed, by action and reason (the program error's name, \
             anchor_<code>, or transport).",
        );
        for m in markets {
            for (action, a) in &m.stats.actions {
                for (reason, n) in &a.refused {
                    fam.sample(
                        name,
                        &[
                            ("market", &m.market),
                            ("action", action),
                            ("reason", reason),
                        ],
                        n,
                    );
                }
            }
        }
    }
    each(
        &mut out,
        "zl_keeper_transactions_landed_total",
        "counter",
        "Transactions landed on the market's connection, by message version (legacy, v0).",
        &|f, m| {
            for (version, n) in [
                ("legacy", m.landed - m.landed_v0.min(m.landed)),
                ("v0", m.landed_v0),
            ] {
                f.sample(
                    "zl_keeper_transactions_landed_total",
                    &[("market", &m.market), ("version", version)],
                    n,
                );
            }
        },
    );
    each(
        &mut out,
        "zl_keeper_skipped_total",
        "counter",
        "Times an account or auction was set aside after repeated refusals.",
        &|f, m| {
            f.sample(
                "zl_keeper_skipped_total",
                &[("market", &m.market)],
                m.stats.skipped,
            )
        },
    );
    each(
        &mut out,
        "zl_keeper_fees_paid_lamports_total",
        "counter",
        "Lamports paid in transaction fees (signatures and priority) for landed transactions.",
        &|f, m| {
            f.sample(
                "zl_keeper_fees_paid_lamports_total",
                &[("market", &m.market)],
                m.stats.fees_lamports,
            )
        },
    );
    each(
        &mut out,
        "zl_keeper_priority_fee_micro_lamports",
        "gauge",
        "The priority fee chosen at the last tick, micro-lamports per compute unit.",
        &|f, m| {
            f.sample(
                "zl_keeper_priority_fee_micro_lamports",
                &[("market", &m.market)],
                m.priority_fee,
            )
        },
    );
    {
        let name = "zl_keeper_send_seconds";
        let mut fam = Family::new(
            &mut out,
            name,
            "histogram",
            "Seconds from send to confirmation (or refusal), by action.",
        );
        for m in markets {
            for (action, a) in &m.stats.actions {
                fam.histogram(
                    name,
                    &[("market", &m.market), ("action", action)],
                    &a.latency,
                );
            }
        }
    }
    each(
        &mut out,
        "zl_keeper_tick_seconds",
        "histogram",
        "Seconds a tick took (read, judge, act).",
        &|f, m| {
            f.histogram(
                "zl_keeper_tick_seconds",
                &[("market", &m.market)],
                &m.tick_seconds,
            )
        },
    );
    each(
        &mut out,
        "zl_keeper_ticks_total",
        "counter",
        "Ticks run.",
        &|f, m| f.sample("zl_keeper_ticks_total", &[("market", &m.market)], m.ticks),
    );
    each(
        &mut out,
        "zl_keeper_tick_errors_total",
        "counter",
        "Ticks that failed (transport, missing accounts).",
        &|f, m| {
            f.sample(
                "zl_keeper_tick_errors_total",
                &[("market", &m.market)],
                m.tick_errors,
            )
        },
    );
    each(
        &mut out,
        "zl_keeper_token_balance",
        "gauge",
        "The keeper's token balance, native units; -1 when the token account is missing.",
        &|f, m| {
            for (asset, b) in [
                ("debt", m.debt_balance),
                ("collateral", m.collateral_balance),
            ] {
                let v = b.map_or(-1i128, |b| b as i128);
                f.sample(
                    "zl_keeper_token_balance",
                    &[("market", &m.market), ("asset", asset)],
                    v,
                );
            }
        },
    );
    each(
        &mut out,
        "zl_keeper_oracle_age_seconds",
        "gauge",
        "Age of the older oracle reading at the last tick, seconds.",
        &|f, m| {
            if let Some(age) = m.oracle_age_secs {
                f.sample(
                    "zl_keeper_oracle_age_seconds",
                    &[("market", &m.market)],
                    age,
                );
            }
        },
    );
    each(
        &mut out,
        "zl_keeper_last_good_tick_timestamp_seconds",
        "gauge",
        "Unix time of the last tick that read valid prices.",
        &|f, m| {
            if let Some(t) = m.last_good_tick {
                f.sample(
                    "zl_keeper_last_good_tick_timestamp_seconds",
                    &[("market", &m.market)],
                    t,
                );
            }
        },
    );
    each(
        &mut out,
        "zl_keeper_role",
        "gauge",
        "1 for the role each market's keeper runs in (maintain, take, full).",
        &|f, m| {
            f.sample(
                "zl_keeper_role",
                &[("market", &m.market), ("role", m.role)],
                1,
            )
        },
    );
    let mut fam = Family::new(
        &mut out,
        "zl_keeper_sol_balance_lamports",
        "gauge",
        "The keeper's SOL (fees), lamports.",
    );
    if let Some(l) = s.sol_lamports {
        fam.sample("zl_keeper_sol_balance_lamports", &[], l);
    }
    if let Some(f) = s.feed {
        for (name, kind, help, v) in [
            (
                "zl_keeper_feed_connected",
                "gauge",
                "1 while the websocket is open and healed (reads come from it).",
                u64::from(f.usable),
            ),
            (
                "zl_keeper_feed_accounts",
                "gauge",
                "Accounts the subscriptions' copy holds.",
                f.accounts as u64,
            ),
            (
                "zl_keeper_feed_notifications_total",
                "counter",
                "Account notifications applied.",
                f.notifications,
            ),
            (
                "zl_keeper_feed_reconnects_total",
                "counter",
                "Times the websocket was lost and reopened.",
                f.reconnects,
            ),
            (
                "zl_keeper_feed_snapshots_total",
                "counter",
                "Snapshots that healed the copy.",
                f.snapshots,
            ),
        ] {
            Family::new(&mut out, name, kind, help).sample(name, &[], v);
        }
    }
    let mut fam = Family::new(
        &mut out,
        "zl_keeper_dry_run",
        "gauge",
        "1 when the keeper simulates and sends nothing.",
    );
    fam.sample("zl_keeper_dry_run", &[], u8::from(s.dry_run));
    out
}

/// Whether every market is ready at unix time `now`: ticked with valid prices within three
/// intervals, and nothing reported wrong. The reasons otherwise.
pub fn readiness(s: &Snapshot, now: i64) -> Result<(), Vec<String>> {
    let stale_after = (3 * s.interval_secs.max(1)) as i64;
    let mut why = Vec::new();
    if s.markets.is_empty() {
        why.push("no market".to_string());
    }
    for m in &s.markets {
        match m.last_good_tick {
            None => why.push(format!("{}: no tick with valid prices yet", m.market)),
            Some(t) if now.saturating_sub(t) > stale_after => why.push(format!(
                "{}: last tick with valid prices {}s ago",
                m.market,
                now.saturating_sub(t)
            )),
            Some(_) => {}
        }
        why.extend(m.problems.iter().map(|p| format!("{}: {p}", m.market)));
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(why)
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The response to a request line's path.
pub fn respond(shared: &Shared, path: &str) -> (u16, &'static str, String) {
    let s = match shared.lock() {
        Ok(s) => s.clone(),
        Err(p) => p.into_inner().clone(),
    };
    match path {
        "/metrics" => (200, "text/plain; version=0.0.4", render(&s)),
        "/healthz" => (200, "text/plain", "ok\n".into()),
        "/readyz" => match readiness(&s, unix_now()) {
            Ok(()) => (200, "text/plain", "ready\n".into()),
            Err(why) => (
                503,
                "text/plain",
                format!("not ready\n{}\n", why.join("\n")),
            ),
        },
        _ => (404, "text/plain", "not found\n".into()),
    }
}

/// Serves `/metrics`, `/healthz` and `/readyz` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, shared: Shared) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            // The request line and headers; the body (none for GET) is ignored.
            let (head, _) = read_request(&mut stream, 4096).await;
            let mut parts = head.lines().next().unwrap_or_default().split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let (code, kind, body) = if method == "GET" {
                respond(&shared, path.split('?').next().unwrap_or(""))
            } else {
                (405, "text/plain", "GET only\n".into())
            };
            let reason = match code {
                200 => "OK",
                404 => "Not Found",
                405 => "Method Not Allowed",
                _ => "Service Unavailable",
            };
            let reply = format!(
                "HTTP/1.1 {code} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// One HTTP/1.1 request from `stream`: its head (request line and headers) and its body
/// (`Content-Length` bytes). Reading stops at `max` bytes, at the peer's end, or after 5 s
/// without data; what was read by then is returned (the head lossily decoded).
pub async fn read_request<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    max: usize,
) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= i + 4 + len {
                return (head, buf[i + 4..i + 4 + len].to_vec());
            }
        }
        if buf.len() >= max {
            return (String::from_utf8_lossy(&buf).to_string(), vec![]);
        }
        let want = chunk.len().min(max - buf.len());
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            stream.read(&mut chunk[..want]),
        )
        .await;
        match read {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return (String::from_utf8_lossy(&buf).to_string(), vec![]),
        }
    }
}

/// GETs `path` from a server at `addr`: the status code and the body. For tests and
/// the end-to-end run's check of the metrics.
pub async fn scrape(addr: std::net::SocketAddr, path: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8(raw)?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("no HTTP header end"))?;
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no status code"))?;
    Ok((code, body.to_string()))
}

/// The samples of a text exposition: `name{labels}` to value (for tests and checks).
pub fn parse_samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(now: i64) -> Snapshot {
        let mut stats = KeeperStats::default();
        let mut a = ActionStats {
            sent: 3,
            landed: 2,
            races: 1,
            ..ActionStats::default()
        };
        a.refused.insert("NotInBufferZone".into(), 1);
        a.latency.observe(0.07);
        a.latency.observe(0.4);
        stats.actions.insert("liquidate_partial".into(), a);
        stats.fees_lamports = 11_206;
        Snapshot {
            markets: vec![MarketView {
                market: "M1".into(),
                role: "full",
                stats,
                zones: ZoneCounts {
                    healthy: 5,
                    buffer: 2,
                    distressed: 1,
                    emergency: 0,
                },
                open_auctions: 1,
                debt_balance: Some(1_000),
                collateral_balance: None,
                oracle_age_secs: Some(3),
                priority_fee: 4_000,
                last_good_tick: Some(now),
                ticks: 7,
                ..MarketView::default()
            }],
            sol_lamports: Some(2_000_000_000),
            dry_run: false,
            interval_secs: 2,
            feed: Some(crate::feed::FeedStats {
                usable: true,
                accounts: 9,
                notifications: 4,
                reconnects: 1,
                snapshots: 2,
            }),
        }
    }

    #[test]
    fn the_exposition_carries_every_family_and_value() {
        let text = render(&snapshot(100));
        let s = parse_samples(&text);
        let v = |k: &str| *s.get(k).unwrap_or_else(|| panic!("{k} missing in\n{text}"));
        assert_eq!(v(r#"zl_keeper_accounts{market="M1",zone="buffer"}"#), 2.0);
        assert_eq!(
            v(r#"zl_keeper_actions_sent_total{market="M1",action="liquidate_partial"}"#),
            3.0
        );
        assert_eq!(
            v(
                r#"zl_keeper_actions_refused_total{market="M1",action="liquidate_partial",reason="NotInBufferZone"}"#
            ),
            1.0
        );
        assert_eq!(
            v(r#"zl_keeper_fees_paid_lamports_total{market="M1"}"#),
            11_206.0
        );
        assert_eq!(
            v(r#"zl_keeper_send_seconds_bucket{market="M1",action="liquidate_partial",le="0.1"}"#),
            1.0
        );
        assert_eq!(
            v(r#"zl_keeper_send_seconds_bucket{market="M1",action="liquidate_partial",le="0.5"}"#),
            2.0
        );
        assert_eq!(
            v(r#"zl_keeper_send_seconds_bucket{market="M1",action="liquidate_partial",le="+Inf"}"#),
            2.0
        );
        assert_eq!(
            v(r#"zl_keeper_token_balance{market="M1",asset="collateral"}"#),
            -1.0
        );
        assert_eq!(v("zl_keeper_sol_balance_lamports"), 2e9);
        assert_eq!(v("zl_keeper_feed_reconnects_total"), 1.0);
        assert_eq!(v("zl_keeper_feed_connected"), 1.0);
        // Every family is declared once, before its samples.
        for line in text.lines().filter(|l| l.starts_with("# TYPE")) {
            let name = line.split_whitespace().nth(2).unwrap();
            assert_eq!(
                text.matches(&format!("# TYPE {name} ")).count(),
                1,
                "{name}"
            );
        }
    }

    #[test]
    fn readiness_wants_a_recent_good_tick_and_no_problem() {
        let s = snapshot(100);
        assert_eq!(readiness(&s, 106), Ok(()));
        let why = readiness(&s, 107).unwrap_err();
        assert!(why[0].contains("7s ago"), "{why:?}");
        let mut missing = s.clone();
        missing.markets[0]
            .problems
            .push("missing token account X".into());
        assert!(readiness(&missing, 100).unwrap_err()[0].contains("missing token account"));
        let mut fresh = s;
        fresh.markets[0].last_good_tick = None;
        assert!(readiness(&fresh, 100).is_err());
        assert!(readiness(&Snapshot::default(), 100).is_err());
    }

    #[tokio::test]
    async fn the_endpoints_are_served_and_scraped() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared: Shared = Arc::new(Mutex::new(Snapshot::default()));
        let server = tokio::spawn(serve(listener, shared.clone()));
        assert_eq!(
            scrape(addr, "/healthz").await.unwrap(),
            (200, "ok\n".into())
        );
        // Nothing ticked yet: not ready.
        let (code, body) = scrape(addr, "/readyz").await.unwrap();
        assert_eq!(code, 503, "{body}");
        *shared.lock().unwrap() = snapshot(unix_now());
        let (code, body) = scrape(addr, "/readyz").await.unwrap();
        assert_eq!((code, body.as_str()), (200, "ready\n"));
        let (code, body) = scrape(addr, "/metrics").await.unwrap();
        assert_eq!(code, 200);
        assert_eq!(
            parse_samples(&body)[r#"zl_keeper_actions_landed_total{market="M1",action="liquidate_partial"}"#],
            2.0
        );
        assert_eq!(scrape(addr, "/nope").await.unwrap().0, 404);
        server.abort();
    }
}
