//! Pyth `PriceUpdateV2` fixtures: accounts laid out exactly as the Pyth
//! receiver program writes them, with every field settable.

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountSerialize;
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use solana_account::Account;

/// The fields of a price update a test may want to set.
#[derive(Clone, Copy, Debug)]
pub struct PriceFixture {
    pub feed_id: [u8; 32],
    /// Spot price, in `10^expo` units of USD.
    pub price: i64,
    pub conf: u64,
    pub ema_price: i64,
    pub ema_conf: u64,
    pub expo: i32,
    pub publish_time: i64,
    pub verification: VerificationLevel,
    /// The account owner; the Pyth receiver program unless a test forges it.
    pub owner: Pubkey,
}

impl PriceFixture {
    /// A price of `usd` (in 1e-8 units) with spot = EMA and conf 0.05%.
    pub fn new(feed_id: [u8; 32], price_e8: i64, publish_time: i64) -> Self {
        let conf = (price_e8 / 2_000) as u64;
        PriceFixture {
            feed_id,
            price: price_e8,
            conf,
            ema_price: price_e8,
            ema_conf: conf,
            expo: -8,
            publish_time,
            verification: VerificationLevel::Full,
            owner: pyth_solana_receiver_sdk::ID,
        }
    }

    /// The account bytes and lamports as the receiver would store them.
    pub fn to_account(&self) -> Account {
        let update = PriceUpdateV2 {
            write_authority: Pubkey::new_from_array([7; 32]),
            verification_level: self.verification,
            price_message: PriceFeedMessage {
                feed_id: self.feed_id,
                price: self.price,
                conf: self.conf,
                exponent: self.expo,
                publish_time: self.publish_time,
                prev_publish_time: self.publish_time - 1,
                ema_price: self.ema_price,
                ema_conf: self.ema_conf,
            },
            posted_slot: 1,
        };
        let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
        update
            .try_serialize(&mut data)
            .expect("serialize PriceUpdateV2");
        data.resize(PriceUpdateV2::LEN, 0);
        Account {
            lamports: 10_000_000,
            data,
            owner: self.owner,
            executable: false,
            rent_epoch: 0,
        }
    }
}
