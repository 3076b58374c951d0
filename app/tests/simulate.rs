//! Simulations on the embedded bank: the report's shape, scale invariance, and the command
//! line's one-line errors.

use zl_keeper::scenario::Scenario;
use zl_keeper::sim::report::{render_svg, render_table, to_json};
use zl_keeper::sim::world::{run, SimConfig};
use zl_keeper::sim::Mechanism;

fn short(scenario: Scenario) -> SimConfig {
    let mut cfg = SimConfig::new(scenario);
    cfg.borrowers = 24;
    cfg.drain_steps = 60;
    cfg.progress = false;
    cfg
}

#[tokio::test(flavor = "current_thread")]
async fn the_flash_wick_runs_every_mechanism_on_the_same_book() {
    let cfg = short(Scenario::named("eth-2021-05-19-wick_binance-usdtm-perp-1m").unwrap());
    let r = run(&cfg).await.unwrap();
    let names: Vec<&str> = r.mechanisms.iter().map(|(m, _)| m.name()).collect();
    assert_eq!(
        names,
        [
            "engine",
            "gen1",
            "aave_v3",
            "maker_liq2",
            "kamino",
            "euler_v2",
            "engine_v2_model"
        ]
    );
    for (m, x) in &r.mechanisms {
        // Equal backstops: 2% insurance + 5% POL for every mechanism, each held its way.
        let total = x.insurance_start_pct + x.pol_start_pct;
        assert!((total - 7.0).abs() < 1e-9, "{}: {total}", m.name());
        assert!(x.bad_debt_pct >= 0.0 && x.protocol_loss_pct >= 0.0);
        assert!(x.borrower_cost_p50_pct <= x.borrower_cost_p95_pct + 1e-9);
        assert!(x.fees_paid_pct >= 0.0 && x.wrongful_value_pct >= 0.0);
        if x.transactions > 0 {
            assert!(x.fees_paid_pct > 0.0, "{}: transactions pay fees", m.name());
        }
    }
    let engine = r.get(Mechanism::Engine).unwrap();
    assert!((engine.pol_start_pct - 5.0).abs() < 1e-9);
    assert!(engine.transactions > 0);
    assert_eq!(r.get(Mechanism::AaveV3).unwrap().pol_start_pct, 0.0);
    assert_eq!(json_keys_of(&r), 10);
    assert!(r.initial_debt > 0.0);
    // The takers had money out when they took, never more than they started with.
    let d = &r.engine_detail;
    if d.partial_liquidations + d.bids > 0 {
        assert!(d.takers_peak_outlay > 0.0, "{d:?}");
    }
    assert!(d.takers_peak_outlay <= r.initial_debt * r.bidder_capital_pct / 100.0 + 1e-6);

    let table = render_table(&r);
    assert!(table.contains("maker_liq2") && table.contains("bad debt"));
    let json = to_json(&r);
    assert_eq!(
        json["scenario"],
        "eth-2021-05-19-wick_binance-usdtm-perp-1m"
    );
    assert_eq!(json["depth_ratio"], 1.0);
    assert!(json["mechanisms"]["engine"]["bad_debt_pct"].is_number());
    let svg = render_svg(&r);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
}

/// How many of the headline keys every mechanism's JSON carries.
fn json_keys_of(r: &zl_keeper::sim::report::Report) -> usize {
    let json = to_json(r);
    let keys = [
        "bad_debt_pct",
        "lp_loss",
        "protocol_loss_pct",
        "borrower_cost_mean_pct",
        "borrower_cost_p95_pct",
        "wrongful_value_pct",
        "transactions",
        "fees_paid_pct",
        "insurance_start_pct",
        "pol_start_pct",
    ];
    keys.iter()
        .filter(|k| {
            ["engine", "aave_v3", "maker_liq2", "kamino", "euler_v2"]
                .iter()
                .all(|m| json["mechanisms"][m][**k].is_number())
        })
        .count()
}

