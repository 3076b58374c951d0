//! `zl-keeper simulate --sweep`: every scenario at every depth ratio, every mechanism, in
//! parallel; the results page (docs/results.md) with the engine checked against its goals,
//! and its plot (docs/img/results.svg).
//!
//! A simulation builds its own in-process bank, which is not `Send`: each worker thread has
//! its own current-thread tokio runtime and runs whole simulations in it, taking the next
//! job from a shared queue. Reports come back in job order (scenario, then depth ratio).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;

use super::ledger::MechanismMetrics;
use super::report::Report;
use super::world::{self, SimConfig};
use super::Mechanism;
use crate::scenario::Scenario;

/// The command that writes the results page.
pub const COMMAND: &str = "cargo run --release -p zl-keeper -- simulate --sweep";
/// Runs at a depth ratio below this are shown but not checked against the goals.
pub const GOAL_MIN_DEPTH: f64 = 0.5;
/// Goal: the engine's protocol loss at most this, % of initial debt.
pub const GOAL_PROTOCOL_LOSS_PCT: f64 = 1.0;
/// Goal: the engine's mean borrower cost at most this, % of debt retired.
pub const GOAL_COST_MEAN_PCT: f64 = 2.0;
/// Goal: the engine's 95th-percentile borrower cost at most this, % of debt retired.
pub const GOAL_COST_P95_PCT: f64 = 5.0;
/// Slack for float noise in the goal comparisons.
const EPS: f64 = 1e-9;
/// Stack of a worker thread (the bank and the program run on it).
const WORKER_STACK: usize = 32 << 20;

/// A sweep: one simulation per (scenario, depth ratio).
#[derive(Clone, Debug)]
pub struct SweepConfig {
    pub scenarios: Vec<Scenario>,
    pub depth_ratios: Vec<f64>,
    /// The template of every run (its scenario, depth ratio and progress are replaced).
    pub base: SimConfig,
    /// Worker threads (at least 1, at most one per run).
    pub jobs: usize,
    /// One progress bar over the runs.
    pub progress: bool,
}

impl SweepConfig {
    /// The runs' configurations, in job order: scenario order, then depth order.
    pub fn runs(&self) -> Vec<SimConfig> {
        let mut out = Vec::with_capacity(self.scenarios.len() * self.depth_ratios.len());
        for s in &self.scenarios {
            for &d in &self.depth_ratios {
                let mut cfg = self.base.clone();
                cfg.scenario = s.clone();
                cfg.depth_ratio = d;
                cfg.progress = false;
                out.push(cfg);
            }
        }
        out
    }
}

/// `scenario at depth ratio d`, for messages.
fn run_label(cfg: &SimConfig) -> String {
    format!(
        "sweep run {} at depth ratio {}",
        cfg.scenario.name, cfg.depth_ratio
    )
}

fn sweep_bar(show: bool, len: usize) -> indicatif::ProgressBar {
    super::progress_bar(
        show,
        len as u64,
        "sweep [{bar:40}] {pos}/{len} runs {elapsed_precise} (eta {eta}) {msg}",
    )
}

/// What the workers share.
struct Shared<'a> {
    runs: &'a [SimConfig],
    next: AtomicUsize,
    stop: AtomicBool,
    bar: indicatif::ProgressBar,
    results: Mutex<Vec<Option<Report>>>,
    first_error: Mutex<Option<anyhow::Error>>,
}

impl Shared<'_> {
    /// Records `e` if it is the first error and stops the sweep.
    fn fail(&self, e: anyhow::Error) {
        let mut slot = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Resolves once the sweep is stopped (checked every 100 ms).
async fn stopped(stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One run, abandoned (`None`) when the sweep stops meanwhile.
async fn run_unless_stopped(cfg: &SimConfig, stop: &AtomicBool) -> Option<anyhow::Result<Report>> {
    tokio::select! {
        r = world::run(cfg) => Some(r),
        () = stopped(stop) => None,
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".to_string()
    }
}

fn worker(sh: &Shared<'_>) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            sh.fail(anyhow::Error::new(e).context("cannot build a sweep worker's tokio runtime"));
            return;
        }
    };
    while !sh.stop.load(Ordering::SeqCst) {
        let i = sh.next.fetch_add(1, Ordering::SeqCst);
        let Some(cfg) = sh.runs.get(i) else { break };
        sh.bar
            .set_message(format!("{} @{}", cfg.scenario.name, cfg.depth_ratio));
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(run_unless_stopped(cfg, &sh.stop))
        }));
        match outcome {
            Ok(Some(Ok(report))) => {
                sh.results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(report);
                sh.bar.inc(1);
            }
            Ok(Some(Err(e))) => {
                sh.fail(e.context(run_label(cfg)));
                break;
            }
            Ok(None) => break,
            Err(p) => {
                sh.fail(anyhow::anyhow!(
                    "{}: panicked: {}",
                    run_label(cfg),
                    panic_message(&*p)
                ));
                break;
            }
        }
    }
}

/// Runs every (scenario, depth ratio) of `cfg` on `cfg.jobs` worker threads, each with its
/// own current-thread tokio runtime, and returns the reports in job order (scenario order,
/// then depth order). The first error stops the sweep (runs in flight are abandoned) and
/// is returned with the run's scenario and depth ratio as context. Blocking: call it from
/// a thread that may block (not from inside a current-thread runtime's task that other
/// tasks need).
pub fn run_sweep(cfg: &SweepConfig) -> anyhow::Result<Vec<Report>> {
    let runs = cfg.runs();
    anyhow::ensure!(
        !runs.is_empty(),
        "the sweep has no runs: {} scenarios, {} depth ratios",
        cfg.scenarios.len(),
        cfg.depth_ratios.len()
    );
    for r in &runs {
        r.validate().with_context(|| run_label(r))?;
    }
    let n = runs.len();
    let workers = cfg.jobs.clamp(1, n);
    let sh = Shared {
        runs: &runs,
        next: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        bar: sweep_bar(cfg.progress, n),
        results: Mutex::new((0..n).map(|_| None).collect()),
        first_error: Mutex::new(None),
    };
    std::thread::scope(|s| {
        for w in 0..workers {
            let spawned = std::thread::Builder::new()
                .name(format!("sweep-{w}"))
                .stack_size(WORKER_STACK)
                .spawn_scoped(s, || worker(&sh));
            if let Err(e) = spawned {
                if w == 0 {
                    sh.fail(anyhow::Error::new(e).context("cannot start a sweep worker thread"));
                }
                // Otherwise the workers already started do the rest.
                break;
            }
        }
    });
    if let Some(e) = sh
        .first_error
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
    {
        sh.bar.abandon_with_message("stopped");
        return Err(e);
    }
    sh.bar.finish_with_message("done");
    sh.results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .zip(&runs)
        .map(|(r, c)| r.ok_or_else(|| anyhow::anyhow!("{}: no report", run_label(c))))
        .collect()
}

