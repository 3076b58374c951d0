//! Accounts of the program. Sizes are pinned by compile-time asserts; each
//! account keeps reserved bytes so fields can be added without a migration.

pub mod auction;
pub mod margin;
pub mod market;
pub mod params;
pub mod pol;
pub mod protocol;
pub mod seeds;

pub use auction::*;
pub use margin::*;
pub use market::*;
pub use params::*;
pub use pol::*;
pub use protocol::*;
pub use seeds::VaultKind;

/// Layout version written into each account at creation.
pub const ACCOUNT_VERSION: u8 = 1;

#[cfg(test)]
mod tests {
    use anchor_lang::AnchorSerialize;

    use super::{AccountStatus, AuctionCurve, OwnerKind};
    use crate::state::PolAsset;
    use crate::state::Zone;

    fn byte<T: AnchorSerialize>(v: T) -> Vec<u8> {
        let mut out = Vec::new();
        v.serialize(&mut out).expect("serialize");
        out
    }

    /// The one-byte enums keep the wire values they had when they carried
    /// explicit discriminants (the IDL builder refuses those): declaration
    /// order is the encoding, so reordering a variant would change stored
    /// accounts and instruction data.
    #[test]
    fn one_byte_enums_keep_their_wire_values() {
        assert_eq!(byte(Zone::Healthy), [0]);
        assert_eq!(byte(Zone::Buffer), [1]);
        assert_eq!(byte(Zone::Distressed), [2]);
        assert_eq!(byte(Zone::Emergency), [3]);
        assert_eq!(Zone::Emergency as u8, 3);
        assert_eq!(byte(AccountStatus::Active), [0]);
        assert_eq!(byte(AccountStatus::InAuction), [1]);
        assert_eq!(byte(OwnerKind::Margin), [0]);
        assert_eq!(byte(OwnerKind::Pol), [1]);
        assert_eq!(byte(AuctionCurve::Linear), [0]);
        assert_eq!(byte(AuctionCurve::StepExp), [1]);
        assert_eq!(byte(PolAsset::Debt), [0]);
        assert_eq!(byte(PolAsset::Collateral), [1]);
    }
}
