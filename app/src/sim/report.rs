//! The simulator's report: per-engine metrics, the side-by-side table, the JSON document
//! (keys documented in docs/simulator.md, "JSON keys") and the SVG plot.

use std::fmt::Write as _;

use serde::Serialize;

/// Raw sums behind the derived metrics. Not serialized.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Accumulator {
    /// Debt received for all collateral sold (debt units).
    pub sale_value: f64,
    /// Collateral sold valued at the oracle price at each sale (debt units).
    pub oracle_value: f64,
    /// Time of the first liquidation action, seconds.
    pub first_action_secs: Option<f64>,
    /// Time of the last liquidation action, seconds.
    pub last_action_secs: Option<f64>,
}

/// What one engine (the program or the baseline) did over a run. Amounts are whole tokens;
/// "debt units" means tokens of the debt asset.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Metrics {
    /// Debt written off, debt units.
    pub bad_debt: f64,
    /// `bad_debt` as % of the debt outstanding at start.
    pub bad_debt_pct: f64,
    /// Debt units lost by LPs.
    pub lp_loss: f64,
    /// Insurance fund spent, debt units.
    pub insurance_used: f64,
    /// Protocol-owned liquidity spent, debt units.
    pub pol_used: f64,
    /// Debt units paid by borrowers as bonus/penalty.
    pub borrower_penalty: f64,
    /// `borrower_penalty` as % of `debt_liquidated`.
    pub borrower_penalty_pct: f64,
    /// Debt repaid by liquidations, debt units.
    pub debt_liquidated: f64,
    /// Accounts liquidated at least once.
    pub accounts_liquidated: u64,
    /// Collateral sold, whole collateral tokens.
    pub collateral_sold: f64,
    /// Debt per collateral, averaged over sales (weighted by amount).
    pub avg_sale_price: f64,
    /// `(avg sale price / avg oracle price at sale - 1) * 100`.
    pub avg_sale_vs_oracle_pct: f64,
    pub auctions_started: u64,
    pub auctions_restarted: u64,
    pub auctions_backstopped: u64,
    /// From the first to the last liquidation action, seconds.
    pub time_to_clear_secs: f64,
    /// Transactions sent (baseline: one per liquidation call).
    pub transactions: u64,
    /// Debt outstanding at start, debt units.
    pub initial_debt: f64,
    #[serde(skip)]
    pub acc: Accumulator,
}

impl Metrics {
    /// Records a sale of `collateral` for `debt_received`, when the oracle said
    /// `oracle_price` (debt per collateral). Adds to `collateral_sold`.
    pub fn record_sale(&mut self, collateral: f64, debt_received: f64, oracle_price: f64) {
        if collateral.is_nan() || collateral <= 0.0 {
            return;
        }
        self.collateral_sold += collateral;
        self.acc.sale_value += debt_received;
        self.acc.oracle_value += collateral * oracle_price;
    }

    /// Records a liquidation action (partial liquidation, auction start, bid, ...) at
    /// `t_secs`, for `time_to_clear_secs`.
    pub fn record_action(&mut self, t_secs: f64) {
        let first = self.acc.first_action_secs.get_or_insert(t_secs);
        *first = first.min(t_secs);
        let last = self.acc.last_action_secs.get_or_insert(t_secs);
        *last = last.max(t_secs);
    }

    /// Derives the percentage, average and time fields from the raw sums. Idempotent.
    pub fn finish(&mut self) {
        let pct = |num: f64, den: f64| if den > 0.0 { num / den * 100.0 } else { 0.0 };
        self.bad_debt_pct = pct(self.bad_debt, self.initial_debt);
        self.borrower_penalty_pct = pct(self.borrower_penalty, self.debt_liquidated);
        if self.collateral_sold > 0.0 {
            self.avg_sale_price = self.acc.sale_value / self.collateral_sold;
        } else {
            self.avg_sale_price = 0.0;
        }
        self.avg_sale_vs_oracle_pct = if self.acc.oracle_value > 0.0 {
            (self.acc.sale_value / self.acc.oracle_value - 1.0) * 100.0
        } else {
            0.0
        };
        self.time_to_clear_secs = match (self.acc.first_action_secs, self.acc.last_action_secs) {
            (Some(a), Some(b)) => b - a,
            _ => 0.0,
        };
    }
}

