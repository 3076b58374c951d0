//! LP deposits and withdrawals, the insurance fund and POL.

use zero_loss::events::{InsuranceFunded, LpDeposited, LpWithdrawn};
use zero_loss::state::PolAsset;
use zero_loss::state::VaultKind;
use zero_loss_tests::market::*;
use zero_loss_tests::{anchor_code, Signer, ZlError};

/// SPL Token's `InsufficientFunds` and `OwnerMismatch` codes.
const TOKEN_INSUFFICIENT_FUNDS: u32 = 1;
const TOKEN_OWNER_MISMATCH: u32 = 4;

#[tokio::test]
async fn lp_deposit_mints_shares_one_to_one_first_then_at_the_share_price() {
    let mut f = MarketFixture::new().await;
    let a = f.user(0, 1_000 * ONE_DEBT).await;
    let r = f
        .env
        .exec(&[f.ix_lp_deposit(&a, 1_000 * ONE_DEBT)], &[&a.kp])
        .await;
    let ev = r.events::<LpDeposited>();
    assert_eq!(
        (ev[0].amount, ev[0].shares),
        (1_000 * ONE_DEBT, 1_000 * ONE_DEBT)
    );
    assert_eq!(f.env.token_balance(a.lp_ata).await, 1_000 * ONE_DEBT);
    assert_eq!(f.env.token_balance(a.debt_ata).await, 0);
    f.assert_conservation().await;

    // Interest makes each share worth more; a later LP gets fewer shares.
    let b = f.borrower(100 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 500 * ONE_DEBT)], &[&b.kp])
        .await;
    f.advance(365 * 24 * 3_600).await;
    let late = f.user(0, 1_000 * ONE_DEBT).await;
    let r = f
        .env
        .exec(&[f.ix_lp_deposit(&late, 1_000 * ONE_DEBT)], &[&late.kp])
        .await;
    let shares = r.events::<LpDeposited>()[0].shares;
    assert!(
        shares < 1_000 * ONE_DEBT,
        "share price must have risen: {shares}"
    );
    f.assert_conservation().await;
}

#[tokio::test]
async fn lp_earns_interest_net_of_the_reserve_factor() {
    let mut f = MarketFixture::new().await;
    let lp = f.lp(1_000 * ONE_DEBT).await;
    let b = f.borrower(100 * ONE_COLL).await;
    f.env
        .mint_to(f.debt_mint, b.debt_ata, 1_000 * ONE_DEBT)
        .await;
    f.env
        .exec(&[f.ix_borrow(&b, 800 * ONE_DEBT)], &[&b.kp])
        .await;
    f.advance(365 * 24 * 3_600).await;
    f.env
        .exec(&[f.ix_repay(&b, b.margin, u64::MAX)], &[&b.kp])
        .await;
    // 80% utilization -> 5% APR on 800 = 40 (plus compounding within the
    // accrual rounding); 10% of it is the insurance fund's.
    let m = f.market_state().await;
    let interest = m.liquidity_amount - 1_000 * ONE_DEBT;
    assert!(
        (40 * ONE_DEBT..41 * ONE_DEBT).contains(&interest),
        "{interest}"
    );
    assert_eq!(m.pending_reserves, interest / 10);
    let shares = f.env.token_balance(lp.lp_ata).await;
    let r = f
        .env
        .exec(&[f.ix_lp_withdraw(&lp, shares)], &[&lp.kp])
        .await;
    let got = r.events::<LpWithdrawn>()[0].amount;
    assert_eq!(got, 1_000 * ONE_DEBT + interest - interest / 10);
    assert_eq!(f.env.mint_supply(f.lp_mint).await, 0);
    f.assert_conservation().await;
}

#[tokio::test]
async fn lp_deposit_rejects_bad_amounts_and_foreign_accounts() {
    let mut f = MarketFixture::new().await;
    let a = f.user(ONE_COLL, 100 * ONE_DEBT).await;
    f.env
        .expect_rejected(f.ix_lp_deposit(&a, 0), &[&a.kp], ZlError::ZeroAmount)
        .await;
    f.env
        .expect_rejected_code(
            f.ix_lp_deposit(&a, u64::MAX),
            &[&a.kp],
            TOKEN_INSUFFICIENT_FUNDS,
        )
        .await;
    f.env
        .expect_rejected_code(
            f.ix_lp_deposit(&a, 100 * ONE_DEBT + 1),
            &[&a.kp],
            TOKEN_INSUFFICIENT_FUNDS,
        )
        .await;
    // The collateral account in place of the debt-asset account.
    let ix = replace_account(f.ix_lp_deposit(&a, ONE_DEBT), a.debt_ata, a.collateral_ata);
    f.env
        .expect_rejected(ix, &[&a.kp], ZlError::WrongMint)
        .await;
    // Another market's vault and LP mint.
    let o = f.other_market().await;
    let ix = replace_account(
        f.ix_lp_deposit(&a, ONE_DEBT),
        f.vault(VaultKind::Liquidity),
        o.vault(VaultKind::Liquidity),
    );
    f.env
        .expect_rejected(ix, &[&a.kp], ZlError::WrongVault)
        .await;
    let ix = replace_account(f.ix_lp_deposit(&a, ONE_DEBT), f.lp_mint, o.lp_mint);
    f.env
        .expect_rejected(ix, &[&a.kp], ZlError::WrongMint)
        .await;
    // Someone else's token account, signed by `a`: SPL Token refuses.
    let victim = f.user(0, 100 * ONE_DEBT).await;
    let ix = replace_account(f.ix_lp_deposit(&a, ONE_DEBT), a.debt_ata, victim.debt_ata);
    f.env
        .expect_rejected_code(ix, &[&a.kp], TOKEN_OWNER_MISMATCH)
        .await;
    assert_eq!(f.env.token_balance(victim.debt_ata).await, 100 * ONE_DEBT);
}

