//! The simulator's report: every mechanism's metrics side by side, the JSON document
//! (keys documented in docs/simulator.md, "JSON keys") and the SVG plot of the engine run.

use std::fmt::Write as _;

use serde::Serialize;

use super::clock::Frictions;
use super::ledger::MechanismMetrics;
use super::svg::{xml_escape, Axis, Span};
use super::Mechanism;

/// Time series of the engine run, for the plot. Prices at the path's own level.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Series {
    /// Seconds from the start.
    pub t: Vec<f64>,
    /// The path: the oracle's spot price.
    pub price: Vec<f64>,
    /// The venue's price in the engine run (below the path while sales weigh on it).
    pub venue: Vec<f64>,
    pub ema: Vec<f64>,
    pub trigger: Vec<f64>,
    /// (t, path price) of each engine liquidation action.
    pub engine_liquidations: Vec<(f64, f64)>,
}

/// Engine-only counters, beside the shared metrics.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct EngineDetail {
    pub partial_liquidations: u64,
    pub auctions_started: u64,
    pub auctions_restarted: u64,
    pub auctions_backstopped: u64,
    pub bids: u64,
    /// `refresh_market` transactions the keeper sent.
    pub refreshes: u64,
    /// Transactions refused (races lost and others), all senders.
    pub refused: u64,
    /// The most debt units the takers (partial liquidators and bidders, all together) had
    /// out at once: purchases and fees less sales (docs/keeper.md, "Capital").
    pub takers_peak_outlay: f64,
}

/// One simulation: every mechanism on the same path, venue and bidders.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub depth_ratio: f64,
    pub arb_half_life_secs: f64,
    pub insurance_pct: f64,
    pub pol_pct: f64,
    pub bidder_capital_pct: f64,
    /// The rivals' backstop capital: `equal` (insurance + POL) or `insurance-only`.
    pub rival_backstops: String,
    /// The fee and depth models' parameters.
    pub frictions: Frictions,
    pub borrowers: usize,
    pub seed: u64,
    pub steps: u64,
    /// Debt outstanding at start, debt units (the set-up is value-sized: the same for any
    /// price level).
    pub initial_debt: f64,
    pub wall_secs: f64,
    /// In [`Mechanism::ALL`] order; serialized as an object keyed by name.
    #[serde(serialize_with = "by_name")]
    pub mechanisms: Vec<(Mechanism, MechanismMetrics)>,
    pub engine_detail: EngineDetail,
    #[serde(skip)]
    pub series: Series,
}

fn by_name<S: serde::Serializer>(
    v: &[(Mechanism, MechanismMetrics)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, metrics) in v {
        m.serialize_entry(k.name(), metrics)?;
    }
    m.end()
}

impl Report {
    /// The metrics of `m`, when it ran.
    pub fn get(&self, m: Mechanism) -> Option<&MechanismMetrics> {
        self.mechanisms
            .iter()
            .find(|(k, _)| *k == m)
            .map(|(_, v)| v)
    }
}

enum Fmt {
    Amount,
    Pct,
    /// A percentage shown to three decimals (fees are small).
    Pct3,
    Count,
    Secs,
}

struct Row {
    label: &'static str,
    unit: &'static str,
    fmt: Fmt,
    get: fn(&MechanismMetrics) -> f64,
}

