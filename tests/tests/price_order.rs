//! An adversary who chooses among genuine price updates: every update below
//! is a real, fully verified `PriceUpdateV2` within `oracle_max_age_secs`.
//! The market remembers the newest reading of each feed it has used and
//! refuses older ones, samples volatility at the collateral's publish time
//! no more than once per `MIN_SAMPLE_SECS`, and caps all keeper rewards of an
//! auction by its penalty. Each refused call leaves every account unchanged.

use zero_loss::engine::volatility::MIN_SAMPLE_SECS;
use zero_loss::events::{AuctionRestarted, AuctionStarted};
use zero_loss::state::{Market, RiskParams};
use zero_loss_tests::market::*;
use zero_loss_tests::ZlError;

/// 10 SOL against 690 USDC, then the price at $90.80 (LTV ~76%, healthy
/// with the 1% minimum buffer, partially liquidatable once the buffer passes
/// ~5%), and a refresh that samples volatility at `t0`.
async fn seeded() -> (MarketFixture, User, User, i64) {
    let mut f = MarketFixture::new().await;
    f.lp(100_000 * ONE_DEBT).await;
    let b = f.levered_borrower(10 * ONE_COLL, 690 * ONE_DEBT).await;
    let liq = f.user(0, 10_000 * ONE_DEBT).await;
    f.advance(2 * MIN_SAMPLE_SECS).await;
    let t0 = f.env.now();
    let c = f.collateral_reading(90.8, 90.8, t0);
    f.present(c, t0);
    f.env.exec(&[f.ix_refresh()], &[]).await;
    assert_eq!(f.market_state().await.vol_last_time, t0, "sampled at t0");
    (f, b, liq, t0)
}

/// The variance and buffer after one honest refresh that sees the price
/// move 1% over the minimum interval: the most any refresh can add then.
async fn honest_reference() -> (u128, u64) {
    let (mut f, _, _, t0) = seeded().await;
    f.env.advance(MIN_SAMPLE_SECS).await;
    let at = t0 + MIN_SAMPLE_SECS;
    let c = f.collateral_reading(91.7, 91.7, at);
    f.present(c, at);
    f.env.exec(&[f.ix_refresh()], &[]).await;
    let m = f.market_state().await;
    assert_eq!(m.vol_last_time, at);
    (m.vol_variance, buffer_bps(&m))
}

fn buffer_bps(m: &Market) -> u64 {
    m.buffer().unwrap().to_bps_ceil().unwrap()
}

#[tokio::test]
async fn a_burst_of_genuine_refreshes_cannot_inflate_the_volatility_buffer() {
    let (ref_variance, ref_buffer) = honest_reference().await;
    assert!(ref_variance > 0 && ref_buffer < 500);

    // Variant 1: 59 refreshes in one second, every collateral reading newer
    // than the last (prices alternating 90.80 / 91.70), the debt feed's
    // publish time stepped by one second each time.
    let (mut f, b, liq, t0) = seeded().await;
    f.env.advance(59).await;
    let mut samples = 0;
    let mut last = f.market_state().await.vol_last_time;
    for i in 1..=59 {
        let price = if i % 2 == 1 { 91.7 } else { 90.8 };
        let c = f.collateral_reading(price, price, t0 + i);
        f.present(c, t0 + i);
        f.env.exec(&[f.ix_refresh()], &[]).await;
        let m = f.market_state().await;
        if m.vol_last_time != last {
            samples += 1;
            last = m.vol_last_time;
        }
    }
    let m = f.market_state().await;
    assert!(samples <= 1, "{samples} samples in one burst");
    assert!(
        m.vol_variance <= ref_variance,
        "burst variance {} above one honest refresh {}",
        m.vol_variance,
        ref_variance
    );
    assert!(buffer_bps(&m) <= ref_buffer);
    // The healthy account at ~76% LTV stays healthy.
    f.env
        .expect_rejected(
            f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
            &[&liq.kp],
            ZlError::AccountHealthy,
        )
        .await;

    // Variant 2: alternate an old and a fresh collateral update (both
    // within the max age) while stepping the debt feed: once the fresh one
    // is used, the old one is refused and nothing changes.
    let (mut f, _, _, t0) = seeded().await;
    f.env.advance(59).await;
    let fresh = f.collateral_reading(91.7, 91.7, t0 + 59);
    f.present(fresh, t0 + 1);
    f.env.exec(&[f.ix_refresh()], &[]).await;
    for i in 2..=20 {
        let old = f.collateral_reading(90.8, 90.8, t0);
        f.present(old, t0 + i);
        f.env
            .expect_rejected(f.ix_refresh(), &[], ZlError::OracleSuperseded)
            .await;
    }
    // The one sample the fresh reading gave spans 59 s: at most one honest
    // refresh's worth.
    let m = f.market_state().await;
    assert!(m.vol_variance <= ref_variance && buffer_bps(&m) <= ref_buffer);

    // Variant 3: the debt feed alone steps forward with a flat collateral
    // reading: the sample time is the collateral's, so nothing is added.
    let (mut f, _, _, t0) = seeded().await;
    let before = f.market_state().await;
    f.env.advance(59).await;
    for i in 1..=30 {
        let c = f.collateral_reading(90.8, 90.8, t0);
        f.present(c, t0 + i);
        f.env.exec(&[f.ix_refresh()], &[]).await;
    }
    let m = f.market_state().await;
    assert_eq!(
        (m.vol_variance, m.vol_last_time),
        (before.vol_variance, before.vol_last_time)
    );
}

