//! The held spot price: the highest spot reading the market has seen over
//! at least the last `persist` seconds (docs/liquidation.md, "Persistence").
//!
//! A spot-based liquidation decision (the emergency test, a partial on an
//! account the EMA trigger still calls healthy) and an auction's floor read
//! this price, not the instantaneous one. It is a maximum, so a low reading
//! can only lower it once every reading the market has seen for longer than
//! `persist` seconds is at least as low: a one-reading wick, or one shorter
//! than `persist`, moves nothing.
//!
//! Two buckets keep it without a ring buffer. Each holds the highest reading
//! since its start (a publish time). A reading more than `persist` seconds
//! after the current bucket's start opens a new bucket and the current one
//! becomes the previous; the held price is the higher of the two, defined
//! only once a previous bucket exists, and then covers every reading since
//! the previous bucket's start: more than `persist` and less than `3 *
//! persist` seconds (a bucket rolls at the first reading more than `persist`
//! after its start, which can come almost `2 * persist` after it). A longer span only raises the maximum (the side of the
//! borrower, whose account it protects). A silence longer than `persist`
//! (no reading the market saw) is no evidence that a breach held: the
//! window starts again from the next reading.
//!
//! Each bucket also keeps its lowest reading: [`Window::low`], the lowest
//! reading over the same span, is what an LP exit values collateral at, so
//! an exit cannot present an older, higher reading to lighten its
//! mark-down while a lower one sits in the window.

use super::fixed::Fp;

/// One bucket: the highest and lowest prices seen since `start` (0 when
/// empty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    pub max: Fp,
    pub min: Fp,
    pub start: i64,
}

impl Bucket {
    pub fn is_empty(&self) -> bool {
        self.max == Fp::ZERO
    }
}

/// The two buckets and the publish time of the newest reading seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub prev: Bucket,
    pub cur: Bucket,
    pub last: i64,
}

impl Window {
    /// The window after a reading of `price` published at `time`. Readings
    /// arrive in publish order (the market refuses older ones); one within
    /// `persist` seconds of the current bucket's start joins it.
    pub fn record(self, time: i64, price: Fp, persist: u32) -> Window {
        let persist = persist as i64;
        let fresh = Bucket {
            max: price,
            min: price,
            start: time,
        };
        if self.cur.is_empty() || time.saturating_sub(self.last) > persist {
            return Window {
                prev: Bucket::default(),
                cur: fresh,
                last: time,
            };
        }
        if time.saturating_sub(self.cur.start) > persist {
            return Window {
                prev: self.cur,
                cur: fresh,
                last: time,
            };
        }
        Window {
            prev: self.prev,
            cur: Bucket {
                max: self.cur.max.max(price),
                min: self.cur.min.min(price),
                start: self.cur.start,
            },
            last: time,
        }
    }

    /// The held price: the highest reading since the previous bucket's
    /// start, or `None` until the market has seen readings spanning more
    /// than `persist` seconds.
    pub fn held(&self) -> Option<Fp> {
        if self.prev.is_empty() || self.cur.is_empty() {
            return None;
        }
        Some(self.prev.max.max(self.cur.max))
    }

    /// The lowest reading since the previous bucket's start (the current
    /// bucket's alone while there is no previous one); `None` before any
    /// reading.
    pub fn low(&self) -> Option<Fp> {
        if self.cur.is_empty() {
            return None;
        }
        if self.prev.is_empty() {
            return Some(self.cur.min);
        }
        Some(self.prev.min.min(self.cur.min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(x: u64) -> Fp {
        Fp::from_int(x as u128).unwrap()
    }

    fn run(readings: &[(i64, u64)], persist: u32) -> Window {
        readings
            .iter()
            .fold(Window::default(), |w, &(t, x)| w.record(t, p(x), persist))
    }

    #[test]
    fn nothing_is_held_until_the_readings_span_more_than_persist() {
        let w = run(&[(0, 100), (60, 90), (120, 80)], 120);
        assert_eq!(w.held(), None, "120 s is not more than 120 s");
        let w = w.record(121, p(80), 120);
        assert_eq!(w.held(), Some(p(100)));
    }

    #[test]
    fn a_silence_longer_than_persist_starts_the_window_again() {
        let w = run(&[(0, 100), (100, 100), (200, 100)], 120);
        assert_eq!(w.held(), Some(p(100)));
        let w = w.record(400, p(70), 120);
        assert_eq!(w.held(), None, "nothing seen for 200 s");
        let w = w.record(500, p(70), 120);
        assert_eq!(w.held(), None);
        let w = w.record(521, p(70), 120);
        assert_eq!(w.held(), Some(p(70)), "70 on every reading for 121 s");
    }

    #[test]
    fn a_wick_shorter_than_persist_never_lowers_the_held_price() {
        // Readings every 10 s at 100, a 20% wick lasting 110 s, then 100.
        let mut w = Window::default();
        for t in (0..=600).step_by(10) {
            let x = if (300..=410).contains(&t) { 80 } else { 100 };
            w = w.record(t, p(x), 120);
            if t > 120 {
                assert_eq!(w.held(), Some(p(100)), "t = {t}");
            }
        }
    }

    #[test]
    fn a_fall_that_lasts_is_held_after_persist_and_before_twice_persist() {
        let mut w = run(&[(0, 100), (130, 100)], 120);
        let mut first_low = None;
        for t in (140..=600).step_by(10) {
            w = w.record(t, p(70), 120);
            if w.held() == Some(p(70)) && first_low.is_none() {
                first_low = Some(t);
            }
        }
        let at = first_low.expect("the fall is held");
        assert!(
            at - 140 > 120 && at - 140 <= 250,
            "held after {} s",
            at - 140
        );
    }

    proptest! {
        /// The held price is the maximum of every reading since a time more
        /// than `persist` seconds before the newest, with no silence longer
        /// than `persist` in between: never below the true maximum over the
        /// last `persist` seconds.
        #[test]
        fn held_covers_the_last_persist_seconds(
            steps in proptest::collection::vec((1i64..200, 1u64..1_000), 1..60),
            persist in 1u32..300,
        ) {
            let mut t = 0;
            let mut seen: Vec<(i64, u64)> = Vec::new();
            let mut w = Window::default();
            for (dt, x) in steps {
                t += dt;
                seen.push((t, x));
                w = w.record(t, p(x), persist);
                if let Some(h) = w.held() {
                    let recent = seen.iter().filter(|(s, _)| t - s <= persist as i64).map(|r| r.1).max().unwrap();
                    prop_assert!(h >= p(recent));
                    // And it spans more than persist seconds of readings.
                    prop_assert!(t - w.prev.start > persist as i64);
                    let span: Vec<i64> = seen.iter().map(|r| r.0).filter(|s| *s >= w.prev.start).collect();
                    prop_assert!(span.windows(2).all(|g| g[1] - g[0] <= persist as i64));
                    let since = seen.iter().filter(|(s, _)| *s >= w.prev.start).map(|r| r.1).max().unwrap();
                    prop_assert_eq!(h, p(since));
                }
                // The low: the lowest reading over the same span, never
                // above the newest reading (what an exit presents).
                let start = if w.prev.is_empty() { w.cur.start } else { w.prev.start };
                let lowest = seen.iter().filter(|(s, _)| *s >= start).map(|r| r.1).min().unwrap();
                prop_assert_eq!(w.low(), Some(p(lowest)));
                prop_assert!(w.low().unwrap() <= p(x));
            }
        }
    }
}