const ROWS: &[Row] = &[
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
        label: "protocol loss",
        unit: "% of initial debt",
        fmt: Fmt::Pct,
        get: |m| m.protocol_loss_pct,
    },
    Row {
        label: "borrower cost, mean",
        unit: "% of debt repaid",
        fmt: Fmt::Pct,
        get: |m| m.borrower_cost_mean_pct,
    },
    Row {
        label: "borrower cost, median",
        unit: "% of debt repaid",
        fmt: Fmt::Pct,
        get: |m| m.borrower_cost_p50_pct,
    },
    Row {
        label: "borrower cost, p95",
        unit: "% of debt repaid",
        fmt: Fmt::Pct,
        get: |m| m.borrower_cost_p95_pct,
    },
    Row {
        label: "accounts liquidated",
        unit: "count",
        fmt: Fmt::Count,
        get: |m| m.accounts_liquidated as f64,
    },
    Row {
        label: "accounts with a negative cost",
        unit: "count",
        fmt: Fmt::Count,
        get: |m| m.negative_cost_accounts as f64,
    },
    Row {
        label: "wrongful liquidations",
        unit: "count",
        fmt: Fmt::Count,
        get: |m| m.wrongful_liquidations as f64,
    },
    Row {
        label: "wrongful liquidations by value",
        unit: "% of initial debt",
        fmt: Fmt::Pct,
        get: |m| m.wrongful_value_pct,
    },
    Row {
        label: "debt liquidated",
        unit: "% of initial debt",
        fmt: Fmt::Pct,
        get: |m| m.debt_liquidated_pct,
    },
    Row {
        label: "sales vs path",
        unit: "%",
        fmt: Fmt::Pct,
        get: |m| m.sale_vs_path_pct,
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
        label: "fees paid",
        unit: "% of initial debt",
        fmt: Fmt::Pct3,
        get: |m| m.fees_paid_pct,
    },
    Row {
        label: "insurance at start",
        unit: "% of initial debt",
        fmt: Fmt::Pct,
        get: |m| m.insurance_start_pct,
    },
    Row {
        label: "POL at start",
        unit: "% of initial debt",
        fmt: Fmt::Pct,
        get: |m| m.pol_start_pct,
    },
];

fn fmt_value(fmt: &Fmt, v: f64) -> String {
    match fmt {
        Fmt::Amount | Fmt::Pct => format!("{v:.2}"),
        Fmt::Pct3 => format!("{v:.3}"),
        Fmt::Count | Fmt::Secs => format!("{v:.0}"),
    }
}

/// The side-by-side table: one row per metric, one column per mechanism, bad debt first.
pub fn render_table(r: &Report) -> String {
    let labels: Vec<String> = ROWS
        .iter()
        .map(|row| format!("{} [{}]", row.label, row.unit))
        .collect();
    let w0 = labels.iter().map(String::len).max().unwrap_or(6);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {}: depth ratio {}, arbitrage half-life {} s, insurance {}% + POL {}% of \
         debt, {} borrowers, seed {}, {} steps, {:.1} s wall",
        r.scenario,
        r.depth_ratio,
        r.arb_half_life_secs,
        r.insurance_pct,
        r.pol_pct,
        r.borrowers,
        r.seed,
        r.steps,
        r.wall_secs
    );
    let _ = write!(out, "{:<w0$}", "metric");
    for (m, _) in &r.mechanisms {
        let w = m.name().len().max(10);
        let _ = write!(out, " | {:>w$}", m.name());
    }
    out.push('\n');
    let _ = write!(out, "{:-<w0$}", "");
    for (m, _) in &r.mechanisms {
        let w = m.name().len().max(10);
        let _ = write!(out, "-+-{:-<w$}", "");
    }
    out.push('\n');
    for (row, label) in ROWS.iter().zip(&labels) {
        let _ = write!(out, "{label:<w0$}");
        for (m, metrics) in &r.mechanisms {
            let w = m.name().len().max(10);
            let _ = write!(out, " | {:>w$}", fmt_value(&row.fmt, (row.get)(metrics)));
        }
        out.push('\n');
    }
    let d = &r.engine_detail;
    let _ = writeln!(
        out,
        "engine: {} partial liquidations, {} auctions ({} restarted, {} backstopped by POL), {} bids",
        d.partial_liquidations, d.auctions_started, d.auctions_restarted, d.auctions_backstopped, d.bids
    );
    let _ = writeln!(
        out,
        "takers' peak outlay: {:.2}% of initial debt (their capital: {:.2}%)",
        100.0 * d.takers_peak_outlay / r.initial_debt.max(f64::MIN_POSITIVE),
        r.bidder_capital_pct
    );
    out
}

/// The JSON document: `{"scenario", "depth_ratio", "mechanisms": {"engine": {...},
/// "gen1": {...}, "aave_v3": {...}, "maker_liq2": {...}}, ...}`.
pub fn to_json(r: &Report) -> serde_json::Value {
    serde_json::to_value(r).expect("a report is plain data")
}

