//! Price paths for the simulator and `localnet crash`: real recorded crashes shipped with the
//! project (`app/data/prices`, provenance in its SOURCES.md), built-in stylized crashes, and
//! CSV paths.
//!
//! A path is a list of `(t_secs, price[, conf_bps])` points with strictly increasing time,
//! the first at `t = 0`. Between points the price is interpolated linearly. The price is the
//! collateral price in debt units; the built-ins all start at 100.0 and the simulator scales
//! them. Built-in paths are stylized from public price history: shape and approximate
//! magnitude only (see docs/simulator.md, "Scenarios").

use std::fmt;
use std::path::Path;

/// One point of a price path.
#[derive(Clone, Debug, PartialEq)]
pub struct PricePoint {
    /// Seconds from the start of the path.
    pub t_secs: f64,
    /// Collateral price in debt units, > 0.
    pub price: f64,
    /// Oracle confidence in basis points of the price, when the path carries one.
    pub conf_bps: Option<f64>,
}

/// A price path and how to step through it.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Simulation step, seconds (built-ins choose one so the run has ~500-1500 steps).
    pub step_secs: u64,
    /// Total simulated time, seconds (= last point's t, rounded up).
    pub duration_secs: u64,
    /// Oracle outage windows [start, end) in seconds: no price update is published inside.
    pub outages: Vec<(u64, u64)>,
    /// Strictly increasing t, first t = 0, prices > 0.
    pub points: Vec<PricePoint>,
}

/// Why a path could not be loaded. Line numbers are 1-based lines of the input text.
#[derive(Debug, PartialEq)]
pub enum ScenarioError {
    Io(String),
    MissingHeader,
    BadHeader(String),
    Parse { line: usize, msg: String },
    NonMonotonicTime { line: usize },
    NonPositivePrice { line: usize },
    NegativeConf { line: usize },
    TooFewPoints,
    UnknownScenario(String),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Io(msg) => write!(f, "cannot read price path: {msg}"),
            ScenarioError::MissingHeader => write!(
                f,
                "price path has no header: the first line must be `t_secs,price` or `t_secs,price,conf`"
            ),
            ScenarioError::BadHeader(h) => write!(
                f,
                "bad price path header `{h}`: expected `t_secs,price` or `t_secs,price,conf`"
            ),
            ScenarioError::Parse { line, msg } => write!(f, "line {line}: {msg}"),
            ScenarioError::NonMonotonicTime { line } => {
                write!(f, "line {line}: t_secs must be strictly greater than on the previous row")
            }
            ScenarioError::NonPositivePrice { line } => {
                write!(f, "line {line}: price must be greater than zero")
            }
            ScenarioError::NegativeConf { line } => {
                write!(f, "line {line}: conf must not be negative")
            }
            ScenarioError::TooFewPoints => {
                write!(f, "price path needs at least two data rows")
            }
            ScenarioError::UnknownScenario(name) => write!(
                f,
                "unknown scenario `{name}`; scenarios: {}",
                Scenario::names().join(", ")
            ),
        }
    }
}

impl std::error::Error for ScenarioError {}

const H: f64 = 3_600.0;

/// Built-in table: (t in hours, price).
struct Builtin {
    name: &'static str,
    description: &'static str,
    step_secs: u64,
    outages: &'static [(u64, u64)],
    hours: &'static [(f64, f64)],
}

