//! The crash simulator (feature `sim`): the engine on the in-process bank and three rival
//! mechanisms as models, each on the same price path, venue and bidders; the report and
//! the sweep. Its price paths (`crate::scenario`) and Pyth-like feed (`crate::oracle_model`)
//! are pure and shared with `localnet`.

pub mod bidders;
pub mod ledger;
pub mod pool;
pub mod report;
pub mod rivals;
pub mod sweep;
pub mod venue;
pub mod world;

/// A liquidation mechanism the simulator compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mechanism {
    /// The program, on the in-process bank.
    Engine,
    /// A generation-one lender (model).
    Gen1,
    /// Aave v3 liquidationCall (model).
    AaveV3,
    /// Maker Liquidations 2.0 (model).
    MakerLiq2,
}

impl Mechanism {
    pub const ALL: [Mechanism; 4] = [
        Mechanism::Engine,
        Mechanism::Gen1,
        Mechanism::AaveV3,
        Mechanism::MakerLiq2,
    ];

    /// The name in reports and JSON keys.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Engine => "engine",
            Mechanism::Gen1 => "gen1",
            Mechanism::AaveV3 => "aave_v3",
            Mechanism::MakerLiq2 => "maker_liq2",
        }
    }
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
