//! The end-to-end run's load generator and verdict on the keeper (docs/localnet.md):
//! `zl-keeper localnet load` contends for a market's accounts with priority fees so the
//! keeper's fee can be seen to follow the network's, and `zl-keeper localnet verdict` checks
//! that every keeper path happened and that the metrics agree with the events.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::AccountMeta;
use anchor_lang::solana_program::system_instruction;
use solana_signer::Signer;
use solana_transaction::Transaction;

use crate::fees::FeePolicy;
use crate::metrics;
use crate::rpc::{set_compute_unit_limit, set_compute_unit_price, RpcChain};

/// Sends, for `duration`, `per_sec` transactions a second that write-lock `writable` and bid
/// `fee` micro-lamports a unit: a one-lamport transfer to the sender with the accounts
/// appended (the system program ignores them; the runtime still locks them). Returns how
/// many were sent (not confirmed: this is load).
pub async fn load(
    chain: &RpcChain,
    writable: &[Pubkey],
    fee: u64,
    per_sec: f64,
    duration: Duration,
) -> anyhow::Result<u64> {
    anyhow::ensure!(per_sec > 0.0, "--per-sec must be positive");
    let me = chain.payer.pubkey();
    let gap = Duration::from_secs_f64(1.0 / per_sec);
    let started = Instant::now();
    let mut sent = 0u64;
    let mut blockhash = chain.client.get_latest_blockhash().await?;
    let mut fetched = Instant::now();
    while started.elapsed() < duration {
        if fetched.elapsed() > Duration::from_secs(20) {
            blockhash = chain.client.get_latest_blockhash().await?;
            fetched = Instant::now();
        }
        let mut transfer = system_instruction::transfer(&me, &me, 1);
        transfer
            .accounts
            .extend(writable.iter().map(|k| AccountMeta::new(*k, false)));
        // Unique per transaction: the lamports moved stay 1, the limit varies.
        let ixs = [
            set_compute_unit_limit(1_000 + (sent % 1_000) as u32),
            set_compute_unit_price(fee),
            transfer,
        ];
        let tx = Transaction::new_signed_with_payer(&ixs, Some(&me), &[&chain.payer], blockhash);
        match chain.client.send_transaction(&tx).await {
            Ok(_) => sent += 1,
            Err(e) => tracing::debug!(error = %e, "load transaction not sent"),
        }
        tokio::time::sleep(gap).await;
    }
    Ok(sent)
}

/// The keeper's fee for `market` (its metrics) against what `policy` picks from the
/// network's recent fees over `writable` now. Tries `attempts` times, a second apart, since
/// the two reads see windows a few slots apart; returns the last pair.
pub async fn fee_check(
    chain: &RpcChain,
    writable: &[Pubkey],
    policy: &FeePolicy,
    metrics_addr: SocketAddr,
    market: &Pubkey,
    attempts: usize,
) -> anyhow::Result<(u64, u64)> {
    let key = format!(r#"zl_keeper_priority_fee_micro_lamports{{market="{market}"}}"#);
    let mut last = (0, 0);
    for _ in 0..attempts.max(1) {
        let (_, text) = metrics::scrape(metrics_addr, "/metrics").await?;
        let keeper = *metrics::parse_samples(&text)
            .get(&key)
            .ok_or_else(|| anyhow::anyhow!("{key} not in the keeper's metrics"))?
            as u64;
        let samples: Vec<u64> = chain
            .client
            .get_recent_prioritization_fees(writable)
            .await?
            .into_iter()
            .map(|f| f.prioritization_fee)
            .collect();
        last = (keeper, policy.pick(&samples));
        if last.0 == last.1 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(last)
}

/// Whether a log message is the summary of an event of some kind.
type Reads = fn(&str) -> bool;

/// The kinds of event the keeper logs, the action whose transactions produce them, and how
/// its summary line reads (`KeeperEvent::summary`).
const KINDS: [(&str, &str, Reads); 6] = [
    ("partial", "liquidate_partial", |m| {
        m.starts_with("partial liquidation of ")
    }),
    ("kick", "start_auction", |m| {
        m.starts_with("auction ") && m.contains(" started for ")
    }),
    ("bid", "bid", |m| m.starts_with("bid on ")),
    ("restart", "restart_auction", |m| {
        m.starts_with("auction ") && m.contains(" restarted at stage ")
    }),
    ("backstop", "backstop", |m| {
        m.starts_with("POL backstop on ")
    }),
    ("settle", "settle_auction", |m| {
        m.starts_with("auction ") && m.contains(" settled: raised ")
    }),
];

/// What the keeper's JSON log says it did: events by kind, summed over markets.
pub fn events_in_log(log: &str) -> BTreeMap<&'static str, u64> {
    let mut out: BTreeMap<&'static str, u64> = KINDS.iter().map(|(k, _, _)| (*k, 0)).collect();
    for line in log.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(msg) = v.get("message").and_then(|m| m.as_str()) else {
            continue;
        };
        if let Some((kind, _, _)) = KINDS.iter().find(|(_, _, is)| is(msg)) {
            *out.entry(kind).or_default() += 1;
        }
    }
    out
}

