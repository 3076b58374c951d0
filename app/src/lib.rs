//! `zl-keeper`: the keeper bot and the crash simulator. See docs/simulator.md.
#![allow(clippy::result_large_err)]

pub mod bank;
pub mod bootstrap;
pub mod chain;
pub mod keeper;
pub mod localnet;
pub mod pyth;
pub mod rpc;
pub mod sim;
pub mod tokens;
