//! Accounts of the program. Sizes are pinned by compile-time asserts; each
//! account keeps reserved bytes so fields can be added without a migration.

pub mod auction;
pub mod margin;
pub mod market;
pub mod params;
pub mod protocol;
pub mod seeds;

pub use auction::*;
pub use margin::*;
pub use market::*;
pub use params::*;
pub use protocol::*;
pub use seeds::VaultKind;

/// Layout version written into each account at creation.
pub const ACCOUNT_VERSION: u8 = 1;