/// A wick the market has already moved past cannot be replayed to kick an
/// account that is healthy on the live price.
#[tokio::test]
async fn a_stale_wick_cannot_kick_a_recovered_account() {
    let mut f = MarketFixture::new().await;
    f.lp(100_000 * ONE_DEBT).await;
    f.fund_backstops(1_000 * ONE_DEBT, 1_000 * ONE_DEBT).await;
    let b = f.levered_borrower(10 * ONE_COLL, 690 * ONE_DEBT).await;
    let kicker = f.user(0, 0).await;
    // A 30-s-old wick: spot $72, spot LTV ~96% >= full_ltv (emergency).
    let t = f.env.now();
    let wick = f.collateral_reading(100.0, 72.0, t);
    f.env.advance(30).await;
    // The market has used the recovered reading since.
    f.set_prices(100.0, 100.0);
    f.env.exec(&[f.ix_refresh()], &[]).await;
    let m = f.market_state().await;
    assert_eq!(m.collateral_publish_time, t + 30);
    // Replayed in the market's own oracle account, or in another account of
    // the same feed: refused, nothing changes.
    let debt_now = f.env.now();
    f.present(wick, debt_now);
    let a = f.next_auction().await;
    f.env
        .expect_rejected(
            f.ix_start_auction(&kicker, b.margin, a),
            &[&kicker.kp],
            ZlError::OracleSuperseded,
        )
        .await;
    f.env
        .expect_rejected(f.ix_check_health(b.margin), &[], ZlError::OracleSuperseded)
        .await;
    f.set_prices(100.0, 100.0);
    let other = anchor_lang::prelude::Pubkey::new_unique();
    f.env.set_account(&other, wick.to_account());
    let ix = replace_account(
        f.ix_start_auction(&kicker, b.margin, a),
        f.collateral_oracle,
        other,
    );
    f.env
        .expect_rejected(ix, &[&kicker.kp], ZlError::OracleSuperseded)
        .await;
    // On the live reading the account is healthy.
    f.env
        .expect_rejected(
            f.ix_start_auction(&kicker, b.margin, a),
            &[&kicker.kp],
            ZlError::NotDistressed,
        )
        .await;
    assert_eq!(f.margin_state(&b).await.collateral, 10 * ONE_COLL);
}

