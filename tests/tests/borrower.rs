//! Margin accounts: open, deposit, withdraw, borrow, repay, close.

use anchor_lang::error::ErrorCode as AnchorError;
use zero_loss::events::{Borrowed, CollateralDeposited, Repaid};
use zero_loss::state::{RiskParams, VaultKind};
use zero_loss_tests::market::*;
use zero_loss_tests::{anchor_code, ZlError};

const TOKEN_INSUFFICIENT_FUNDS: u32 = 1;

#[tokio::test]
async fn open_creates_the_account_once() {
    let mut f = MarketFixture::new().await;
    let u = f.user(0, 0).await;
    f.env.exec(&[f.ix_open(&u)], &[&u.kp]).await;
    let m = f.margin_state(&u).await;
    assert_eq!(
        (m.owner, m.market, m.collateral, m.debt_shares),
        (u.key(), f.market, 0, 0)
    );
    f.env.expect_failed(f.ix_open(&u), &[&u.kp]).await;
}

#[tokio::test]
async fn deposit_collateral_checks_amount_mint_vault_market_and_cap() {
    let mut f = MarketFixture::new().await;
    let u = f.borrower(0).await;
    f.env
        .mint_to(f.collateral_mint, u.collateral_ata, 5 * ONE_COLL)
        .await;
    f.env
        .expect_rejected(f.ix_deposit(&u, 0), &[&u.kp], ZlError::ZeroAmount)
        .await;
    f.env
        .expect_rejected_code(
            f.ix_deposit(&u, u64::MAX),
            &[&u.kp],
            TOKEN_INSUFFICIENT_FUNDS,
        )
        .await;
    let ix = replace_account(f.ix_deposit(&u, ONE_COLL), u.collateral_ata, u.debt_ata);
    f.env
        .expect_rejected(ix, &[&u.kp], ZlError::WrongMint)
        .await;

    let o = f.other_market().await;
    let ix = replace_account(
        f.ix_deposit(&u, ONE_COLL),
        f.vault(VaultKind::Collateral),
        o.vault(VaultKind::Collateral),
    );
    f.env
        .expect_rejected(ix, &[&u.kp], ZlError::WrongVault)
        .await;
    // A margin account of the other market, with this market.
    let ix = replace_account(f.ix_open(&u), f.market, o.market);
    let ix = replace_account(ix, u.margin, o.margin_of(&u.key()));
    f.env.exec(&[ix], &[&u.kp]).await;
    let ix = replace_account(f.ix_deposit(&u, ONE_COLL), u.margin, o.margin_of(&u.key()));
    f.env
        .expect_rejected(ix, &[&u.kp], ZlError::WrongMarket)
        .await;

    let r = f
        .env
        .exec(&[f.ix_deposit(&u, 2 * ONE_COLL)], &[&u.kp])
        .await;
    let ev = r.events::<CollateralDeposited>();
    assert_eq!(
        (ev[0].amount, ev[0].collateral),
        (2 * ONE_COLL, 2 * ONE_COLL)
    );
    f.assert_conservation().await;

    let mut p = RiskParams::example();
    p.collateral_cap = 3 * ONE_COLL;
    f.apply_params(p).await;
    f.env
        .expect_rejected(
            f.ix_deposit(&u, ONE_COLL + 1),
            &[&u.kp],
            ZlError::CollateralCapExceeded,
        )
        .await;
    f.env.exec(&[f.ix_deposit(&u, ONE_COLL)], &[&u.kp]).await;
}

#[tokio::test]
async fn anyone_may_deposit_into_any_account() {
    let mut f = MarketFixture::new().await;
    let owner = f.borrower(0).await;
    let friend = f.user(ONE_COLL, 0).await;
    let ix = replace_account(f.ix_deposit(&friend, ONE_COLL), friend.margin, owner.margin);
    f.env.exec(&[ix], &[&friend.kp]).await;
    assert_eq!(f.margin_state(&owner).await.collateral, ONE_COLL);
}

