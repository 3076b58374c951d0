//! The crash simulator (feature `sim`): the engine on the in-process bank and the rival
//! mechanisms as models, each on the same price path, venue and bidders; the report and
//! the sweep. Its price paths (`crate::scenario`) and Pyth-like feed (`crate::oracle_model`)
//! are pure and shared with `localnet`.

pub mod bidders;
pub mod clock;
pub mod ledger;
pub mod pool;
pub mod report;
pub mod rivals;
pub mod svg;
pub mod sweep;
pub mod venue;
pub mod world;

use ledger::Position;
use rivals::Rival;

/// A liquidation mechanism the simulator compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mechanism {
    /// The program, on the in-process bank.
    Engine,
    /// A generation-one lender (model): the labelled strawman.
    Gen1,
    /// Aave v3 liquidationCall (model).
    AaveV3,
    /// Maker Liquidations 2.0 (model).
    MakerLiq2,
    /// Kamino Lend (klend) liquidation (model).
    Kamino,
    /// Euler v2 (Euler Vault Kit) liquidation (model).
    EulerV2,
    /// The engine's mechanism v2 as designed (docs/liquidation.md), modelled: a prototype,
    /// not the program.
    EngineV2Model,
}

/// Builds a rival's model on a book with its backstop capital.
type Build = fn(&[Position], f64) -> Box<dyn Rival>;

/// One row per mechanism: everything the simulator knows of it in one place. A new rival
/// is its module under `rivals/` and one row here.
struct Row {
    mechanism: Mechanism,
    name: &'static str,
    /// Its colour in plots.
    colour: &'static str,
    /// Left out of the headline comparisons and the goals.
    strawman: bool,
    /// A model of a design of the engine's: shown, never a rival, never checked.
    prototype: bool,
    /// `None` for the engine, which runs on the bank (`world::run_engine`).
    build: Option<Build>,
}

const TABLE: [Row; 7] = [
    Row {
        mechanism: Mechanism::Engine,
        name: "engine",
        colour: "#2ca02c",
        strawman: false,
        prototype: false,
        build: None,
    },
    Row {
        mechanism: Mechanism::Gen1,
        name: "gen1",
        colour: "#7f7f7f",
        strawman: true,
        prototype: false,
        build: Some(|book, ins| Box::new(rivals::gen1::Gen1::new(book, ins))),
    },
    Row {
        mechanism: Mechanism::AaveV3,
        name: "aave_v3",
        colour: "#1f77b4",
        strawman: false,
        prototype: false,
        build: Some(|book, ins| Box::new(rivals::aave_v3::AaveV3::new(book, ins))),
    },
    Row {
        mechanism: Mechanism::MakerLiq2,
        name: "maker_liq2",
        colour: "#ff7f0e",
        strawman: false,
        prototype: false,
        build: Some(|book, ins| Box::new(rivals::maker_liq2::MakerLiq2::new(book, ins))),
    },
    Row {
        mechanism: Mechanism::Kamino,
        name: "kamino",
        colour: "#9467bd",
        strawman: false,
        prototype: false,
        build: Some(|book, ins| Box::new(rivals::kamino::Kamino::new(book, ins))),
    },
    Row {
        mechanism: Mechanism::EulerV2,
        name: "euler_v2",
        colour: "#d62728",
        strawman: false,
        prototype: false,
        build: Some(|book, ins| Box::new(rivals::euler_v2::EulerV2::new(book, ins))),
    },
    Row {
        mechanism: Mechanism::EngineV2Model,
        name: "engine_v2_model",
        colour: "#17becf",
        strawman: false,
        prototype: true,
        build: Some(|book, ins| Box::new(rivals::engine_v2::EngineV2::new(book, ins))),
    },
];

impl Mechanism {
    pub const ALL: [Mechanism; 7] = [
        Mechanism::Engine,
        Mechanism::Gen1,
        Mechanism::AaveV3,
        Mechanism::MakerLiq2,
        Mechanism::Kamino,
        Mechanism::EulerV2,
        Mechanism::EngineV2Model,
    ];

    fn row(self) -> &'static Row {
        TABLE
            .iter()
            .find(|r| r.mechanism == self)
            .unwrap_or(&TABLE[0])
    }

    /// The name in reports and JSON keys.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// Its colour in plots.
    pub fn colour(self) -> &'static str {
        self.row().colour
    }

    /// A labelled strawman: shown, but left out of the headline comparisons and goals.
    pub fn strawman(self) -> bool {
        self.row().strawman
    }

    /// A model of a design of the engine's: shown, never a rival, never checked.
    pub fn prototype(self) -> bool {
        self.row().prototype
    }

    /// Whether the engine is measured against it (every mechanism but the engine, the
    /// strawman and prototypes).
    pub fn is_rival(self) -> bool {
        self != Mechanism::Engine && !self.strawman() && !self.prototype()
    }

    /// The rivals the engine is measured against.
    pub fn rivals() -> impl Iterator<Item = Mechanism> {
        Mechanism::ALL.into_iter().filter(|m| m.is_rival())
    }

    /// The model of a rival on `book` with `insurance` of backstop capital; `None` for the
    /// engine.
    pub fn build(self, book: &[Position], insurance: f64) -> Option<Box<dyn Rival>> {
        self.row().build.map(|b| b(book, insurance))
    }

    /// The mechanism called `name`.
    pub fn named(name: &str) -> Option<Mechanism> {
        TABLE.iter().find(|r| r.name == name).map(|r| r.mechanism)
    }
}

/// Equal within 1e-9, relative (absolute below 1): the hand-computed tests' comparison.
#[cfg(test)]
pub(crate) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A progress bar drawn with `template` (indicatif), or a hidden one when `show` is false.
pub(crate) fn progress_bar(show: bool, len: u64, template: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_mechanism() {
        for m in Mechanism::ALL {
            assert_eq!(m.row().mechanism, m);
            assert_eq!(Mechanism::named(m.name()), Some(m));
            assert_eq!(m.build(&[], 0.0).is_none(), m == Mechanism::Engine);
        }
        let rivals: Vec<&str> = Mechanism::rivals().map(Mechanism::name).collect();
        assert_eq!(rivals, ["aave_v3", "maker_liq2", "kamino", "euler_v2"]);
        assert!(Mechanism::EngineV2Model.prototype() && !Mechanism::EngineV2Model.is_rival());
    }
}