const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "black-thursday-2020",
        description: "ETH, 12-13 Mar 2020 (stylized): a slide, then a collapse to about -50% \
                      within hours, partial recovery; 24 h",
        step_secs: 60,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (2.0, 98.0),
            (4.0, 95.0),
            (6.0, 92.0),
            (8.0, 88.0),
            (10.0, 80.0),
            (11.0, 75.0),
            (12.0, 72.0),
            (13.0, 70.0),
            (14.0, 64.0),
            (15.0, 60.0),
            (16.0, 57.0),
            (17.0, 62.0),
            (18.0, 58.0),
            (19.0, 55.0),
            (20.0, 52.0),
            (20.5, 50.0),
            (21.0, 55.0),
            (22.0, 60.0),
            (23.0, 63.0),
            (24.0, 65.0),
        ],
    },
    Builtin {
        name: "may-19-2021",
        description: "BTC, 19 May 2021 (stylized): about -30% intraday within a few hours, \
                      recovering to about -15%; 24 h",
        step_secs: 60,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (4.0, 99.0),
            (8.0, 97.0),
            (11.0, 95.0),
            (12.0, 92.0),
            (13.0, 85.0),
            (13.5, 78.0),
            (14.0, 72.0),
            (14.25, 70.0),
            (14.5, 76.0),
            (15.0, 80.0),
            (16.0, 83.0),
            (18.0, 86.0),
            (20.0, 84.0),
            (22.0, 86.0),
            (24.0, 85.0),
        ],
    },
    Builtin {
        name: "ftx-sol-2022",
        description: "SOL, 6-10 Nov 2022 (stylized): about -65% over ~3 days in waves; 96 h",
        step_secs: 300,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (12.0, 98.0),
            (24.0, 95.0),
            (30.0, 93.0),
            (36.0, 90.0),
            (42.0, 85.0),
            (48.0, 80.0),
            (52.0, 70.0),
            (56.0, 74.0),
            (60.0, 68.0),
            (66.0, 60.0),
            (72.0, 52.0),
            (76.0, 46.0),
            (80.0, 50.0),
            (84.0, 44.0),
            (88.0, 38.0),
            (90.0, 35.0),
            (92.0, 37.0),
            (96.0, 36.0),
        ],
    },
    Builtin {
        name: "oct-10-2025",
        description: "10 Oct 2025 market-wide crash (stylized, alt-coin depth such as SOL): \
                      about -40% within an hour, partial rebound to about -20%; 12 h",
        step_secs: 30,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (2.0, 99.0),
            (4.0, 100.0),
            (4.75, 99.0),
            (5.0, 92.0),
            (5.25, 82.0),
            (5.5, 70.0),
            (5.75, 60.0),
            (6.0, 64.0),
            (6.5, 72.0),
            (7.0, 75.0),
            (8.0, 78.0),
            (10.0, 80.0),
            (12.0, 81.0),
        ],
    },
    Builtin {
        name: "wick",
        description: "a one-minute -30% wick that fully recovers, flat otherwise; 2 h",
        step_secs: 10,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (1.0, 100.0),
            (1.0 + 30.0 / H, 70.0),
            (1.0 + 60.0 / H, 100.0),
            (2.0, 100.0),
        ],
    },
    Builtin {
        name: "oracle-outage",
        description: "a -35% slide over 2 h while the oracle publishes nothing for 30 min \
                      in the middle of it; 6 h",
        step_secs: 30,
        outages: &[(9_900, 11_700)],
        hours: &[
            (0.0, 100.0),
            (2.0, 100.0),
            (2.5, 92.0),
            (3.0, 83.0),
            (3.5, 74.0),
            (4.0, 65.0),
            (6.0, 65.0),
        ],
    },
    Builtin {
        name: "gap-down",
        description: "an instant -25% gap after 1 h, then flat; 6 h",
        step_secs: 30,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (1.0, 100.0),
            (1.0 + 1.0 / H, 75.0),
            (6.0, 75.0),
        ],
    },
    Builtin {
        name: "gap-25",
        description: "stress: flat 1 h, a -25% gap within one step, held for 5 h; 6 h",
        step_secs: 60,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (1.0, 100.0),
            (1.0 + 1.0 / H, 75.0),
            (6.0, 75.0),
        ],
    },
    Builtin {
        name: "gap-40",
        description: "stress: flat 1 h, a -40% gap within one step, held for 5 h; 6 h",
        step_secs: 60,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (1.0, 100.0),
            (1.0 + 1.0 / H, 60.0),
            (6.0, 60.0),
        ],
    },
    Builtin {
        name: "sawtooth-15",
        description: "stress: +-15% chop around the start (85 to 115 and back every 2 h) that \
                      never takes any account of the book past 100% LTV; 24 h",
        step_secs: 60,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (0.5, 85.0),
            (1.5, 115.0),
            (2.5, 85.0),
            (3.5, 115.0),
            (4.5, 85.0),
            (5.5, 115.0),
            (6.5, 85.0),
            (7.5, 115.0),
            (8.5, 85.0),
            (9.5, 115.0),
            (10.5, 85.0),
            (11.5, 115.0),
            (12.5, 85.0),
            (13.5, 115.0),
            (14.5, 85.0),
            (15.5, 115.0),
            (16.5, 85.0),
            (17.5, 115.0),
            (18.5, 85.0),
            (19.5, 115.0),
            (20.5, 85.0),
            (21.5, 115.0),
            (22.5, 85.0),
            (23.5, 115.0),
            (24.0, 100.0),
        ],
    },
    Builtin {
        name: "bleed-30d",
        description: "stress: a slow bleed of -60% over 30 days (2% a day, +-1.5% daily \
                      wobble); 30 days",
        step_secs: 600,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (24.0, 99.5),
            (48.0, 94.5),
            (72.0, 95.5),
            (96.0, 90.5),
            (120.0, 91.5),
            (144.0, 86.5),
            (168.0, 87.5),
            (192.0, 82.5),
            (216.0, 83.5),
            (240.0, 78.5),
            (264.0, 79.5),
            (288.0, 74.5),
            (312.0, 75.5),
            (336.0, 70.5),
            (360.0, 71.5),
            (384.0, 66.5),
            (408.0, 67.5),
            (432.0, 62.5),
            (456.0, 63.5),
            (480.0, 58.5),
            (504.0, 59.5),
            (528.0, 54.5),
            (552.0, 55.5),
            (576.0, 50.5),
            (600.0, 51.5),
            (624.0, 46.5),
            (648.0, 47.5),
            (672.0, 42.5),
            (696.0, 43.5),
            (720.0, 40.0),
        ],
    },
    Builtin {
        name: "double-crash",
        description: "stress: -30% in an hour, a rebound to -15%, then -35% again in an hour \
                      (to 55) and a partial recovery to 65; 24 h",
        step_secs: 60,
        outages: &[],
        hours: &[
            (0.0, 100.0),
            (2.0, 100.0),
            (3.0, 70.0),
            (8.0, 85.0),
            (12.0, 85.0),
            (13.0, 55.0),
            (18.0, 62.0),
            (24.0, 65.0),
        ],
    },
];

