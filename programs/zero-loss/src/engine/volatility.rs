//! Realized volatility and the volatility buffer.
//!
//! `variance` is an exponentially weighted average of squared simple returns
//! per second, sampled at each oracle publish time the market refresh sees.
//! A sample spanning `dt` seconds gets weight `alpha = dt / (dt + window)`:
//! the continuous-time EWMA with time constant `window`, to first order, with
//! no exponentials to evaluate on chain. The buffer is
//! `b = clamp(z * sqrt(variance * T), b_min, b_max)` with `T` the recovery
//! duration: the move the price can make, at `z` standard deviations, while
//! the engine unwinds a position.

use super::error::MathError;
use super::fixed::Fp;

/// The stored volatility state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VolState {
    /// EWMA of squared returns per second (a WAD fraction per second).
    pub variance: Fp,
    /// The last sampled price (zero before the first sample).
    pub last_price: Fp,
    /// The publish time of that sample (unix seconds).
    pub last_time: i64,
}

/// The least time between two samples, seconds. A burst of refreshes, in
/// any order of genuine updates, adds at most one sample per interval, and
/// each sample's return spans at least this long, so no sequence of calls
/// moves the estimate more than one honest refresh per interval would.
pub const MIN_SAMPLE_SECS: i64 = 30;

/// Feeds one sample taken at `time`, the publish time of the feed that
/// carries the move (the collateral's). A sample less than
/// [`MIN_SAMPLE_SECS`] after the last one (or older than it) is ignored.
pub fn update(s: VolState, price: Fp, time: i64, window_secs: u64) -> Result<VolState, MathError> {
    if s.last_price == Fp::ZERO {
        return Ok(VolState {
            variance: s.variance,
            last_price: price,
            last_time: time,
        });
    }
    if time < s.last_time.saturating_add(MIN_SAMPLE_SECS) {
        return Ok(s);
    }
    let dt = (time - s.last_time) as u128;
    // Simple return |p1 - p0| / p0, squared; rounded up (more volatility is
    // the conservative error).
    let ret = super::price::divergence_ceil(price, s.last_price)?;
    let sample = ret.mul_ceil(ret)?.0.div_ceil(dt);
    let sample = Fp(sample);
    let den = dt
        .checked_add(window_secs as u128)
        .ok_or(MathError::Overflow)?;
    let variance = if sample >= s.variance {
        let step = Fp(super::fixed::mul_div_ceil(
            sample.0 - s.variance.0,
            dt,
            den,
        )?);
        s.variance.checked_add(step)?
    } else {
        let step = Fp(super::fixed::mul_div_floor(
            s.variance.0 - sample.0,
            dt,
            den,
        )?);
        s.variance.checked_sub(step)?
    };
    Ok(VolState {
        variance,
        last_price: price,
        last_time: time,
    })
}

/// Parameters of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferParams {
    /// Standard deviations to cover.
    pub z: Fp,
    /// Recovery duration `T` in seconds.
    pub recovery_secs: u64,
    pub b_min: Fp,
    pub b_max: Fp,
}