/// The plot of the engine run: the path (oracle spot), the venue's price, the EMA and the
/// trigger over time, with axes and a legend; engine liquidation actions as circles
/// (`class="liq-engine"`). Self-contained SVG.
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
        ("venue", &s.venue, "#7f7f7f", "2 3"),
    ];

    // Ranges over everything drawn.
    let (mut ts, mut ys) = (Span::EMPTY, Span::EMPTY);
    let mut see = |t: f64, y: f64| {
        if t.is_finite() && y.is_finite() {
            ts.see(t);
            ys.see(y);
        }
    };
    for (_, values, _, _) in &lines {
        for (&t, &y) in s.t.iter().zip(values.iter()) {
            see(t, y);
        }
    }
    for &(t, y) in &s.engine_liquidations {
        see(t, y);
    }
    let t_axis = Axis::even(ts.or_unit().at_least(1.0), 5);
    let y_axis = Axis::even(ys.or_unit().padded(), 4);

    let pw = W - LEFT - RIGHT;
    let ph = HT - TOP - BOTTOM;
    let x = |t: f64| LEFT + t_axis.x_frac(t) * pw;
    let y = |v: f64| TOP + y_axis.y_frac(v) * ph;
    let (t_div, t_unit) = if t_axis.hi - t_axis.lo >= 7_200.0 {
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
        r#"<text x="{LEFT}" y="24" font-size="15">{} (depth ratio {}, {} borrowers, seed {})</text>"#,
        xml_escape(&r.scenario),
        r.depth_ratio,
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
    for t in t_axis.ticks() {
        let px = x(t);
        let _ = writeln!(
            o,
            r##"<line x1="{px:.2}" y1="{a:.2}" x2="{px:.2}" y2="{b:.2}" stroke="#ddd"/><text x="{px:.2}" y="{ty:.2}" text-anchor="middle">{}</text>"##,
            t_axis.label(t / t_div),
            a = TOP,
            b = TOP + ph,
            ty = TOP + ph + 18.0
        );
    }
    for v in y_axis.ticks() {
        let py = y(v);
        let _ = writeln!(
            o,
            r##"<line x1="{LEFT}" y1="{py:.2}" x2="{x1:.2}" y2="{py:.2}" stroke="#ddd"/><text x="{tx:.2}" y="{ly:.2}" text-anchor="end">{}</text>"##,
            y_axis.label(v),
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
    legend.push(
        r##"<circle class="legend" cx="11" cy="0" r="3.5" fill="#2ca02c"/><text x="28" y="4">engine liquidation</text>"##
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

    /// The keys the issue and docs/simulator.md promise per mechanism.
    const METRIC_KEYS: &[&str] = &[
        "bad_debt_pct",
        "lp_loss",
        "protocol_loss_pct",
        "borrower_cost_mean_pct",
        "borrower_cost_p50_pct",
        "borrower_cost_p95_pct",
        "negative_cost_accounts",
        "accounts_liquidated",
        "wrongful_liquidations",
        "wrongful_value_pct",
        "time_to_clear_secs",
        "insurance_start_pct",
        "pol_start_pct",
        "debt_liquidated_pct",
        "sale_vs_path_pct",
        "transactions",
        "fees_paid_pct",
    ];
    const TOP_KEYS: &[&str] = &[
        "scenario",
        "depth_ratio",
        "arb_half_life_secs",
        "insurance_pct",
        "pol_pct",
        "bidder_capital_pct",
        "rival_backstops",
        "frictions",
        "borrowers",
        "seed",
        "steps",
        "initial_debt",
        "wall_secs",
        "mechanisms",
        "engine_detail",
    ];

    fn metrics(seed: f64) -> MechanismMetrics {
        MechanismMetrics {
            bad_debt_pct: seed,
            lp_loss: seed * 10.0,
            protocol_loss_pct: seed / 2.0,
            borrower_cost_mean_pct: 1.5 + seed,
            borrower_cost_p50_pct: 1.0,
            borrower_cost_p95_pct: 4.0,
            accounts_liquidated: 12,
            wrongful_liquidations: 1,
            time_to_clear_secs: 600.0,
            insurance_start_pct: 2.0,
            pol_start_pct: 5.0,
            debt_liquidated_pct: 30.0,
            sale_vs_path_pct: -1.25,
            transactions: 40,
            negative_cost_accounts: 0,
            wrongful_value_pct: 0.5,
            fees_paid_pct: 0.01,
        }
    }

    fn sample() -> Report {
        let t: Vec<f64> = (0..10).map(|i| i as f64 * 60.0).collect();
        let price: Vec<f64> = (0..10).map(|i| 100.0 - i as f64).collect();
        Report {
            scenario: "unit".into(),
            depth_ratio: 1.0,
            arb_half_life_secs: 60.0,
            insurance_pct: 2.0,
            pol_pct: 5.0,
            bidder_capital_pct: 50.0,
            rival_backstops: "equal".into(),
            frictions: Default::default(),
            borrowers: 3,
            seed: 7,
            steps: 10,
            initial_debt: 1_000.0,
            wall_secs: 0.5,
            mechanisms: Mechanism::ALL
                .iter()
                .enumerate()
                .map(|(i, m)| (*m, metrics(i as f64)))
                .collect(),
            engine_detail: EngineDetail {
                partial_liquidations: 4,
                ..EngineDetail::default()
            },
            series: Series {
                venue: price.iter().map(|p| p - 0.5).collect(),
                ema: price.iter().map(|p| p + 1.0).collect(),
                trigger: price.iter().map(|p| p - 2.0).collect(),
                t,
                price,
                engine_liquidations: vec![(120.0, 98.0), (240.0, 96.0), (360.0, 94.0)],
            },
        }
    }

    #[test]
    fn table_has_every_metric_and_a_column_per_mechanism() {
        let r = sample();
        let text = render_table(&r);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("depth ratio 1") && lines[0].contains("insurance 2%"));
        let header: Vec<&str> = lines[1].split('|').map(str::trim).collect();
        assert_eq!(
            header,
            [
                "metric",
                "engine",
                "gen1",
                "aave_v3",
                "maker_liq2",
                "kamino",
                "euler_v2",
                "engine_v2_model"
            ]
        );
        // The rows, the engine's counts and the takers' peak outlay.
        assert_eq!(lines.len(), 3 + ROWS.len() + 2);
        assert!(
            lines.last().unwrap().starts_with("takers' peak outlay: "),
            "{text}"
        );
        let bad: Vec<&str> = lines[3].split('|').map(str::trim).collect();
        assert_eq!(
            bad,
            [
                "bad debt [% of initial debt]",
                "0.00",
                "1.00",
                "2.00",
                "3.00",
                "4.00",
                "5.00",
                "6.00"
            ]
        );
        assert!(text.contains("engine: 4 partial liquidations"));
    }

    fn keys(v: &serde_json::Value) -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    fn set(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn json_has_the_documented_shape() {
        let v = to_json(&sample());
        assert_eq!(keys(&v), set(TOP_KEYS));
        assert_eq!(
            keys(&v["mechanisms"]),
            set(&[
                "engine",
                "gen1",
                "aave_v3",
                "maker_liq2",
                "kamino",
                "euler_v2",
                "engine_v2_model"
            ])
        );
        for m in Mechanism::ALL {
            assert_eq!(
                keys(&v["mechanisms"][m.name()]),
                set(METRIC_KEYS),
                "{}",
                m.name()
            );
        }
        assert_eq!(v["mechanisms"]["aave_v3"]["bad_debt_pct"], 2.0);
        assert_eq!(v["depth_ratio"], 1.0);
        // The documented keys are the ones docs/simulator.md lists.
        let doc = include_str!("../../../docs/simulator.md");
        for k in METRIC_KEYS.iter().chain(TOP_KEYS) {
            assert!(
                doc.contains(&format!("`{k}`")),
                "docs/simulator.md lacks `{k}`"
            );
        }
    }

    #[test]
    fn svg_is_well_formed_with_lines_and_markers() {
        let svg = render_svg(&sample());
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        for name in ["price", "venue", "ema", "trigger"] {
            assert!(svg.contains(&format!(r#"class="series-{name}""#)), "{name}");
        }
        assert_eq!(svg.matches(r#"class="liq-engine""#).count(), 3);
        assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
    }

    #[test]
    fn svg_handles_an_empty_series() {
        let mut r = sample();
        r.series = Series::default();
        let svg = render_svg(&r);
        assert!(svg.contains("</svg>") && !svg.contains("NaN"));
    }
}