/// The step of the real paths: liquidators and keepers act every minute (or every bar of
/// paths finer than that).
pub const REAL_STEP_SECS: u64 = 60;

/// Real recorded paths: (name = file stem, description, CSV text).
const REAL: &[(&str, &str, &str)] = &[
    (
        "eth-2020-03-12_binance-usdtm-perp-1m",
        "ETH, Black Thursday 12-13 Mar 2020, Binance ETHUSDT perpetual, 1 min closes, 24.5 h: -53%",
        include_str!("../data/prices/eth-2020-03-12_binance-usdtm-perp-1m.csv"),
    ),
    (
        "eth-2020-03-12_stablesims-coinapi-10m",
        "ETH, 12 Mar 2020, CoinAPI-style 10 min closes, 24 h: -45%",
        include_str!("../data/prices/eth-2020-03-12_stablesims-coinapi-10m.csv"),
    ),
    (
        "eth-2021-05-19_binance-usdtm-perp-1m",
        "ETH, 19 May 2021, Binance ETHUSDT perpetual, 1 min closes, 9 h: -50%",
        include_str!("../data/prices/eth-2021-05-19_binance-usdtm-perp-1m.csv"),
    ),
    (
        "eth-2021-05-19-wick_binance-usdtm-perp-1m",
        "ETH, 19 May 2021 flash wick: -35% in 11 min, +29% the next minute; 1 h",
        include_str!("../data/prices/eth-2021-05-19-wick_binance-usdtm-perp-1m.csv"),
    ),
    (
        "eth-2021-05-19_stablesims-coinapi-10m",
        "ETH, 19 May 2021, CoinAPI-style 10 min closes, 24 h: -43%",
        include_str!("../data/prices/eth-2021-05-19_stablesims-coinapi-10m.csv"),
    ),
    (
        "luna-2022-05_binance-spot-5m",
        "LUNA collapse 7-13 May 2022, Binance LUNA/USDT, 5 min closes, 6 days: -100%",
        include_str!("../data/prices/luna-2022-05_binance-spot-5m.csv"),
    ),
    (
        "ust-2022-05_binance-spot-5m",
        "UST depeg 7-13 May 2022, Binance UST/USDT, 5 min closes, 6 days: -75%",
        include_str!("../data/prices/ust-2022-05_binance-spot-5m.csv"),
    ),
    (
        "btc-2025-10-10_binance-coinm-mark-1m",
        "BTC, 9-10 Oct 2025, Binance COIN-M mark price, 1 min, 48 h: -15.5%, an -8% wick",
        include_str!("../data/prices/btc-2025-10-10_binance-coinm-mark-1m.csv"),
    ),
    (
        "btc-2025-10-10_binance-usdtm-priceklines-5m",
        "BTC, 9-11 Oct 2025, Binance USDT-M price klines, 5 min, 72 h: -15.5% and the recovery",
        include_str!("../data/prices/btc-2025-10-10_binance-usdtm-priceklines-5m.csv"),
    ),
    (
        "sol-2025-10-10_gemini-1m-last-trade",
        "SOL, 10 Oct 2025, Gemini last trade per minute, 24 h: -20%",
        include_str!("../data/prices/sol-2025-10-10_gemini-1m-last-trade.csv"),
    ),
    (
        "eth-2025-10-10_gemini-1m-last-trade",
        "ETH, 10 Oct 2025, Gemini last trade per minute, 24 h: -16%",
        include_str!("../data/prices/eth-2025-10-10_gemini-1m-last-trade.csv"),
    ),
];

