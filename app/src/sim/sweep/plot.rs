//! The sweep's plot (docs/img/results.svg): each run's loss and borrower cost as bars, one
//! per mechanism.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::goals::{loss, num, setting, GOAL_COST_MEAN_PCT};
use super::page::{mechanisms_in, scenario_order, Getter};
use crate::sim::report::Report;
use crate::sim::svg::{xml_escape, Axis};
use crate::sim::Mechanism;

/// The bar color of `m`.
fn color(m: Mechanism) -> &'static str {
    m.colour()
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
            // Relative to the best rival: no absolute line.
            f64::NAN,
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
            y0 + axis.y_frac(v) * PANEL_H
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
    use super::super::testkit::*;
    use super::*;
    use crate::sim::ledger::MechanismMetrics;

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
    fn short_names_tell_shared_stems_apart() {
        let s = short_names(&["a_x-1m", "a_y-1m", "b_z-5m", "plain"]);
        assert_eq!(s["b_z-5m"], "b");
        assert_eq!(s["plain"], "plain");
        assert_eq!(s["a_x-1m"], "a 1m #1");
        assert_eq!(s["a_y-1m"], "a 1m #2");
    }
}
