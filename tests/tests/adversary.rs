//! Attacks from the security review, mounted against the program: each test
//! sets the attack up, asserts it is refused without a byte changing
//! (`Env::expect_rejected`), and that the honest outcome still holds.

use zero_loss::events::{AuctionStarted, HealthChecked};
use zero_loss::state::RiskParams;
use zero_loss_tests::market::*;
use zero_loss_tests::ZlError;

/// The trigger-price LTV of `margin` now, bps (from `check_health`).
async fn trigger_ltv_bps(f: &mut MarketFixture, margin: anchor_lang::prelude::Pubkey) -> u64 {
    let r = f.env.exec(&[f.ix_check_health(margin)], &[]).await;
    let ev = r.events::<HealthChecked>();
    assert_eq!(ev.len(), 1);
    ev[0].trigger_ltv_bps
}

// --- finding 7: a full collateral cap must not stop a borrower topping up ---

/// A whale fills the collateral cap exactly. A newcomer who owes nothing is
/// refused (the cap binds), but a borrower with debt, and one whose whole
/// position sits in an auction, can still add collateral.
#[tokio::test]
async fn a_whale_at_the_collateral_cap_cannot_stop_indebted_accounts_topping_up() {
    let mut p = RiskParams::example();
    p.collateral_cap = 100 * ONE_COLL;
    let mut f = MarketFixture::with_params(p).await;
    f.lp(100_000 * ONE_DEBT).await;
    // Two borrowers at ~69% LTV, each with spare collateral in its wallet.
    let b = f.borrower(10 * ONE_COLL).await;
    let c = f.borrower(10 * ONE_COLL).await;
    for u in [&b, &c] {
        f.env
            .mint_to(f.collateral_mint, u.collateral_ata, 5 * ONE_COLL)
            .await;
        f.env
            .exec(&[f.ix_borrow(u, 690 * ONE_DEBT)], &[&u.kp])
            .await;
    }
    // The whale fills the cap to the last unit.
    let whale = f.borrower(80 * ONE_COLL).await;
    f.env
        .mint_to(f.collateral_mint, whale.collateral_ata, ONE_COLL)
        .await;
    assert_eq!(f.market_state().await.total_collateral, 100 * ONE_COLL);

    // A debt-free newcomer (and the debt-free whale) cannot add one unit.
    let newcomer = f.borrower(0).await;
    f.env
        .mint_to(f.collateral_mint, newcomer.collateral_ata, ONE_COLL)
        .await;
    for u in [&newcomer, &whale] {
        f.env
            .expect_rejected(f.ix_deposit(u, 1), &[&u.kp], ZlError::CollateralCapExceeded)
            .await;
    }

    // The indebted borrower tops up past the cap, and its LTV falls.
    let ltv_before = trigger_ltv_bps(&mut f, b.margin).await;
    f.env
        .exec(&[f.ix_deposit(&b, 5 * ONE_COLL)], &[&b.kp])
        .await;
    let ltv_after = trigger_ltv_bps(&mut f, b.margin).await;
    assert!(
        ltv_after < ltv_before,
        "LTV {ltv_before} -> {ltv_after} bps"
    );
    // 690 / (10 x ~$99.9) ~ 69.1%, then 690 / (15 x ~$99.9) ~ 46.1%.
    assert!(
        (6_900..7_000).contains(&ltv_before) && (4_600..4_700).contains(&ltv_after),
        "LTV {ltv_before} -> {ltv_after} bps"
    );
    assert_eq!(f.margin_state(&b).await.collateral, 15 * ONE_COLL);
    assert_eq!(f.market_state().await.total_collateral, 105 * ONE_COLL);
    f.assert_conservation().await;

    // An emergency kick moves c's whole position into an auction: c owes no
    // debt shares but has an auction open, and may still deposit.
    f.set_prices(90.0, 70.0);
    let auction = f.next_auction().await;
    let keeper = f.user(0, 0).await;
    let r = f
        .env
        .exec(
            &[f.ix_start_auction(&keeper, c.margin, auction)],
            &[&keeper.kp],
        )
        .await;
    assert!(r.events::<AuctionStarted>()[0].whole_position);
    let m = f.margin_state(&c).await;
    assert_eq!((m.debt_shares, m.open_auctions), (0, 1));
    f.env
        .exec(&[f.ix_deposit(&c, 5 * ONE_COLL)], &[&c.kp])
        .await;
    assert_eq!(f.margin_state(&c).await.collateral, 5 * ONE_COLL);
    f.assert_conservation().await;

    // The cap still binds the debt-free.
    f.env
        .expect_rejected(
            f.ix_deposit(&newcomer, 1),
            &[&newcomer.kp],
            ZlError::CollateralCapExceeded,
        )
        .await;
}