/// The same path at about 1e-3 and about 1e5 gives the same percentages: the set-up is sized
/// in value. The levels are powers of two so that scaling the path back to the simulator's
/// level is exact: a rounding difference in the last bit can otherwise tip a knife-edge
/// decision (a take that pays by 1e-15) and change a model's path.
#[tokio::test(flavor = "current_thread")]
async fn percentages_do_not_depend_on_the_price_level() {
    let csv = |level: f64| {
        let pts = [
            (0, 1.0),
            (600, 0.95),
            (1_200, 0.7),
            (1_800, 0.62),
            (2_400, 0.75),
            (3_000, 0.7),
        ];
        let mut s = String::from("t_secs,price\n");
        for (t, p) in pts {
            s.push_str(&format!("{t},{}\n", p * level));
        }
        Scenario::from_csv_str("scaled", &s, 60).unwrap()
    };
    let lo = run(&short(csv(2f64.powi(-10)))).await.unwrap();
    let hi = run(&short(csv(2f64.powi(17)))).await.unwrap();
    assert_eq!(lo.initial_debt, hi.initial_debt);
    let mut liquidated = 0;
    for ((m, a), (_, b)) in lo.mechanisms.iter().zip(&hi.mechanisms) {
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0);
        assert!(
            close(a.bad_debt_pct, b.bad_debt_pct),
            "{}: {a:?} vs {b:?}",
            m.name()
        );
        assert!(
            close(a.protocol_loss_pct, b.protocol_loss_pct),
            "{}: {a:?} vs {b:?}",
            m.name()
        );
        assert!(
            close(a.borrower_cost_mean_pct, b.borrower_cost_mean_pct),
            "{}: {a:?} vs {b:?}",
            m.name()
        );
        assert!(
            close(a.borrower_cost_p95_pct, b.borrower_cost_p95_pct),
            "{}",
            m.name()
        );
        assert_eq!(a.accounts_liquidated, b.accounts_liquidated, "{}", m.name());
        liquidated += a.accounts_liquidated;
    }
    assert!(
        liquidated > 0,
        "the path must liquidate someone to test anything"
    );
}

#[test]
fn csv_paths_with_bad_input_fail_clearly() {
    let e = Scenario::from_csv_str("x", "time,price\n0,1\n1,2\n", 60).unwrap_err();
    assert!(e.to_string().to_lowercase().contains("header"), "{e}");
    let e = Scenario::from_csv_str("x", "t_secs,price\n0,1\n0,2\n", 60).unwrap_err();
    assert!(e.to_string().contains('3'), "names the line: {e}");
    let e = Scenario::from_csv_str("x", "t_secs,price\n0,1\n10,-2\n", 60).unwrap_err();
    assert!(e.to_string().contains('3'), "{e}");
}

/// Bad input on the command line: one line on stderr, exit code 1, no backtrace.
#[test]
fn the_command_line_fails_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "t_secs,price\n0,100\n60,abc\n").unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec!["--scenario-file".into(), bad.display().to_string()],
        vec![
            "--scenario-file".into(),
            dir.path().join("missing.csv").display().to_string(),
        ],
        vec!["--depth-ratio".into(), "0".into()],
        vec!["--insurance-pct=-1".into()],
        vec!["--borrowers".into(), "0".into()],
        vec!["--arb-half-life-secs".into(), "NaN".into()],
        // Usage errors (clap's): one line as well, exit code 2.
        vec!["--depth-ratio".into(), "deep".into()],
        vec!["--scenario".into(), "nope".into()],
    ];
    for args in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_zl-keeper"))
            .arg("simulate")
            .arg("--no-progress")
            .args(&args)
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let usage = args.iter().any(|a| a == "deep" || a == "nope");
        let code = if usage { 2 } else { 1 };
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(
            !err.contains("backtrace") && !err.contains("panicked"),
            "{err}"
        );
    }
}
