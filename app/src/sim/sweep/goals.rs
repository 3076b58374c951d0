//! The engine's goals in a sweep run, the misses with their numbers, and what the run's
//! own figures say about why; the number formats the sweep's page and plot share.

use crate::sim::ledger::MechanismMetrics;
use crate::sim::report::Report;
use crate::sim::Mechanism;

/// Runs at a depth ratio below this are shown but not checked against the goals.
pub const GOAL_MIN_DEPTH: f64 = 0.5;
/// Goal: the engine's mean borrower cost at most this, % of debt repaid.
pub const GOAL_COST_MEAN_PCT: f64 = 2.0;
/// Goal: the engine's 95th-percentile borrower cost at most this, % of debt repaid.
pub const GOAL_COST_P95_PCT: f64 = 5.0;
/// Goal: the engine sends at most this many times Aave v3's transactions.
pub const GOAL_TX_VS_AAVE: f64 = 2.0;
/// Slack for float noise in the goal comparisons.
const EPS: f64 = 1e-9;

/// Whether the goals apply to a run at depth ratio `d`.
pub(super) fn checked(d: f64) -> bool {
    d >= GOAL_MIN_DEPTH
}

/// The engine's bad debt plus protocol loss, % of initial debt.
pub(super) fn loss(m: &MechanismMetrics) -> f64 {
    m.bad_debt_pct + m.protocol_loss_pct
}

/// A metric with 2 decimals; "n/a" when it is not a number.
pub(super) fn num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let s = format!("{v:.2}");
    if s == "-0.00" {
        "0.00".to_string()
    } else {
        s
    }
}

/// A setting or depth ratio as written on the command line (1, 0.5, 60).
pub(super) fn setting(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "n/a".to_string()
    }
}

/// A number for a goal message: 2 decimals, more when that would show a non-zero as 0.
fn goal_num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && v.abs() < 0.005 {
        format!("{v:.2e}")
    } else {
        num(v)
    }
}

/// A percentage for a goal message ("0.25%"), "n/a" when it is not a number.
fn goal_pct(v: f64) -> String {
    if v.is_finite() {
        format!("{}%", goal_num(v))
    } else {
        "n/a".to_string()
    }
}

/// The best rival on one metric (lowest), with its value; `None` when no rival ran.
pub fn best_rival(r: &Report, get: impl Fn(&MechanismMetrics) -> f64) -> Option<(Mechanism, f64)> {
    best_rival_among(r, get, |_| true)
}

/// The best rival on a borrower-cost metric: among the rivals that liquidated someone (one
/// that liquidated no one has no cost to compare: its 0 is no figure).
pub fn best_rival_cost(
    r: &Report,
    get: impl Fn(&MechanismMetrics) -> f64,
) -> Option<(Mechanism, f64)> {
    best_rival_among(r, get, |x| x.accounts_liquidated > 0)
}