/// Time series for the plot.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Series {
    /// Seconds from the start.
    pub t: Vec<f64>,
    /// Oracle (pool) price at each `t`.
    pub price: Vec<f64>,
    pub ema: Vec<f64>,
    pub trigger: Vec<f64>,
    /// The scenario's fundamental price.
    pub fundamental: Vec<f64>,
    /// (t, price) of each engine liquidation action.
    pub engine_liquidations: Vec<(f64, f64)>,
    /// (t, price) of each baseline liquidation.
    pub baseline_liquidations: Vec<(f64, f64)>,
}

/// One simulator run: the engine beside the baseline on the same path.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub borrowers: usize,
    pub seed: u64,
    pub steps: u64,
    pub wall_secs: f64,
    pub engine: Metrics,
    pub baseline: Metrics,
    #[serde(skip)]
    pub series: Series,
}

enum Fmt {
    Amount,
    Pct,
    Price,
    Count,
    Secs,
}

struct Row {
    label: &'static str,
    unit: &'static str,
    fmt: Fmt,
    get: fn(&Metrics) -> f64,
}

const ROWS: &[Row] = &[
    Row {
        label: "bad debt",
        unit: "debt",
        fmt: Fmt::Amount,
        get: |m| m.bad_debt,
    },
    Row {
        label: "bad debt",
        unit: "% of initial debt",
        fmt: Fmt::Pct,
        get: |m| m.bad_debt_pct,
    },
    Row {
        label: "LP loss",
        unit: "debt",
        fmt: Fmt::Amount,
        get: |m| m.lp_loss,
    },
    Row {
        label: "insurance used",
        unit: "debt",
        fmt: Fmt::Amount,
        get: |m| m.insurance_used,
    },
    Row {
        label: "POL used",
        unit: "debt",
        fmt: Fmt::Amount,
        get: |m| m.pol_used,
    },
    Row {
        label: "borrower penalty",
        unit: "debt",
        fmt: Fmt::Amount,
        get: |m| m.borrower_penalty,
    },
    Row {
        label: "borrower penalty",
        unit: "% of debt liquidated",
        fmt: Fmt::Pct,
        get: |m| m.borrower_penalty_pct,
    },
    Row {
        label: "debt liquidated",
        unit: "debt",
        fmt: Fmt::Amount,
        get: |m| m.debt_liquidated,
    },
    Row {
        label: "accounts liquidated",
        unit: "count",
        fmt: Fmt::Count,
        get: |m| m.accounts_liquidated as f64,
    },
    Row {
        label: "collateral sold",
        unit: "collateral",
        fmt: Fmt::Amount,
        get: |m| m.collateral_sold,
    },
    Row {
        label: "average sale price",
        unit: "debt/collateral",
        fmt: Fmt::Price,
        get: |m| m.avg_sale_price,
    },
    Row {
        label: "average sale vs oracle",
        unit: "%",
        fmt: Fmt::Pct,
        get: |m| m.avg_sale_vs_oracle_pct,
    },
    Row {
        label: "auctions started",
        unit: "count",
        fmt: Fmt::Count,
        get: |m| m.auctions_started as f64,
    },
    Row {
        label: "auctions restarted",
        unit: "count",
        fmt: Fmt::Count,
        get: |m| m.auctions_restarted as f64,
    },
    Row {
        label: "auctions backstopped",
        unit: "count",
        fmt: Fmt::Count,
        get: |m| m.auctions_backstopped as f64,
    },
    Row {
        label: "time to clear",
        unit: "s",
        fmt: Fmt::Secs,
        get: |m| m.time_to_clear_secs,
    },
    Row {
        label: "transactions",
        unit: "count",
        fmt: Fmt::Count,
        get: |m| m.transactions as f64,
    },
    Row {
        label: "initial debt",
        unit: "debt",
        fmt: Fmt::Amount,
        get: |m| m.initial_debt,
    },
];

