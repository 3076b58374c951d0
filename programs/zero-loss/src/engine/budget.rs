//! The liquidity budget: a token bucket in debt units that paces unwinding
//! to what the collateral's market depth can absorb.

/// The bucket's stored state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Debt units available now.
    pub level: u64,
    /// When `level` was last brought up to date, unix seconds.
    pub last_ts: i64,
}

/// Brings the bucket up to `now`: `level + rate * dt`, capped at `capacity`.
pub fn refill(b: Bucket, now: i64, capacity: u64, rate_per_sec: u64) -> Bucket {
    if now <= b.last_ts {
        return Bucket {
            level: b.level.min(capacity),
            last_ts: b.last_ts,
        };
    }
    let dt = (now - b.last_ts) as u64;
    let level = b
        .level
        .saturating_add(rate_per_sec.saturating_mul(dt))
        .min(capacity);
    Bucket {
        level,
        last_ts: now,
    }
}

/// Draws `amount` (the caller has checked it is available, or accepts a
/// saturating draw as the emergency path does).
pub fn draw(b: Bucket, amount: u64) -> Bucket {
    Bucket {
        level: b.level.saturating_sub(amount),
        last_ts: b.last_ts,
    }
}

/// Whether the bucket is exhausted: too low for even a dust-sized unwind.
pub fn exhausted(b: Bucket, min_position: u64) -> bool {
    b.level < min_position.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refills_at_the_rate_up_to_capacity() {
        let b = Bucket {
            level: 10,
            last_ts: 100,
        };
        assert_eq!(
            refill(b, 105, 1_000, 7),
            Bucket {
                level: 45,
                last_ts: 105
            }
        );
        assert_eq!(refill(b, 10_000, 1_000, 7).level, 1_000);
        assert_eq!(refill(b, 50, 1_000, 7), b, "time never runs backwards");
        assert_eq!(draw(b, 25).level, 0);
        assert!(exhausted(
            Bucket {
                level: 9,
                last_ts: 0
            },
            10
        ));
    }

    proptest! {
        #[test]
        fn level_stays_within_capacity(level in any::<u64>(), dt in 0i64..1_000_000_000, cap in 1u64..u64::MAX, rate in any::<u64>()) {
            let b = refill(Bucket { level: level.min(cap), last_ts: 0 }, dt, cap, rate);
            prop_assert!(b.level <= cap);
            prop_assert!(b.level >= level.min(cap));
        }
    }
}