#[tokio::test]
async fn borrow_up_to_max_ltv_on_the_conservative_price_and_not_a_unit_more() {
    let mut f = MarketFixture::new().await;
    f.lp(10_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    let max = f.reference_max_borrow(10 * ONE_COLL);
    // The program's exact figure is within a unit of the f64 reference.
    let (lo, hi) = (max.floor() as u64 - 1, max.floor() as u64 + 1);
    let mut exact = None;
    for cand in (lo..=hi).rev() {
        let r = f.env.send(&[f.ix_borrow(&b, cand)], &[&b.kp]).await;
        if r.error.is_none() {
            exact = Some(cand);
            let ev = r.events::<Borrowed>();
            assert_eq!(ev[0].debt, cand);
            assert!(ev[0].ltv_bps <= 6_930, "max_ltv x (1 - buffer_min)");
            break;
        }
        assert_eq!(
            r.custom_code(),
            Some(zero_loss_tests::zl_code(ZlError::MaxLtvExceeded))
        );
    }
    let exact = exact.expect("no borrow near the limit succeeded");
    assert!((exact as f64 - max).abs() <= 1.0, "{exact} vs {max}");
    // Not one unit more.
    f.env
        .expect_rejected(f.ix_borrow(&b, 1), &[&b.kp], ZlError::MaxLtvExceeded)
        .await;
    assert_eq!(f.env.token_balance(b.debt_ata).await, exact);
    f.assert_conservation().await;
}

#[tokio::test]
async fn a_spot_dip_below_the_ema_lowers_the_borrow_limit() {
    let mut f = MarketFixture::new().await;
    f.lp(10_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    // Spot 3% under the EMA (below the 5% breaker divergence).
    f.collateral_price.price = START_PRICE_E8 / 100 * 97;
    f.publish_now();
    let max_spot = f.reference_max_borrow(10 * ONE_COLL);
    assert!(max_spot < 680.0 * ONE_DEBT as f64);
    f.env
        .expect_rejected(
            f.ix_borrow(&b, max_spot as u64 + 2),
            &[&b.kp],
            ZlError::MaxLtvExceeded,
        )
        .await;
    f.env
        .exec(&[f.ix_borrow(&b, max_spot as u64 - 1)], &[&b.kp])
        .await;
}

#[tokio::test]
async fn borrow_rejects_strangers_foreign_accounts_and_impossible_amounts() {
    let mut f = MarketFixture::new().await;
    f.lp(1_000 * ONE_DEBT).await;
    let b = f.borrower(100 * ONE_COLL).await;
    let thief = f.user(0, 0).await;

    f.env
        .expect_rejected(f.ix_borrow(&b, 0), &[&b.kp], ZlError::ZeroAmount)
        .await;
    f.env
        .expect_rejected(
            f.ix_borrow(&b, u64::MAX),
            &[&b.kp],
            ZlError::InsufficientLiquidity,
        )
        .await;
    f.env
        .expect_rejected(
            f.ix_borrow(&b, 1_000 * ONE_DEBT + 1),
            &[&b.kp],
            ZlError::InsufficientLiquidity,
        )
        .await;
    // The thief signs for the victim's account, paying itself.
    let ix = replace_account(f.ix_borrow(&b, ONE_DEBT), b.key(), thief.key());
    let ix = replace_account(ix, b.debt_ata, thief.debt_ata);
    f.env
        .expect_rejected(ix, &[&thief.kp], ZlError::NotOwner)
        .await;
    // The owner's key without its signature.
    let ix = unsign(f.ix_borrow(&b, ONE_DEBT), b.key());
    f.env
        .expect_rejected_code(ix, &[], anchor_code(AnchorError::AccountNotSigner))
        .await;
    // Paid out in the wrong asset, or from another market's vault.
    let ix = replace_account(f.ix_borrow(&b, ONE_DEBT), b.debt_ata, b.collateral_ata);
    f.env
        .expect_rejected(ix, &[&b.kp], ZlError::WrongMint)
        .await;
    let o = f.other_market().await;
    let ix = replace_account(
        f.ix_borrow(&b, ONE_DEBT),
        f.vault(VaultKind::Liquidity),
        o.vault(VaultKind::Liquidity),
    );
    f.env
        .expect_rejected(ix, &[&b.kp], ZlError::WrongVault)
        .await;
    let ix = replace_account(f.ix_borrow(&b, ONE_DEBT), f.market, o.market);
    let ix = replace_account(
        ix,
        f.vault(VaultKind::Liquidity),
        o.vault(VaultKind::Liquidity),
    );
    f.env
        .expect_rejected(ix, &[&b.kp], ZlError::WrongMarket)
        .await;

    // The borrow cap.
    let mut p = RiskParams::example();
    p.borrow_cap = 100 * ONE_DEBT;
    f.apply_params(p).await;
    f.env
        .expect_rejected(
            f.ix_borrow(&b, 100 * ONE_DEBT + 1),
            &[&b.kp],
            ZlError::BorrowCapExceeded,
        )
        .await;
    f.env
        .exec(&[f.ix_borrow(&b, 100 * ONE_DEBT)], &[&b.kp])
        .await;
    f.assert_conservation().await;
}

#[tokio::test]
async fn withdraw_collateral_keeps_the_account_within_max_ltv() {
    let mut f = MarketFixture::new().await;
    f.lp(10_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 350 * ONE_DEBT)], &[&b.kp])
        .await;

    f.env
        .expect_rejected(f.ix_withdraw(&b, 0), &[&b.kp], ZlError::ZeroAmount)
        .await;
    f.env
        .expect_rejected(
            f.ix_withdraw(&b, u64::MAX),
            &[&b.kp],
            ZlError::InsufficientCollateral,
        )
        .await;
    f.env
        .expect_rejected(
            f.ix_withdraw(&b, 10 * ONE_COLL + 1),
            &[&b.kp],
            ZlError::InsufficientCollateral,
        )
        .await;
    // Leaving 4.9 SOL (~$490) against $350 is above 70%.
    f.env
        .expect_rejected(
            f.ix_withdraw(&b, 51 * ONE_COLL / 10),
            &[&b.kp],
            ZlError::MaxLtvExceeded,
        )
        .await;
    let thief = f.user(0, 0).await;
    let ix = replace_account(f.ix_withdraw(&b, ONE_COLL), b.key(), thief.key());
    let ix = replace_account(ix, b.collateral_ata, thief.collateral_ata);
    f.env
        .expect_rejected(ix, &[&thief.kp], ZlError::NotOwner)
        .await;

    f.env
        .exec(&[f.ix_withdraw(&b, 4 * ONE_COLL)], &[&b.kp])
        .await;
    assert_eq!(f.env.token_balance(b.collateral_ata).await, 4 * ONE_COLL);
    assert_eq!(f.margin_state(&b).await.collateral, 6 * ONE_COLL);
    f.assert_conservation().await;
}