/// `clamp(z * sqrt(variance * T), b_min, b_max)`, rounded up.
pub fn buffer(variance: Fp, p: &BufferParams) -> Result<Fp, MathError> {
    let var_t = Fp(variance.0.saturating_mul(p.recovery_secs as u128));
    // sqrt rounds down; add one unit so the buffer is never understated.
    let sigma_t = Fp(var_t.sqrt_floor()?.0.saturating_add(1));
    let b = p.z.mul_ceil(sigma_t).unwrap_or(p.b_max);
    Ok(b.max(p.b_min).min(p.b_max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params() -> BufferParams {
        BufferParams {
            z: Fp::from_int(2).unwrap(),
            recovery_secs: 3_600,
            b_min: Fp::from_bps(100),
            b_max: Fp::from_bps(1_000),
        }
    }

    #[test]
    fn first_sample_only_seeds_the_price() {
        let s = update(VolState::default(), Fp::ONE, 100, 3_600).unwrap();
        assert_eq!(s.variance, Fp::ZERO);
        assert_eq!(s.last_price, Fp::ONE);
        assert_eq!(s.last_time, 100);
    }

    #[test]
    fn a_known_move_gives_the_expected_variance() {
        // One 1% move over 60 s with a 3540 s window: alpha = 60/3600.
        let s0 = VolState {
            variance: Fp::ZERO,
            last_price: Fp::ONE,
            last_time: 0,
        };
        let s1 = update(s0, Fp::from_bps(10_100), 60, 3_540).unwrap();
        // sample = 1e-4 / 60 per s; variance = sample / 60.
        let expect = 1e-4 / 60.0 / 60.0;
        let got = s1.variance.0 as f64 / 1e18;
        assert!((got - expect).abs() / expect < 1e-9, "{got} vs {expect}");
    }

    #[test]
    fn stale_samples_are_ignored() {
        let s0 = VolState {
            variance: Fp(5),
            last_price: Fp::ONE,
            last_time: 10,
        };
        assert_eq!(update(s0, Fp::from_int(2).unwrap(), 10, 60).unwrap(), s0);
        assert_eq!(update(s0, Fp::from_int(2).unwrap(), 9, 60).unwrap(), s0);
        // Within the minimum interval: no sample either.
        let soon = 10 + MIN_SAMPLE_SECS - 1;
        assert_eq!(update(s0, Fp::from_int(2).unwrap(), soon, 60).unwrap(), s0);
        assert_ne!(
            update(s0, Fp::from_int(2).unwrap(), soon + 1, 60).unwrap(),
            s0
        );
    }

    #[test]
    fn buffer_is_clamped() {
        assert_eq!(buffer(Fp::ZERO, &params()).unwrap(), Fp::from_bps(100));
        assert_eq!(
            buffer(Fp(u128::MAX / 2), &params()).unwrap(),
            Fp::from_bps(1_000)
        );
        // sigma = 0.001 per sqrt(s): sqrt(1e-6 * 3600) = 0.06; z=2 -> 0.12 -> capped 0.10.
        assert_eq!(
            buffer(Fp(1_000_000_000_000), &params()).unwrap(),
            Fp::from_bps(1_000)
        );
        // sigma^2 = 1e-8: sqrt(3.6e-5) = 0.0060; *2 = 0.012.
        let b = buffer(Fp(10_000_000_000), &params()).unwrap();
        assert!(b > Fp::from_bps(119) && b <= Fp::from_bps(121), "{b:?}");
    }

    proptest! {
        #[test]
        fn variance_moves_toward_the_sample(
            v in 0u128..(1u128 << 80), p0 in 1u128..(1u128 << 80), p1 in 1u128..(1u128 << 80),
            dt in MIN_SAMPLE_SECS..100_000, w in 1u64..1_000_000,
        ) {
            let s0 = VolState { variance: Fp(v), last_price: Fp(p0), last_time: 1 };
            let s1 = update(s0, Fp(p1), 1 + dt, w).unwrap();
            if p1 == p0 {
                prop_assert!(s1.variance <= s0.variance);
            }
            prop_assert_eq!(s1.last_time, 1 + dt);
        }

        /// A burst of samples, any prices, times in any order within one
        /// interval of the last sample, adds at most one sample: the
        /// variance ends no higher than after the burst's worst single move.
        #[test]
        fn a_burst_adds_at_most_one_sample(
            v in 0u128..(1u128 << 60), burst in proptest::collection::vec((1u128..(1u128 << 70), 0i64..2 * MIN_SAMPLE_SECS), 1..60),
        ) {
            let s0 = VolState { variance: Fp(v), last_price: Fp::ONE, last_time: 1_000 };
            let mut s = s0;
            let mut taken = 0;
            for (p, dt) in &burst {
                let next = update(s, Fp(*p), 1_000 + dt, 3_600).unwrap();
                if next != s {
                    taken += 1;
                    prop_assert!(next.last_time >= s.last_time + MIN_SAMPLE_SECS);
                }
                s = next;
            }
            // Every time in the burst is under two intervals past the start.
            prop_assert!(taken <= 1, "{} samples", taken);
        }

        #[test]
        fn buffer_is_monotone_and_bounded(a in 0u128..(1u128 << 100), b in 0u128..(1u128 << 100)) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let bl = buffer(Fp(lo), &params()).unwrap();
            let bh = buffer(Fp(hi), &params()).unwrap();
            prop_assert!(bl <= bh);
            prop_assert!(bl >= Fp::from_bps(100) && bh <= Fp::from_bps(1_000));
        }
    }
}
