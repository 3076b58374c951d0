//! liquidate_partial: the buffer zone, the bonus, the budget, dust, and the
//! abuses a hostile keeper would try.

use zero_loss::events::PartialLiquidated;
use zero_loss::state::{breaker, RiskParams};
use zero_loss_tests::market::*;
use zero_loss_tests::ZlError;

/// A market where a borrower holds 10 SOL against 690 USDC (~69% at $100),
/// and a liquidator with 10,000 USDC.
async fn setup(params: RiskParams) -> (MarketFixture, User, User) {
    let mut f = MarketFixture::with_params(params).await;
    f.lp(100_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 690 * ONE_DEBT)], &[&b.kp])
        .await;
    let liq = f.user(0, 10_000 * ONE_DEBT).await;
    (f, b, liq)
}

/// `liq` partially liquidates `b` for at most `max_repay`: the event.
async fn liquidate(
    f: &mut MarketFixture,
    liq: &User,
    b: &User,
    max_repay: u64,
) -> PartialLiquidated {
    let r = f
        .env
        .exec(
            &[f.ix_liquidate_partial(liq, b.margin, max_repay)],
            &[&liq.kp],
        )
        .await;
    r.events::<PartialLiquidated>().remove(0)
}

/// `b`'s LTV at `price` (debt native units per collateral native unit).
async fn ltv_at(f: &mut MarketFixture, b: &User, price: f64) -> f64 {
    let m = f.margin_state(b).await;
    let debt = f.market_state().await.debt_of(m.debt_shares).unwrap();
    debt as f64 / (m.collateral as f64 * price)
}

/// $85.90 puts the account at ~80.4%: inside (80%, 80.8%], the buffer zone
/// at the 1% minimum buffer.
const BUFFER_PRICE: f64 = 85.9;

#[tokio::test]
async fn a_buffer_zone_account_is_brought_back_to_target_with_a_rising_bonus() {
    let (mut f, b, liq) = setup(RiskParams::example()).await;
    f.set_prices(BUFFER_PRICE, BUFFER_PRICE);
    let coll_before = f.margin_state(&b).await.collateral;
    let ev = &liquidate(&mut f, &liq, &b, u64::MAX).await;
    // Halfway into the zone: bonus halfway from min_bonus to max_bonus.
    let p = RiskParams::example();
    let mid = (p.min_bonus_bps + p.max_bonus_bps) as u64 / 2;
    assert!(
        (mid - 10..=mid + 10).contains(&ev.bonus_bps),
        "bonus {} vs {mid}",
        ev.bonus_bps
    );
    assert!(
        ev.bonus_bps <= 10_000 - ev.ltv_before_bps,
        "bonus above 1 - LTV"
    );
    // The least repayment that reaches the target: lands just at 70%.
    assert!(
        ev.ltv_after_bps <= 7_000 && ev.ltv_after_bps >= 6_995,
        "after {}",
        ev.ltv_after_bps
    );
    assert!(ev.ltv_after_bps < ev.ltv_before_bps);
    // The liquidator paid `repaid` and got repaid * (1 + bonus) of collateral
    // at the spot mid price (not the confidence-lowered trigger price).
    assert_eq!(
        f.env.token_balance(liq.debt_ata).await,
        10_000 * ONE_DEBT - ev.repaid
    );
    assert_eq!(
        f.env.token_balance(liq.collateral_ata).await,
        ev.collateral_out
    );
    let value = ev.collateral_out as f64 * f.reference_mid_price(false);
    let expect = ev.repaid as f64 * (1.0 + ev.bonus_bps as f64 / 1e4);
    assert!(
        value <= expect && (expect - value) / expect < 2e-4,
        "{value} vs {expect}"
    );
    let m = f.margin_state(&b).await;
    assert_eq!(m.collateral, coll_before - ev.collateral_out);
    assert_eq!(
        f.market_state().await.budget_level,
        RiskParams::example().budget_capacity - ev.repaid
    );
    f.assert_conservation().await;
    // Back in the healthy zone: a second liquidation is refused.
    f.env
        .expect_rejected(
            f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
            &[&liq.kp],
            ZlError::AccountHealthy,
        )
        .await;
}

