//! Localnet only: a price feeder loaded at the Pyth receiver's program id
//! (`solana-test-validator --bpf-program rec5EKMG... pyth_feeder.so`), so
//! that prices can move on a local validator while the zero-loss program
//! keeps its mainnet oracle checks (owner = the receiver, feed id, full
//! verification, age, confidence).
//!
//! It writes `PriceUpdateV2` accounts exactly as the receiver lays them out
//! (Anchor discriminator, borsh body, `PriceUpdateV2::LEN` bytes). The client
//! creates the account with the system program, owned by this id, and
//! writes it in the same transaction; the first write fixes the account's
//! `write_authority` and feed id, as the receiver does, and later writes
//! must be signed by that authority, keep the feed and not go back in time.
//!
//! It cannot be deployed on a real cluster: the address is the receiver's.
#![allow(clippy::result_large_err)]

use anchor_lang::prelude::*;
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};

declare_id!("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");

/// One price, as a Pyth publisher would report it.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceArgs {
    pub feed_id: [u8; 32],
    pub price: i64,
    pub conf: u64,
    pub exponent: i32,
    pub publish_time: i64,
    pub ema_price: i64,
    pub ema_conf: u64,
}

#[error_code]
pub enum FeederError {
    #[msg("The price account is not PriceUpdateV2::LEN bytes")]
    WrongSize,
    #[msg("The signer is not the account's write authority")]
    WrongAuthority,
    #[msg("A price account keeps the feed it was first written with")]
    WrongFeed,
    #[msg("The publish time is older than the account's")]
    OlderPublishTime,
    #[msg("A price must be positive")]
    NonPositivePrice,
    #[msg("The account holds something other than a PriceUpdateV2")]
    NotAPriceUpdate,
}

/// The account after a write: `old` is its current content (`None` when
/// the account is fresh, all zeros).
pub fn next_update(
    old: Option<&PriceUpdateV2>,
    authority: Pubkey,
    args: &PriceArgs,
    slot: u64,
) -> std::result::Result<PriceUpdateV2, FeederError> {
    if args.price <= 0 || args.ema_price <= 0 {
        return Err(FeederError::NonPositivePrice);
    }
    let prev_publish_time = match old {
        None => args.publish_time,
        Some(o) => {
            if o.write_authority != authority {
                return Err(FeederError::WrongAuthority);
            }
            if o.price_message.feed_id != args.feed_id {
                return Err(FeederError::WrongFeed);
            }
            if args.publish_time < o.price_message.publish_time {
                return Err(FeederError::OlderPublishTime);
            }
            o.price_message.publish_time
        }
    };
    Ok(PriceUpdateV2 {
        write_authority: authority,
        verification_level: VerificationLevel::Full,
        price_message: PriceFeedMessage {
            feed_id: args.feed_id,
            price: args.price,
            conf: args.conf,
            exponent: args.exponent,
            publish_time: args.publish_time,
            prev_publish_time,
            ema_price: args.ema_price,
            ema_conf: args.ema_conf,
        },
        posted_slot: slot,
    })
}

#[program]
pub mod pyth_feeder {
    use super::*;

    /// Writes one price into `price_update` (created by the caller with
    /// `PriceUpdateV2::LEN` bytes, owned by this program).
    pub fn write_price(ctx: Context<WritePrice>, args: PriceArgs) -> Result<()> {
        let info = ctx.accounts.price_update.to_account_info();
        require_eq!(info.data_len(), PriceUpdateV2::LEN, FeederError::WrongSize);
        let old = {
            let data = info.try_borrow_data()?;
            if data[..8] == [0u8; 8] {
                None
            } else {
                Some(
                    PriceUpdateV2::try_deserialize(&mut &data[..])
                        .map_err(|_| error!(FeederError::NotAPriceUpdate))?,
                )
            }
        };
        let slot = Clock::get()?.slot;
        let update = next_update(old.as_ref(), ctx.accounts.authority.key(), &args, slot)
            .map_err(|e| error!(e))?;
        let mut data = info.try_borrow_mut_data()?;
        let mut out: &mut [u8] = &mut data[..];
        update.try_serialize(&mut out)?;
        Ok(())
    }
}