fn fmt_value(fmt: &Fmt, v: f64) -> String {
    match fmt {
        Fmt::Amount => format!("{v:.2}"),
        Fmt::Pct => format!("{v:.2}"),
        Fmt::Price => format!("{v:.4}"),
        Fmt::Count => format!("{v:.0}"),
        Fmt::Secs => format!("{v:.0}"),
    }
}

/// The side-by-side table: one row per metric, `metric [unit] | engine | baseline`,
/// bad debt first.
pub fn render_table(r: &Report) -> String {
    let rows: Vec<(String, String, String)> = ROWS
        .iter()
        .map(|row| {
            (
                format!("{} [{}]", row.label, row.unit),
                fmt_value(&row.fmt, (row.get)(&r.engine)),
                fmt_value(&row.fmt, (row.get)(&r.baseline)),
            )
        })
        .collect();
    let w0 = rows.iter().map(|r| r.0.len()).chain([6]).max().unwrap_or(6);
    let w1 = rows.iter().map(|r| r.1.len()).chain([6]).max().unwrap_or(6);
    let w2 = rows.iter().map(|r| r.2.len()).chain([8]).max().unwrap_or(8);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {}: {} borrowers, seed {}, {} steps, {:.1} s wall",
        r.scenario, r.borrowers, r.seed, r.steps, r.wall_secs
    );
    let _ = writeln!(
        out,
        "{:<w0$} | {:>w1$} | {:>w2$}",
        "metric", "engine", "baseline"
    );
    let _ = writeln!(out, "{:-<w0$}-+-{:-<w1$}-+-{:-<w2$}", "", "", "");
    for (label, e, b) in rows {
        let _ = writeln!(out, "{label:<w0$} | {e:>w1$} | {b:>w2$}");
    }
    out
}

/// The JSON document: `scenario`, `borrowers`, `seed`, `steps`, `wall_secs`, and one
/// object of [`Metrics`] keys under `engine` and under `baseline`.
pub fn to_json(r: &Report) -> serde_json::Value {
    serde_json::to_value(r).expect("a report is plain data")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A short decimal label for an axis value.
fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 || a == 0.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3e}")
    }
}