fn best_rival_among(
    r: &Report,
    get: impl Fn(&MechanismMetrics) -> f64,
    keep: impl Fn(&MechanismMetrics) -> bool,
) -> Option<(Mechanism, f64)> {
    r.mechanisms
        .iter()
        .filter(|(m, x)| m.is_rival() && keep(x))
        .map(|(m, x)| (*m, get(x)))
        .filter(|(_, v)| v.is_finite())
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// Where the engine misses its goals in `r`, one message with the numbers per miss (empty
/// when it meets them all). Against the rivals (every mechanism but the engine and the
/// strawman), the best of them on each metric separately:
///
/// - bad debt + protocol loss no higher than the best rival's;
/// - LPs lose nothing wherever any rival's LPs lose nothing;
/// - mean borrower cost no higher than the best rival's (among rivals that liquidated
///   someone) and at most 2%; the 95th percentile at most 5%;
/// - `wrongful_value_pct` no higher than Aave v3's;
/// - at most twice Aave v3's transactions.
///
/// The results page checks runs at depth ratio [`GOAL_MIN_DEPTH`] or more.
pub fn goal_failures(r: &Report) -> Vec<String> {
    let Some(e) = r.get(Mechanism::Engine) else {
        return vec!["the engine did not run".to_string()];
    };
    let mut out = Vec::new();
    // Above the limit, or not a number.
    let above = |v: f64, limit: f64| v.is_nan() || v > limit + EPS;
    if let Some((m, best)) = best_rival(r, loss) {
        if above(loss(e), best) {
            out.push(format!(
                "engine bad debt + protocol loss {} > the best rival's ({}) {}",
                goal_pct(loss(e)),
                m.name(),
                goal_pct(best)
            ));
        }
    }
    if let Some((m, _)) = best_rival(r, |x| x.lp_loss).filter(|(_, v)| *v <= EPS) {
        if above(e.lp_loss, 0.0) {
            out.push(format!(
                "engine lp_loss {} > 0 where {}'s LPs lose nothing",
                goal_num(e.lp_loss),
                m.name()
            ));
        }
    }
    if above(e.borrower_cost_mean_pct, GOAL_COST_MEAN_PCT) {
        out.push(format!(
            "engine borrower_cost_mean_pct {} > {}%",
            goal_pct(e.borrower_cost_mean_pct),
            GOAL_COST_MEAN_PCT
        ));
    }
    if let Some((m, best)) = best_rival_cost(r, |x| x.borrower_cost_mean_pct) {
        if above(e.borrower_cost_mean_pct, best) {
            out.push(format!(
                "engine borrower_cost_mean_pct {} > the best rival's ({}) {}",
                goal_pct(e.borrower_cost_mean_pct),
                m.name(),
                goal_pct(best)
            ));
        }
    }
    if above(e.borrower_cost_p95_pct, GOAL_COST_P95_PCT) {
        out.push(format!(
            "engine borrower_cost_p95_pct {} > {}%",
            goal_pct(e.borrower_cost_p95_pct),
            GOAL_COST_P95_PCT
        ));
    }
    if let Some(a) = r.get(Mechanism::AaveV3) {
        if above(e.wrongful_value_pct, a.wrongful_value_pct) {
            out.push(format!(
                "engine wrongful_value_pct {} > aave_v3's {}",
                goal_pct(e.wrongful_value_pct),
                goal_pct(a.wrongful_value_pct)
            ));
        }
        let limit = GOAL_TX_VS_AAVE * a.transactions as f64;
        if e.transactions as f64 > limit {
            out.push(format!(
                "engine transactions {} > {} x aave_v3's {}",
                e.transactions, GOAL_TX_VS_AAVE, a.transactions
            ));
        }
    }
    out
}

/// What the run's own figures say about why the engine missed: where its losses and
/// costs came from, and rivals whose borrowers came out ahead.
pub fn miss_reasons(r: &Report) -> Vec<String> {
    let Some(e) = r.get(Mechanism::Engine) else {
        return Vec::new();
    };
    let d = &r.engine_detail;
    let mut out = Vec::new();
    let worse_loss = best_rival(r, loss).is_some_and(|(_, b)| loss(e) > b + EPS);
    if e.bad_debt_pct > EPS || worse_loss {
        out.push(format!(
            "{} of the {} accounts liquidated went to auction ({} auctions, {} restarted, {} \
             backstopped by POL) and their lots sold {} under the path in the venue; the \
             shortfalls came out of insurance and POL",
            d.auctions_started.min(e.accounts_liquidated),
            e.accounts_liquidated,
            d.auctions_started,
            d.auctions_restarted,
            d.auctions_backstopped,
            goal_pct(-e.sale_vs_path_pct.min(0.0))
        ));
    }
    if e.borrower_cost_mean_pct > GOAL_COST_MEAN_PCT + EPS
        || e.borrower_cost_p95_pct > GOAL_COST_P95_PCT + EPS
    {
        out.push(format!(
            "at depth ratio {} the bidders' sales fetched {} under the path, so partial \
             liquidations were taken only near `max_bonus` ({} partial liquidations), and {} \
             auctions charged the penalty on top of the discount",
            setting(r.depth_ratio),
            goal_pct(-e.sale_vs_path_pct.min(0.0)),
            d.partial_liquidations,
            d.auctions_started
        ));
    }
    if let Some(a) = r.get(Mechanism::AaveV3) {
        if e.transactions as f64 > GOAL_TX_VS_AAVE * a.transactions as f64 {
            out.push(format!(
                "of the engine's {} transactions, {} were the keeper's refreshes (one a step), \
                 {} partial liquidations, {} kicks, {} bids and {} refused; Aave v3 sent one \
                 per liquidationCall",
                e.transactions,
                d.refreshes,
                d.partial_liquidations,
                d.auctions_started,
                d.bids,
                d.refused
            ));
        }
        if e.wrongful_value_pct > a.wrongful_value_pct + EPS {
            out.push(format!(
                "{} accounts liquidated (Aave v3: {}): the engine's partial liquidations open \
                 in the buffer zone below the 80% threshold, and on spot, so accounts that \
                 never came near insolvency paid for {} of the debt",
                e.accounts_liquidated,
                a.accounts_liquidated,
                goal_pct(e.wrongful_value_pct)
            ));
        }
    }
    for (m, rm) in &r.mechanisms {
        if m.is_rival()
            && rm.borrower_cost_mean_pct < 0.0
            && e.borrower_cost_mean_pct > rm.borrower_cost_mean_pct + EPS
        {
            out.push(format!(
                "{}'s borrowers came out ahead on average ({}): {} of its accounts had takes \
                 above the path (bidders paid more than the collateral was worth then)",
                m.name(),
                goal_pct(rm.borrower_cost_mean_pct),
                rm.negative_cost_accounts
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::page::render_results_md;
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn goals_met_gives_no_failures() {
        assert_eq!(goal_failures(&report("a", 1.0)), Vec::<String>::new());
    }

    #[test]
    fn misses_come_with_their_reasons_from_the_run() {
        let mut r = report("x", 1.0);
        assert!(miss_reasons(&r).is_empty(), "{:?}", miss_reasons(&r));
        r.engine_detail.auctions_started = 7;
        r.engine_detail.partial_liquidations = 40;
        {
            let e = engine(&mut r);
            // Over aave_v3's 2.5 (the best rival's loss).
            e.protocol_loss_pct = 3.0;
            e.sale_vs_path_pct = -3.25;
            e.borrower_cost_mean_pct = 2.5;
        }
        r.mechanisms[3].1.borrower_cost_mean_pct = -4.0;
        let why = miss_reasons(&r);
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(
            why[0].contains("7 auctions") && why[0].contains("3.25%"),
            "{}",
            why[0]
        );
        assert!(why[1].contains("40 partial liquidations"), "{}", why[1]);
        assert!(
            why[2].starts_with("maker_liq2's borrowers came out ahead")
                && why[2].contains("-4.00%")
        );
        let cfg = sweep(vec![csv_scenario("x", 80.0)], vec![1.0]);
        let md = render_results_md(&cfg, std::slice::from_ref(&r), "img/results.svg");
        assert!(md.contains("  - why: maker_liq2"), "{md}");
        // Transactions over twice Aave's and more wrongful value: both explained.
        r.engine_detail.refreshes = 50;
        r.engine_detail.refused = 3;
        engine(&mut r).transactions = 61;
        engine(&mut r).wrongful_value_pct = 0.75;
        let why = miss_reasons(&r);
        assert_eq!(why.len(), 5, "{why:?}");
        assert!(why[2].contains("61 transactions, 50 were the keeper's refreshes"));
        assert!(why[2].contains("3 refused"));
        assert!(why[3].contains("paid for 0.75% of the debt"), "{}", why[3]);
    }

    #[test]
    fn each_goal_fails_alone_with_its_numbers() {
        // The fixture: engine loss 0.5, cost 1.0 (p95 2.0), 30 transactions; rivals loss
        // 1.5 (bad debt 0.5 + protocol 1..), cost 2, 3, ...; the same wrongful value 0.5.
        type Edit = fn(&mut Report);
        let cases: [(Edit, &[&str]); 9] = [
            // LPs lose where every rival's lose too: no miss.
            (|r| engine(r).lp_loss = 12.5, &[]),
            (
                |r| {
                    engine(r).lp_loss = 12.5;
                    r.mechanisms[4].1.lp_loss = 0.0;
                },
                &["engine lp_loss 12.50 > 0 where kamino's LPs lose nothing"],
            ),
            (
                |r| engine(r).borrower_cost_p95_pct = 5.5,
                &["borrower_cost_p95_pct", "5.50%", "> 5%"],
            ),
            (
                |r| {
                    for (_, m) in r.mechanisms.iter_mut().skip(1) {
                        m.protocol_loss_pct = 0.0;
                        m.bad_debt_pct = 0.1;
                    }
                    r.mechanisms[3].1.bad_debt_pct = 0.05;
                },
                &["bad debt + protocol loss 0.50% > the best rival's (maker_liq2) 0.05%"],
            ),
            (
                |r| r.mechanisms[2].1.borrower_cost_mean_pct = 0.75,
                &["borrower_cost_mean_pct 1.00% > the best rival's (aave_v3) 0.75%"],
            ),
            (
                |r| engine(r).borrower_cost_mean_pct = f64::NAN,
                &["borrower_cost_mean_pct n/a"],
            ),
            (
                |r| engine(r).wrongful_value_pct = 0.75,
                &["engine wrongful_value_pct 0.75% > aave_v3's 0.50%"],
            ),
            (|r| engine(r).transactions = 60, &[]),
            (
                |r| engine(r).transactions = 61,
                &["engine transactions 61 > 2 x aave_v3's 30"],
            ),
        ];
        for (edit, expect) in cases {
            let mut r = report("a", 1.0);
            edit(&mut r);
            let f = goal_failures(&r);
            // gen1 is the strawman: never a goal, never the best rival.
            assert!(!f.join("\n").contains("gen1"), "{f:?}");
            if expect.is_empty() {
                assert!(f.is_empty(), "{f:?}");
                continue;
            }
            let all = f.join("\n");
            for e in expect {
                assert!(all.contains(e), "{e:?} not in {all}");
            }
        }
        // A rival that liquidated no one has no cost to beat.
        let mut r = report("a", 1.0);
        r.mechanisms[3].1.borrower_cost_mean_pct = 0.0;
        r.mechanisms[3].1.accounts_liquidated = 0;
        assert!(goal_failures(&r).is_empty(), "{:?}", goal_failures(&r));
        r.mechanisms[3].1.accounts_liquidated = 1;
        assert_eq!(
            goal_failures(&r),
            ["engine borrower_cost_mean_pct 1.00% > the best rival's (maker_liq2) 0.00%"]
        );
        // The strawman's figures never count, however good.
        let mut r = report("a", 1.0);
        r.mechanisms[1].1.borrower_cost_mean_pct = -50.0;
        r.mechanisms[1].1.bad_debt_pct = 0.0;
        r.mechanisms[1].1.protocol_loss_pct = 0.0;
        assert!(goal_failures(&r).is_empty());
        // The absolute cost goal, alone: rivals are worse still.
        for (_, m) in r.mechanisms.iter_mut().skip(1) {
            m.borrower_cost_mean_pct = 50.0;
        }
        engine(&mut r).borrower_cost_mean_pct = 2.25;
        assert_eq!(
            goal_failures(&r),
            ["engine borrower_cost_mean_pct 2.25% > 2%"]
        );
        // Tiny non-zero losses still show as non-zero.
        engine(&mut r).borrower_cost_mean_pct = 1.0;
        engine(&mut r).lp_loss = 0.001;
        r.mechanisms[2].1.lp_loss = 0.0;
        assert_eq!(
            goal_failures(&r),
            ["engine lp_loss 1.00e-3 > 0 where aave_v3's LPs lose nothing"]
        );
        // No engine at all.
        r.mechanisms.remove(0);
        assert_eq!(goal_failures(&r), ["the engine did not run"]);
    }
}