/// The bonus measured at the market price (spot mid) never exceeds
/// `max_bonus`, wherever spot stands against the EMA. Paid at the EMA, a spot
/// 10% above it gave the liquidator ~15% against a 5% cap.
#[tokio::test]
async fn the_bonus_at_the_market_price_never_exceeds_max_bonus() {
    let max_bonus = RiskParams::example().max_bonus_bps as f64 / 1e4;
    // Halfway into the zone and near its far edge; spot from 4%
    // under to 15% over the EMA (still short of the emergency threshold).
    for ema in [BUFFER_PRICE, 85.6] {
        for premium in [-0.04, 0.0, 0.03, 0.08, 0.15] {
            let (mut f, b, liq) = setup(RiskParams::example()).await;
            f.set_prices(ema, ema * (1.0 + premium));
            let ev = &liquidate(&mut f, &liq, &b, u64::MAX).await;
            // The market price: spot mid, what the collateral sells for now.
            let market = f.reference_mid_price(false);
            let received = f.env.token_balance(liq.collateral_ata).await;
            assert_eq!(received, ev.collateral_out);
            let bonus = received as f64 * market / ev.repaid as f64 - 1.0;
            assert!(
                bonus <= max_bonus + 1e-9,
                "ema {ema} premium {premium}: bonus {bonus} at the market price"
            );
            assert!(bonus <= ev.bonus_bps as f64 / 1e4 + 1e-9);
            // Paid at the spot mid, within rounding of the bonus.
            assert!(
                ev.bonus_bps as f64 / 1e4 - bonus < 1e-4,
                "ema {ema} premium {premium}: {bonus} vs {} bps",
                ev.bonus_bps
            );
            // The event names the payout price: the spot mid (WAD).
            let payout = ev.payout_price as f64 / 1e18;
            assert!(
                (payout - market).abs() / market < 1e-6,
                "{payout} vs {market}"
            );
            assert!(ev.ltv_after_bps <= 7_000, "lands at or under the target");
            // ... at the market price too, also when spot is under the EMA
            // (sized on the lower price).
            let ltv_at_spot = ltv_at(&mut f, &b, market).await;
            assert!(
                ltv_at_spot <= 0.70 + 1e-6,
                "ema {ema} premium {premium}: LTV at spot {ltv_at_spot}"
            );
            f.assert_conservation().await;
        }
    }
}

#[tokio::test]
async fn healthy_insolvent_self_and_zero_are_refused() {
    let (mut f, b, liq) = setup(RiskParams::example()).await;
    f.env
        .expect_rejected(
            f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
            &[&liq.kp],
            ZlError::AccountHealthy,
        )
        .await;
    f.set_prices(BUFFER_PRICE, BUFFER_PRICE);
    f.env
        .expect_rejected(
            f.ix_liquidate_partial(&liq, b.margin, 0),
            &[&liq.kp],
            ZlError::ZeroAmount,
        )
        .await;
    // The owner liquidating itself for the bonus.
    f.env
        .mint_to(f.debt_mint, b.debt_ata, 1_000 * ONE_DEBT)
        .await;
    f.env
        .expect_rejected(
            f.ix_liquidate_partial(&b, b.margin, u64::MAX),
            &[&b.kp],
            ZlError::SelfLiquidation,
        )
        .await;
    // An account insolvent at the trigger price (690 against 10 x $68: 101%) goes to an
    // auction, not to a partial liquidation.
    f.set_prices(68.0, 68.0);
    f.env
        .expect_rejected(
            f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
            &[&liq.kp],
            ZlError::NotInBufferZone,
        )
        .await;
    // Paying with collateral, or receiving debt tokens: wrong mints.
    f.set_prices(BUFFER_PRICE, BUFFER_PRICE);
    let spare_coll = f
        .env
        .create_token_account(f.collateral_mint, liq.key())
        .await;
    let ix = replace_account(
        f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
        liq.debt_ata,
        spare_coll,
    );
    f.env
        .expect_rejected(ix, &[&liq.kp], ZlError::WrongMint)
        .await;
    let spare_debt = f.env.create_token_account(f.debt_mint, liq.key()).await;
    let ix = replace_account(
        f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
        liq.collateral_ata,
        spare_debt,
    );
    f.env
        .expect_rejected(ix, &[&liq.kp], ZlError::WrongMint)
        .await;
    // Another market's account.
    let o = f.other_market().await;
    let ix = replace_account(
        f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
        f.market,
        o.market,
    );
    f.env
        .expect_rejected(ix, &[&liq.kp], ZlError::WrongMarket)
        .await;
}