#[tokio::test]
async fn lp_withdraw_is_limited_to_shares_held_and_liquidity_not_lent() {
    let mut f = MarketFixture::new().await;
    let lp = f.lp(1_000 * ONE_DEBT).await;
    let b = f.borrower(100 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 600 * ONE_DEBT)], &[&b.kp])
        .await;

    f.env
        .expect_rejected(f.ix_lp_withdraw(&lp, 0), &[&lp.kp], ZlError::ZeroAmount)
        .await;
    f.env
        .expect_rejected(
            f.ix_lp_withdraw(&lp, u64::MAX),
            &[&lp.kp],
            ZlError::InsufficientShares,
        )
        .await;
    f.env
        .expect_rejected(
            f.ix_lp_withdraw(&lp, 1_000 * ONE_DEBT + 1),
            &[&lp.kp],
            ZlError::InsufficientShares,
        )
        .await;
    // 400 of 1000 is not lent out.
    f.env
        .expect_rejected(
            f.ix_lp_withdraw(&lp, 500 * ONE_DEBT),
            &[&lp.kp],
            ZlError::InsufficientLiquidity,
        )
        .await;
    f.env
        .exec(&[f.ix_lp_withdraw(&lp, 400 * ONE_DEBT)], &[&lp.kp])
        .await;
    assert_eq!(f.env.token_balance(lp.debt_ata).await, 400 * ONE_DEBT);
    assert_eq!(f.env.token_balance(lp.lp_ata).await, 600 * ONE_DEBT);
    // Another LP's share account, signed by this LP: the burn is refused and
    // nothing moves.
    let other = f.lp(10 * ONE_DEBT).await;
    let ix = replace_account(f.ix_lp_withdraw(&lp, ONE_DEBT), lp.lp_ata, other.lp_ata);
    f.env
        .expect_rejected_code(ix, &[&lp.kp], TOKEN_OWNER_MISMATCH)
        .await;
    assert_eq!(f.env.token_balance(other.lp_ata).await, 10 * ONE_DEBT);
    f.assert_conservation().await;
}

#[tokio::test]
async fn anyone_funds_insurance() {
    let mut f = MarketFixture::new().await;
    let donor = f.user(0, 50 * ONE_DEBT).await;
    let ix = f.ix_fund_insurance(&donor.key(), donor.debt_ata, 0);
    f.env
        .expect_rejected(ix, &[&donor.kp], ZlError::ZeroAmount)
        .await;
    let ix = f.ix_fund_insurance(&donor.key(), donor.collateral_ata, ONE_DEBT);
    f.env
        .expect_rejected(ix, &[&donor.kp], ZlError::WrongMint)
        .await;
    let ix = f.ix_fund_insurance(&donor.key(), donor.debt_ata, u64::MAX);
    f.env
        .expect_rejected_code(ix, &[&donor.kp], TOKEN_INSUFFICIENT_FUNDS)
        .await;
    let o = f.other_market().await;
    let ix = replace_account(
        f.ix_fund_insurance(&donor.key(), donor.debt_ata, ONE_DEBT),
        f.vault(VaultKind::Insurance),
        o.vault(VaultKind::Insurance),
    );
    f.env
        .expect_rejected(ix, &[&donor.kp], ZlError::WrongVault)
        .await;

    let r = f
        .env
        .exec(
            &[f.ix_fund_insurance(&donor.key(), donor.debt_ata, 50 * ONE_DEBT)],
            &[&donor.kp],
        )
        .await;
    assert_eq!(r.events::<InsuranceFunded>()[0].amount, 50 * ONE_DEBT);
    assert_eq!(f.market_state().await.insurance_amount, 50 * ONE_DEBT);
    f.assert_conservation().await;
}

