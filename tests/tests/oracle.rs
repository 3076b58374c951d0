//! Pyth price validation: every way a price account can be wrong is refused
//! with its own error, and nothing changes.

use anchor_lang::prelude::Pubkey;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use zero_loss_tests::market::*;
use zero_loss_tests::pyth::PriceFixture;
use zero_loss_tests::ZlError;

/// A market with liquidity and a borrower holding 10 SOL of collateral.
async fn setup() -> (MarketFixture, User) {
    let mut f = MarketFixture::new().await;
    f.lp(10_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    (f, b)
}

#[tokio::test]
async fn a_price_account_not_owned_by_the_pyth_receiver_is_refused() {
    let (mut f, b) = setup().await;
    // Same bytes, another owner: a forgery.
    let mut forged = f.collateral_price;
    forged.owner = Pubkey::new_unique();
    let fake = Pubkey::new_unique();
    f.env.set_account(&fake, forged.to_account());
    let ix = replace_account(f.ix_borrow(&b, ONE_DEBT), f.collateral_oracle, fake);
    f.env
        .expect_rejected(ix, &[&b.kp], ZlError::OracleWrongOwner)
        .await;
    let ix = replace_account(f.ix_check_health(b.margin), f.debt_oracle, fake);
    f.env
        .expect_rejected(ix, &[], ZlError::OracleWrongOwner)
        .await;
}

#[tokio::test]
async fn another_feed_or_garbage_under_the_right_owner_is_refused() {
    let (mut f, b) = setup().await;
    // The two feeds swapped.
    let ix = f.ix_borrow(&b, ONE_DEBT);
    let ix = replace_account(ix, f.collateral_oracle, Pubkey::default());
    let ix = replace_account(ix, f.debt_oracle, f.collateral_oracle);
    let ix = replace_account(ix, Pubkey::default(), f.debt_oracle);
    f.env
        .expect_rejected(ix, &[&b.kp], ZlError::OracleWrongFeed)
        .await;
    // A valid update of some other feed.
    let other = PriceFixture::new([0x55; 32], START_PRICE_E8, f.env.now());
    let key = Pubkey::new_unique();
    f.env.set_account(&key, other.to_account());
    let ix = replace_account(f.ix_borrow(&b, ONE_DEBT), f.collateral_oracle, key);
    f.env
        .expect_rejected(ix, &[&b.kp], ZlError::OracleWrongFeed)
        .await;
    // Right owner, bytes that are no PriceUpdateV2.
    let mut junk = f.collateral_price.to_account();
    junk.data[0] ^= 0xff;
    let key = Pubkey::new_unique();
    f.env.set_account(&key, junk);
    let ix = replace_account(f.ix_borrow(&b, ONE_DEBT), f.collateral_oracle, key);
    f.env
        .expect_rejected(ix, &[&b.kp], ZlError::OracleInvalidAccount)
        .await;
}

#[tokio::test]
async fn stale_future_and_partially_verified_prices_are_refused() {
    let (mut f, b) = setup().await;
    // max age is 60 s.
    f.env.advance(61).await;
    f.env
        .expect_rejected(f.ix_borrow(&b, ONE_DEBT), &[&b.kp], ZlError::OracleStale)
        .await;
    f.env
        .expect_rejected(f.ix_refresh(), &[], ZlError::OracleStale)
        .await;
    // Only the debt feed stale.
    f.collateral_price.publish_time = f.env.now();
    f.write_oracles();
    f.env
        .expect_rejected(f.ix_check_health(b.margin), &[], ZlError::OracleStale)
        .await;
    // Exactly 60 s old is accepted.
    f.debt_price.publish_time = f.env.now() - 60;
    f.write_oracles();
    f.env.exec(&[f.ix_check_health(b.margin)], &[]).await;

    // Up to 10 s of clock skew is tolerated; more is refused.
    f.collateral_price.publish_time = f.env.now() + 10;
    f.write_oracles();
    f.env
        .exec(&[f.ix_borrow(&b, 10 * ONE_DEBT)], &[&b.kp])
        .await;
    f.collateral_price.publish_time = f.env.now() + 11;
    f.write_oracles();
    f.env
        .expect_rejected(
            f.ix_borrow(&b, 10 * ONE_DEBT),
            &[&b.kp],
            ZlError::OracleFromFuture,
        )
        .await;

    f.publish_now();
    f.collateral_price.verification = VerificationLevel::Partial { num_signatures: 12 };
    f.write_oracles();
    f.env
        .expect_rejected(
            f.ix_borrow(&b, ONE_DEBT),
            &[&b.kp],
            ZlError::OracleUnverified,
        )
        .await;
}

#[tokio::test]
async fn wide_confidence_and_non_positive_prices_are_refused() {
    let (mut f, b) = setup().await;
    // max conf/price is 2%.
    f.collateral_price.conf = (START_PRICE_E8 / 100 * 2 + 1) as u64;
    f.publish_now();
    f.env
        .expect_rejected(
            f.ix_borrow(&b, ONE_DEBT),
            &[&b.kp],
            ZlError::OracleConfidenceTooWide,
        )
        .await;
    // The EMA's confidence counts too.
    f.set_price(START_PRICE_E8);
    f.debt_price.ema_conf = 3_000_000;
    f.publish_now();
    f.env
        .expect_rejected(f.ix_refresh(), &[], ZlError::OracleConfidenceTooWide)
        .await;
    f.debt_price.ema_conf = 0;
    f.collateral_price.price = 0;
    f.publish_now();
    f.env
        .expect_rejected(
            f.ix_borrow(&b, ONE_DEBT),
            &[&b.kp],
            ZlError::OracleNonPositive,
        )
        .await;
    f.collateral_price.price = -5;
    f.publish_now();
    f.env
        .expect_rejected(f.ix_check_health(b.margin), &[], ZlError::OracleNonPositive)
        .await;
}
