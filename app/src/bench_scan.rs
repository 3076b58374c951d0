//! `zl-keeper bench-scan` (docs/keeper.md, "Scale"): how long a tick takes
//! to decode and judge N margin accounts with the program's health code.

use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, AccountSerialize, AnchorDeserialize, Space};
use zero_loss::engine::fixed::Fp;
use zero_loss::oracle::MarketPrices;
use zero_loss::state::{AccountStatus, MarginAccount, Market, RiskParams, Zone};

use crate::feed::Feed;
use crate::keeper::{judge, ZoneCounts};

/// What a bench run measured.
#[derive(Clone, Debug)]
pub struct BenchScan {
    pub accounts: usize,
    /// Each run's time to decode and judge every account.
    pub runs: Vec<Duration>,
    /// The zones of one run.
    pub zones: ZoneCounts,
}

impl BenchScan {
    /// (min, median, max) of the runs, scaled to 10,000 accounts.
    pub fn per_10k(&self) -> (Duration, Duration, Duration) {
        let mut v: Vec<Duration> = self
            .runs
            .iter()
            .map(|d| d.mul_f64(10_000.0 / self.accounts.max(1) as f64))
            .collect();
        v.sort();
        (v[0], v[v.len() / 2], v[v.len() - 1])
    }
}

/// A market with the shipped parameters at index 1.0: 9-decimal collateral
/// against a 6-decimal debt asset.
fn market() -> Market {
    let mut m = Market::deserialize(&mut &vec![0u8; Market::INIT_SPACE][..])
        .expect("a zeroed market deserializes");
    m.open_book();
    m.params = RiskParams::example();
    m.borrow_index = Fp::ONE.0;
    m.collateral_decimals = 9;
    m.debt_decimals = 6;
    m
}

/// $100 a collateral unit, debt units per collateral base unit, the same on
/// every basis (a calm market).
fn prices() -> MarketPrices {
    let p = Fp(100_000_000_000_000_000); // 100e6 / 1e9 = 0.1
    MarketPrices {
        trigger: p,
        spot: p,
        spot_mid: p,
        ema_mid: p,
        held: p,
        low: p,
        conf_ratio: Fp::ZERO,
        collateral_time: 0,
        debt_time: 0,
    }
}

/// A margin account of `market` as the program stores it (discriminator and all), active,
/// with `collateral` and `debt_shares`: the synthetic account of the bench and the tests.
pub fn margin_bytes(market: Pubkey, collateral: u64, debt_shares: u64) -> Vec<u8> {
    let m = MarginAccount {
        version: 1,
        bump: 255,
        status: AccountStatus::Active,
        last_zone: Zone::Healthy,
        open_auctions: 0,
        market,
        owner: Default::default(),
        collateral,
        debt_shares,
        last_ltv_bps: 0,
        last_health_ts: 0,
        reserved: [0; 70],
    };
    let mut data = Vec::with_capacity(MarginAccount::SIZE);
    m.try_serialize(&mut data).expect("serializes");
    data
}

/// `n` margin accounts as the program stores them (discriminator and all):
/// collateral 1-100 units, LTVs from 10% to 99% at $100, deterministic.
fn accounts(n: usize) -> Vec<Vec<u8>> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let collateral = (1 + next() % 100) * 1_000_000_000;
            let ltv_bps = 1_000 + next() % 8_900;
            // Debt at index 1: collateral x $100 x LTV, in 6-decimal units.
            let debt = collateral / 10 * ltv_bps / 10_000;
            margin_bytes(Default::default(), collateral, debt)
        })
        .collect()
}

/// Decodes and judges `n` synthetic accounts `repeat` times. With `feed`, the accounts are
/// held as the subscription path holds them ([`Feed`], one entry an account) and each run
/// also finds the market's accounts in it and copies each out, as a tick reads them.
pub fn run(n: usize, repeat: usize, feed: bool) -> anyhow::Result<BenchScan> {
    anyhow::ensure!(n > 0, "--accounts must be positive");
    anyhow::ensure!(repeat > 0, "--repeat must be positive");
    let (market, prices) = (market(), prices());
    let mut data = accounts(n);
    let held = feed.then(|| {
        let f = Feed::new();
        for bytes in data.drain(..) {
            let acc = solana_account::Account {
                lamports: 1,
                data: bytes,
                owner: zero_loss::ID,
                executable: false,
                rent_epoch: 0,
            };
            f.apply(Pubkey::new_unique(), 1, Some(acc));
        }
        f
    });
    let mut runs = Vec::with_capacity(repeat);
    let mut zones = ZoneCounts::default();
    let judge_bytes = |bytes: &[u8], counts: &mut ZoneCounts| -> anyhow::Result<()> {
        let m = MarginAccount::try_deserialize(&mut &bytes[..])
            .map_err(|e| anyhow::anyhow!("decode: {e}"))?;
        let j = judge(&market, &m, &prices)?;
        counts.add(j.health.zone);
        Ok(())
    };
    for _ in 0..repeat {
        let mut counts = ZoneCounts::default();
        let started = Instant::now();
        match &held {
            Some(f) => {
                let keys = f.margin_accounts(&Default::default());
                anyhow::ensure!(keys.len() == n, "the feed holds {} of {n}", keys.len());
                for k in &keys {
                    let acc = f.get(k).expect("held");
                    judge_bytes(&acc.data, &mut counts)?;
                }
            }
            None => {
                for bytes in &data {
                    judge_bytes(bytes, &mut counts)?;
                }
            }
        }
        runs.push(started.elapsed());
        zones = counts;
    }
    Ok(BenchScan {
        accounts: n,
        runs,
        zones,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_account_is_judged_and_the_ltv_spread_reaches_every_zone() {
        let b = run(2_000, 2, false).unwrap();
        let z = b.zones;
        assert_eq!(z.healthy + z.buffer + z.distressed + z.emergency, 2_000);
        // LTVs from 10% to 99% against an 80% threshold (100% for an emergency).
        assert!(
            z.healthy > 1_000 && z.buffer > 0 && z.distressed > 0,
            "{z:?}"
        );
        assert_eq!(b.runs.len(), 2);
        let (min, median, max) = b.per_10k();
        assert!(min <= median && median <= max);
        // Through the subscription path's copy: the same judgements.
        let f = run(2_000, 1, true).unwrap();
        assert_eq!(f.zones, b.zones);
    }
}
