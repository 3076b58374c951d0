//! liquidate_batch: several accounts in one instruction on liquidate_partial's
//! rule; a malformed batch refused whole, an account that cannot be liquidated
//! skipped untouched.

use anchor_lang::solana_program::instruction::AccountMeta;
use zero_loss::events::PartialLiquidated;
use zero_loss::state::{pause, RiskParams};
use zero_loss_tests::market::*;
use zero_loss_tests::{Signer, ZlError};

/// Anchor's codes for a remaining account that is not a margin account.
const DISCRIMINATOR_MISMATCH: u32 = 3002;
const NOT_MUTABLE: u32 = 3006;
const WRONG_OWNER: u32 = 3007;

/// $85.90 puts a 690-against-10 account at ~80.4%, in the partial zone; a
/// 300-against-10 account stays healthy.
const BUFFER_PRICE: f64 = 85.9;

/// A market with three 690-USDC borrowers and a 300-USDC one (10 SOL each),
/// and a liquidator with 10,000 USDC.
async fn setup() -> (MarketFixture, Vec<User>, User) {
    let mut f = MarketFixture::with_params(RiskParams::example()).await;
    f.lp(100_000 * ONE_DEBT).await;
    let mut bs = Vec::new();
    for debt in [690, 690, 690, 300] {
        let b = f.borrower(10 * ONE_COLL).await;
        f.env
            .exec(&[f.ix_borrow(&b, debt * ONE_DEBT)], &[&b.kp])
            .await;
        bs.push(b);
    }
    let liq = f.user(0, 10_000 * ONE_DEBT).await;
    (f, bs, liq)
}

#[tokio::test]
async fn a_batch_liquidates_each_account_in_the_zone_and_skips_the_healthy_one() {
    let (mut f, bs, liq) = setup().await;
    f.set_prices(BUFFER_PRICE, BUFFER_PRICE);
    let healthy_before = f.margin_state(&bs[3]).await;
    let margins: Vec<_> = bs.iter().map(|b| b.margin).collect();
    let r = f
        .env
        .exec(
            &[f.ix_liquidate_batch(&liq, &margins, vec![u64::MAX; 4])],
            &[&liq.kp],
        )
        .await;
    let evs = r.events::<PartialLiquidated>();
    assert_eq!(
        evs.len(),
        3,
        "the three accounts in the zone, not the healthy one"
    );
    for (ev, b) in evs.iter().zip(&bs) {
        assert_eq!(ev.margin_account, b.margin);
        // liquidate_partial's rule: back to the 70% target, LTV lower, bonus under 1 - LTV.
        assert!(
            (6_995..=7_000).contains(&ev.ltv_after_bps),
            "after {}",
            ev.ltv_after_bps
        );
        assert!(ev.bonus_bps <= 10_000 - ev.ltv_before_bps);
        let m = f.margin_state(b).await;
        assert_eq!(m.collateral, 10 * ONE_COLL - ev.collateral_out);
    }
    // The same repayment for the same account each time (one rule, no drift from order).
    assert_eq!(evs[0].repaid, evs[1].repaid);
    assert_eq!(evs[1].repaid, evs[2].repaid);
    let repaid: u64 = evs.iter().map(|e| e.repaid).sum();
    let out: u64 = evs.iter().map(|e| e.collateral_out).sum();
    assert_eq!(
        f.env.token_balance(liq.debt_ata).await,
        10_000 * ONE_DEBT - repaid
    );
    assert_eq!(f.env.token_balance(liq.collateral_ata).await, out);
    let healthy_after = f.margin_state(&bs[3]).await;
    assert_eq!(
        (healthy_after.debt_shares, healthy_after.collateral),
        (healthy_before.debt_shares, healthy_before.collateral),
        "the skipped account is untouched"
    );
    f.assert_conservation().await;
    // Every account is now healthy: the same batch liquidates nothing and is refused.
    f.env
        .expect_rejected(
            f.ix_liquidate_batch(&liq, &margins, vec![u64::MAX; 4]),
            &[&liq.kp],
            ZlError::NothingLiquidated,
        )
        .await;
}

