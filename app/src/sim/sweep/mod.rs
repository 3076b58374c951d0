//! `zl-keeper simulate --sweep`: every scenario at every depth ratio, every mechanism, in
//! parallel (this file); the results page (docs/results.md, `page.rs`) with the engine
//! checked against its goals (`goals.rs`), and its plot (docs/img/results.svg, `plot.rs`).
//!
//! A simulation builds its own in-process bank, which is not `Send`: each worker thread has
//! its own current-thread tokio runtime and runs whole simulations in it, taking the next
//! job from a shared queue. Reports come back in job order (scenario, then depth ratio).

mod goals;
mod page;
mod plot;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;

use super::report::Report;
use super::world::{self, SimConfig};
use crate::scenario::Scenario;

pub use goals::{
    best_rival, best_rival_cost, goal_failures, miss_reasons, GOAL_COST_MEAN_PCT,
    GOAL_COST_P95_PCT, GOAL_MIN_DEPTH, GOAL_TX_VS_AAVE,
};
pub use page::{render_results_md, COMMAND};
pub use plot::render_sweep_svg;

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

/// Fixtures the tests of the sweep's files share.
#[cfg(test)]
mod testkit {
    use super::*;
    use crate::sim::ledger::MechanismMetrics;
    use crate::sim::report::{EngineDetail, Series};
    use crate::sim::Mechanism;

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
            negative_cost_accounts: 0,
            wrongful_value_pct: 0.5,
            fees_paid_pct: 0.01,
        }
    }

    /// A run where the engine meets every goal: rivals lose more and cost more.
    pub(super) fn report(scenario: &str, depth: f64) -> Report {
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
            rival_backstops: "equal".into(),
            frictions: Default::default(),
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

    pub(super) fn engine(r: &mut Report) -> &mut MechanismMetrics {
        &mut r.mechanisms[0].1
    }

    pub(super) fn csv_scenario(name: &str, low: f64) -> Scenario {
        let text = format!("t_secs,price\n0,100\n600,{low}\n1200,90\n");
        Scenario::from_csv_str(name, &text, 60).unwrap()
    }

    pub(super) fn sweep(scenarios: Vec<Scenario>, depths: Vec<f64>) -> SweepConfig {
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

    pub(super) fn sample_reports() -> Vec<Report> {
        let mut v = Vec::new();
        for s in ["eth-2020-03-12_x-1m", "eth-2020-03-12_y-10m", "luna|odd"] {
            for d in [0.25, 0.5, 1.0, 2.0] {
                v.push(report(s, d));
            }
        }
        // One failing checked run and a NaN.
        engine(&mut v[2]).borrower_cost_p95_pct = 5.4;
        v[5].mechanisms[3].1.sale_vs_path_pct = f64::NAN;
        v
    }

    pub(super) fn balanced(svg: &str) {
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
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::sim::Mechanism;

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
