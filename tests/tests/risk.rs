//! The permissionless cranks: refresh_market (interest, reserves,
//! volatility, circuit breaker) and check_health (zones).

use zero_loss::events::{BreakerCleared, BreakerTripped, HealthChecked, MarketRefreshed};
use zero_loss::state::Zone;
use zero_loss::state::{breaker, VaultKind};
use zero_loss_tests::market::*;
use zero_loss_tests::ZlError;

const YEAR: i64 = 365 * 24 * 3_600;

fn price_e8(usd: f64) -> i64 {
    (usd * 1e8).round() as i64
}

/// Reference LTV in bps (f64, independent of the program).
fn reference_ltv_bps(f: &MarketFixture, debt: u64, coll: u64, use_ema: bool) -> f64 {
    debt as f64 / (coll as f64 * f.reference_price(use_ema)) * 1e4
}

#[tokio::test]
async fn refresh_accrues_interest_and_sweeps_the_reserve_share_into_insurance() {
    let mut f = MarketFixture::new().await;
    f.lp(1_000 * ONE_DEBT).await;
    let b = f.borrower(100 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 800 * ONE_DEBT)], &[&b.kp])
        .await;
    f.advance(YEAR).await;
    let r = f.env.exec(&[f.ix_refresh()], &[]).await;
    let ev = &r.events::<MarketRefreshed>()[0];
    // 80% utilization at the kink: 5% APR on 800.
    assert!(
        ev.interest >= 40 * ONE_DEBT && ev.interest < 41 * ONE_DEBT,
        "{}",
        ev.interest
    );
    assert_eq!(ev.reserves_swept, ev.interest / 10);
    let m = f.market_state().await;
    assert_eq!(m.pending_reserves, 0);
    assert_eq!(m.insurance_amount, ev.interest / 10);
    assert_eq!(
        f.env.token_balance(f.vault(VaultKind::Insurance)).await,
        ev.interest / 10
    );
    assert!(m.borrow_index > zero_loss::engine::Fp::ONE.0);
    f.assert_conservation().await;
    // A second refresh in the same second accrues nothing.
    let r = f.env.exec(&[f.ix_refresh()], &[]).await;
    assert_eq!(r.events::<MarketRefreshed>()[0].interest, 0);
}

#[tokio::test]
async fn refresh_samples_volatility_and_widens_the_buffer() {
    let mut f = MarketFixture::new().await;
    let r = f.env.exec(&[f.ix_refresh()], &[]).await;
    assert_eq!(
        r.events::<MarketRefreshed>()[0].buffer_bps,
        100,
        "b_min with no history"
    );
    f.advance(60).await;
    f.set_price(price_e8(102.0));
    let r = f.env.exec(&[f.ix_refresh()], &[]).await;
    let ev = &r.events::<MarketRefreshed>()[0];
    // r = 2% over 60 s, alpha = 60 / (60 + 3600): variance = alpha * r^2 / 60.
    let var = 60.0 / 3_660.0 * 0.02f64.powi(2) / 60.0;
    let buffer_bps = 2.0 * (var * 3_600.0).sqrt() * 1e4;
    assert!(
        (ev.buffer_bps as f64 - buffer_bps).abs() <= 1.0,
        "{} vs {buffer_bps}",
        ev.buffer_bps
    );
    let got_var = ev.variance as f64 / 1e18;
    assert!((got_var - var).abs() / var < 1e-6);
    // A refresh that sees no new publish time leaves the variance alone.
    let r = f.env.exec(&[f.ix_refresh()], &[]).await;
    assert_eq!(r.events::<MarketRefreshed>()[0].variance, ev.variance);
}