#[tokio::test]
async fn pol_is_funded_and_withdrawn_by_the_admin_only() {
    let mut f = MarketFixture::new().await;
    let admin = f.admin.insecure_clone();
    let admin_debt = f
        .env
        .create_token_account(f.debt_mint, admin.pubkey())
        .await;
    let admin_coll = f
        .env
        .create_token_account(f.collateral_mint, admin.pubkey())
        .await;
    f.env.mint_to(f.debt_mint, admin_debt, 500 * ONE_DEBT).await;
    let stranger = f.user(0, 500 * ONE_DEBT).await;

    let ix = f.ix_fund_pol(&stranger.key(), stranger.debt_ata, ONE_DEBT);
    f.env
        .expect_rejected(ix, &[&stranger.kp], ZlError::NotAdmin)
        .await;
    f.env
        .expect_rejected(
            f.ix_fund_pol(&admin.pubkey(), admin_debt, 0),
            &[&admin],
            ZlError::ZeroAmount,
        )
        .await;
    f.env
        .exec(
            &[f.ix_fund_pol(&admin.pubkey(), admin_debt, 300 * ONE_DEBT)],
            &[&admin],
        )
        .await;
    assert_eq!(f.market_state().await.pol_debt_amount, 300 * ONE_DEBT);

    let pol_debt = f.vault(VaultKind::PolDebt);
    let ix = f.ix_withdraw_pol(
        &stranger.key(),
        pol_debt,
        stranger.debt_ata,
        PolAsset::Debt,
        ONE_DEBT,
    );
    f.env
        .expect_rejected(ix, &[&stranger.kp], ZlError::NotAdmin)
        .await;
    let ix = f.ix_withdraw_pol(
        &admin.pubkey(),
        pol_debt,
        admin_debt,
        PolAsset::Debt,
        300 * ONE_DEBT + 1,
    );
    f.env
        .expect_rejected(ix, &[&admin], ZlError::InsufficientPol)
        .await;
    let ix = f.ix_withdraw_pol(
        &admin.pubkey(),
        f.vault(VaultKind::Insurance),
        admin_debt,
        PolAsset::Debt,
        ONE_DEBT,
    );
    f.env
        .expect_rejected(ix, &[&admin], ZlError::WrongVault)
        .await;
    // An asset tag that is neither debt nor collateral does not decode.
    let mut ix = f.ix_withdraw_pol(
        &admin.pubkey(),
        pol_debt,
        admin_debt,
        PolAsset::Debt,
        ONE_DEBT,
    );
    assert_eq!(
        ix.data[8],
        PolAsset::Debt as u8,
        "the tag follows the discriminator"
    );
    ix.data[8] = 7;
    f.env
        .expect_rejected_code(
            ix,
            &[&admin],
            anchor_code(anchor_lang::error::ErrorCode::InstructionDidNotDeserialize),
        )
        .await;
    let ix = f.ix_withdraw_pol(
        &admin.pubkey(),
        pol_debt,
        admin_coll,
        PolAsset::Debt,
        ONE_DEBT,
    );
    f.env
        .expect_rejected(ix, &[&admin], ZlError::WrongMint)
        .await;
    let ix = f.ix_withdraw_pol(
        &admin.pubkey(),
        f.vault(VaultKind::PolCollateral),
        admin_coll,
        PolAsset::Collateral,
        1,
    );
    f.env
        .expect_rejected(ix, &[&admin], ZlError::InsufficientPol)
        .await;

    let ix = f.ix_withdraw_pol(
        &admin.pubkey(),
        pol_debt,
        admin_debt,
        PolAsset::Debt,
        100 * ONE_DEBT,
    );
    f.env.exec(&[ix], &[&admin]).await;
    assert_eq!(f.env.token_balance(admin_debt).await, 300 * ONE_DEBT);
    assert_eq!(f.market_state().await.pol_debt_amount, 200 * ONE_DEBT);
    f.assert_conservation().await;
}

#[tokio::test]
async fn burning_shares_outside_the_program_cannot_inflate_the_share_price() {
    use anchor_spl::token::spl_token;
    let mut f = MarketFixture::new().await;
    let attacker = f.lp(1_000 * ONE_DEBT).await;
    // The attacker burns all but one share with SPL Token directly.
    let burn = spl_token::instruction::burn(
        &spl_token::ID,
        &attacker.lp_ata,
        &f.lp_mint,
        &attacker.key(),
        &[],
        1_000 * ONE_DEBT - 1,
    )
    .unwrap();
    f.env.exec(&[burn], &[&attacker.kp]).await;
    // A victim deposits: the price per share is what it was.
    let victim = f.user(0, 1_990 * ONE_DEBT).await;
    let r = f
        .env
        .exec(&[f.ix_lp_deposit(&victim, 1_990 * ONE_DEBT)], &[&victim.kp])
        .await;
    assert_eq!(r.events::<LpDeposited>()[0].shares, 1_990 * ONE_DEBT);
    // The attacker's last share is worth one unit, not half the pool.
    let r = f
        .env
        .exec(&[f.ix_lp_withdraw(&attacker, 1)], &[&attacker.kp])
        .await;
    assert_eq!(r.events::<LpWithdrawn>()[0].amount, 1);
    let r = f
        .env
        .exec(
            &[f.ix_lp_withdraw(&victim, 1_990 * ONE_DEBT)],
            &[&victim.kp],
        )
        .await;
    assert_eq!(r.events::<LpWithdrawn>()[0].amount, 1_990 * ONE_DEBT);
    f.assert_conservation().await;
}
