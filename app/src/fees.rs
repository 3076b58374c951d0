//! The priority fee a keeper transaction bids (docs/keeper.md, "Design: running it as an
//! operator"): a percentile of the recent fees paid on the market's writable accounts
//! (`getRecentPrioritizationFees`), between a floor and a cap.

use serde::Deserialize;

/// Micro-lamports per compute unit, and how they are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeePolicy {
    /// Percentile (0-100) of the recent samples to pay.
    pub percentile: u8,
    /// Never less than this (also what is paid with no samples).
    pub floor: u64,
    /// Never more than this.
    pub cap: u64,
    /// Each resend after a transport failure bids this many percent more, still capped.
    pub retry_bump_pct: u64,
}

impl Default for FeePolicy {
    fn default() -> FeePolicy {
        FeePolicy {
            percentile: 75,
            floor: 1_000,
            cap: 1_000_000,
            retry_bump_pct: 50,
        }
    }
}

/// The most addresses `getRecentPrioritizationFees` takes.
pub const MAX_FEE_ADDRESSES: usize = 128;

impl FeePolicy {
    /// A fixed fee: floor and cap both `fee` (the `--priority-fee` flag).
    pub fn fixed(fee: u64) -> FeePolicy {
        FeePolicy {
            floor: fee,
            cap: fee,
            ..FeePolicy::default()
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.percentile <= 100, "fees.percentile must be 0-100");
        anyhow::ensure!(
            self.floor <= self.cap,
            "fees.floor ({}) is above fees.cap ({})",
            self.floor,
            self.cap
        );
        Ok(())
    }

    /// The fee to bid from the per-slot samples (any order): the nearest-rank
    /// percentile, rounded up to the next sample, within `[floor, cap]`.
    pub fn pick(&self, samples: &[u64]) -> u64 {
        if samples.is_empty() {
            return self.floor;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        // Nearest rank: the smallest sample at or above `percentile`% of them.
        let rank = (n * self.percentile as usize).div_ceil(100).max(1);
        sorted[rank - 1].clamp(self.floor, self.cap)
    }

    /// The fee of resend `attempt` (0: the first send): `base` raised by
    /// `retry_bump_pct` each time, capped.
    pub fn bumped(&self, base: u64, attempt: u32) -> u64 {
        let mut fee = base as u128;
        for _ in 0..attempt {
            fee = fee * (100 + self.retry_bump_pct as u128) / 100;
            if fee >= self.cap as u128 {
                break;
            }
        }
        (fee.min(self.cap as u128) as u64).max(self.floor)
    }
}

/// What a transaction pays in lamports: 5,000 a signature and the priority fee
/// on the requested units, rounded up as the runtime does.
pub fn lamports_paid(signatures: u64, cu_limit: u32, micro_lamports_per_cu: u64) -> u64 {
    let priority = (cu_limit as u128 * micro_lamports_per_cu as u128).div_ceil(1_000_000);
    signatures
        .saturating_mul(5_000)
        .saturating_add(priority.min(u64::MAX as u128) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recorded responses (app/tests/fixtures/priority-fees, SOURCES.md there).
    fn samples(name: &str) -> Vec<u64> {
        let path = format!(
            "{}/tests/fixtures/priority-fees/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let fees: Vec<solana_rpc_client_types::response::RpcPrioritizationFee> =
            serde_json::from_value(v["result"].clone()).unwrap();
        fees.into_iter().map(|f| f.prioritization_fee).collect()
    }

    #[test]
    fn the_documented_response_gives_its_percentiles() {
        // solana.com's example: 0, 1000, 500, 0, 1234.
        let s = samples("solana-docs-example.json");
        assert_eq!(s.len(), 5);
        let p = |percentile| FeePolicy {
            percentile,
            floor: 0,
            cap: u64::MAX,
            retry_bump_pct: 0,
        };
        assert_eq!(p(0).pick(&s), 0);
        assert_eq!(p(40).pick(&s), 0);
        assert_eq!(p(50).pick(&s), 500);
        assert_eq!(p(75).pick(&s), 1_000);
        assert_eq!(p(100).pick(&s), 1_234);
        // The floor lifts a quiet market's fee; the cap holds a hot one.
        assert_eq!(
            FeePolicy {
                floor: 700,
                ..p(50)
            }
            .pick(&s),
            700
        );
        assert_eq!(FeePolicy { cap: 900, ..p(100) }.pick(&s), 900);
    }

    #[test]
    fn an_idle_window_pays_the_floor() {
        // 150 slots of zeros, as a quiet account's window comes back.
        let s = samples("idle-150-slots.json");
        assert_eq!(s.len(), 150);
        assert_eq!(FeePolicy::default().pick(&s), FeePolicy::default().floor);
        assert_eq!(FeePolicy::default().pick(&[]), FeePolicy::default().floor);
    }

    #[test]
    fn a_contested_window_follows_the_percentile_up_to_the_cap() {
        let s = samples("contested-150-slots.json");
        assert_eq!(s.len(), 150);
        let policy = FeePolicy {
            cap: u64::MAX,
            ..FeePolicy::default()
        };
        let p50 = FeePolicy {
            percentile: 50,
            ..policy
        }
        .pick(&s);
        let p75 = policy.pick(&s);
        let p95 = FeePolicy {
            percentile: 95,
            ..policy
        }
        .pick(&s);
        assert!(p50 < p75 && p75 < p95, "{p50} {p75} {p95}");
        // The nearest rank: at least that share of the samples are at or below it.
        let at_or_below = |fee: u64| s.iter().filter(|&&x| x <= fee).count() * 100;
        assert!(at_or_below(p75) >= 75 * s.len());
        assert!(at_or_below(p75 - 1) < 75 * s.len());
        assert_eq!(
            FeePolicy::default().pick(&s),
            p75.min(FeePolicy::default().cap)
        );
        let capped = FeePolicy { cap: p50, ..policy };
        assert_eq!(capped.pick(&s), p50);
    }

    #[test]
    fn resends_bid_more_but_never_past_the_cap() {
        let policy = FeePolicy {
            percentile: 75,
            floor: 100,
            cap: 10_000,
            retry_bump_pct: 50,
        };
        assert_eq!(policy.bumped(4_000, 0), 4_000);
        assert_eq!(policy.bumped(4_000, 1), 6_000);
        assert_eq!(policy.bumped(4_000, 2), 9_000);
        assert_eq!(policy.bumped(4_000, 3), 10_000);
        assert_eq!(policy.bumped(4_000, 30), 10_000);
        assert_eq!(policy.bumped(0, 5), 100);
        assert!(FeePolicy {
            floor: 2,
            cap: 1,
            ..policy
        }
        .validate()
        .is_err());
        assert!(FeePolicy {
            percentile: 101,
            ..policy
        }
        .validate()
        .is_err());
    }

    #[test]
    fn a_transaction_pays_signatures_and_its_requested_units() {
        // A partial liquidation's 60,300 units at 10,000 micro-lamports: 603 lamports.
        assert_eq!(lamports_paid(1, 60_300, 10_000), 5_603);
        // Rounded up, as the runtime charges.
        assert_eq!(lamports_paid(1, 1, 1), 5_001);
        assert_eq!(lamports_paid(2, 0, u64::MAX), 10_000);
    }
}
