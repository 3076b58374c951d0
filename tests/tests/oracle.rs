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

/// A captured mainnet `PriceUpdateV2` (tests/fixtures/pyth, Solana JSON
/// account format): its key, owner and data.
struct Captured {
    key: Pubkey,
    owner: Pubkey,
    data: Vec<u8>,
}

fn captured(file: &str) -> Captured {
    use base64::Engine as _;
    let path = format!("{}/fixtures/pyth/{file}", env!("CARGO_MANIFEST_DIR"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON");
    let text = |v: &serde_json::Value| v.as_str().expect("a string").to_string();
    let account = &json["account"];
    assert_eq!(account["data"][1], "base64", "{file}");
    Captured {
        key: text(&json["pubkey"]).parse().expect("pubkey"),
        owner: text(&account["owner"]).parse().expect("owner"),
        data: base64::engine::general_purpose::STANDARD
            .decode(text(&account["data"][0]))
            .expect("base64"),
    }
}

fn feed_id(hex: &str) -> [u8; 32] {
    let mut id = [0u8; 32];
    for (i, b) in id.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
    }
    id
}

const SOL_USD: &str = "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d";
const USDC_USD: &str = "eaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a";

/// The program's own reader (`oracle::load_feed`) on real mainnet bytes
/// gives the values tests/fixtures/pyth/SOURCES.md documents, and refuses
/// them for another feed or once stale.
#[test]
fn captured_mainnet_price_updates_read_as_documented() {
    use anchor_lang::prelude::AccountInfo;
    use zero_loss::oracle::load_feed;
    // file, feed, (price, conf, ema_price, ema_conf, exponent, publish_time)
    let cases = [
        (
            "sol_usd_marginfi_2025-01-04.json",
            SOL_USD,
            (21568137069, 20134469, 21616020100, 18045331, -8, 1735984087),
        ),
        (
            "sol_usd_marginfi_2026-07-31.json",
            SOL_USD,
            (7282143606, 3856794, 7285666800, 4134367, -8, 1785539008),
        ),
        (
            "usdc_usd_mainnet_slot450587418.json",
            USDC_USD,
            (99991510, 16490, 99993334, 15147, -8, 1790402373),
        ),
    ];
    for (file, feed, (price, conf, ema, ema_conf, expo, published)) in cases {
        let mut c = captured(file);
        assert_eq!(c.owner, pyth_solana_receiver_sdk::ID, "{file}");
        let (key, owner) = (c.key, c.owner);
        let mut lamports = 0u64;
        let info = AccountInfo::new(
            &key,
            false,
            false,
            &mut lamports,
            &mut c.data,
            &owner,
            false,
        );
        let read = |feed: &str, now: i64| load_feed(&info, &feed_id(feed), 60, 200, now);
        let got = read(feed, published).expect(file);
        assert_eq!(
            (got.spot.price, got.spot.conf, got.spot.expo),
            (price, conf, expo),
            "{file}"
        );
        assert_eq!(
            (got.ema.price, got.ema.conf, got.ema.expo),
            (ema, ema_conf, expo),
            "{file}"
        );
        assert_eq!(got.publish_time, published, "{file}");
        let other = if feed == SOL_USD { USDC_USD } else { SOL_USD };
        let code = |r: anchor_lang::Result<_>| match r {
            Err(anchor_lang::error::Error::AnchorError(e)) => e.error_code_number,
            other => panic!("{file}: expected a program error, got {other:?}"),
        };
        assert_eq!(
            code(read(other, published)),
            zero_loss_tests::zl_code(ZlError::OracleWrongFeed)
        );
        assert_eq!(
            code(read(feed, published + 61)),
            zero_loss_tests::zl_code(ZlError::OracleStale)
        );
    }
}