#[tokio::test]
async fn a_spot_fall_opens_a_partial_liquidation_only_once_it_has_held() {
    let (mut f, b, liq) = setup(RiskParams::example()).await;
    let persist = RiskParams::example().breach_persist_secs as i64;
    // A 10% wick leaves spot LTV (~77.5%) under the zone's edge: nothing opens.
    f.set_prices(99.0, 89.1);
    f.env
        .expect_rejected(
            f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
            &[&liq.kp],
            ZlError::AccountHealthy,
        )
        .await;
    // Spot drops 20%; the EMA barely moves. The account is healthy at the
    // EMA but past the buffer's edge at spot (~86%). On the readings of one
    // persistence window (every 30 s for 120 s) nothing opens: no partial,
    // no kick.
    let kicker = f.user(0, 0).await;
    let mut t = 0;
    while t <= persist {
        f.set_prices(99.0, 80.0);
        f.env.exec(&[f.ix_refresh()], &[]).await;
        f.expect_nothing_opens(b.margin, &liq, &kicker).await;
        f.env.advance(30).await;
        t += 30;
    }
    // Past the window, every reading still at $80: the fall has held, and a
    // partial liquidation at spot opens (a kick still does not).
    while t <= 2 * persist + 30 {
        f.set_prices(99.0, 80.0);
        f.env.exec(&[f.ix_refresh()], &[]).await;
        f.env.advance(30).await;
        t += 30;
    }
    f.set_prices(99.0, 80.0);
    let next = f.next_auction().await;
    f.env
        .expect_rejected(
            f.ix_start_auction(&kicker, b.margin, next),
            &[&kicker.kp],
            ZlError::NotDistressed,
        )
        .await;
    let ev = &liquidate(&mut f, &liq, &b, u64::MAX).await;
    let spot = f.reference_mid_price(false);
    let bonus = ev.collateral_out as f64 * spot / ev.repaid as f64 - 1.0;
    let max_bonus = RiskParams::example().max_bonus_bps as f64 / 1e4;
    assert!(bonus <= max_bonus + 1e-9, "bonus {bonus} at spot");
    let ltv_at_spot = ltv_at(&mut f, &b, spot).await;
    assert!(
        ltv_at_spot <= 0.70 + 1e-6,
        "back to the target at spot: {ltv_at_spot}"
    );
    f.assert_conservation().await;
    // The fall is over: healthy at both prices, nothing more to take.
    f.advance(60).await;
    f.set_prices(99.0, 99.0);
    f.env
        .expect_rejected(
            f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
            &[&liq.kp],
            ZlError::AccountHealthy,
        )
        .await;
}

