//! A short simulation on the embedded bank: on a crash path, the engine ends
//! with no bad debt where the generation-one baseline has plenty.

use zl_keeper::scenario::Scenario;
use zl_keeper::sim::report::{render_svg, render_table, to_json};
use zl_keeper::sim::world::{run, SimConfig};

#[tokio::test(flavor = "current_thread")]
async fn on_black_thursday_the_engine_has_no_bad_debt_and_the_baseline_does() {
    let mut cfg = SimConfig::new(Scenario::builtin("black-thursday-2020").unwrap());
    cfg.borrowers = 40;
    // The same depth per unit of debt as the default run (300 borrowers, 300k).
    cfg.pool_depth = 40_000.0;
    cfg.insurance = 8_000.0;
    cfg.pol = 20_000.0;
    cfg.lp_deposit = 400_000.0;
    cfg.progress = false;
    let r = run(&cfg).await.unwrap();

    assert!(r.engine.initial_debt > 0.0);
    assert_eq!(
        r.engine.initial_debt, r.baseline.initial_debt,
        "same book at start"
    );
    assert_eq!(r.engine.bad_debt, 0.0, "the engine left bad debt");
    assert_eq!(r.engine.lp_loss, 0.0);
    assert!(
        r.baseline.bad_debt > 0.0,
        "the baseline should have bad debt on this path"
    );
    assert!(r.engine.accounts_liquidated > 0 && r.baseline.accounts_liquidated > 0);
    // The engine sells collateral closer to the oracle than the dumping baseline.
    assert!(r.engine.avg_sale_price > r.baseline.avg_sale_price);
    assert!(r.engine.transactions > 0);

    let table = render_table(&r);
    assert!(table.contains("bad debt"));
    let json = to_json(&r);
    assert_eq!(json["engine"]["bad_debt"], 0.0);
    assert!(json["baseline"]["bad_debt"].as_f64().unwrap() > 0.0);
    let svg = render_svg(&r);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
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
