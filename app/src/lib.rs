//! `zl-keeper`: the keeper bot and the crash simulator. See docs/simulator.md.
#![allow(clippy::result_large_err)]

pub mod alt;
#[cfg(feature = "sim")]
pub mod bank;
pub mod bench_scan;
pub mod bootstrap;
pub mod chain;
pub mod config;
pub mod e2e;
pub mod feed;
pub mod fees;
pub mod histogram;
pub mod keeper;
pub mod localnet;
pub mod metrics;
pub mod operator;
pub mod oracle_model;
pub mod pyth;
pub mod rpc;
pub mod scenario;
#[cfg(feature = "sim")]
pub mod sim;
pub mod tokens;
