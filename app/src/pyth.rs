//! Where Pyth's sponsored price feeds live on Solana: one `PriceUpdateV2`
//! account per feed id and shard, a PDA of the push-oracle program.

use anchor_lang::prelude::Pubkey;
use pyth_solana_receiver_sdk::PYTH_PUSH_ORACLE_ID;

/// The price feed account of `feed_id` in `shard` (0 is the one Pyth keeps updated).
pub fn price_feed_account(shard: u16, feed_id: &[u8; 32]) -> Pubkey {
    Pubkey::find_program_address(&[&shard.to_le_bytes(), feed_id], &PYTH_PUSH_ORACLE_ID).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sol_usd_shard_zero() {
        let feed = crate::bootstrap::parse_feed_id(
            "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d",
        )
        .unwrap();
        let expected: Pubkey = "7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE"
            .parse()
            .unwrap();
        assert_eq!(price_feed_account(0, &feed), expected);
        assert_ne!(price_feed_account(1, &feed), expected);
    }
}
