//! The pause budget: at most [`BUDGET_SECS`] paused in any [`WINDOW_SECS`].
//!
//! A credit of pause time, in seconds, held at most [`CREDIT_CAP_SECS`]
//! (one pause's longest run) and earning the rest of the budget over the
//! window: `(BUDGET_SECS - CREDIT_CAP_SECS) / WINDOW_SECS` a second, paused
//! or not. Every second paused spends one. In any window the paused time is
//! at most the credit at its start plus what accrues within it, so at most
//! `CREDIT_CAP_SECS + (BUDGET_SECS - CREDIT_CAP_SECS) = BUDGET_SECS`. A
//! pause runs until its credit would be spent, never longer than the cap;
//! a renewal spends what the running pause used first.

/// The window the budget holds over: 30 days.
pub const WINDOW_SECS: i64 = 30 * 86_400;
/// The most paused in any window: 14 days.
pub const BUDGET_SECS: i64 = 14 * 86_400;
/// The most credit held, and the longest one pause runs: a week.
pub const CREDIT_CAP_SECS: i64 = 7 * 86_400;

/// The credit and when it was last brought up to date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Credit {
    pub secs: i64,
    pub at: i64,
}

impl Credit {
    /// A full credit at `now` (a new protocol).
    pub fn full(now: i64) -> Credit {
        Credit {
            secs: CREDIT_CAP_SECS,
            at: now,
        }
    }

    /// The credit at `now`, given that a pause ran from `self.at` until
    /// `paused_until` (`None`: nothing paused): accrual since `at`, rounded
    /// down (the admin's credit, never the users'), less the seconds paused,
    /// capped at [`CREDIT_CAP_SECS`], never negative.
    pub fn at_time(self, now: i64, paused_until: Option<i64>) -> Credit {
        if now <= self.at {
            return self;
        }
        let elapsed = (now - self.at) as i128;
        let accrued = elapsed * (BUDGET_SECS - CREDIT_CAP_SECS) as i128 / WINDOW_SECS as i128;
        let used = paused_until.map_or(0, |end| (end.min(now) - self.at).max(0)) as i128;
        let secs = (self.secs as i128 + accrued - used).clamp(0, CREDIT_CAP_SECS as i128);
        Credit {
            secs: secs as i64,
            at: now,
        }
    }

    /// When a pause set at `self.at` lapses: after the credit it can spend,
    /// `None` when there is none left.
    pub fn pause_until(self) -> Option<i64> {
        (self.secs > 0).then(|| self.at + self.secs.min(CREDIT_CAP_SECS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 86_400;

    #[test]
    fn a_full_credit_pauses_a_week_then_earns_the_rest() {
        let c = Credit::full(0);
        assert_eq!(c.pause_until(), Some(7 * DAY));
        // Renewed at once when the week lapses: nothing left.
        let c = c.at_time(7 * DAY, Some(7 * DAY));
        // Seven days earned 7 * 7 / 30 days of credit.
        assert_eq!(c.secs, 7 * DAY * 7 / 30);
        assert_eq!(c.pause_until(), Some(7 * DAY + c.secs));
        // Spent to the end: nothing left until time passes.
        let end = c.pause_until().unwrap();
        let c = c.at_time(end, Some(end));
        assert!(c.secs < DAY, "{}", c.secs);
        let spent = c.at_time(end, Some(end));
        assert_eq!(spent.at_time(end, None), spent);
    }

    #[test]
    fn an_unpaused_protocol_earns_back_to_the_cap() {
        let c = Credit { secs: 0, at: 0 };
        assert_eq!(c.pause_until(), None);
        assert_eq!(c.at_time(WINDOW_SECS, None).secs, CREDIT_CAP_SECS);
        assert_eq!(c.at_time(10 * WINDOW_SECS, None).secs, CREDIT_CAP_SECS);
    }

    proptest! {
        /// Whatever the admin does (pause, renew early or late, unpause, at
        /// any times), no 30-day window holds more than 14 days paused.
        #[test]
        fn no_window_holds_more_than_the_budget(
            calls in proptest::collection::vec((1i64..10 * DAY, any::<bool>()), 1..60)
        ) {
            let mut credit = Credit::full(0);
            let mut until: Option<i64> = None;
            let mut intervals: Vec<(i64, i64)> = vec![];
            let mut now = 0;
            for (gap, pause) in calls {
                now += gap;
                credit = credit.at_time(now, until);
                if let Some(u) = until {
                    // What ran of the last pause.
                    let start = intervals.last().unwrap().0;
                    intervals.last_mut().unwrap().1 = u.min(now).max(start);
                }
                until = if pause { credit.pause_until() } else { None };
                if let Some(u) = until {
                    prop_assert!(u - now <= CREDIT_CAP_SECS);
                    intervals.push((now, u));
                }
            }
            // Every window starting at an interval's start (where the most
            // paused time can begin) holds at most the budget.
            for &(s, _) in &intervals {
                let w = s + WINDOW_SECS;
                let paused: i64 = intervals
                    .iter()
                    .map(|&(a, b)| (b.min(w) - a.max(s)).max(0))
                    .sum();
                prop_assert!(paused <= BUDGET_SECS, "{paused} s in the window from {s}");
            }
        }
    }
}