/// An owner naming its own account in a batch: that account is skipped (no
/// self-liquidation), the others are liquidated.
#[tokio::test]
async fn an_owner_cannot_liquidate_its_own_account_inside_a_batch() {
    let (mut f, bs, _) = setup().await;
    f.set_prices(BUFFER_PRICE, BUFFER_PRICE);
    // bs[0] funds itself to liquidate.
    let owner = &bs[0];
    let fund = f.user(0, 10_000 * ONE_DEBT).await;
    let pay = anchor_spl::token::spl_token::instruction::transfer(
        &anchor_spl::token::spl_token::ID,
        &fund.debt_ata,
        &owner.debt_ata,
        &fund.key(),
        &[],
        5_000 * ONE_DEBT,
    )
    .unwrap();
    f.env.exec(&[pay], &[&fund.kp]).await;
    let before = f.margin_state(owner).await;
    let r = f
        .env
        .exec(
            &[f.ix_liquidate_batch(owner, &[owner.margin, bs[1].margin], vec![u64::MAX; 2])],
            &[&owner.kp],
        )
        .await;
    let evs = r.events::<PartialLiquidated>();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].margin_account, bs[1].margin);
    let after = f.margin_state(owner).await;
    assert_eq!(
        (after.debt_shares, after.collateral),
        (before.debt_shares, before.collateral)
    );
    // Alone, its own account is refused.
    f.env
        .expect_rejected(
            f.ix_liquidate_batch(owner, &[owner.margin], vec![u64::MAX]),
            &[&owner.kp],
            ZlError::NothingLiquidated,
        )
        .await;
}

#[tokio::test]
async fn a_malformed_batch_is_refused_whole_and_writes_nothing() {
    let (mut f, bs, liq) = setup().await;
    f.set_prices(BUFFER_PRICE, BUFFER_PRICE);
    let (a, b) = (bs[0].margin, bs[1].margin);
    // Sizes: none, more than eight, a max_repay missing.
    for (margins, repays) in [
        (vec![], vec![]),
        (vec![a; 9], vec![u64::MAX; 9]),
        (vec![a, b], vec![u64::MAX]),
    ] {
        f.env
            .expect_rejected(
                f.ix_liquidate_batch(&liq, &margins, repays),
                &[&liq.kp],
                ZlError::BatchSize,
            )
            .await;
    }
    // The same account twice.
    f.env
        .expect_rejected(
            f.ix_liquidate_batch(&liq, &[a, b, a], vec![u64::MAX; 3]),
            &[&liq.kp],
            ZlError::BatchDuplicate,
        )
        .await;
    // Another market's margin account.
    let o = f.other_market().await;
    let outsider = f.user(0, 0).await;
    let keys = zero_loss::client::MarketKeys::new(o.market, f.collateral_oracle, f.debt_oracle);
    f.env
        .exec(&[keys.open_margin(outsider.key())], &[&outsider.kp])
        .await;
    f.env
        .expect_rejected(
            f.ix_liquidate_batch(&liq, &[a, o.margin_of(&outsider.key())], vec![u64::MAX; 2]),
            &[&liq.kp],
            ZlError::WrongMarket,
        )
        .await;
    // Not a margin account: the market itself, a token account.
    let market = f.market;
    f.env
        .expect_rejected_code(
            f.ix_liquidate_batch(&liq, &[a, market], vec![u64::MAX; 2]),
            &[&liq.kp],
            DISCRIMINATOR_MISMATCH,
        )
        .await;
    f.env
        .expect_rejected_code(
            f.ix_liquidate_batch(&liq, &[a, liq.debt_ata], vec![u64::MAX; 2]),
            &[&liq.kp],
            WRONG_OWNER,
        )
        .await;
    // Passed read-only.
    let mut ix = f.ix_liquidate_batch(&liq, &[a, b], vec![u64::MAX; 2]);
    let last = ix.accounts.len() - 1;
    ix.accounts[last] = AccountMeta::new_readonly(b, false);
    f.env
        .expect_rejected_code(ix, &[&liq.kp], NOT_MUTABLE)
        .await;
    // Paused liquidations pause batches too.
    let admin = f.admin.insecure_clone();
    f.env
        .exec(
            &[f.ix_set_pause(&admin.pubkey(), pause::LIQUIDATION)],
            &[&admin],
        )
        .await;
    f.env
        .expect_rejected(
            f.ix_liquidate_batch(&liq, &[a, b], vec![u64::MAX; 2]),
            &[&liq.kp],
            ZlError::Paused,
        )
        .await;
    f.assert_conservation().await;
}

/// The payout age applies to the batch as to one account: a reading older than
/// `payout_max_age_secs` refuses the whole batch.
#[tokio::test]
async fn a_batch_pays_out_only_at_a_fresh_reading() {
    let (mut f, bs, liq) = setup().await;
    f.set_prices(BUFFER_PRICE, BUFFER_PRICE);
    let age = RiskParams::example().payout_max_age_secs as i64;
    f.env.advance(age + 1).await;
    f.env
        .expect_rejected(
            f.ix_liquidate_batch(&liq, &[bs[0].margin, bs[1].margin], vec![u64::MAX; 2]),
            &[&liq.kp],
            ZlError::PayoutReadingTooOld,
        )
        .await;
}