/// The plot: price, EMA, trigger and fundamental lines over time, with axes and a legend;
/// engine liquidations as circles (`class="liq-engine"`), baseline liquidations as crosses
/// (`class="liq-baseline"`). Self-contained SVG.
pub fn render_svg(r: &Report) -> String {
    const W: f64 = 960.0;
    const HT: f64 = 480.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 20.0;
    const TOP: f64 = 40.0;
    const BOTTOM: f64 = 50.0;
    let s = &r.series;
    let lines: [(&str, &[f64], &str, &str); 4] = [
        ("price", &s.price, "#1f77b4", ""),
        ("EMA", &s.ema, "#ff7f0e", ""),
        ("trigger", &s.trigger, "#d62728", "6 4"),
        ("fundamental", &s.fundamental, "#7f7f7f", "2 3"),
    ];

    // Ranges over everything drawn.
    let mut t_lo = f64::INFINITY;
    let mut t_hi = f64::NEG_INFINITY;
    let mut y_lo = f64::INFINITY;
    let mut y_hi = f64::NEG_INFINITY;
    let mut see = |t: f64, y: f64| {
        if t.is_finite() && y.is_finite() {
            t_lo = t_lo.min(t);
            t_hi = t_hi.max(t);
            y_lo = y_lo.min(y);
            y_hi = y_hi.max(y);
        }
    };
    for (_, values, _, _) in &lines {
        for (&t, &y) in s.t.iter().zip(values.iter()) {
            see(t, y);
        }
    }
    for &(t, y) in s.engine_liquidations.iter().chain(&s.baseline_liquidations) {
        see(t, y);
    }
    if !t_lo.is_finite() {
        (t_lo, t_hi, y_lo, y_hi) = (0.0, 1.0, 0.0, 1.0);
    }
    if t_hi <= t_lo {
        t_hi = t_lo + 1.0;
    }
    let pad = ((y_hi - y_lo) * 0.05).max(y_hi.abs() * 0.01).max(1e-9);
    y_lo -= pad;
    y_hi += pad;

    let pw = W - LEFT - RIGHT;
    let ph = HT - TOP - BOTTOM;
    let x = |t: f64| LEFT + (t - t_lo) / (t_hi - t_lo) * pw;
    let y = |v: f64| TOP + (y_hi - v) / (y_hi - y_lo) * ph;
    let (t_div, t_unit) = if t_hi - t_lo >= 7_200.0 {
        (3_600.0, "h")
    } else {
        (60.0, "min")
    };

    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{HT}" viewBox="0 0 {W} {HT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(o, r#"<rect width="{W}" height="{HT}" fill="white"/>"#);
    let _ = writeln!(
        o,
        r#"<text x="{LEFT}" y="24" font-size="15">{} ({} borrowers, seed {})</text>"#,
        xml_escape(&r.scenario),
        r.borrowers,
        r.seed
    );
    // Axes and ticks.
    let _ = writeln!(
        o,
        r#"<g stroke="black" fill="none"><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{y0:.2}"/><line x1="{LEFT}" y1="{y0:.2}" x2="{x1:.2}" y2="{y0:.2}"/></g>"#,
        y0 = TOP + ph,
        x1 = LEFT + pw
    );
    for i in 0..=5 {
        let t = t_lo + (t_hi - t_lo) * i as f64 / 5.0;
        let px = x(t);
        let _ = writeln!(
            o,
            r##"<line x1="{px:.2}" y1="{a:.2}" x2="{px:.2}" y2="{b:.2}" stroke="#ddd"/><text x="{px:.2}" y="{ty:.2}" text-anchor="middle">{}</text>"##,
            tick_label(t / t_div),
            a = TOP,
            b = TOP + ph,
            ty = TOP + ph + 18.0
        );
    }
    for i in 0..=4 {
        let v = y_lo + (y_hi - y_lo) * i as f64 / 4.0;
        let py = y(v);
        let _ = writeln!(
            o,
            r##"<line x1="{LEFT}" y1="{py:.2}" x2="{x1:.2}" y2="{py:.2}" stroke="#ddd"/><text x="{tx:.2}" y="{ly:.2}" text-anchor="end">{}</text>"##,
            tick_label(v),
            x1 = LEFT + pw,
            tx = LEFT - 6.0,
            ly = py + 4.0
        );
    }
    let _ = writeln!(
        o,
        r#"<text x="{:.2}" y="{:.2}" text-anchor="middle">time ({t_unit})</text>"#,
        LEFT + pw / 2.0,
        HT - 8.0
    );
    let _ = writeln!(
        o,
        r#"<text x="16" y="{:.2}" text-anchor="middle" transform="rotate(-90 16 {:.2})">price (debt per collateral)</text>"#,
        TOP + ph / 2.0,
        TOP + ph / 2.0
    );

    // Lines.
    let mut legend: Vec<String> = Vec::new();
    for (name, values, color, dash) in &lines {
        if values.is_empty() {
            continue;
        }
        let pts: Vec<String> =
            s.t.iter()
                .zip(values.iter())
                .filter(|(t, v)| t.is_finite() && v.is_finite())
                .map(|(&t, &v)| format!("{:.2},{:.2}", x(t), y(v)))
                .collect();
        let dash_attr = if dash.is_empty() {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{dash}""#)
        };
        let _ = writeln!(
            o,
            r#"<polyline class="series-{}" fill="none" stroke="{color}" stroke-width="1.5"{dash_attr} points="{}"/>"#,
            name.to_ascii_lowercase(),
            pts.join(" ")
        );
        legend.push(format!(
            r#"<line class="legend" x1="0" y1="0" x2="22" y2="0" stroke="{color}" stroke-width="2"{dash_attr}/><text x="28" y="4">{name}</text>"#
        ));
    }

    // Markers.
    for &(t, v) in &s.engine_liquidations {
        let _ = writeln!(
            o,
            r##"<circle class="liq-engine" cx="{:.2}" cy="{:.2}" r="3.5" fill="#2ca02c" fill-opacity="0.7"/>"##,
            x(t),
            y(v)
        );
    }
    for &(t, v) in &s.baseline_liquidations {
        let (cx, cy) = (x(t), y(v));
        let _ = writeln!(
            o,
            r##"<path class="liq-baseline" d="M{:.2},{:.2}L{:.2},{:.2}M{:.2},{:.2}L{:.2},{:.2}" stroke="#9467bd" stroke-width="1.5"/>"##,
            cx - 3.5,
            cy - 3.5,
            cx + 3.5,
            cy + 3.5,
            cx - 3.5,
            cy + 3.5,
            cx + 3.5,
            cy - 3.5
        );
    }
    legend.push(
        r##"<circle class="legend" cx="11" cy="0" r="3.5" fill="#2ca02c"/><text x="28" y="4">engine liquidation</text>"##
            .to_string(),
    );
    legend.push(
        r##"<path class="legend" d="M7.5,-3.5L14.5,3.5M7.5,3.5L14.5,-3.5" stroke="#9467bd" stroke-width="1.5"/><text x="28" y="4">baseline liquidation</text>"##
            .to_string(),
    );
    let lx = LEFT + pw - 170.0;
    let _ = writeln!(
        o,
        r##"<rect x="{:.2}" y="{:.2}" width="165" height="{:.2}" fill="white" fill-opacity="0.85" stroke="#bbb"/>"##,
        lx - 6.0,
        TOP + 4.0,
        legend.len() as f64 * 18.0 + 8.0
    );
    for (i, entry) in legend.iter().enumerate() {
        let _ = writeln!(
            o,
            r#"<g transform="translate({lx:.2} {:.2})">{entry}</g>"#,
            TOP + 18.0 + i as f64 * 18.0
        );
    }
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const METRIC_KEYS: &[&str] = &[
        "bad_debt",
        "bad_debt_pct",
        "lp_loss",
        "insurance_used",
        "pol_used",
        "borrower_penalty",
        "borrower_penalty_pct",
        "debt_liquidated",
        "accounts_liquidated",
        "collateral_sold",
        "avg_sale_price",
        "avg_sale_vs_oracle_pct",
        "auctions_started",
        "auctions_restarted",
        "auctions_backstopped",
        "time_to_clear_secs",
        "transactions",
        "initial_debt",
    ];
    const TOP_KEYS: &[&str] = &[
        "scenario",
        "borrowers",
        "seed",
        "steps",
        "wall_secs",
        "engine",
        "baseline",
    ];

    fn sample() -> Report {
        let mut engine = Metrics {
            initial_debt: 1_000.0,
            bad_debt: 0.0,
            debt_liquidated: 400.0,
            borrower_penalty: 8.0,
            accounts_liquidated: 12,
            auctions_started: 3,
            transactions: 40,
            ..Metrics::default()
        };
        engine.record_sale(2.0, 190.0, 100.0);
        engine.record_action(60.0);
        engine.record_action(660.0);
        engine.finish();
        let mut baseline = Metrics {
            initial_debt: 1_000.0,
            bad_debt: 55.5,
            lp_loss: 55.5,
            debt_liquidated: 900.0,
            borrower_penalty: 45.0,
            accounts_liquidated: 30,
            transactions: 31,
            ..Metrics::default()
        };
        baseline.record_sale(10.0, 800.0, 90.0);
        baseline.record_action(120.0);
        baseline.finish();
        let t: Vec<f64> = (0..100).map(|i| i as f64 * 60.0).collect();
        let price: Vec<f64> = t.iter().map(|t| 100.0 - t / 200.0).collect();
        Report {
            scenario: "wick <test>".into(),
            borrowers: 300,
            seed: 7,
            steps: 100,
            wall_secs: 1.25,
            engine,
            baseline,
            series: Series {
                ema: price.iter().map(|p| p + 1.0).collect(),
                trigger: vec![80.0; t.len()],
                fundamental: price.iter().map(|p| p - 0.5).collect(),
                price,
                t,
                engine_liquidations: vec![(600.0, 97.0), (1200.0, 94.0), (1800.0, 91.0)],
                baseline_liquidations: vec![(300.0, 98.5), (900.0, 95.5)],
            },
        }
    }

    #[test]
    fn finish_derives_percentages_averages_and_time() {
        let r = sample();
        let e = &r.engine;
        assert_eq!(e.collateral_sold, 2.0);
        assert_eq!(e.avg_sale_price, 95.0);
        assert!((e.avg_sale_vs_oracle_pct - -5.0).abs() < 1e-9);
        assert_eq!(e.borrower_penalty_pct, 2.0);
        assert_eq!(e.time_to_clear_secs, 600.0);
        let b = &r.baseline;
        assert!((b.bad_debt_pct - 5.55).abs() < 1e-9);
        assert_eq!(b.avg_sale_price, 80.0);
        assert!((b.avg_sale_vs_oracle_pct - (80.0 / 90.0 - 1.0) * 100.0).abs() < 1e-9);
        assert_eq!(b.borrower_penalty_pct, 5.0);
        assert_eq!(b.time_to_clear_secs, 0.0);
        // Idempotent; empty metrics stay at zero, not NaN.
        let mut again = b.clone();
        again.finish();
        assert_eq!(&again, b);
        let mut empty = Metrics::default();
        empty.finish();
        assert_eq!(empty, Metrics::default());
        // Actions out of order.
        let mut m = Metrics::default();
        m.record_action(500.0);
        m.record_action(100.0);
        m.record_action(300.0);
        m.finish();
        assert_eq!(m.time_to_clear_secs, 400.0);
    }

    #[test]
    fn table_has_every_metric_and_both_columns() {
        let r = sample();
        let table = render_table(&r);
        assert_eq!(ROWS.len(), METRIC_KEYS.len(), "one row per metric");
        let lines: Vec<&str> = table.lines().collect();
        let header: Vec<&str> = lines[1].split('|').map(str::trim).collect();
        assert_eq!(header, ["metric", "engine", "baseline"], "{}", lines[1]);
        assert!(
            lines[3].starts_with("bad debt [debt]"),
            "bad debt first: {}",
            lines[3]
        );
        for row in ROWS {
            let label = format!("{} [{}]", row.label, row.unit);
            let line = lines
                .iter()
                .find(|l| l.starts_with(&label))
                .unwrap_or_else(|| panic!("missing row {label}\n{table}"));
            assert_eq!(line.matches(" | ").count(), 2, "{line}");
        }
        // Aligned: every row has its separators at the same columns.
        let cols: BTreeSet<Vec<usize>> = lines[1..]
            .iter()
            .filter(|l| l.contains(" | "))
            .map(|l| l.match_indices(" | ").map(|(i, _)| i).collect())
            .collect();
        assert_eq!(cols.len(), 1, "{table}");
        let bad = lines
            .iter()
            .find(|l| l.starts_with("bad debt [% of initial debt]"))
            .unwrap();
        assert!(bad.ends_with("5.55") && bad.contains("0.00"), "{bad}");
        let sold = lines
            .iter()
            .find(|l| l.starts_with("average sale price"))
            .unwrap();
        assert!(
            sold.contains("95.0000") && sold.ends_with("80.0000"),
            "{sold}"
        );
        assert!(lines[0].contains("wick <test>") && lines[0].contains("300 borrowers"));
    }

    fn keys(v: &serde_json::Value) -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    fn set(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// Backticked keys in the first column of the tables of each `###` subsection of
    /// docs/simulator.md "## JSON keys".
    fn documented_keys() -> Vec<BTreeSet<String>> {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/simulator.md"))
                .expect("docs/simulator.md");
        let section = doc
            .split("\n## ")
            .find(|s| s.starts_with("JSON keys"))
            .expect("a JSON keys section");
        section
            .split("\n### ")
            .skip(1)
            .map(|sub| {
                sub.lines()
                    .filter_map(|l| l.strip_prefix("| `"))
                    .filter_map(|l| l.split('`').next())
                    .map(str::to_string)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn json_has_exactly_the_documented_keys() {
        let r = sample();
        let v = to_json(&r);
        assert_eq!(keys(&v), set(TOP_KEYS));
        assert_eq!(keys(&v["engine"]), set(METRIC_KEYS));
        assert_eq!(keys(&v["baseline"]), set(METRIC_KEYS));
        assert_eq!(v["scenario"], "wick <test>");
        assert_eq!(v["borrowers"], 300);
        assert_eq!(v["baseline"]["bad_debt"], 55.5);
        assert_eq!(v["engine"]["accounts_liquidated"], 12);
        let doc = documented_keys();
        assert_eq!(doc.len(), 2, "two key tables: top level and per engine");
        assert_eq!(doc[0], set(TOP_KEYS));
        assert_eq!(doc[1], set(METRIC_KEYS));
    }

    #[test]
    fn svg_is_well_formed_with_lines_and_markers() {
        let r = sample();
        let svg = render_svg(&r);
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert_eq!(svg.matches("<polyline").count(), 4);
        for name in ["price", "ema", "trigger", "fundamental"] {
            assert!(svg.contains(&format!(r#"class="series-{name}""#)), "{name}");
        }
        assert_eq!(svg.matches(r#"class="liq-engine""#).count(), 3);
        assert_eq!(svg.matches(r#"class="liq-baseline""#).count(), 2);
        assert!(svg.contains("wick &lt;test&gt;") && !svg.contains("wick <test>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // Each polyline carries one point per sample.
        let price_line = svg
            .lines()
            .find(|l| l.contains(r#"class="series-price""#))
            .unwrap();
        let pts = price_line
            .split("points=\"")
            .nth(1)
            .unwrap()
            .trim_end_matches("\"/>");
        assert_eq!(pts.split(' ').count(), 100);
        // Open and close tags balance for the container elements.
        assert_eq!(svg.matches("<g ").count(), svg.matches("</g>").count());
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }

    #[test]
    fn svg_handles_an_empty_series() {
        let mut r = sample();
        r.series = Series::default();
        let svg = render_svg(&r);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 0);
        assert_eq!(svg.matches(r#"class="liq-engine""#).count(), 0);
        assert!(!svg.contains("NaN"));
        // A non-finite trigger value is skipped, not drawn.
        let mut r = sample();
        r.series.trigger[5] = f64::NAN;
        let svg = render_svg(&r);
        let trig = svg
            .lines()
            .find(|l| l.contains(r#"class="series-trigger""#))
            .unwrap();
        assert_eq!(
            trig.split("points=\"").nth(1).unwrap().split(' ').count(),
            99
        );
    }
}