/// The path of `svg` relative to the directory of `md` (docs/results.md and
/// docs/img/results.svg give "img/results.svg"), with `/` separators; `svg` as given when
/// there is no such path.
pub fn relative_link(md: &Path, svg: &Path) -> String {
    let fallback = || svg.to_string_lossy().into_owned();
    let base = md.parent().unwrap_or(Path::new(""));
    let (mut b, mut t) = (normalize(base), normalize(svg));
    if b.has_root() != t.has_root() || starts_with_parent(&b) || starts_with_parent(&t) {
        // Make both absolute from the working directory.
        let Ok(cwd) = std::env::current_dir() else {
            return fallback();
        };
        b = normalize(&cwd.join(&b));
        t = normalize(&cwd.join(&t));
    }
    let bc: Vec<Component> = b.components().collect();
    let tc: Vec<Component> = t.components().collect();
    let common = bc.iter().zip(&tc).take_while(|(x, y)| x == y).count();
    let up = &bc[common..];
    if up.iter().any(|c| !matches!(c, Component::Normal(_))) {
        return fallback();
    }
    let mut parts: Vec<String> = up.iter().map(|_| "..".to_string()).collect();
    for c in &tc[common..] {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            _ => return fallback(),
        }
    }
    if parts.is_empty() {
        return fallback();
    }
    parts.join("/")
}

/// `p` without `.` components and with `..` folded into the component before it, where
/// there is one.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                match last {
                    Some(Component::Normal(_)) => {
                        out.pop();
                    }
                    Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                    _ => out.push(".."),
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn starts_with_parent(p: &Path) -> bool {
    matches!(p.components().next(), Some(Component::ParentDir))
}

// ---------------------------------------------------------------------------------------
// Goals.

