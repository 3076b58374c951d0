//! Protocol-owned liquidity: which of its two vaults an instruction names.

use anchor_lang::prelude::*;

/// Which POL vault withdraw_pol draws from, one byte.
/// Debt (0): the POL debt-asset vault; Collateral (1): the POL collateral vault. Any other value is
/// refused when the instruction is decoded.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PolAsset {
    /// The debt asset, from the POL debt vault (byte 0).
    Debt,
    /// The collateral, from the POL collateral vault (byte 1).
    Collateral,
}