#[tokio::test]
async fn breaker_trips_on_divergence_freezes_risk_taking_and_clears_after_cooldown() {
    let mut f = MarketFixture::new().await;
    let lp = f.lp(1_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 100 * ONE_DEBT)], &[&b.kp])
        .await;
    f.env
        .mint_to(f.collateral_mint, b.collateral_ata, ONE_COLL)
        .await;
    f.env.mint_to(f.debt_mint, b.debt_ata, 10 * ONE_DEBT).await;

    // Spot 6% under the EMA (the limit is 5%).
    f.collateral_price.price = price_e8(94.0);
    f.publish_now();
    // Even before any refresh, borrowing refuses on the live reading.
    f.env
        .expect_rejected(
            f.ix_borrow(&b, ONE_DEBT),
            &[&b.kp],
            ZlError::CircuitBreakerTripped,
        )
        .await;
    let r = f.env.exec(&[f.ix_refresh()], &[]).await;
    let ev = &r.events::<BreakerTripped>()[0];
    assert_eq!(ev.reasons, breaker::DIVERGENCE);
    assert!(
        ev.divergence_bps >= 600 && ev.divergence_bps <= 601,
        "{}",
        ev.divergence_bps
    );

    // Frozen: borrows, collateral withdrawals, LP withdrawals.
    f.set_price(price_e8(100.0));
    f.env
        .expect_rejected(
            f.ix_borrow(&b, ONE_DEBT),
            &[&b.kp],
            ZlError::CircuitBreakerTripped,
        )
        .await;
    f.env
        .expect_rejected(
            f.ix_withdraw(&b, ONE_COLL),
            &[&b.kp],
            ZlError::CircuitBreakerTripped,
        )
        .await;
    f.env
        .expect_rejected(
            f.ix_lp_withdraw(&lp, ONE_DEBT),
            &[&lp.kp],
            ZlError::CircuitBreakerTripped,
        )
        .await;
    // A debt-free account still withdraws: it risks nothing.
    let free = f.borrower(ONE_COLL).await;
    f.env
        .exec(&[f.ix_withdraw(&free, ONE_COLL)], &[&free.kp])
        .await;
    // Going on: repay, collateral deposits, LP deposits, health checks.
    f.env
        .exec(&[f.ix_repay(&b, b.margin, 10 * ONE_DEBT)], &[&b.kp])
        .await;
    f.env.exec(&[f.ix_deposit(&b, ONE_COLL)], &[&b.kp]).await;
    f.env.mint_to(f.debt_mint, lp.debt_ata, ONE_DEBT).await;
    f.env
        .exec(&[f.ix_lp_deposit(&lp, ONE_DEBT)], &[&lp.kp])
        .await;
    f.env.exec(&[f.ix_check_health(b.margin)], &[]).await;

    // Normal readings, but the cooldown (300 s) has not run out.
    f.advance(200).await;
    let r = f.env.exec(&[f.ix_refresh()], &[]).await;
    assert!(r.events::<BreakerCleared>().is_empty());
    assert_eq!(f.market_state().await.breaker_reasons, breaker::DIVERGENCE);
    f.advance(100).await;
    let r = f.env.exec(&[f.ix_refresh()], &[]).await;
    assert_eq!(r.events::<BreakerCleared>()[0].tripped_secs, 300);
    assert_eq!(f.market_state().await.breaker_reasons, 0);
    f.env.exec(&[f.ix_borrow(&b, ONE_DEBT)], &[&b.kp]).await;
    f.assert_conservation().await;
}

#[tokio::test]
async fn breaker_trips_on_wide_confidence() {
    let mut f = MarketFixture::new().await;
    // 1.5%: accepted by the oracle (2%) but over the breaker's 1%.
    f.collateral_price.conf = (START_PRICE_E8 / 1_000 * 15) as u64;
    f.publish_now();
    let r = f.env.exec(&[f.ix_refresh()], &[]).await;
    assert_eq!(r.events::<BreakerTripped>()[0].reasons, breaker::CONFIDENCE);
    assert_eq!(f.market_state().await.breaker_reasons, breaker::CONFIDENCE);
}

/// A borrower with 10 SOL and 690 USDC of debt at $100 (~69% LTV).
async fn levered() -> (MarketFixture, User) {
    let mut f = MarketFixture::new().await;
    f.lp(10_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 690 * ONE_DEBT)], &[&b.kp])
        .await;
    (f, b)
}