#[tokio::test]
async fn withdraw_without_debt_needs_no_price() {
    let mut f = MarketFixture::new().await;
    let b = f.borrower(3 * ONE_COLL).await;
    // Both oracles go stale: a debt-free account still withdraws.
    f.env.advance(3_600).await;
    f.env
        .exec(&[f.ix_withdraw(&b, 3 * ONE_COLL)], &[&b.kp])
        .await;
    assert_eq!(f.env.token_balance(b.collateral_ata).await, 3 * ONE_COLL);
}

#[tokio::test]
async fn anyone_repays_and_u64_max_repays_exactly_the_debt() {
    let mut f = MarketFixture::new().await;
    f.lp(10_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 300 * ONE_DEBT)], &[&b.kp])
        .await;
    let helper = f.user(0, 1_000 * ONE_DEBT).await;

    f.env
        .expect_rejected(
            f.ix_repay(&helper, b.margin, 0),
            &[&helper.kp],
            ZlError::ZeroAmount,
        )
        .await;
    let ix = replace_account(
        f.ix_repay(&helper, b.margin, ONE_DEBT),
        helper.debt_ata,
        helper.collateral_ata,
    );
    f.env
        .expect_rejected(ix, &[&helper.kp], ZlError::WrongMint)
        .await;
    let poor = f.user(0, ONE_DEBT).await;
    f.env
        .expect_rejected_code(
            f.ix_repay(&poor, b.margin, 2 * ONE_DEBT),
            &[&poor.kp],
            TOKEN_INSUFFICIENT_FUNDS,
        )
        .await;

    // A partial repayment, then time passes, then "all of it".
    let r = f
        .env
        .exec(
            &[f.ix_repay(&helper, b.margin, 100 * ONE_DEBT)],
            &[&helper.kp],
        )
        .await;
    let ev = r.events::<Repaid>();
    assert_eq!((ev[0].amount, ev[0].debt), (100 * ONE_DEBT, 200 * ONE_DEBT));
    f.advance(30 * 24 * 3_600).await;
    let before = f.env.token_balance(helper.debt_ata).await;
    let r = f
        .env
        .exec(&[f.ix_repay(&helper, b.margin, u64::MAX)], &[&helper.kp])
        .await;
    let paid = r.events::<Repaid>()[0].amount;
    assert!(paid > 200 * ONE_DEBT, "a month of interest accrued: {paid}");
    assert_eq!(before - f.env.token_balance(helper.debt_ata).await, paid);
    let m = f.margin_state(&b).await;
    assert_eq!(m.debt_shares, 0);
    assert_eq!(f.market_state().await.total_debt_shares, 0);
    f.env
        .expect_rejected(
            f.ix_repay(&helper, b.margin, ONE_DEBT),
            &[&helper.kp],
            ZlError::NothingToRepay,
        )
        .await;
    f.assert_conservation().await;
}