/// The engine's bad debt plus protocol loss, % of initial debt.
fn loss(m: &MechanismMetrics) -> f64 {
    m.bad_debt_pct + m.protocol_loss_pct
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

/// Where the engine misses its goals in `r`, one message with the numbers per miss (empty
/// when it meets them all): no LP loss and no bad debt; protocol loss at most 1% of the
/// initial debt; borrower cost at most 2% on average and 5% at the 95th percentile; bad
/// debt + protocol loss and mean borrower cost no higher than any rival's. The results
/// page checks runs at depth ratio [`GOAL_MIN_DEPTH`] or more.
pub fn goal_failures(r: &Report) -> Vec<String> {
    let Some(e) = r.get(Mechanism::Engine) else {
        return vec!["the engine did not run".to_string()];
    };
    let mut out = Vec::new();
    // Above the limit, or not a number.
    let above = |v: f64, limit: f64| v.is_nan() || v > limit + EPS;
    if above(e.lp_loss, 0.0) {
        out.push(format!(
            "engine lp_loss {} > 0 (LPs lost money)",
            goal_num(e.lp_loss)
        ));
    }
    if above(e.bad_debt_pct, 0.0) {
        out.push(format!(
            "engine bad_debt_pct {} > 0",
            goal_pct(e.bad_debt_pct)
        ));
    }
    if above(e.protocol_loss_pct, GOAL_PROTOCOL_LOSS_PCT) {
        out.push(format!(
            "engine protocol_loss_pct {} > {}%",
            goal_pct(e.protocol_loss_pct),
            GOAL_PROTOCOL_LOSS_PCT
        ));
    }
    if above(e.borrower_cost_mean_pct, GOAL_COST_MEAN_PCT) {
        out.push(format!(
            "engine borrower_cost_mean_pct {} > {}%",
            goal_pct(e.borrower_cost_mean_pct),
            GOAL_COST_MEAN_PCT
        ));
    }
    if above(e.borrower_cost_p95_pct, GOAL_COST_P95_PCT) {
        out.push(format!(
            "engine borrower_cost_p95_pct {} > {}%",
            goal_pct(e.borrower_cost_p95_pct),
            GOAL_COST_P95_PCT
        ));
    }
    for (m, rm) in &r.mechanisms {
        if *m == Mechanism::Engine {
            continue;
        }
        let (el, rl) = (loss(e), loss(rm));
        if rl.is_finite() && above(el, rl) {
            out.push(format!(
                "engine bad debt + protocol loss {} > {}'s {}",
                goal_pct(el),
                m.name(),
                goal_pct(rl)
            ));
        }
        let (ec, rc) = (e.borrower_cost_mean_pct, rm.borrower_cost_mean_pct);
        if rc.is_finite() && above(ec, rc) {
            out.push(format!(
                "engine borrower_cost_mean_pct {} > {}'s {}",
                goal_pct(ec),
                m.name(),
                goal_pct(rc)
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The results page.

/// A metric with 2 decimals; "n/a" when it is not a number.
fn num(v: f64) -> String {
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
fn setting(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "n/a".to_string()
    }
}

/// Text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `name` as inline code in a table cell.
fn code(s: &str) -> String {
    format!("`{}`", cell(&s.replace('`', "'")))
}

enum Kind {
    Float,
    Count,
}

type Getter = fn(&MechanismMetrics) -> f64;

/// Every key of [`MechanismMetrics`], in its order (a test checks against its JSON).
const METRICS: &[(&str, Kind, Getter)] = &[
    ("bad_debt_pct", Kind::Float, |m| m.bad_debt_pct),
    ("lp_loss", Kind::Float, |m| m.lp_loss),
    ("protocol_loss_pct", Kind::Float, |m| m.protocol_loss_pct),
    ("borrower_cost_mean_pct", Kind::Float, |m| {
        m.borrower_cost_mean_pct
    }),
    ("borrower_cost_p50_pct", Kind::Float, |m| {
        m.borrower_cost_p50_pct
    }),
    ("borrower_cost_p95_pct", Kind::Float, |m| {
        m.borrower_cost_p95_pct
    }),
    ("accounts_liquidated", Kind::Count, |m| {
        m.accounts_liquidated as f64
    }),
    ("wrongful_liquidations", Kind::Count, |m| {
        m.wrongful_liquidations as f64
    }),
    ("time_to_clear_secs", Kind::Float, |m| m.time_to_clear_secs),
    ("insurance_start_pct", Kind::Float, |m| {
        m.insurance_start_pct
    }),
    ("pol_start_pct", Kind::Float, |m| m.pol_start_pct),
    ("debt_liquidated_pct", Kind::Float, |m| {
        m.debt_liquidated_pct
    }),
    ("sale_vs_path_pct", Kind::Float, |m| m.sale_vs_path_pct),
    ("transactions", Kind::Count, |m| m.transactions as f64),
];

fn metric_cell(kind: &Kind, v: f64) -> String {
    match kind {
        Kind::Float => num(v),
        Kind::Count => format!("{v:.0}"),
    }
}

/// The mechanisms in any of `reports`, in [`Mechanism::ALL`] order (all four when none).
fn mechanisms_in(reports: &[Report]) -> Vec<Mechanism> {
    let v: Vec<Mechanism> = Mechanism::ALL
        .into_iter()
        .filter(|m| reports.iter().any(|r| r.get(*m).is_some()))
        .collect();
    if v.is_empty() {
        Mechanism::ALL.to_vec()
    } else {
        v
    }
}

/// The scenario names of `reports`, in order of first appearance.
fn scenario_order(reports: &[Report]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for r in reports {
        if !names.contains(&r.scenario.as_str()) {
            names.push(&r.scenario);
        }
    }
    names
}

/// Values rounded to the 2 decimals shown, for "lowest in the row".
fn shown(v: f64) -> Option<i64> {
    v.is_finite().then(|| (v * 100.0).round() as i64)
}

/// The cells of one row of values, the lowest in bold when they are not all equal.
fn bold_lowest(values: &[Option<f64>]) -> Vec<String> {
    let keys: Vec<Option<i64>> = values.iter().map(|v| v.and_then(shown)).collect();
    let present: Vec<i64> = keys.iter().flatten().copied().collect();
    let min = present.iter().min().copied();
    let all_equal = present.windows(2).all(|w| w[0] == w[1]);
    values
        .iter()
        .zip(&keys)
        .map(|(v, k)| match v {
            None => "–".to_string(),
            Some(v) if !all_equal && present.len() > 1 && *k == min => format!("**{}**", num(*v)),
            Some(v) => num(*v),
        })
        .collect()
}

/// Whether the goals apply to a run at depth ratio `d`.
fn checked(d: f64) -> bool {
    d >= GOAL_MIN_DEPTH
}

/// The results page for docs/results.md: the settings, the plot (`plot_link`), one row per
/// (scenario, depth ratio) with each mechanism's loss and borrower cost, every metric per
/// scenario, and the engine checked against its goals. Nothing in it depends on the time
/// of the run, so the same code and settings give the same page.
pub fn render_results_md(sweep: &SweepConfig, reports: &[Report], plot_link: &str) -> String {
    let b = &sweep.base;
    let mechs = mechanisms_in(reports);
    let mut o = String::new();
    let _ = writeln!(o, "# Simulation results\n");
    let _ = writeln!(
        o,
        "This page is generated by `{COMMAND}`; do not edit it by hand, run the command \
         again. It runs {} scenarios at {} depth ratios ({} runs), each with every \
         mechanism (the engine on the in-process bank, the rivals as models) on the same \
         price path, venue and bidders, and checks the engine against its goals \
         (\"Goals\" below). Method, mechanisms and metric definitions: docs/simulator.md.\n",
        sweep.scenarios.len(),
        sweep.depth_ratios.len(),
        reports.len()
    );

    let _ = writeln!(o, "## Settings\n");
    let _ = writeln!(o, "| setting | value |\n|---|---|");
    let depths: Vec<String> = sweep.depth_ratios.iter().map(|d| setting(*d)).collect();
    let rows: [(&str, String); 9] = [
        ("borrowers", b.borrowers.to_string()),
        ("seed", b.seed.to_string()),
        ("depth ratios", depths.join(", ")),
        (
            "arbitrage half-life",
            format!("{} s", setting(b.arb_half_life_secs)),
        ),
        (
            "insurance fund at start",
            format!("{}% of initial debt", setting(b.insurance_pct)),
        ),
        (
            "POL at start",
            format!("{}% of initial debt", setting(b.pol_pct)),
        ),
        (
            "bidder capital per look",
            format!("{}% of initial debt", setting(b.bidder_capital_pct)),
        ),
        ("drain steps after the path", b.drain_steps.to_string()),
        (
            "mechanisms",
            mechs
                .iter()
                .map(|m| m.name())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "| {} | {} |", cell(k), cell(&v));
    }
    let mut repro = format!(
        "{COMMAND} --borrowers {} --seed {} --arb-half-life-secs {} --insurance-pct {} \
         --pol-pct {} --bidder-capital-pct {} --sweep-depths {}",
        b.borrowers,
        b.seed,
        setting(b.arb_half_life_secs),
        setting(b.insurance_pct),
        setting(b.pol_pct),
        setting(b.bidder_capital_pct),
        depths.join(",")
    );
    let names: Vec<&str> = sweep.scenarios.iter().map(|s| s.name.as_str()).collect();
    if names != Scenario::REAL {
        let _ = write!(repro, " --sweep-scenarios {}", names.join(","));
    }
    let _ = writeln!(o, "\nThe same page again:\n\n```\n{repro}\n```\n");

    if !sweep.scenarios.is_empty() {
        let _ = writeln!(o, "## Scenarios\n");
        let _ = writeln!(
            o,
            "| scenario | step | duration | description |\n|---|---|---|---|"
        );
        for s in &sweep.scenarios {
            let _ = writeln!(
                o,
                "| {} | {} s | {} | {} |",
                code(&s.name),
                s.step_secs,
                duration(s.duration_secs),
                cell(&s.description)
            );
        }
        o.push('\n');
    }

    let _ = writeln!(o, "## Results\n");
    let _ = writeln!(
        o,
        "![Bad debt + protocol loss and mean borrower cost of every mechanism, per scenario \
         and depth ratio]({plot_link})\n"
    );
    let _ = writeln!(
        o,
        "Per run, for each mechanism: **loss**, bad debt + protocol loss, % of the initial \
         debt; **cost**, the borrower's cost of liquidation, mean over liquidated accounts, \
         % of the debt retired. Lower is better; the lowest in a row is in bold. **goals**: \
         whether the engine meets every goal (runs at depth ratio {} or more).\n",
        setting(GOAL_MIN_DEPTH)
    );
    let mut head = String::from("| scenario | depth |");
    let mut rule = String::from("|---|---:|");
    for m in &mechs {
        let _ = write!(head, " {0} loss | {0} cost |", m.name());
        rule.push_str("---:|---:|");
    }
    head.push_str(" goals |");
    rule.push_str("---|");
    let _ = writeln!(o, "{head}\n{rule}");
    for r in reports {
        let losses: Vec<Option<f64>> = mechs.iter().map(|m| r.get(*m).map(loss)).collect();
        let costs: Vec<Option<f64>> = mechs
            .iter()
            .map(|m| r.get(*m).map(|x| x.borrower_cost_mean_pct))
            .collect();
        let (losses, costs) = (bold_lowest(&losses), bold_lowest(&costs));
        let _ = write!(o, "| {} | {} |", code(&r.scenario), setting(r.depth_ratio));
        for (l, c) in losses.iter().zip(&costs) {
            let _ = write!(o, " {l} | {c} |");
        }
        let goals = if !checked(r.depth_ratio) {
            "not checked".to_string()
        } else {
            match goal_failures(r).len() {
                0 => "met".to_string(),
                1 => "1 miss".to_string(),
                n => format!("{n} misses"),
            }
        };
        let _ = writeln!(o, " {goals} |");
    }
    if reports.is_empty() {
        let _ = writeln!(o, "\nNo runs.");
    }
    o.push('\n');

    let _ = writeln!(o, "## Every metric\n");
    let _ = writeln!(
        o,
        "Per scenario, every metric of every mechanism at each depth ratio (keys as in \
         `--json`, defined in docs/simulator.md, \"Metrics\").\n"
    );
    let descriptions: HashMap<&str, &Scenario> = sweep
        .scenarios
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    for name in scenario_order(reports) {
        let _ = writeln!(o, "### {}\n", code(name));
        if let Some(s) = descriptions.get(name) {
            if !s.description.is_empty() {
                let _ = writeln!(o, "{}\n", s.description.replace(['\n', '\r'], " "));
            }
        }
        let runs: Vec<&Report> = reports.iter().filter(|r| r.scenario == name).collect();
        let _ = write!(o, "| depth | mechanism |");
        for (k, _, _) in METRICS {
            let _ = write!(o, " {k} |");
        }
        let _ = write!(o, "\n|---:|---|");
        for _ in METRICS {
            o.push_str("---:|");
        }
        o.push('\n');
        for r in &runs {
            for (m, metrics) in &r.mechanisms {
                let _ = write!(o, "| {} | {} |", setting(r.depth_ratio), m.name());
                for (_, kind, get) in METRICS {
                    let _ = write!(o, " {} |", metric_cell(kind, get(metrics)));
                }
                o.push('\n');
            }
        }
        o.push('\n');
        for r in &runs {
            let d = &r.engine_detail;
            let _ = writeln!(
                o,
                "- depth {}: {} steps, initial debt {}; engine: {} partial liquidations, {} \
                 auctions ({} restarted, {} backstopped by POL), {} bids",
                setting(r.depth_ratio),
                r.steps,
                num(r.initial_debt),
                d.partial_liquidations,
                d.auctions_started,
                d.auctions_restarted,
                d.auctions_backstopped,
                d.bids
            );
        }
        o.push('\n');
    }

    let _ = writeln!(o, "## Goals\n");
    let _ = writeln!(
        o,
        "Checked for every run at depth ratio {} or more. In each, the engine:\n",
        setting(GOAL_MIN_DEPTH)
    );
    let _ = writeln!(
        o,
        "- leaves no bad debt and LPs lose nothing (`bad_debt_pct` = 0, `lp_loss` = 0);\n\
         - loses at most {}% of the initial debt from insurance + POL (`protocol_loss_pct`);\n\
         - costs borrowers at most {}% on average and {}% at the 95th percentile \
         (`borrower_cost_mean_pct`, `borrower_cost_p95_pct`);\n\
         - has bad debt + protocol loss no higher than any rival's;\n\
         - costs borrowers, on average, no more than any rival.\n",
        GOAL_PROTOCOL_LOSS_PCT, GOAL_COST_MEAN_PCT, GOAL_COST_P95_PCT
    );
    let checked_runs: Vec<(&Report, Vec<String>)> = reports
        .iter()
        .filter(|r| checked(r.depth_ratio))
        .map(|r| (r, goal_failures(r)))
        .collect();
    let ok = checked_runs.iter().filter(|(_, f)| f.is_empty()).count();
    let _ = writeln!(
        o,
        "**{ok} of {} runs meet every goal.**\n",
        checked_runs.len()
    );
    let unchecked = reports.len() - checked_runs.len();
    if unchecked > 0 {
        let _ = writeln!(
            o,
            "{unchecked} runs at depth ratios below {} are shown above but not checked.\n",
            setting(GOAL_MIN_DEPTH)
        );
    }
    if ok < checked_runs.len() {
        let _ = writeln!(o, "Misses:\n");
        for (r, failures) in checked_runs.iter().filter(|(_, f)| !f.is_empty()) {
            let _ = writeln!(
                o,
                "- {} at depth ratio {}:",
                code(&r.scenario),
                setting(r.depth_ratio)
            );
            for f in failures {
                let _ = writeln!(o, "  - {}", cell(f));
            }
            for why in miss_reasons(r) {
                let _ = writeln!(o, "  - why: {}", cell(&why));
            }
        }
        o.push('\n');
    }
    o
}

/// What the run's own figures say about why the engine missed: where its losses and
/// costs came from, and rivals whose borrowers came out ahead.
pub fn miss_reasons(r: &Report) -> Vec<String> {
    let Some(e) = r.get(Mechanism::Engine) else {
        return Vec::new();
    };
    let d = &r.engine_detail;
    let mut out = Vec::new();
    if e.bad_debt_pct > EPS || e.protocol_loss_pct > GOAL_PROTOCOL_LOSS_PCT + EPS {
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
    for (m, rm) in &r.mechanisms {
        if *m != Mechanism::Engine
            && rm.borrower_cost_mean_pct < 0.0
            && e.borrower_cost_mean_pct > rm.borrower_cost_mean_pct + EPS
        {
            out.push(format!(
                "{}'s borrowers came out ahead on average ({}): it took whole positions near \
                 the low and gave back the unsold collateral after the price recovered, valued \
                 at the recovered price (the metric counts that gain)",
                m.name(),
                goal_pct(rm.borrower_cost_mean_pct)
            ));
        }
    }
    out
}

/// `secs` as "2 h 30 min", "45 min" or "30 s".
fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

// ---------------------------------------------------------------------------------------
// The plot.

/// The bar color of `m` (the engine green as in the engine plot).
fn color(m: Mechanism) -> &'static str {
    match m {
        Mechanism::Engine => "#2ca02c",
        Mechanism::Gen1 => "#7f7f7f",
        Mechanism::AaveV3 => "#1f77b4",
        Mechanism::MakerLiq2 => "#ff7f0e",
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Short x labels per scenario name: the name up to its first `_`; where two scenarios
/// share that stem, with the last `-` part of the name (the resolution, e.g. "1m"), and
/// a number where that is not enough.
fn short_names(names: &[&str]) -> HashMap<String, String> {
    let stem = |n: &str| n.split('_').next().unwrap_or(n).to_string();
    let count = |f: &dyn Fn(&str) -> String, v: &str| names.iter().filter(|n| f(n) == v).count();
    let with_tail = |n: &str| {
        let s = stem(n);
        if count(&stem, &s) > 1 {
            let tail = n.rsplit(['-', '_']).next().unwrap_or("");
            format!("{s} {tail}")
        } else {
            s
        }
    };
    let mut out = HashMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for n in names {
        let mut label = with_tail(n);
        if count(&with_tail, &label) > 1 {
            let k = seen.entry(label.clone()).or_insert(0);
            *k += 1;
            label = format!("{label} #{k}");
        }
        out.insert(n.to_string(), label);
    }
    out
}

/// A y axis: range and ticks, from the values drawn (finite ones only).
struct Axis {
    lo: f64,
    hi: f64,
    step: f64,
    decimals: usize,
}

impl Axis {
    fn new(values: impl Iterator<Item = f64>) -> Axis {
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for v in values.filter(|v| v.is_finite()) {
            let v = v.clamp(-1e9, 1e9);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi - lo < 1e-9 {
            hi = lo + 1.0;
        }
        let raw = (hi - lo) / 5.0;
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|k| k * mag)
            .find(|s| *s >= raw * (1.0 - 1e-12))
            .unwrap_or(10.0 * mag);
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10() - 1e-9).ceil().clamp(0.0, 9.0) as usize
        };
        Axis {
            lo: (lo / step).floor() * step,
            hi: ((hi / step).ceil() * step).max((lo / step).floor() * step + step),
            step,
            decimals,
        }
    }

    fn ticks(&self) -> Vec<f64> {
        let n = ((self.hi - self.lo) / self.step).round() as usize;
        (0..=n).map(|i| self.lo + self.step * i as f64).collect()
    }

    fn label(&self, v: f64) -> String {
        let s = format!("{v:.*}", self.decimals);
        if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
            s[1..].to_string()
        } else {
            s
        }
    }
}

/// The sweep plot: two panels stacked, bad debt + protocol loss (% of initial debt) on top
/// and mean borrower cost (%) below; one group of bars per run (scenario, depth ratio),
/// one bar per mechanism (`class="bar-<name>"`, fixed colors, legend), the engine's goal
/// as a dashed line where it is in range. Self-contained SVG.
pub fn render_sweep_svg(reports: &[Report]) -> String {
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 20.0;
    const TOP: f64 = 78.0;
    const PANEL_H: f64 = 230.0;
    const GAP: f64 = 56.0;
    const LABELS_H: f64 = 150.0;
    const BAR_W: f64 = 7.0;
    const GROUP_PAD: f64 = 8.0;

    let mechs = mechanisms_in(reports);
    let group_w = mechs.len() as f64 * BAR_W + GROUP_PAD;
    let pw = (reports.len() as f64 * group_w).max(560.0);
    let w = LEFT + pw + RIGHT;
    let h = TOP + 2.0 * PANEL_H + GAP + LABELS_H;
    // Groups spread over the plot width when they do not fill it.
    let slot = if reports.is_empty() {
        group_w
    } else {
        pw / reports.len() as f64
    };
    let names = scenario_order(reports);
    let short = short_names(&names);

    let panels: [(&str, Getter, f64); 2] = [
        (
            "bad debt + protocol loss, % of initial debt",
            loss as Getter,
            GOAL_PROTOCOL_LOSS_PCT,
        ),
        (
            "borrower cost, mean %",
            |m| m.borrower_cost_mean_pct,
            GOAL_COST_MEAN_PCT,
        ),
    ];

    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(o, r#"<rect width="{w:.0}" height="{h:.0}" fill="white"/>"#);
    let title = match reports.first() {
        Some(r) => format!(
            "Sweep: {} runs, {} scenarios ({} borrowers, seed {})",
            reports.len(),
            names.len(),
            r.borrowers,
            r.seed
        ),
        None => "Sweep: no runs".to_string(),
    };
    let _ = writeln!(
        o,
        r#"<text x="{LEFT}" y="24" font-size="16">{}</text>"#,
        xml_escape(&title)
    );
    // Legend.
    let _ = write!(o, r#"<g class="legend" transform="translate({LEFT} 44)">"#);
    let mut lx = 0.0;
    for m in &mechs {
        let _ = write!(
            o,
            r#"<rect class="legend-{0}" x="{lx:.0}" y="-10" width="12" height="12" fill="{1}"/><text x="{2:.0}" y="0">{0}</text>"#,
            m.name(),
            color(*m),
            lx + 17.0
        );
        lx += 30.0 + 8.0 * m.name().len() as f64;
    }
    let _ = write!(
        o,
        r##"<line x1="{lx:.0}" y1="-4" x2="{:.0}" y2="-4" stroke="#d62728" stroke-dasharray="5 3"/><text x="{:.0}" y="0">engine goal</text>"##,
        lx + 22.0,
        lx + 27.0
    );
    o.push_str("</g>\n");

    for (p, (ptitle, get, goal)) in panels.iter().enumerate() {
        let y0 = TOP + p as f64 * (PANEL_H + GAP);
        let values = || {
            reports
                .iter()
                .flat_map(|r| mechs.iter().filter_map(move |m| r.get(*m).map(get)))
        };
        let axis = Axis::new(values());
        let y = |v: f64| {
            let v = if v.is_finite() {
                v.clamp(axis.lo, axis.hi)
            } else {
                0.0f64.clamp(axis.lo, axis.hi)
            };
            y0 + (axis.hi - v) / (axis.hi - axis.lo) * PANEL_H
        };
        let _ = writeln!(
            o,
            r#"<text x="{LEFT}" y="{:.2}" font-size="14" font-weight="bold">{}</text>"#,
            y0 - 10.0,
            xml_escape(ptitle)
        );
        // Bands: every other scenario shaded.
        let mut start = 0;
        let mut band = 0;
        while start < reports.len() {
            let end = (start..reports.len())
                .find(|&i| reports[i].scenario != reports[start].scenario)
                .unwrap_or(reports.len());
            if band % 2 == 1 {
                let _ = writeln!(
                    o,
                    r##"<rect x="{:.2}" y="{y0:.2}" width="{:.2}" height="{PANEL_H}" fill="#f2f2f2"/>"##,
                    LEFT + start as f64 * slot,
                    (end - start) as f64 * slot
                );
            }
            band += 1;
            start = end;
        }
        // Ticks and grid.
        for t in axis.ticks() {
            let py = y(t);
            let _ = writeln!(
                o,
                r##"<line x1="{LEFT}" y1="{py:.2}" x2="{:.2}" y2="{py:.2}" stroke="#ddd"/><text x="{:.2}" y="{:.2}" text-anchor="end">{}</text>"##,
                LEFT + pw,
                LEFT - 6.0,
                py + 4.0,
                axis.label(t)
            );
        }
        // Bars.
        for (i, r) in reports.iter().enumerate() {
            let gx = LEFT + i as f64 * slot + (slot - mechs.len() as f64 * BAR_W) / 2.0;
            for (j, m) in mechs.iter().enumerate() {
                let Some(metrics) = r.get(*m) else { continue };
                let v = get(metrics);
                let (top, bottom) = (y(v).min(y(0.0)), y(v).max(y(0.0)));
                let shown = if v.is_finite() {
                    format!("{}%", num(v))
                } else {
                    "n/a".to_string()
                };
                let _ = writeln!(
                    o,
                    r#"<rect class="bar-{}" x="{:.2}" y="{top:.2}" width="{:.2}" height="{:.2}" fill="{}"><title>{} @{} {}: {}</title></rect>"#,
                    m.name(),
                    gx + j as f64 * BAR_W,
                    BAR_W - 1.0,
                    bottom - top,
                    color(*m),
                    xml_escape(&r.scenario),
                    setting(r.depth_ratio),
                    m.name(),
                    shown
                );
            }
        }
        // The engine's goal, where in range.
        if *goal >= axis.lo && *goal <= axis.hi {
            let gy = y(*goal);
            let _ = writeln!(
                o,
                r##"<line class="goal" x1="{LEFT}" y1="{gy:.2}" x2="{:.2}" y2="{gy:.2}" stroke="#d62728" stroke-dasharray="5 3"/>"##,
                LEFT + pw
            );
        }
        // Axes.
        let _ = writeln!(
            o,
            r#"<g stroke="black" fill="none"><line x1="{LEFT}" y1="{y0:.2}" x2="{LEFT}" y2="{yb:.2}"/><line x1="{LEFT}" y1="{yz:.2}" x2="{xr:.2}" y2="{yz:.2}"/></g>"#,
            yb = y0 + PANEL_H,
            yz = y(0.0),
            xr = LEFT + pw
        );
        if reports.is_empty() {
            let _ = writeln!(
                o,
                r##"<text x="{:.2}" y="{:.2}" text-anchor="middle" fill="#888">no runs</text>"##,
                LEFT + pw / 2.0,
                y0 + PANEL_H / 2.0
            );
        }
    }

    // X labels under the bottom panel.
    let ly = TOP + 2.0 * PANEL_H + GAP + 12.0;
    for (i, r) in reports.iter().enumerate() {
        let x = LEFT + (i as f64 + 0.5) * slot;
        let name = short
            .get(&r.scenario)
            .cloned()
            .unwrap_or_else(|| r.scenario.clone());
        let _ = writeln!(
            o,
            r#"<text x="{x:.2}" y="{ly:.2}" text-anchor="end" font-size="12" transform="rotate(-50 {x:.2} {ly:.2})">{}@{}</text>"#,
            xml_escape(&name),
            setting(r.depth_ratio)
        );
    }
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::report::{EngineDetail, Series};

    fn metrics(loss: f64, cost: f64) -> MechanismMetrics {
        MechanismMetrics {
            bad_debt_pct: 0.0,
            lp_loss: 0.0,
            protocol_loss_pct: loss,
            borrower_cost_mean_pct: cost,
            borrower_cost_p50_pct: cost,
            borrower_cost_p95_pct: cost + 1.0,
            accounts_liquidated: 10,
            wrongful_liquidations: 0,
            time_to_clear_secs: 900.0,
            insurance_start_pct: 2.0,
            pol_start_pct: 5.0,
            debt_liquidated_pct: 20.0,
            sale_vs_path_pct: -1.5,
            transactions: 30,
        }
    }

    /// A run where the engine meets every goal: rivals lose more and cost more.
    fn report(scenario: &str, depth: f64) -> Report {
        let mut mechanisms = vec![(Mechanism::Engine, metrics(0.5, 1.0))];
        for (i, m) in Mechanism::ALL[1..].iter().enumerate() {
            let mut x = metrics(1.0 + i as f64, 2.0 + i as f64);
            x.bad_debt_pct = 0.5;
            x.lp_loss = 100.0;
            mechanisms.push((*m, x));
        }
        Report {
            scenario: scenario.to_string(),
            depth_ratio: depth,
            arb_half_life_secs: 60.0,
            insurance_pct: 2.0,
            pol_pct: 5.0,
            bidder_capital_pct: 50.0,
            borrowers: 300,
            seed: 7,
            steps: 100,
            initial_debt: 150_000.0,
            wall_secs: 12.5,
            mechanisms,
            engine_detail: EngineDetail::default(),
            series: Series::default(),
        }
    }

    fn engine(r: &mut Report) -> &mut MechanismMetrics {
        &mut r.mechanisms[0].1
    }

    fn csv_scenario(name: &str, low: f64) -> Scenario {
        let text = format!("t_secs,price\n0,100\n600,{low}\n1200,90\n");
        Scenario::from_csv_str(name, &text, 60).unwrap()
    }

    fn sweep(scenarios: Vec<Scenario>, depths: Vec<f64>) -> SweepConfig {
        let mut base = SimConfig::new(scenarios[0].clone());
        base.borrowers = 5;
        base.drain_steps = 5;
        SweepConfig {
            scenarios,
            depth_ratios: depths,
            base,
            jobs: 2,
            progress: false,
        }
    }

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
            e.protocol_loss_pct = 1.5;
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
        let md = render_results_md(&cfg, &[r], "img/results.svg");
        assert!(md.contains("  - why: maker_liq2"), "{md}");
    }

    #[test]
    fn each_goal_fails_alone_with_its_numbers() {
        type Edit = fn(&mut Report);
        let cases: [(Edit, &[&str]); 7] = [
            (|r| engine(r).lp_loss = 12.5, &["lp_loss", "12.50"]),
            (
                |r| engine(r).bad_debt_pct = 0.25,
                &["bad_debt_pct", "0.25%"],
            ),
            (|r| engine(r).protocol_loss_pct = 0.9, &[]),
            (
                |r| engine(r).borrower_cost_p95_pct = 5.5,
                &["borrower_cost_p95_pct", "5.50%", "> 5%"],
            ),
            // Over every rival's loss (2, 3, 4) but under the 1% goal is impossible; set the
            // rivals' loss low instead.
            (
                |r| {
                    for (_, m) in r.mechanisms.iter_mut().skip(1) {
                        m.protocol_loss_pct = 0.0;
                        m.bad_debt_pct = 0.1;
                    }
                },
                &[
                    "bad debt + protocol loss 0.50% > gen1's 0.10%",
                    "aave_v3's 0.10%",
                    "maker_liq2's 0.10%",
                ],
            ),
            (
                |r| r.mechanisms[2].1.borrower_cost_mean_pct = 0.75,
                &["borrower_cost_mean_pct 1.00% > aave_v3's 0.75%"],
            ),
            (
                |r| engine(r).borrower_cost_mean_pct = f64::NAN,
                &["borrower_cost_mean_pct n/a"],
            ),
        ];
        for (edit, expect) in cases {
            let mut r = report("a", 1.0);
            edit(&mut r);
            let f = goal_failures(&r);
            if expect.is_empty() {
                assert!(f.is_empty(), "{f:?}");
                continue;
            }
            let all = f.join("\n");
            for e in expect {
                assert!(all.contains(e), "{e:?} not in {all}");
            }
        }
        // The protocol-loss and mean-cost goals, alone: rivals are worse still.
        let mut r = report("a", 1.0);
        for (_, m) in r.mechanisms.iter_mut().skip(1) {
            m.protocol_loss_pct = 50.0;
            m.borrower_cost_mean_pct = 50.0;
        }
        engine(&mut r).protocol_loss_pct = 1.5;
        assert_eq!(goal_failures(&r), ["engine protocol_loss_pct 1.50% > 1%"]);
        engine(&mut r).protocol_loss_pct = 0.0;
        engine(&mut r).borrower_cost_mean_pct = 2.25;
        assert_eq!(
            goal_failures(&r),
            ["engine borrower_cost_mean_pct 2.25% > 2%"]
        );
        // Tiny non-zero losses still show as non-zero.
        engine(&mut r).borrower_cost_mean_pct = 1.0;
        engine(&mut r).lp_loss = 0.001;
        assert_eq!(
            goal_failures(&r),
            ["engine lp_loss 1.00e-3 > 0 (LPs lost money)"]
        );
        // No engine at all.
        r.mechanisms.remove(0);
        assert_eq!(goal_failures(&r), ["the engine did not run"]);
    }

    #[test]
    fn metric_list_covers_every_key() {
        let v = serde_json::to_value(MechanismMetrics::default()).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut ours: Vec<&str> = METRICS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        ours.sort_unstable();
        assert_eq!(keys, ours);
    }

    fn sample_reports() -> Vec<Report> {
        let mut v = Vec::new();
        for s in ["eth-2020-03-12_x-1m", "eth-2020-03-12_y-10m", "luna|odd"] {
            for d in [0.25, 0.5, 1.0, 2.0] {
                v.push(report(s, d));
            }
        }
        // One failing checked run and a NaN.
        engine(&mut v[2]).bad_debt_pct = 0.4;
        v[5].mechanisms[3].1.sale_vs_path_pct = f64::NAN;
        v
    }

    #[test]
    fn results_page_has_every_run_and_the_summary() {
        let reports = sample_reports();
        let scenarios = vec![csv_scenario("eth-2020-03-12_x-1m", 80.0)];
        let mut cfg = sweep(scenarios, vec![0.25, 0.5, 1.0, 2.0]);
        cfg.base.borrowers = 300;
        let md = render_results_md(&cfg, &reports, "img/results.svg");
        assert!(md.starts_with("# "));
        assert!(md.contains(COMMAND));
        assert!(md.contains("](img/results.svg)"));
        assert!(md.contains("| borrowers | 300 |") && md.contains("| seed | 7 |"));
        for s in [
            "insurance fund at start | 2%",
            "POL at start | 5%",
            "bidder capital per look | 50%",
            "arbitrage half-life | 60 s",
        ] {
            assert!(md.contains(s), "{s}");
        }
        for r in &reports {
            let row = format!("| {} | {} |", code(&r.scenario), setting(r.depth_ratio));
            assert!(md.contains(&row), "{row}");
            for m in Mechanism::ALL {
                let full = format!("| {} | {} |", setting(r.depth_ratio), m.name());
                assert!(md.contains(&full), "{full}");
            }
        }
        for m in Mechanism::ALL {
            assert!(md.contains(&format!("{} loss", m.name())));
        }
        for (k, _, _) in METRICS {
            assert!(md.contains(&format!(" {k} |")), "{k}");
        }
        assert!(md.contains("`luna\\|odd`"), "pipes escaped");
        assert!(!md.contains("`luna|odd`"));
        assert!(md.contains("**8 of 9 runs meet every goal.**"), "{md}");
        assert!(md.contains("engine bad_debt_pct 0.40% > 0"));
        assert!(md.contains("3 runs at depth ratios below 0.5"));
        assert!(md.contains("| not checked |") && md.contains("| 1 miss |"));
        assert!(!md.contains("NaN") && !md.contains("inf"));
        assert!(!md.contains("12.5"), "no wall time");
        // Same input, same page.
        assert_eq!(md, render_results_md(&cfg, &reports, "img/results.svg"));
        // Every table row has the header's column count.
        let mut cols = None;
        for line in md.lines() {
            if line.starts_with('|') {
                let n = line.replace("\\|", "").matches('|').count();
                if line.starts_with("| scenario | depth |")
                    || line.starts_with("| depth |")
                    || line.starts_with("| setting")
                    || line.starts_with("| scenario | step")
                {
                    cols = Some(n);
                }
                assert_eq!(Some(n), cols, "{line}");
            } else {
                cols = None;
            }
        }
    }

    #[test]
    fn results_page_without_runs() {
        let cfg = sweep(vec![csv_scenario("a", 80.0)], vec![1.0]);
        let md = render_results_md(&cfg, &[], "results.svg");
        assert!(md.contains("**0 of 0 runs meet every goal.**") && md.contains("No runs."));
        assert!(!md.contains("NaN"));
    }

    fn balanced(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert_eq!(svg.matches("</svg>").count(), 1);
        assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        assert_eq!(
            svg.matches("<title>").count(),
            svg.matches("</title>").count()
        );
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    #[test]
    fn sweep_svg_has_a_bar_per_mechanism_and_run() {
        let reports = sample_reports();
        let svg = render_sweep_svg(&reports);
        balanced(&svg);
        for m in Mechanism::ALL {
            // One bar per group in each of the two panels.
            let class = format!(r#"class="bar-{}""#, m.name());
            assert_eq!(
                svg.matches(&class).count(),
                2 * reports.len(),
                "{}",
                m.name()
            );
            assert!(svg.contains(&format!(r#"class="legend-{}""#, m.name())));
            assert!(svg.contains(&format!(">{}</text>", m.name())));
        }
        assert!(svg.contains("bad debt + protocol loss, % of initial debt"));
        assert!(svg.contains("borrower cost, mean %"));
        // Shared stems are told apart; labels carry the depth.
        assert!(svg.contains(">eth-2020-03-12 1m@0.5<") && svg.contains(">eth-2020-03-12 10m@2<"));
        assert!(svg.contains(">luna|odd@1<"));
        assert!(!svg.contains("height=\"-"), "no negative heights");
    }

    #[test]
    fn sweep_svg_handles_empty_zero_nan_and_negative() {
        balanced(&render_sweep_svg(&[]));
        let mut r = report("z", 1.0);
        for (_, m) in r.mechanisms.iter_mut() {
            *m = MechanismMetrics::default();
        }
        balanced(&render_sweep_svg(std::slice::from_ref(&r)));
        r.mechanisms[1].1.borrower_cost_mean_pct = f64::NAN;
        r.mechanisms[2].1.protocol_loss_pct = f64::INFINITY;
        r.mechanisms[3].1.borrower_cost_mean_pct = -3.0;
        let svg = render_sweep_svg(&[r]);
        balanced(&svg);
        assert_eq!(svg.matches(r#"class="bar-engine""#).count(), 2);
        assert!(svg.contains(">-4<") || svg.contains(">-3<"), "{svg}");
    }

    #[test]
    fn axis_ticks_are_round() {
        let a = Axis::new([0.0, 7.3].into_iter());
        assert_eq!((a.lo, a.hi, a.step), (0.0, 8.0, 2.0));
        assert_eq!(a.ticks().len(), 5);
        let a = Axis::new([0.012, 0.04].into_iter());
        assert_eq!(a.decimals, 2);
        assert_eq!(a.label(0.0), "0.00");
        let a = Axis::new(std::iter::empty());
        assert_eq!((a.lo, a.hi), (0.0, 1.0));
    }

    #[test]
    fn relative_links() {
        let rl = |a: &str, b: &str| relative_link(Path::new(a), Path::new(b));
        assert_eq!(
            rl("docs/results.md", "docs/img/results.svg"),
            "img/results.svg"
        );
        assert_eq!(
            rl("./docs/results.md", "docs/img/results.svg"),
            "img/results.svg"
        );
        assert_eq!(rl("docs/results.md", "docs/results.svg"), "results.svg");
        assert_eq!(rl("results.md", "img/r.svg"), "img/r.svg");
        assert_eq!(rl("docs/results.md", "plots/r.svg"), "../plots/r.svg");
        assert_eq!(rl("/a/b/results.md", "/a/c/d/r.svg"), "../c/d/r.svg");
        assert_eq!(rl("../x/results.md", "../x/img/r.svg"), "img/r.svg");
        assert_eq!(rl("docs/sub/../results.md", "docs/img/r.svg"), "img/r.svg");
        // Mixed absolute and relative: resolved from the working directory.
        let cwd = std::env::current_dir().unwrap();
        let md = cwd.join("docs/results.md");
        assert_eq!(relative_link(&md, Path::new("docs/img/r.svg")), "img/r.svg");
    }

    #[test]
    fn short_names_tell_shared_stems_apart() {
        let s = short_names(&["a_x-1m", "a_y-1m", "b_z-5m", "plain"]);
        assert_eq!(s["b_z-5m"], "b");
        assert_eq!(s["plain"], "plain");
        assert_eq!(s["a_x-1m"], "a 1m #1");
        assert_eq!(s["a_y-1m"], "a 1m #2");
    }

    #[test]
    fn run_sweep_refuses_bad_settings_with_the_run() {
        let e = run_sweep(&sweep(vec![csv_scenario("a", 80.0)], vec![1.0, -1.0])).unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("a at depth ratio -1") && msg.contains("--depth-ratio"),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
        let e = run_sweep(&sweep(vec![csv_scenario("a", 80.0)], vec![])).unwrap_err();
        assert!(e.to_string().contains("no runs"));
    }

    #[test]
    fn run_sweep_returns_reports_in_job_order() {
        let cfg = sweep(
            vec![csv_scenario("a", 80.0), csv_scenario("b", 60.0)],
            vec![1.0, 2.0],
        );
        let reports = run_sweep(&cfg).unwrap();
        let got: Vec<(&str, f64)> = reports
            .iter()
            .map(|r| (r.scenario.as_str(), r.depth_ratio))
            .collect();
        assert_eq!(got, [("a", 1.0), ("a", 2.0), ("b", 1.0), ("b", 2.0)]);
        for r in &reports {
            assert_eq!(r.borrowers, 5);
            for m in Mechanism::ALL {
                assert!(r.get(m).is_some(), "{} missing in {}", m.name(), r.scenario);
            }
        }
        let md = render_results_md(&cfg, &reports, "img/results.svg");
        assert!(md.contains("of 4 runs meet every goal") && !md.contains("NaN"));
        balanced(&render_sweep_svg(&reports));
    }
}