#[tokio::test]
async fn the_liquidity_budget_paces_liquidations_and_trips_the_breaker_when_dry() {
    let mut p = RiskParams::example();
    p.budget_capacity = 10 * ONE_DEBT;
    p.budget_refill_per_sec = ONE_DEBT;
    let (mut f, b, liq) = setup(p).await;
    f.set_prices(BUFFER_PRICE, BUFFER_PRICE);
    let ev = &liquidate(&mut f, &liq, &b, u64::MAX).await;
    assert_eq!(ev.repaid, 10 * ONE_DEBT, "capped by the budget");
    assert!(
        ev.ltv_after_bps > 7_920,
        "still in the buffer zone: {}",
        ev.ltv_after_bps
    );
    assert_eq!(ev.budget_left, 0);
    assert_eq!(
        f.market_state().await.breaker_reasons & breaker::BUDGET,
        breaker::BUDGET
    );
    // Dry: nothing more until it refills.
    f.env
        .expect_rejected(
            f.ix_liquidate_partial(&liq, b.margin, u64::MAX),
            &[&liq.kp],
            ZlError::BudgetExhausted,
        )
        .await;
    // While the breaker is tripped, borrowing is frozen but liquidation goes on.
    f.advance(5).await;
    assert_eq!(
        liquidate(&mut f, &liq, &b, u64::MAX).await.repaid,
        5 * ONE_DEBT
    );
    f.env
        .expect_rejected(f.ix_borrow(&b, 1), &[&b.kp], ZlError::CircuitBreakerTripped)
        .await;
    // The liquidator's own cap binds too.
    f.advance(5).await;
    assert_eq!(
        liquidate(&mut f, &liq, &b, 2 * ONE_DEBT).await.repaid,
        2 * ONE_DEBT
    );
    f.assert_conservation().await;
}

#[tokio::test]
async fn a_remainder_below_min_position_is_taken_whole() {
    let mut p = RiskParams::example();
    p.min_position = 450 * ONE_DEBT;
    let (mut f, b, liq) = setup(p).await;
    f.set_prices(BUFFER_PRICE, BUFFER_PRICE);
    let ev = &liquidate(&mut f, &liq, &b, u64::MAX).await;
    // ~289 would reach the target but leave ~401 < 450: all 690 go.
    assert_eq!(ev.repaid, 690 * ONE_DEBT);
    let m = f.margin_state(&b).await;
    assert_eq!(m.debt_shares, 0);
    assert!(
        m.collateral > 0,
        "the owner keeps what the bonus did not take"
    );
    // With a liquidator cap that cannot take it all, exactly min_position is left.
    let (mut f, b, liq) = setup(p).await;
    f.set_prices(BUFFER_PRICE, BUFFER_PRICE);
    assert_eq!(
        liquidate(&mut f, &liq, &b, 600 * ONE_DEBT).await.repaid,
        240 * ONE_DEBT
    );
    f.assert_conservation().await;
}

/// Past the partial zone, while solvent at the trigger price, an account is still offered
/// to liquidators (mechanism v2, lever 4): distressed (690 against 10 x $80: 86%) and in an
/// emergency (10 x $72: 96%, past `full_ltv`), at the top bonus capped by `1 - LTV`, back
/// to the target.
#[tokio::test]
async fn distressed_and_solvent_emergency_accounts_are_offered_at_the_top_bonus() {
    let p = RiskParams::example();
    for (price, zone) in [(80.0, "distressed"), (72.0, "emergency")] {
        let (mut f, b, liq) = setup(p).await;
        f.set_prices(price, price);
        let ltv = ltv_at(&mut f, &b, price * ONE_DEBT as f64 / ONE_COLL as f64).await;
        assert!(ltv > 0.81 && ltv < 1.0, "{zone}: LTV {ltv}");
        let ev = liquidate(&mut f, &liq, &b, u64::MAX).await;
        let cap = (p.max_bonus_bps as u64).min(10_000 - ev.ltv_before_bps);
        assert!(
            ev.bonus_bps <= cap && ev.bonus_bps + 10 >= cap,
            "{zone}: bonus {} against the cap {cap}",
            ev.bonus_bps
        );
        assert!(
            ev.ltv_after_bps <= 7_000,
            "{zone}: after {}",
            ev.ltv_after_bps
        );
        assert!(ev.ltv_after_bps < ev.ltv_before_bps);
        f.assert_conservation().await;
    }
}