#[tokio::test]
async fn close_returns_rent_only_when_empty_and_only_to_the_owner() {
    let mut f = MarketFixture::new().await;
    let b = f.borrower(ONE_COLL).await;
    f.env
        .expect_rejected(f.ix_close(&b), &[&b.kp], ZlError::AccountNotEmpty)
        .await;
    f.env.exec(&[f.ix_withdraw(&b, ONE_COLL)], &[&b.kp]).await;
    let thief = f.user(0, 0).await;
    let ix = replace_account(f.ix_close(&b), b.key(), thief.key());
    f.env
        .expect_rejected(ix, &[&thief.kp], ZlError::NotOwner)
        .await;

    let rent = f.env.lamports(b.margin).await;
    let before = f.env.lamports(b.key()).await;
    f.env.exec(&[f.ix_close(&b)], &[&b.kp]).await;
    assert!(f.env.account(b.margin).await.is_none());
    assert_eq!(f.env.lamports(b.key()).await, before + rent);
}

#[tokio::test]
async fn positions_below_min_position_cannot_be_opened_or_left() {
    let mut f = MarketFixture::new().await;
    f.lp(10_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    // min_position is 10 USDC.
    f.env
        .expect_rejected(
            f.ix_borrow(&b, 10 * ONE_DEBT - 1),
            &[&b.kp],
            ZlError::DustPosition,
        )
        .await;
    f.env
        .exec(&[f.ix_borrow(&b, 50 * ONE_DEBT)], &[&b.kp])
        .await;
    f.env
        .expect_rejected(
            f.ix_repay(&b, b.margin, 45 * ONE_DEBT),
            &[&b.kp],
            ZlError::DustPosition,
        )
        .await;
    f.env
        .exec(&[f.ix_repay(&b, b.margin, 40 * ONE_DEBT)], &[&b.kp])
        .await;
    f.env
        .exec(&[f.ix_repay(&b, b.margin, u64::MAX)], &[&b.kp])
        .await;
    assert_eq!(f.margin_state(&b).await.debt_shares, 0);
}
