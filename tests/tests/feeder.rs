//! The localnet price feeder (`pyth_feeder`, loaded at the Pyth receiver's
//! id): what it writes passes the program's unchanged oracle checks, prices
//! written through it move the market, and only the account's write
//! authority can write.

use anchor_lang::prelude::Pubkey;
use pyth_feeder::{create_price_account_ixs, write_price_ix, FeederError, PriceArgs};
use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;
use zero_loss::state::RiskParams;
use zero_loss::state::Zone;
use zero_loss_tests::market::*;
use zero_loss_tests::{anchor_code, Env, Keypair, Signer, ZlError};

fn args(feed_id: [u8; 32], price_e8: i64, publish_time: i64) -> PriceArgs {
    PriceArgs {
        feed_id,
        price: price_e8,
        conf: (price_e8 / 2_000) as u64,
        exponent: -8,
        publish_time,
        ema_price: price_e8,
        ema_conf: (price_e8 / 2_000) as u64,
    }
}

/// Creates a price account through the feeder, written by `authority`.
async fn feed(f: &mut MarketFixture, authority: &Keypair, a: PriceArgs) -> Pubkey {
    let account = Keypair::new();
    let lamports = f.env.rent_exempt(PriceUpdateV2::LEN).await;
    let payer = f.env.payer().pubkey();
    let ixs = create_price_account_ixs(payer, authority.pubkey(), account.pubkey(), lamports, a);
    f.env.exec(&ixs, &[authority, &account]).await;
    account.pubkey()
}

#[tokio::test]
async fn prices_written_by_the_feeder_pass_the_oracle_checks_and_move_the_market() {
    let env = Env::with_price_feeder().await;
    let mut f = MarketFixture::with_env(env, RiskParams::example()).await;
    f.lp(100_000 * ONE_DEBT).await;
    let feeder = f.env.new_user(1).await;
    let now = f.env.now();
    let coll = feed(&mut f, &feeder, args(COLLATERAL_FEED, START_PRICE_E8, now)).await;
    let debt = feed(&mut f, &feeder, args(DEBT_FEED, 100_000_000, now)).await;
    assert_eq!(
        f.env.account(coll).await.unwrap().owner,
        pyth_solana_receiver_sdk::ID
    );
    // The market reads them as it reads the receiver's accounts.
    f.collateral_oracle = coll;
    f.debt_oracle = debt;
    f.env.exec(&[f.ix_refresh()], &[]).await;
    let b = f.borrower(10 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 600 * ONE_DEBT)], &[&b.kp])
        .await;
    f.env.exec(&[f.ix_check_health(b.margin)], &[]).await;
    assert_eq!(
        f.margin_state(&b).await.last_zone,
        Zone::Healthy,
        "healthy at $100"
    );

    // The price falls through the feeder: the same account now reads $70.
    f.env.advance(5).await;
    let now = f.env.now();
    let ix = write_price_ix(
        feeder.pubkey(),
        coll,
        args(COLLATERAL_FEED, 70 * 100_000_000, now),
    );
    f.env.exec(&[ix], &[&feeder]).await;
    let ix = write_price_ix(feeder.pubkey(), debt, args(DEBT_FEED, 100_000_000, now));
    f.env.exec(&[ix], &[&feeder]).await;
    f.env.exec(&[f.ix_check_health(b.margin)], &[]).await;
    assert_eq!(
        f.margin_state(&b).await.last_zone,
        Zone::Distressed,
        "LTV 600/700 is past the 80% liquidation threshold: distressed"
    );
}

#[tokio::test]
async fn only_the_write_authority_writes_and_a_feed_stays_its_feed() {
    let env = Env::with_price_feeder().await;
    let mut f = MarketFixture::with_env(env, RiskParams::example()).await;
    let feeder = f.env.new_user(1).await;
    let intruder = f.env.new_user(1).await;
    let now = f.env.now();
    let coll = feed(&mut f, &feeder, args(COLLATERAL_FEED, START_PRICE_E8, now)).await;

    let ix = write_price_ix(intruder.pubkey(), coll, args(COLLATERAL_FEED, 1, now));
    f.env
        .expect_rejected_code(
            ix,
            &[&intruder],
            anchor_code_of(FeederError::WrongAuthority),
        )
        .await;
    let ix = write_price_ix(feeder.pubkey(), coll, args(DEBT_FEED, START_PRICE_E8, now));
    f.env
        .expect_rejected_code(ix, &[&feeder], anchor_code_of(FeederError::WrongFeed))
        .await;
    let ix = write_price_ix(
        feeder.pubkey(),
        coll,
        args(COLLATERAL_FEED, START_PRICE_E8, now - 1),
    );
    f.env
        .expect_rejected_code(
            ix,
            &[&feeder],
            anchor_code_of(FeederError::OlderPublishTime),
        )
        .await;
    // An account the feeder does not own is refused by Anchor's owner check.
    let ix = write_price_ix(feeder.pubkey(), f.market, args(COLLATERAL_FEED, 1, now));
    f.env
        .expect_rejected_code(
            ix,
            &[&feeder],
            anchor_code(anchor_lang::error::ErrorCode::ConstraintOwner),
        )
        .await;

    // And a feeder account of the wrong feed is refused by the market.
    let other = feed(&mut f, &feeder, args([0x55; 32], START_PRICE_E8, now)).await;
    let ix = zero_loss::client::MarketKeys::new(f.market, other, f.debt_oracle).refresh();
    f.env
        .expect_rejected(ix, &[], ZlError::OracleWrongFeed)
        .await;
}

fn anchor_code_of(e: FeederError) -> u32 {
    anchor_lang::error::ERROR_CODE_OFFSET + e as u32
}