#[tokio::test]
async fn a_superseded_high_cannot_be_borrowed_against() {
    let mut f = MarketFixture::new().await;
    f.lp(100_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    // $120 at t, $100 at t+20 (used by a refresh).
    let t = f.env.now();
    let high = f.collateral_reading(120.0, 120.0, t);
    f.env.advance(20).await;
    f.set_prices(100.0, 100.0);
    f.env.exec(&[f.ix_refresh()], &[]).await;
    // 800 USDC is within max_ltv at $120 (66.7%), not at $100 (80%).
    let now = f.env.now();
    f.present(high, now);
    f.env
        .expect_rejected(
            f.ix_borrow(&b, 800 * ONE_DEBT),
            &[&b.kp],
            ZlError::OracleSuperseded,
        )
        .await;
    f.set_prices(100.0, 100.0);
    f.env
        .expect_rejected(
            f.ix_borrow(&b, 800 * ONE_DEBT),
            &[&b.kp],
            ZlError::MaxLtvExceeded,
        )
        .await;
    // A reading as new as the market's newest is accepted.
    f.env
        .exec(&[f.ix_borrow(&b, 600 * ONE_DEBT)], &[&b.kp])
        .await;
}

/// A genuine reading up to the clock-skew allowance ahead of the cluster
/// clock is accepted but recorded as published now: the readings every
/// keeper and bidder hold (published now) are not refused as superseded
/// after it, while a reading older than the clock still is.
#[tokio::test]
async fn a_reading_ahead_of_the_clock_does_not_supersede_current_ones() {
    let mut f = MarketFixture::new().await;
    f.lp(100_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    let now = f.env.now();
    let ahead = f.collateral_reading(100.0, 100.0, now + 10);
    f.present(ahead, now + 10);
    f.env.exec(&[f.ix_refresh()], &[]).await;
    let m = f.market_state().await;
    assert_eq!(m.collateral_publish_time, now, "clamped to the clock");
    assert_eq!(m.debt_publish_time, now, "clamped to the clock");
    // Readings published now, as every current holder has them, go through.
    let current = f.collateral_reading(100.0, 100.0, now);
    f.present(current, now);
    f.env
        .exec(&[f.ix_borrow(&b, 100 * ONE_DEBT)], &[&b.kp])
        .await;
    // One older than the newest accepted is still superseded.
    let older = f.collateral_reading(100.0, 100.0, now - 1);
    f.present(older, now);
    f.env
        .expect_rejected(
            f.ix_borrow(&b, 100 * ONE_DEBT),
            &[&b.kp],
            ZlError::OracleSuperseded,
        )
        .await;
}

#[tokio::test]
async fn a_bid_cannot_price_the_floor_on_a_superseded_dip() {
    let mut f = MarketFixture::new().await;
    f.lp(100_000 * ONE_DEBT).await;
    f.fund_backstops(1_000 * ONE_DEBT, 1_000 * ONE_DEBT).await;
    let b = f.levered_borrower(10 * ONE_COLL, 690 * ONE_DEBT).await;
    let keeper = f.user(0, 0).await;
    let bidder = f.user(0, 100_000 * ONE_DEBT).await;
    f.set_prices(80.0, 80.0);
    let a = f.kick(&keeper, b.margin).await;
    // Four hours on (the curve is down at the floor), the market uses an
    // $80 reading; a dip to $60 published ten seconds before it is replayed.
    f.env.advance(4 * 60 * 60).await;
    f.set_prices(80.0, 80.0);
    let fresh_at = f.env.now();
    f.env.exec(&[f.ix_refresh()], &[]).await;
    let dip = f.collateral_reading(60.0, 60.0, fresh_at - 10);
    f.present(dip, fresh_at);
    f.env
        .expect_rejected(
            f.ix_bid(&bidder, a, ONE_COLL, u128::MAX),
            &[&bidder.kp],
            ZlError::OracleSuperseded,
        )
        .await;
    // At the live reading the floor holds at $80 x 0.8.
    f.set_prices(80.0, 80.0);
    let r = f
        .env
        .exec(&[f.ix_bid(&bidder, a, ONE_COLL, u128::MAX)], &[&bidder.kp])
        .await;
    let bid = &r.events::<zero_loss::events::AuctionBid>()[0];
    let floor = 80.0 * 0.9995 / 1.0005 * zero_loss_tests::market::FLOOR_KEEP * 1e-3;
    assert!(bid.price as f64 / 1e18 >= floor * (1.0 - 1e-9));
}

/// The kick and every restart of one auction together pay at most its
/// penalty, whatever the tip, the cap and the number of stages.
#[tokio::test]
async fn all_keeper_rewards_of_an_auction_stay_within_its_penalty() {
    for (tip, stages) in [(1, 3), (20, 10), (100, 20)] {
        let mut p = RiskParams::example();
        p.keeper_tip = tip * ONE_DEBT;
        p.keeper_reward_cap = 100 * ONE_DEBT;
        p.auction_max_stages = stages;
        let mut f = MarketFixture::with_params(p).await;
        f.lp(100_000 * ONE_DEBT).await;
        f.fund_backstops(10_000 * ONE_DEBT, 0).await;
        let b = f.levered_borrower(10 * ONE_COLL, 690 * ONE_DEBT).await;
        let keeper = f.user(0, 0).await;
        f.set_prices(80.0, 80.0);
        let a = f.next_auction().await;
        let r = f
            .env
            .exec(&[f.ix_start_auction(&keeper, b.margin, a)], &[&keeper.kp])
            .await;
        let kick = r.events::<AuctionStarted>().remove(0);
        let penalty = kick.tab - kick.principal;
        let mut paid = kick.keeper_reward;
        let mut restarts = 0;
        loop {
            f.advance(1_801).await;
            let r = f.env.send(&[f.ix_restart(&keeper, a)], &[&keeper.kp]).await;
            if r.error.is_some() {
                assert_eq!(
                    r.custom_code(),
                    Some(zero_loss_tests::zl_code(ZlError::MaxStagesReached))
                );
                break;
            }
            paid += r.events::<AuctionRestarted>()[0].keeper_reward;
            restarts += 1;
        }
        assert_eq!(restarts, stages as u32 - 1);
        assert!(
            paid <= penalty,
            "tip {tip}, {stages} stages: paid {paid} > penalty {penalty}"
        );
        assert_eq!(
            f.env.token_balance(keeper.debt_ata).await,
            paid,
            "what the keeper holds is what the events say"
        );
        let au: zero_loss::state::Auction = f.env.read(a).await;
        assert_eq!(au.rewards_paid, paid);
        f.assert_conservation().await;
    }
}
