use zero_loss_tests::market::*;

#[tokio::test]
async fn market_bootstraps_and_a_borrower_borrows() {
    let mut f = MarketFixture::new().await;
    let _lp = f.lp(10_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 500 * ONE_DEBT)], &[&b.kp])
        .await;
    assert_eq!(f.env.token_balance(b.debt_ata).await, 500 * ONE_DEBT);
    f.assert_conservation().await;
}
