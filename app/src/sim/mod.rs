//! The crash simulator (feature `sim`): the market-depth model, the
//! generation-one baseline, the run on the in-process bank, and the report.
//! Its price paths (`crate::scenario`) and Pyth-like feed
//! (`crate::oracle_model`) are pure and shared with `localnet`.

pub mod baseline;
pub mod pool;
pub mod report;
pub mod world;
