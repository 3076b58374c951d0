//! Pure, Solana-free logic: fixed point, prices, health, volatility,
//! interest and share accounting. Handlers load accounts, call these
//! functions, and write the results; nothing here touches an account.
//!
//! Units: token amounts are `u64`/`u128` native units; prices are [`Fp`]
//! (debt native units per collateral native unit); ratios (LTV, buffer,
//! rates) are [`Fp`] fractions; times are unix seconds.

pub mod auction;
pub mod book;
pub mod budget;
pub mod error;
pub mod fixed;
pub mod health;
pub mod held;
pub mod interest;
pub mod liquidation;
pub mod pause;
pub mod price;
pub mod shares;
pub mod volatility;
pub mod waterfall;

pub use error::MathError;
pub use fixed::Fp;