async fn check(f: &mut MarketFixture, b: &User) -> HealthChecked {
    let r = f.env.exec(&[f.ix_check_health(b.margin)], &[]).await;
    let mut ev = r.events::<HealthChecked>();
    assert_eq!(ev.len(), 1);
    ev.remove(0)
}

#[tokio::test]
async fn check_health_reports_each_zone_on_the_right_price() {
    let (mut f, b) = levered().await;
    let cases: [(f64, f64, bool, Zone); 8] = [
        // (EMA, spot, spot held for breach_persist_secs, zone)
        (100.0, 100.0, false, Zone::Healthy),
        (86.77, 86.77, false, Zone::Healthy), // 79.6%: under liq_ltv, whatever the buffer
        (85.9, 85.9, false, Zone::Buffer),    // 80.4%: between liq_ltv and liq_ltv / (1 - 1%)
        (80.0, 80.0, false, Zone::Distressed),
        (80.0, 72.0, false, Zone::Distressed), // spot past full_ltv on one reading: not yet
        (80.0, 72.0, true, Zone::Emergency),   // held: emergency before the EMA
        (100.0, 80.0, false, Zone::Healthy),   // a spot wick the EMA does not follow
        (100.0, 70.0, true, Zone::Emergency),  // a fall that held, whatever the EMA says
    ];
    for (ema, spot, held, zone) in cases {
        f.collateral_price.ema_price = price_e8(ema);
        f.collateral_price.ema_conf = (price_e8(ema) / 2_000) as u64;
        f.collateral_price.price = price_e8(spot);
        f.collateral_price.conf = (price_e8(spot) / 2_000) as u64;
        f.publish_now();
        if held {
            f.hold_spot().await;
        }
        let ev = check(&mut f, &b).await;
        // The held price is never below spot, and is spot once spot has held.
        assert!(ev.held_ltv_bps <= ev.spot_ltv_bps, "ema {ema} spot {spot}");
        if held {
            assert_eq!(ev.held_ltv_bps, ev.spot_ltv_bps, "ema {ema} spot {spot}");
        }
        assert_eq!(
            ev.zone, zone,
            "ema {ema} spot {spot}: trigger {} spot {}",
            ev.trigger_ltv_bps, ev.spot_ltv_bps
        );
        let trig = reference_ltv_bps(&f, ev.debt, ev.collateral, true);
        let spot_ltv = reference_ltv_bps(&f, ev.debt, ev.collateral, false);
        assert!(
            (ev.trigger_ltv_bps as f64 - trig).abs() <= 1.0,
            "{} vs {trig}",
            ev.trigger_ltv_bps
        );
        assert!(
            (ev.spot_ltv_bps as f64 - spot_ltv).abs() <= 1.0,
            "{} vs {spot_ltv}",
            ev.spot_ltv_bps
        );
        assert_eq!((ev.buffer_bps, ev.distress_ltv_bps), (100, 8_081));
        let m = f.margin_state(&b).await;
        assert_eq!(
            (m.last_zone, m.last_ltv_bps as u64, m.last_health_ts),
            (zone, ev.trigger_ltv_bps, f.env.now())
        );
    }
}

#[tokio::test]
async fn an_account_in_the_buffer_zone_cannot_borrow_or_withdraw() {
    let (mut f, b) = levered().await;
    f.set_price(price_e8(85.9));
    assert_eq!(check(&mut f, &b).await.zone, Zone::Buffer);
    // Even a tiny borrow or withdrawal is refused (max_ltv is exceeded too).
    f.env
        .expect_rejected(f.ix_borrow(&b, 1), &[&b.kp], ZlError::MaxLtvExceeded)
        .await;
    f.env
        .expect_rejected(f.ix_withdraw(&b, 1), &[&b.kp], ZlError::MaxLtvExceeded)
        .await;
    // Repaying and adding collateral are always open.
    f.env.mint_to(f.debt_mint, b.debt_ata, 100 * ONE_DEBT).await;
    f.env
        .exec(&[f.ix_repay(&b, b.margin, 100 * ONE_DEBT)], &[&b.kp])
        .await;
    assert_eq!(check(&mut f, &b).await.zone, Zone::Healthy);
}

