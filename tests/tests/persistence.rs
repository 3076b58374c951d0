//! Mechanism v2, levers 2, 5 and the floor of 7 (docs/liquidation.md): no
//! single reading decides a liquidation, a wick cannot lower an auction's
//! floor, and a liquidator cannot pay itself at an older reading. Every
//! price below is a genuine, fully verified `PriceUpdateV2` the market
//! would accept; the attacker chooses which to present and when.

use zero_loss::events::{AuctionBackstopped, AuctionBid, PartialLiquidated};
use zero_loss::state::RiskParams;
use zero_loss_tests::market::*;
use zero_loss_tests::{Signer, ZlError};

/// 10 SOL against 690 USDC (~69% at $100: healthy on every price), a
/// liquidator, a kicker, and readings at $100 every 30 s for four minutes
/// (refreshed by the market's keeper), so the market has a held price.
async fn setup(params: RiskParams) -> (MarketFixture, User, User, User) {
    let mut f = MarketFixture::with_params(params).await;
    f.lp(100_000 * ONE_DEBT).await;
    f.fund_backstops(1_000 * ONE_DEBT, 1_000 * ONE_DEBT).await;
    let b = f.levered_borrower(10 * ONE_COLL, 690 * ONE_DEBT).await;
    let liq = f.user(0, 10_000 * ONE_DEBT).await;
    let kicker = f.user(0, 0).await;
    readings_every_30s(&mut f, 100.0, 100.0, 240).await;
    (f, b, liq, kicker)
}

/// Readings at (`ema`, `spot`) every 30 s for `secs`, each refreshed.
async fn readings_every_30s(f: &mut MarketFixture, ema: f64, spot: f64, secs: i64) {
    for _ in 0..secs / 30 {
        f.env.advance(30).await;
        let r = f.collateral_reading(ema, spot, f.env.now());
        f.present(r, r.publish_time);
        f.env.exec(&[f.ix_refresh()], &[]).await;
    }
}

/// One wick reading, spot 28% under the EMA (spot LTV ~96%, past
/// `full_ltv`; the divergence breaker trips on it): the account is healthy
/// at the trigger, and neither a kick of the whole position nor a partial
/// slice goes ahead, before or after the market has recorded the wick.
#[tokio::test]
async fn a_one_reading_wick_neither_kicks_nor_slices_an_account_healthy_at_the_trigger() {
    let (mut f, b, liq, kicker) = setup(RiskParams::example()).await;
    f.env.advance(1).await;
    let wick = f.collateral_reading(100.0, 72.0, f.env.now());
    f.present(wick, wick.publish_time);
    f.expect_nothing_opens(b.margin, &liq, &kicker).await;
    // Recorded by a refresh (the breaker trips), the wick still decides nothing.
    f.env.exec(&[f.ix_refresh()], &[]).await;
    assert_ne!(
        f.market_state().await.breaker_reasons,
        0,
        "the breaker tripped"
    );
    f.expect_nothing_opens(b.margin, &liq, &kicker).await;
    let m = f.margin_state(&b).await;
    assert_eq!((m.collateral, m.open_auctions), (10 * ONE_COLL, 0));
}

/// A 20% wick lasting two minutes, a reading every 10 s, each recorded:
/// no reading of it liquidates anyone, and the account is whole after.
#[tokio::test]
async fn a_twenty_percent_wick_lasting_two_minutes_liquidates_no_one() {
    let (mut f, b, liq, kicker) = setup(RiskParams::example()).await;
    let persist = RiskParams::example().breach_persist_secs as i64;
    let start = f.env.now() + 10;
    for i in 0..=persist / 10 {
        f.env.advance(10).await;
        let r = f.collateral_reading(99.0, 80.0, f.env.now());
        f.present(r, r.publish_time);
        f.env.exec(&[f.ix_refresh()], &[]).await;
        f.expect_nothing_opens(b.margin, &liq, &kicker).await;
        assert_eq!(f.env.now() - start, i * 10);
    }
    assert_eq!(
        f.env.now() - start,
        persist,
        "the wick's readings span 120 s"
    );
    // The wick ends; the price is back.
    f.env.advance(10).await;
    let r = f.collateral_reading(99.0, 99.0, f.env.now());
    f.present(r, r.publish_time);
    f.expect_nothing_opens(b.margin, &liq, &kicker).await;
    let m = f.margin_state(&b).await;
    assert_eq!((m.collateral, m.open_auctions), (10 * ONE_COLL, 0));
}

/// The same fall, held on every reading for longer than the window, does
/// open a partial liquidation at spot: persistence delays, it does not
/// forbid.
#[tokio::test]
async fn a_fall_held_past_the_window_opens_a_partial_liquidation() {
    let (mut f, b, liq, kicker) = setup(RiskParams::example()).await;
    readings_every_30s(&mut f, 99.0, 80.0, 120).await;
    f.expect_nothing_opens(b.margin, &liq, &kicker).await;
    readings_every_30s(&mut f, 99.0, 80.0, 150).await;
    let r = f
        .env
        .exec(
            &[f.ix_liquidate_partial(&liq, b.margin, u64::MAX)],
            &[&liq.kp],
        )
        .await;
    let ev = &r.events::<PartialLiquidated>()[0];
    assert!(ev.repaid > 0 && ev.collateral_out > 0);
    f.assert_conservation().await;
}