/// Sum of `family{...}` samples whose labels contain `label`.
fn sum(samples: &BTreeMap<String, f64>, family: &str, label: &str) -> u64 {
    samples
        .iter()
        .filter(|(k, _)| k.starts_with(&format!("{family}{{")) && k.contains(label))
        .map(|(_, v)| *v as u64)
        .sum()
}

/// Why the run fails the keeper's part of the verdict, if it does: every keeper path must
/// have happened (a partial liquidation, a kick, a bid, a restart, a backstop, a
/// settlement), every landed transaction must be v0, and the metrics must agree with the
/// events the keeper logged (one event per landed single-event transaction; at least one
/// partial-liquidation event per landed partial or batch).
pub fn verdict(metrics_text: &str, log: &str) -> Vec<String> {
    let samples = metrics::parse_samples(metrics_text);
    let events = events_in_log(log);
    let landed = |action: &str| {
        sum(
            &samples,
            "zl_keeper_actions_landed_total",
            &format!(r#"action="{action}""#),
        )
    };
    let mut out = Vec::new();
    for (kind, action, _) in KINDS {
        let n = events[kind];
        if n == 0 {
            out.push(format!("no {kind} happened"));
        }
        if kind == "partial" {
            let txs = landed("liquidate_partial") + landed("liquidate_batch");
            if n < txs || (txs == 0) != (n == 0) {
                out.push(format!(
                    "{n} partial-liquidation events for {txs} landed partial and batch transactions"
                ));
            }
        } else if landed(action) != n {
            out.push(format!(
                "{kind}: {n} events logged, {} `{action}` transactions landed in the metrics",
                landed(action)
            ));
        }
    }
    let v0 = sum(
        &samples,
        "zl_keeper_transactions_landed_total",
        r#"version="v0""#,
    );
    let legacy = sum(
        &samples,
        "zl_keeper_transactions_landed_total",
        r#"version="legacy""#,
    );
    if v0 == 0 || legacy > 0 {
        out.push(format!(
            "{v0} v0 and {legacy} legacy transactions landed: all should be v0"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(market: &str, message: &str) -> String {
        serde_json::json!({"level": "INFO", "market": market, "message": message}).to_string()
    }

    #[test]
    fn the_verdict_needs_every_path_and_agreeing_metrics() {
        let log = [
            line("A", "partial liquidation of X: repaid 1, collateral 1 (bonus 10 bps), LTV 1 -> 1 bps"),
            line("A", "partial liquidation of Y: repaid 1, collateral 1 (bonus 10 bps), LTV 1 -> 1 bps"),
            line("A", "auction Q (id 0) started for X: lot 1, tab 1, reward 0"),
            line("A", "bid on Q: bought 1 for 1, lot left 0, tab left 0"),
            line("B", "auction R restarted at stage 1"),
            line("B", "POL backstop on R: bought 1 for 1, tab left 0"),
            line("A", "auction Q settled: raised 1, collateral returned 0, insurance 0, POL 0, bad debt 0"),
            "not json".to_string(),
            line("A", "tick"),
        ]
        .join("\n");
        let counts = events_in_log(&log);
        assert_eq!(counts["partial"], 2);
        assert_eq!(counts["settle"], 1);
        let metrics = |settled: u64, legacy: u64| {
            format!(
                "zl_keeper_actions_landed_total{{market=\"A\",action=\"liquidate_batch\"}} 1\n\
                 zl_keeper_actions_landed_total{{market=\"A\",action=\"start_auction\"}} 1\n\
                 zl_keeper_actions_landed_total{{market=\"A\",action=\"bid\"}} 1\n\
                 zl_keeper_actions_landed_total{{market=\"B\",action=\"restart_auction\"}} 1\n\
                 zl_keeper_actions_landed_total{{market=\"B\",action=\"backstop\"}} 1\n\
                 zl_keeper_actions_landed_total{{market=\"A\",action=\"settle_auction\"}} {settled}\n\
                 zl_keeper_transactions_landed_total{{market=\"A\",version=\"v0\"}} 9\n\
                 zl_keeper_transactions_landed_total{{market=\"A\",version=\"legacy\"}} {legacy}\n"
            )
        };
        assert_eq!(verdict(&metrics(1, 0), &log), Vec::<String>::new());
        let v = verdict(&metrics(2, 0), &log);
        assert!(v.len() == 1 && v[0].starts_with("settle:"), "{v:?}");
        let v = verdict(&metrics(1, 3), &log);
        assert!(v.len() == 1 && v[0].contains("all should be v0"), "{v:?}");
        let no_bids: String = log
            .lines()
            .filter(|l| !l.contains("bid on"))
            .collect::<Vec<_>>()
            .join("\n");
        let v = verdict(&metrics(1, 0), &no_bids);
        assert!(v.iter().any(|x| x == "no bid happened"), "{v:?}");
    }
}