#[tokio::test]
async fn a_wide_buffer_widens_the_partial_zone_and_never_moves_the_threshold() {
    // With a 10% buffer the partial zone runs from liq_ltv (80%) to
    // 80% / 0.9 = 88.9%: an account at 79.6% is healthy whatever the buffer,
    // one at 86.4% is in the buffer zone (with the 1% minimum it would go to
    // auction), one at 89.8% is distressed; new risk is refused at max_ltv.
    let (mut f, b) = levered().await;
    let mut m = f.market_state().await;
    m.vol_variance = u128::MAX / 4; // saturates the buffer at b_max
    f.write_market(&m).await;
    f.set_price(price_e8(86.77)); // ~79.6% LTV
    let ev = check(&mut f, &b).await;
    assert_eq!((ev.buffer_bps, ev.distress_ltv_bps), (1_000, 8_889));
    assert_eq!(ev.zone, Zone::Healthy);
    f.set_price(price_e8(80.0)); // ~86.4%
    assert_eq!(check(&mut f, &b).await.zone, Zone::Buffer);
    f.set_price(price_e8(77.0)); // ~89.8%
    assert_eq!(check(&mut f, &b).await.zone, Zone::Distressed);
    f.set_price(price_e8(96.0)); // ~71.9%
    assert_eq!(check(&mut f, &b).await.zone, Zone::Healthy);
    f.env
        .expect_rejected(f.ix_borrow(&b, 1), &[&b.kp], ZlError::MaxLtvExceeded)
        .await;
}

#[tokio::test]
async fn check_health_refuses_another_markets_account() {
    let (mut f, b) = levered().await;
    let o = f.other_market().await;
    let u = f.user(0, 0).await;
    let ix = replace_account(f.ix_open(&u), f.market, o.market);
    let ix = replace_account(ix, u.margin, o.margin_of(&u.key()));
    f.env.exec(&[ix], &[&u.kp]).await;
    let ix = f.ix_check_health(o.margin_of(&u.key()));
    f.env.expect_rejected(ix, &[], ZlError::WrongMarket).await;
    let _ = b;
}

#[tokio::test]
async fn a_wide_buffer_lowers_the_borrow_limit_and_never_moves_the_threshold() {
    // max_ltv 75%: at the 1% minimum buffer the limit is 74.25%; at the widest
    // buffer (10%) it is 67.5%, while liquidation still opens at liq_ltv (80%).
    let mut p = zero_loss::state::RiskParams::example();
    p.max_ltv_bps = 7_500;
    p.target_ltv_bps = 6_500;
    let mut f = MarketFixture::with_params(p).await;
    f.lp(10_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 690 * ONE_DEBT)], &[&b.kp])
        .await;
    // Calm: leaving 9.4 SOL, 690 / (940 * 0.999) = 73.5% <= 74.25%.
    f.env
        .exec(&[f.ix_withdraw(&b, 6 * ONE_COLL / 10)], &[&b.kp])
        .await;
    f.env
        .exec(&[f.ix_deposit(&b, 6 * ONE_COLL / 10)], &[&b.kp])
        .await;
    // Volatile: the same withdrawal is refused, and so is one more unit of debt.
    let mut m = f.market_state().await;
    m.vol_variance = u128::MAX / 4;
    f.write_market(&m).await;
    f.env
        .expect_rejected(
            f.ix_withdraw(&b, 6 * ONE_COLL / 10),
            &[&b.kp],
            ZlError::MaxLtvExceeded,
        )
        .await;
    f.env
        .expect_rejected(f.ix_borrow(&b, 1), &[&b.kp], ZlError::MaxLtvExceeded)
        .await;
    // The account at 69% stays healthy: the buffer lends less, it does not liquidate.
    let ev = check(&mut f, &b).await;
    assert_eq!((ev.zone, ev.buffer_bps), (Zone::Healthy, 1_000));
}