fn parse_num(field: &str, what: &str, line: usize) -> Result<f64, ScenarioError> {
    let v: f64 = field.parse().map_err(|_| ScenarioError::Parse {
        line,
        msg: format!("cannot parse {what} `{field}` as a number"),
    })?;
    if !v.is_finite() {
        return Err(ScenarioError::Parse {
            line,
            msg: format!("{what} `{field}` is not a finite number"),
        });
    }
    Ok(v)
}

impl Scenario {
    pub const BUILTIN: &'static [&'static str] = &[
        "black-thursday-2020",
        "may-19-2021",
        "ftx-sol-2022",
        "oct-10-2025",
        "wick",
        "oracle-outage",
        "gap-down",
        "gap-25",
        "gap-40",
        "sawtooth-15",
        "bleed-30d",
        "double-crash",
    ];

    /// The stress scenarios the sweep runs beside the real paths (built-in, synthetic).
    pub const STRESS: &'static [&'static str] = &[
        "gap-25",
        "gap-40",
        "sawtooth-15",
        "bleed-30d",
        "double-crash",
    ];

    /// The real recorded paths shipped with the project (app/data/prices).
    pub const REAL: &'static [&'static str] = &[
        "eth-2020-03-12_binance-usdtm-perp-1m",
        "eth-2020-03-12_stablesims-coinapi-10m",
        "eth-2021-05-19_binance-usdtm-perp-1m",
        "eth-2021-05-19-wick_binance-usdtm-perp-1m",
        "eth-2021-05-19_stablesims-coinapi-10m",
        "luna-2022-05_binance-spot-5m",
        "ust-2022-05_binance-spot-5m",
        "btc-2025-10-10_binance-coinm-mark-1m",
        "btc-2025-10-10_binance-usdtm-priceklines-5m",
        "sol-2025-10-10_gemini-1m-last-trade",
        "eth-2025-10-10_gemini-1m-last-trade",
    ];

    /// Every named scenario: the real paths, then the built-in stylized ones.
    pub fn names() -> Vec<&'static str> {
        Scenario::REAL
            .iter()
            .chain(Scenario::BUILTIN)
            .copied()
            .collect()
    }

    /// A scenario by name: a real path or a built-in one.
    pub fn named(name: &str) -> Result<Scenario, ScenarioError> {
        match REAL.iter().find(|(n, _, _)| *n == name) {
            Some((n, description, csv)) => {
                // Stepped at the keepers' and bidders' pace, one minute, or the
                // data's own resolution when finer; coarser bars are interpolated
                // linearly between closes, the same for every mechanism.
                let mut s = Scenario::from_csv_str(n, csv, 1)?;
                s.step_secs = s
                    .points
                    .windows(2)
                    .map(|w| (w[1].t_secs - w[0].t_secs).round() as u64)
                    .min()
                    .unwrap_or(1)
                    .clamp(1, REAL_STEP_SECS);
                s.description = description.to_string();
                Ok(s)
            }
            None => Scenario::builtin(name),
        }
    }

    /// A built-in stylized path by name (one of [`Scenario::BUILTIN`]).
    pub fn builtin(name: &str) -> Result<Scenario, ScenarioError> {
        let b = BUILTINS
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| ScenarioError::UnknownScenario(name.to_string()))?;
        let points: Vec<PricePoint> = b
            .hours
            .iter()
            .map(|&(h, price)| PricePoint {
                t_secs: (h * H).round(),
                price,
                conf_bps: None,
            })
            .collect();
        let duration_secs = points.last().map_or(0, |p| p.t_secs as u64);
        Ok(Scenario {
            name: b.name.to_string(),
            description: b.description.to_string(),
            step_secs: b.step_secs,
            duration_secs,
            outages: b.outages.to_vec(),
            points,
        })
    }

    /// A path from CSV text: a header `t_secs,price` or `t_secs,price,conf` (conf in basis
    /// points of the price), then one row per point. Blank lines and lines starting with `#`
    /// are ignored; fields are trimmed. Times are taken relative to the first row, so the
    /// first row may carry any time (e.g. a unix timestamp). `step_secs == 0` picks a step
    /// giving about 1000 steps.
    pub fn from_csv_str(name: &str, text: &str, step_secs: u64) -> Result<Scenario, ScenarioError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));

        let (_, header) = lines.next().ok_or(ScenarioError::MissingHeader)?;
        let cols: Vec<String> = header
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        if cols.first().is_some_and(|c| c.parse::<f64>().is_ok()) {
            return Err(ScenarioError::MissingHeader);
        }
        let with_conf = match cols.as_slice() {
            [t, p] if t == "t_secs" && p == "price" => false,
            [t, p, c] if t == "t_secs" && p == "price" && c == "conf" => true,
            _ => return Err(ScenarioError::BadHeader(header.to_string())),
        };
        let ncols = if with_conf { 3 } else { 2 };

        let mut points: Vec<PricePoint> = Vec::new();
        let mut t0: Option<f64> = None;
        for (line, row) in lines {
            let fields: Vec<&str> = row.split(',').map(str::trim).collect();
            if fields.len() != ncols {
                return Err(ScenarioError::Parse {
                    line,
                    msg: format!("expected {ncols} fields, found {}", fields.len()),
                });
            }
            let t_raw = parse_num(fields[0], "t_secs", line)?;
            let price = parse_num(fields[1], "price", line)?;
            let conf_bps = if with_conf {
                Some(parse_num(fields[2], "conf", line)?)
            } else {
                None
            };
            let t_secs = t_raw - *t0.get_or_insert(t_raw);
            if let Some(prev) = points.last() {
                if t_secs <= prev.t_secs {
                    return Err(ScenarioError::NonMonotonicTime { line });
                }
            }
            if price <= 0.0 {
                return Err(ScenarioError::NonPositivePrice { line });
            }
            if conf_bps.is_some_and(|c| c < 0.0) {
                return Err(ScenarioError::NegativeConf { line });
            }
            points.push(PricePoint {
                t_secs,
                price,
                conf_bps,
            });
        }
        if points.len() < 2 {
            return Err(ScenarioError::TooFewPoints);
        }
        let duration_secs = points.last().map_or(0, |p| p.t_secs.ceil() as u64);
        let step_secs = if step_secs == 0 {
            duration_secs.div_ceil(1_000).max(1)
        } else {
            step_secs
        };
        Ok(Scenario {
            name: name.to_string(),
            description: format!("CSV price path `{name}`"),
            step_secs,
            duration_secs,
            outages: Vec::new(),
            points,
        })
    }

    /// [`Scenario::from_csv_str`] on a file; the scenario is named after the file stem.
    pub fn from_csv_file(path: &Path, step_secs: u64) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ScenarioError::Io(format!("{}: {e}", path.display())))?;
        let name = path
            .file_stem()
            .map_or_else(|| "csv".to_string(), |s| s.to_string_lossy().into_owned());
        let mut s = Scenario::from_csv_str(&name, &text, step_secs)?;
        s.description = format!("CSV price path {}", path.display());
        Ok(s)
    }

    /// Index `i` such that `points[i].t <= t < points[i + 1].t`, for t inside the range.
    fn segment(&self, t_secs: f64) -> Option<usize> {
        let first = self.points.first()?;
        let last = self.points.last()?;
        if t_secs <= first.t_secs || t_secs >= last.t_secs {
            return None;
        }
        // First index whose t is > t_secs, minus one.
        let upper = self.points.partition_point(|p| p.t_secs <= t_secs);
        Some(upper - 1)
    }

    fn interpolate(&self, t_secs: f64, value: impl Fn(&PricePoint) -> Option<f64>) -> Option<f64> {
        let first = self.points.first()?;
        let last = self.points.last()?;
        if t_secs.is_nan() || t_secs <= first.t_secs {
            return value(first);
        }
        if t_secs >= last.t_secs {
            return value(last);
        }
        let i = self.segment(t_secs)?;
        let (a, b) = (&self.points[i], &self.points[i + 1]);
        let (va, vb) = (value(a)?, value(b)?);
        let w = (t_secs - a.t_secs) / (b.t_secs - a.t_secs);
        Some(va + w * (vb - va))
    }

    /// The fundamental price at `t_secs`: linear interpolation between points, clamped to
    /// the first and last price outside the path.
    pub fn price_at(&self, t_secs: f64) -> f64 {
        self.interpolate(t_secs, |p| Some(p.price)).unwrap_or(0.0)
    }

    /// The path's confidence (bps of price) at `t_secs`, interpolated like the price; `None`
    /// when the path carries no confidence.
    pub fn conf_bps_at(&self, t_secs: f64) -> Option<f64> {
        self.interpolate(t_secs, |p| p.conf_bps)
    }

    /// Whether the oracle publishes at `t_secs` (false inside an outage window).
    pub fn oracle_live(&self, t_secs: f64) -> bool {
        !self
            .outages
            .iter()
            .any(|&(start, end)| t_secs >= start as f64 && t_secs < end as f64)
    }

    /// The first point's price.
    pub fn start_price(&self) -> f64 {
        self.points.first().map_or(0.0, |p| p.price)
    }

    /// Number of simulation steps (`duration / step`, rounded up).
    pub fn steps(&self) -> u64 {
        self.duration_secs.div_ceil(self.step_secs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn well_formed(s: &Scenario) {
        assert!(s.points.len() >= 2, "{}", s.name);
        assert_eq!(s.points[0].t_secs, 0.0, "{}", s.name);
        for w in s.points.windows(2) {
            assert!(w[1].t_secs > w[0].t_secs, "{}: time not increasing", s.name);
        }
        assert!(s.points.iter().all(|p| p.price > 0.0), "{}", s.name);
        assert_eq!(
            s.duration_secs as f64,
            s.points.last().unwrap().t_secs,
            "{}",
            s.name
        );
        for &(a, b) in &s.outages {
            assert!(a < b && b <= s.duration_secs, "{}: outage {a}..{b}", s.name);
        }
    }

    #[test]
    fn every_builtin_is_well_formed() {
        assert_eq!(Scenario::BUILTIN.len(), BUILTINS.len());
        for name in Scenario::BUILTIN {
            let s = Scenario::builtin(name).unwrap();
            assert_eq!(s.name, *name);
            assert!(!s.description.is_empty());
            assert_eq!(s.start_price(), 100.0, "{name}");
            well_formed(&s);
            let steps = s.steps();
            // Stress scenarios are sized for the sweep's budget (their own test).
            if !Scenario::STRESS.contains(name) {
                assert!((500..=1500).contains(&steps), "{name}: {steps} steps");
            }
        }
        assert_eq!(
            Scenario::builtin("nope").unwrap_err(),
            ScenarioError::UnknownScenario("nope".into())
        );
    }

    #[test]
    fn every_real_path_loads_stepped_at_one_minute() {
        assert_eq!(Scenario::REAL.len(), REAL.len());
        for name in Scenario::REAL {
            let s = Scenario::named(name).unwrap();
            assert_eq!(s.name, *name);
            well_formed(&s);
            assert!(!s.description.contains("CSV"), "{name}");
            assert_eq!(s.step_secs, REAL_STEP_SECS, "{name}");
            // Bars of 5 and 10 minutes are interpolated between closes.
            if name.contains("10m") {
                assert_eq!(s.points[1].t_secs - s.points[0].t_secs, 600.0);
            }
        }
        // The shipped data matches its SOURCES.md figures.
        let eth = Scenario::named("eth-2020-03-12_binance-usdtm-perp-1m").unwrap();
        assert_eq!(eth.points.len(), 1471);
        let min = eth
            .points
            .iter()
            .map(|p| p.price)
            .fold(f64::INFINITY, f64::min);
        assert_eq!(min, 85.06);
        let luna = Scenario::named("luna-2022-05_binance-spot-5m").unwrap();
        let low = luna
            .points
            .iter()
            .map(|p| p.price)
            .fold(f64::INFINITY, f64::min);
        assert_eq!(low, 0.00005);
        assert!(Scenario::names().contains(&"wick"));
        assert!(matches!(
            Scenario::named("nope"),
            Err(ScenarioError::UnknownScenario(_))
        ));
    }

    #[test]
    fn builtin_magnitudes() {
        let min = |n: &str| {
            Scenario::builtin(n)
                .unwrap()
                .points
                .iter()
                .map(|p| p.price)
                .fold(f64::INFINITY, f64::min)
        };
        assert_eq!(min("black-thursday-2020"), 50.0);
        assert_eq!(min("may-19-2021"), 70.0);
        assert_eq!(min("ftx-sol-2022"), 35.0);
        assert_eq!(min("oct-10-2025"), 60.0);
        assert_eq!(min("wick"), 70.0);
        assert_eq!(min("oracle-outage"), 65.0);
        assert_eq!(min("gap-down"), 75.0);
        let wick = Scenario::builtin("wick").unwrap();
        assert_eq!(wick.points.last().unwrap().price, 100.0);
        // The wick lasts one minute.
        assert_eq!(wick.price_at(3_600.0), 100.0);
        assert_eq!(wick.price_at(3_630.0), 70.0);
        assert_eq!(wick.price_at(3_660.0), 100.0);
        // The gap is within one step.
        let gap = Scenario::builtin("gap-down").unwrap();
        assert_eq!(gap.price_at(3_600.0 + gap.step_secs as f64), 75.0);
    }

    #[test]
    fn stress_scenarios() {
        let range = |n: &str| {
            let s = Scenario::builtin(n).unwrap();
            let p: Vec<f64> = s.points.iter().map(|p| p.price).collect();
            let lo = p.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo, hi, s)
        };
        for n in Scenario::STRESS {
            assert!(Scenario::BUILTIN.contains(n), "{n}");
            let (_, _, s) = range(n);
            assert!(
                (300..=5_000).contains(&s.steps()),
                "{n}: {} steps",
                s.steps()
            );
        }
        // The gaps happen within one step and hold for five hours.
        for (n, low) in [("gap-25", 75.0), ("gap-40", 60.0)] {
            let (lo, _, s) = range(n);
            assert_eq!(lo, low);
            assert_eq!(s.price_at(3_600.0), 100.0);
            assert_eq!(s.price_at(3_600.0 + s.step_secs as f64), low);
            assert_eq!(s.price_at(6.0 * 3_600.0), low);
        }
        // The sawtooth swings 85..115 and never reaches the bankruptcy price of the
        // book's riskiest account (LTV 0.695 * 0.995 at 100: 69.2).
        let (lo, hi, s) = range("sawtooth-15");
        assert_eq!((lo, hi), (85.0, 115.0));
        assert!(lo > 100.0 * 0.695 * 0.995);
        assert_eq!(s.duration_secs, 24 * 3_600);
        // The bleed: 100 to 40 over 30 days.
        let (lo, _, s) = range("bleed-30d");
        assert_eq!(lo, 40.0);
        assert_eq!(s.duration_secs, 30 * 86_400);
        // Two crashes, the second deeper than the first.
        let (lo, _, s) = range("double-crash");
        assert_eq!(lo, 55.0);
        assert_eq!(s.price_at(3.0 * 3_600.0), 70.0);
    }

    #[test]
    fn interpolation_exact_at_points_and_midway() {
        let s = Scenario::from_csv_str("t", "t_secs,price\n0,100\n10,80\n30,120\n", 1).unwrap();
        assert_eq!(s.price_at(0.0), 100.0);
        assert_eq!(s.price_at(10.0), 80.0);
        assert_eq!(s.price_at(30.0), 120.0);
        assert_eq!(s.price_at(5.0), 90.0);
        assert_eq!(s.price_at(20.0), 100.0);
        assert_eq!(s.price_at(25.0), 110.0);
        // Clamped outside.
        assert_eq!(s.price_at(-5.0), 100.0);
        assert_eq!(s.price_at(1e9), 120.0);
        assert_eq!(s.conf_bps_at(5.0), None);
        for name in Scenario::BUILTIN {
            let s = Scenario::builtin(name).unwrap();
            for w in s.points.windows(2) {
                assert_eq!(s.price_at(w[0].t_secs), w[0].price, "{name}");
                let mid = s.price_at((w[0].t_secs + w[1].t_secs) / 2.0);
                assert!(
                    (mid - (w[0].price + w[1].price) / 2.0).abs() < 1e-9,
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn csv_with_conf_comments_and_whitespace() {
        let text =
            "# a path\n\n  t_secs , price , conf \n0, 100, 10\n# mid\n 60 ,50,30\n\n120,75,20\n";
        let s = Scenario::from_csv_str("mine", text, 5).unwrap();
        assert_eq!(s.name, "mine");
        assert_eq!(s.step_secs, 5);
        assert_eq!(s.duration_secs, 120);
        assert!(s.outages.is_empty());
        assert_eq!(
            s.points[1],
            PricePoint {
                t_secs: 60.0,
                price: 50.0,
                conf_bps: Some(30.0)
            }
        );
        assert_eq!(s.conf_bps_at(30.0), Some(20.0));
        assert_eq!(s.conf_bps_at(90.0), Some(25.0));
        assert_eq!(s.conf_bps_at(500.0), Some(20.0));
        assert_eq!(s.price_at(90.0), 62.5);
        assert!(s.oracle_live(60.0));
    }

    #[test]
    fn csv_times_are_relative_to_the_first_row_and_step_zero_is_automatic() {
        let s = Scenario::from_csv_str(
            "ts",
            "t_secs,price\n1700000000,10\n1700003600,9\n1700007200,8\n",
            0,
        )
        .unwrap();
        assert_eq!(s.points[0].t_secs, 0.0);
        assert_eq!(s.duration_secs, 7_200);
        assert_eq!(s.step_secs, 8);
        assert_eq!(s.steps(), 900);
        assert_eq!(s.start_price(), 10.0);
        assert_eq!(s.price_at(5_400.0), 8.5);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let e = |t: &str| Scenario::from_csv_str("x", t, 1).unwrap_err();
        assert_eq!(e(""), ScenarioError::MissingHeader);
        assert_eq!(e("# only a comment\n\n"), ScenarioError::MissingHeader);
        assert_eq!(e("0,100\n1,99\n"), ScenarioError::MissingHeader);
        assert_eq!(
            e("time,price\n0,100\n1,99\n"),
            ScenarioError::BadHeader("time,price".into())
        );
        assert_eq!(
            e("t_secs,price,conf,extra\n0,1,1,1\n"),
            ScenarioError::BadHeader("t_secs,price,conf,extra".into())
        );
        assert_eq!(
            e("t_secs,price\n0,100\n10,90\n10,80\n"),
            ScenarioError::NonMonotonicTime { line: 4 }
        );
        assert_eq!(
            e("# c\nt_secs,price\n0,100\n\n10,90\n5,80\n"),
            ScenarioError::NonMonotonicTime { line: 6 }
        );
        assert_eq!(
            e("t_secs,price\n0,100\n10,0\n"),
            ScenarioError::NonPositivePrice { line: 3 }
        );
        assert_eq!(
            e("t_secs,price\n0,-1\n10,5\n"),
            ScenarioError::NonPositivePrice { line: 2 }
        );
        assert_eq!(
            e("t_secs,price,conf\n0,100,1\n10,90,-0.5\n"),
            ScenarioError::NegativeConf { line: 3 }
        );
        assert!(matches!(
            e("t_secs,price\n0,100\n\n10,abc\n"),
            ScenarioError::Parse { line: 4, .. }
        ));
        assert!(matches!(
            e("t_secs,price\n0,100\n10,NaN\n"),
            ScenarioError::Parse { line: 3, .. }
        ));
        assert!(matches!(
            e("t_secs,price,conf\n0,100\n"),
            ScenarioError::Parse { line: 2, .. }
        ));
        assert_eq!(e("t_secs,price\n0,100\n"), ScenarioError::TooFewPoints);
        assert_eq!(e("t_secs,price\n"), ScenarioError::TooFewPoints);
        let msg = e("t_secs,price\n0,100\n10,abc\n").to_string();
        assert!(msg.starts_with("line 3:") && msg.contains("abc"), "{msg}");
        assert_eq!(
            ScenarioError::NonMonotonicTime { line: 7 }
                .to_string()
                .lines()
                .count(),
            1
        );
        assert!(ScenarioError::NonMonotonicTime { line: 7 }
            .to_string()
            .contains("line 7"));
    }

    #[test]
    fn csv_file_round_trip_and_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my-path.csv");
        std::fs::write(&path, "t_secs,price\n0,2\n100,1\n").unwrap();
        let s = Scenario::from_csv_file(&path, 10).unwrap();
        assert_eq!(s.name, "my-path");
        assert_eq!(s.steps(), 10);
        assert_eq!(s.price_at(50.0), 1.5);
        let missing = dir.path().join("missing.csv");
        assert!(matches!(
            Scenario::from_csv_file(&missing, 10),
            Err(ScenarioError::Io(_))
        ));
    }

    #[test]
    fn outage_windows() {
        let s = Scenario::builtin("oracle-outage").unwrap();
        assert_eq!(s.outages, vec![(9_900, 11_700)]);
        assert!(s.oracle_live(0.0));
        assert!(s.oracle_live(9_899.9));
        assert!(!s.oracle_live(9_900.0));
        assert!(!s.oracle_live(10_800.0));
        assert!(!s.oracle_live(11_699.0));
        assert!(s.oracle_live(11_700.0));
        // The outage sits inside the slide.
        assert!(s.price_at(9_900.0) < 100.0 && s.price_at(11_700.0) > 65.0);
        let outage_len: u64 = s.outages.iter().map(|(a, b)| b - a).sum();
        assert_eq!(outage_len, 1_800);
        for name in Scenario::BUILTIN {
            let s = Scenario::builtin(name).unwrap();
            if s.outages.is_empty() {
                assert!(
                    (0..=s.duration_secs).all(|t| s.oracle_live(t as f64)),
                    "{name}"
                );
            }
        }
    }
}