/// An open auction's floor reads the held price: a wick reading presented
/// with a bid does not lower it (before v2 the lot cleared at the wick's
/// floor, a quarter under the market's).
#[tokio::test]
async fn a_wick_reading_does_not_lower_an_open_auctions_floor() {
    // A curve that halves every minute, so the floor binds within minutes.
    let p = RiskParams {
        auction_cut_bps: 5_000,
        ..RiskParams::example()
    };
    let (mut f, b, _, kicker) = setup(p).await;
    let bidder = f.user(0, 100_000 * ONE_DEBT).await;
    // The EMA and spot at $76 (LTV ~91%, past liq_ltv / (1 - buffer) even
    // at the widest buffer the fall brings): distressed; a slice is kicked.
    readings_every_30s(&mut f, 76.0, 76.0, 270).await;
    let a = f.kick(&kicker, b.margin).await;
    readings_every_30s(&mut f, 76.0, 76.0, 270).await;
    // A wick to $57 on one reading, presented with the bid.
    f.env.advance(1).await;
    let wick = f.collateral_reading(76.0, 57.0, f.env.now());
    f.present(wick, wick.publish_time);
    let r = f
        .env
        .exec(&[f.ix_bid(&bidder, a, ONE_COLL, u128::MAX)], &[&bidder.kp])
        .await;
    let bid = &r.events::<AuctionBid>()[0];
    // The floor at the held $76 (confidence-adjusted) less the example's discount.
    let floor = 76.0 * 0.9995 / 1.0005 * zero_loss_tests::market::FLOOR_KEEP * 1e-3;
    let price = bid.price as f64 / 1e18;
    assert!(
        price >= floor * (1.0 - 1e-9),
        "cleared at {price} under {floor}"
    );
    let wick_floor = 57.0 * 0.9995 / 1.0005 * zero_loss_tests::market::FLOOR_KEEP * 1e-3;
    assert!(
        price > wick_floor * 1.3,
        "{price} vs the wick's {wick_floor}"
    );
}

/// In a fall the held floor stands above the market for a few minutes: bids
/// wait, but POL's backstop never pays more than the live spot for the lot
/// (otherwise a borrower who kicked its own account would sell to POL over
/// the market).
#[tokio::test]
async fn the_backstop_never_pays_above_the_live_spot_when_the_held_floor_does() {
    let p = RiskParams {
        auction_cut_bps: 5_000,
        ..RiskParams::example()
    };
    let (mut f, b, _, kicker) = setup(p).await;
    readings_every_30s(&mut f, 76.0, 76.0, 270).await;
    let a = f.kick(&kicker, b.margin).await;
    // Two minutes on the curve is far under the floor; spot falls to $60.
    f.env.advance(120).await;
    let fall = f.collateral_reading(76.0, 60.0, f.env.now());
    f.present(fall, fall.publish_time);
    let pol_before = f.market_state().await.pol_debt_amount;
    let r = f
        .env
        .exec(&[f.ix_backstop(&kicker.kp.pubkey(), a)], &[&kicker.kp])
        .await;
    let bs = &r.events::<AuctionBackstopped>()[0];
    let spot = 60.0 * 0.9995 / 1.0005 * 1e-3;
    let held_floor = 76.0 * 0.9995 / 1.0005 * zero_loss_tests::market::FLOOR_KEEP * 1e-3;
    let price = bs.price as f64 / 1e18;
    assert!(
        price <= spot * (1.0 + 1e-12),
        "POL paid {price} over spot {spot}"
    );
    assert!(price < held_floor, "{price} vs the held floor {held_floor}");
    assert!(bs.paid > 0 && f.market_state().await.pol_debt_amount < pol_before);
    f.assert_conservation().await;
}

/// A liquidator who presents a genuine reading 20 s old (newer than any the
/// market has used, so not superseded) instead of the live one, in a bounce
/// where the older one is 4% lower, is refused: a partial pays out only at
/// a reading within `payout_max_age_secs`. At the live reading the bonus at
/// the market price stays within `max_bonus`.
#[tokio::test]
async fn a_liquidator_cannot_pay_itself_at_an_older_fresh_reading() {
    let (mut f, b, liq, _) = setup(RiskParams::example()).await;
    // The price slides to $85.9 on every reading (the buffer zone at the
    // EMA), dips to $83.30 and bounces back within 20 s.
    readings_every_30s(&mut f, 85.9, 85.9, 270).await;
    f.env.advance(20).await;
    let now = f.env.now();
    let old = f.collateral_reading(85.9, 83.30, now - 20);
    f.present(old, old.publish_time);
    let before = f.margin_state(&b).await;
    f.env
        .expect_rejected(
            f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
            &[&liq.kp],
            ZlError::PayoutReadingTooOld,
        )
        .await;
    assert_eq!(f.margin_state(&b).await.collateral, before.collateral);
    // Within the bound the reading is accepted.
    let max_age = RiskParams::example().payout_max_age_secs as i64;
    let live = f.collateral_reading(85.9, 85.9, now - max_age);
    f.present(live, live.publish_time);
    let r = f
        .env
        .exec(
            &[f.ix_liquidate_partial(&liq, b.margin, u64::MAX)],
            &[&liq.kp],
        )
        .await;
    let ev = &r.events::<PartialLiquidated>()[0];
    let spot = f.reference_mid_price(false);
    let bonus = ev.collateral_out as f64 * spot / ev.repaid as f64 - 1.0;
    let max_bonus = RiskParams::example().max_bonus_bps as f64 / 1e4;
    assert!(bonus <= max_bonus + 1e-9, "bonus {bonus}");
}