#[derive(Accounts)]
pub struct WritePrice<'info> {
    pub authority: Signer<'info>,
    /// CHECK: owned by this program (checked); its content is checked by
    /// `write_price` (size, discriminator, authority, feed).
    #[account(mut, owner = crate::ID)]
    pub price_update: UncheckedAccount<'info>,
}

/// Off-chain: the instruction writing `args` into `price_update`.
#[cfg(not(target_os = "solana"))]
pub fn write_price_ix(
    authority: Pubkey,
    price_update: Pubkey,
    args: PriceArgs,
) -> anchor_lang::solana_program::instruction::Instruction {
    use anchor_lang::{InstructionData, ToAccountMetas};
    anchor_lang::solana_program::instruction::Instruction {
        program_id: crate::ID,
        accounts: accounts::WritePrice {
            authority,
            price_update,
        }
        .to_account_metas(None),
        data: instruction::WritePrice { args }.data(),
    }
}

/// Off-chain: creates `price_update` (a fresh keypair's address, funded
/// with `lamports`, the rent exemption of `PriceUpdateV2::LEN` bytes) and
/// writes its first price, fixing `authority` as its write authority.
#[cfg(not(target_os = "solana"))]
pub fn create_price_account_ixs(
    payer: Pubkey,
    authority: Pubkey,
    price_update: Pubkey,
    lamports: u64,
    args: PriceArgs,
) -> [anchor_lang::solana_program::instruction::Instruction; 2] {
    [
        anchor_lang::solana_program::system_instruction::create_account(
            &payer,
            &price_update,
            lamports,
            PriceUpdateV2::LEN as u64,
            &crate::ID,
        ),
        write_price_ix(authority, price_update, args),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(price: i64, publish_time: i64) -> PriceArgs {
        PriceArgs {
            feed_id: [7; 32],
            price,
            conf: 1,
            exponent: -8,
            publish_time,
            ema_price: price,
            ema_conf: 1,
        }
    }

    fn refusal(r: std::result::Result<PriceUpdateV2, FeederError>) -> u32 {
        match r {
            Ok(_) => panic!("the write was accepted"),
            Err(e) => e as u32,
        }
    }

    #[test]
    fn first_write_fixes_authority_and_feed() {
        let a = Pubkey::new_unique();
        let u = next_update(None, a, &args(100, 10), 5).unwrap();
        assert_eq!(u.write_authority, a);
        assert_eq!(u.verification_level, VerificationLevel::Full);
        assert_eq!(u.price_message.prev_publish_time, 10);
        assert_eq!(u.posted_slot, 5);
        let next = next_update(Some(&u), a, &args(90, 12), 6).unwrap();
        assert_eq!(next.price_message.price, 90);
        assert_eq!(next.price_message.prev_publish_time, 10);
    }

    #[test]
    fn later_writes_are_checked() {
        let a = Pubkey::new_unique();
        let u = next_update(None, a, &args(100, 10), 5).unwrap();
        assert_eq!(
            refusal(next_update(
                Some(&u),
                Pubkey::new_unique(),
                &args(100, 11),
                6
            )),
            FeederError::WrongAuthority as u32
        );
        let mut other = args(100, 11);
        other.feed_id = [8; 32];
        assert_eq!(
            refusal(next_update(Some(&u), a, &other, 6)),
            FeederError::WrongFeed as u32
        );
        assert_eq!(
            refusal(next_update(Some(&u), a, &args(100, 9), 6)),
            FeederError::OlderPublishTime as u32
        );
        assert_eq!(
            refusal(next_update(None, a, &args(0, 9), 6)),
            FeederError::NonPositivePrice as u32
        );
    }

    #[test]
    fn the_layout_is_the_receivers() {
        let u = next_update(None, Pubkey::new_unique(), &args(100, 10), 5).unwrap();
        let mut buf = [0u8; PriceUpdateV2::LEN];
        let mut out: &mut [u8] = &mut buf[..];
        u.try_serialize(&mut out).unwrap();
        assert_eq!(&buf[..8], PriceUpdateV2::DISCRIMINATOR);
        let back = PriceUpdateV2::try_deserialize(&mut &buf[..]).unwrap();
        assert_eq!(back.price_message, u.price_message);
        assert_eq!(back.write_authority, u.write_authority);
        assert_eq!(ID, pyth_solana_receiver_sdk::ID);
    }
}
