//! What the admin cannot do: reprice live positions at once, push a healthy
//! position into liquidation in one change, pause without end, trap
//! leftover collateral or debt-free collateral, or take POL away from the
//! auctions it backstops. Each refused call leaves every account unchanged.

use zero_loss::events::{AuctionSettled, HealthChecked, MarketParamsProposed, PauseSet};
use zero_loss::state::PolAsset;
use zero_loss::state::Zone;
use zero_loss::state::{pause, RiskParams, VaultKind, DEFAULT_PARAMS_DELAY_SECS, MAX_PAUSE_SECS};
use zero_loss_tests::market::*;
use zero_loss_tests::{Signer, ZlError};

/// 10 SOL against 690 USDC at $100 (~69% LTV, healthy).
async fn levered() -> (MarketFixture, User) {
    let mut f = MarketFixture::new().await;
    f.lp(100_000 * ONE_DEBT).await;
    let b = f.levered_borrower(10 * ONE_COLL, 690 * ONE_DEBT).await;
    (f, b)
}

#[tokio::test]
async fn parameter_changes_wait_for_the_timelock() {
    let (mut f, _) = levered().await;
    let admin = f.admin.insecure_clone();
    assert_eq!(
        f.protocol_state().await.params_delay_secs,
        DEFAULT_PARAMS_DELAY_SECS
    );
    f.env
        .expect_rejected(f.ix_execute_params(), &[], ZlError::NoPendingParams)
        .await;
    let mut p = RiskParams::example();
    p.max_ltv_bps = 6_800;
    p.target_ltv_bps = 6_800;
    let stranger = f.user(0, 0).await;
    f.env
        .expect_rejected(
            f.ix_update_params(&stranger.key(), p),
            &[&stranger.kp],
            ZlError::NotAdmin,
        )
        .await;
    let r = f
        .env
        .exec(&[f.ix_update_params(&admin.pubkey(), p)], &[&admin])
        .await;
    let ev = &r.events::<MarketParamsProposed>()[0];
    let eta = f.env.now() + DEFAULT_PARAMS_DELAY_SECS as i64;
    assert_eq!((ev.eta, ev.params), (eta, p));
    let m = f.market_state().await;
    assert_eq!(m.params, RiskParams::example(), "nothing changes at once");
    assert_eq!((m.pending_params, m.pending_params_eta), (p, eta));
    f.env
        .expect_rejected(f.ix_execute_params(), &[], ZlError::TimelockPending)
        .await;
    f.advance(DEFAULT_PARAMS_DELAY_SECS as i64 - 1).await;
    f.env
        .expect_rejected(f.ix_execute_params(), &[], ZlError::TimelockPending)
        .await;
    f.advance(1).await;
    // Anyone executes it once due.
    f.env.exec(&[f.ix_execute_params()], &[]).await;
    let m = f.market_state().await;
    assert_eq!((m.params, m.pending_params_eta), (p, 0));
    f.env
        .expect_rejected(f.ix_execute_params(), &[], ZlError::NoPendingParams)
        .await;
}

#[tokio::test]
async fn no_change_pushes_a_healthy_account_into_liquidation_in_one_step() {
    let (mut f, b) = levered().await;
    let admin = f.admin.insecure_clone();
    let base = RiskParams::example();
    type Edit = fn(&mut RiskParams);
    let too_far: [(&str, Edit); 5] = [
        ("liq_ltv 80% -> 77%", |p| {
            p.liq_ltv_bps = 7_700;
            p.buffer_max_bps = 800;
        }),
        ("full_ltv 95% -> 81%", |p| {
            p.full_ltv_bps = 8_100;
            p.buffer_max_bps = 100;
            p.buffer_min_bps = 100;
        }),
        ("penalty 3% -> 25%", |p| p.penalty_bps = 2_500),
        ("discount 5% -> 50%", |p| p.auction_max_discount_bps = 5_000),
        ("liq 80% -> 77.9%", |p| p.liq_ltv_bps = 7_790),
    ];
    for (name, edit) in too_far {
        let mut p = base;
        edit(&mut p);
        assert!(p.validate().is_ok(), "{name} is within the static bounds");
        f.env
            .expect_rejected(
                f.ix_update_params(&admin.pubkey(), p),
                &[&admin],
                ZlError::ParamsStepTooLarge,
            )
            .await;
    }
    // One full step is allowed, after the delay; the account at ~69% stays
    // healthy, and the next step again needs its own delay.
    let mut p = base;
    p.liq_ltv_bps = 7_800;
    p.buffer_max_bps = 800;
    p.full_ltv_bps = 9_300;
    p.penalty_bps = base.penalty_bps + 200;
    p.auction_max_discount_bps = base.auction_max_discount_bps + 500;
    f.apply_params(p).await;
    let r = f.env.exec(&[f.ix_check_health(b.margin)], &[]).await;
    assert_eq!(r.events::<HealthChecked>()[0].zone, Zone::Healthy);
    let mut q = p;
    q.liq_ltv_bps = 7_600;
    q.buffer_max_bps = 700;
    q.full_ltv_bps = 9_100;
    f.env
        .exec(&[f.ix_update_params(&admin.pubkey(), q)], &[&admin])
        .await;
    assert_eq!(f.market_state().await.params, p);
}

#[tokio::test]
async fn a_pause_lapses_after_a_week_unless_renewed() {
    let (mut f, b) = levered().await;
    let admin = f.admin.insecure_clone();
    let r = f
        .env
        .exec(&[f.ix_set_pause(&admin.pubkey(), pause::BORROW)], &[&admin])
        .await;
    assert_eq!(
        r.events::<PauseSet>()[0].expires_at,
        f.env.now() + MAX_PAUSE_SECS
    );
    f.env
        .expect_rejected(f.ix_borrow(&b, ONE_DEBT), &[&b.kp], ZlError::Paused)
        .await;
    f.advance(MAX_PAUSE_SECS - 1).await;
    f.env
        .expect_rejected(f.ix_borrow(&b, ONE_DEBT), &[&b.kp], ZlError::Paused)
        .await;
    f.advance(1).await;
    f.env.exec(&[f.ix_borrow(&b, ONE_DEBT)], &[&b.kp]).await;
    // Renewed by the admin, it holds for what the budget earned meanwhile
    // (7 days over 30: a week earns 7 x 7 / 30 days).
    let r = f
        .env
        .exec(&[f.ix_set_pause(&admin.pubkey(), pause::BORROW)], &[&admin])
        .await;
    assert_eq!(
        r.events::<PauseSet>()[0].expires_at,
        f.env.now() + MAX_PAUSE_SECS * 7 / 30
    );
    f.env
        .expect_rejected(f.ix_borrow(&b, ONE_DEBT), &[&b.kp], ZlError::Paused)
        .await;
}

/// Renewing every pause the moment it lapses cannot hold the protocol
/// paused past the budget: at most 14 days in any 30, then the renewal is
/// refused (`admin/pause-budget`) and borrowing is open. After 30 days
/// unpaused a pause again holds a full week; unpausing ends a pause at once.
#[tokio::test]
async fn renewals_cannot_pause_past_the_budget() {
    let (mut f, _) = levered().await;
    // A borrower with room to spare, so interest over the weeks below never
    // stands in for the pause.
    let b = f.borrower(100 * ONE_COLL).await;
    let admin = f.admin.insecure_clone();
    let start = f.env.now();
    let mut renewals = 0;
    loop {
        let r = f
            .env
            .send(&[f.ix_set_pause(&admin.pubkey(), pause::BORROW)], &[&admin])
            .await;
        if r.error.is_some() {
            assert_eq!(
                r.custom_code(),
                Some(zero_loss_tests::zl_code(ZlError::PauseBudgetSpent))
            );
            break;
        }
        renewals += 1;
        let until = r.events::<PauseSet>()[0].expires_at;
        assert!(until - f.env.now() <= MAX_PAUSE_SECS);
        f.advance(until - f.env.now()).await;
        assert!(renewals < 100, "the budget never ran out");
    }
    let paused = f.env.now() - start;
    assert!(renewals > 2, "renewed {renewals} times");
    assert!(
        paused <= 14 * 86_400 && paused > 9 * 86_400,
        "paused {paused} s"
    );
    f.env
        .exec(&[f.ix_borrow(&b, 20 * ONE_DEBT)], &[&b.kp])
        .await;
    // Thirty days unpaused restore a full week.
    f.advance(30 * 86_400).await;
    let r = f
        .env
        .exec(&[f.ix_set_pause(&admin.pubkey(), pause::BORROW)], &[&admin])
        .await;
    assert_eq!(
        r.events::<PauseSet>()[0].expires_at,
        f.env.now() + MAX_PAUSE_SECS
    );
    f.env
        .expect_rejected(f.ix_borrow(&b, 20 * ONE_DEBT), &[&b.kp], ZlError::Paused)
        .await;
    // Unpausing ends it at once, and spends only what ran.
    f.advance(86_400).await;
    f.env
        .exec(&[f.ix_set_pause(&admin.pubkey(), 0)], &[&admin])
        .await;
    f.env
        .exec(&[f.ix_borrow(&b, 20 * ONE_DEBT)], &[&b.kp])
        .await;
    let p = f.protocol_state().await;
    assert_eq!(
        p.pause_credit_secs,
        MAX_PAUSE_SECS - 86_400 + 86_400 * 7 / 30
    );
}

/// A kicked slice, bought until its tab is raised, with collateral left.
async fn settled_while_paused(pause_bits: u16) {
    let (mut f, b) = levered().await;
    let admin = f.admin.insecure_clone();
    f.fund_backstops(1_000 * ONE_DEBT, 1_000 * ONE_DEBT).await;
    let keeper = f.user(0, 0).await;
    let bidder = f.user(0, 100_000 * ONE_DEBT).await;
    f.set_prices(80.0, 80.0);
    let a = f.kick(&keeper, b.margin).await;
    f.env
        .exec(&[f.ix_bid(&bidder, a, u64::MAX, u128::MAX)], &[&bidder.kp])
        .await;
    let au: zero_loss::state::Auction = f.env.read(a).await;
    assert!(au.tab == 0 && au.lot > 0, "tab raised, collateral left");
    let coll_before = f.margin_state(&b).await.collateral;
    f.env
        .exec(&[f.ix_set_pause(&admin.pubkey(), pause_bits)], &[&admin])
        .await;
    let r = f
        .env
        .exec(
            &[f.ix_settle(&keeper.key(), a, keeper.key(), Some(b.margin))],
            &[&keeper.kp],
        )
        .await;
    let st = &r.events::<AuctionSettled>()[0];
    assert_eq!(st.collateral_returned, au.lot);
    assert_eq!(
        f.margin_state(&b).await.collateral,
        coll_before + au.lot,
        "leftover collateral back on the account"
    );
    f.assert_conservation().await;
}

#[tokio::test]
async fn a_pause_never_traps_leftover_collateral() {
    settled_while_paused(pause::AUCTION).await;
    settled_while_paused(pause::ALL).await;
}

#[tokio::test]
async fn pol_stays_while_borrower_auctions_are_open() {
    let (mut f, b) = levered().await;
    let admin = f.admin.insecure_clone();
    f.fund_backstops(0, 1_000 * ONE_DEBT).await;
    let admin_debt = f
        .env
        .create_token_account(f.debt_mint, admin.pubkey())
        .await;
    let pol_debt = f.vault(VaultKind::PolDebt);
    let withdraw = |f: &MarketFixture, amount: u64| {
        f.ix_withdraw_pol(
            &admin.pubkey(),
            pol_debt,
            admin_debt,
            PolAsset::Debt,
            amount,
        )
    };
    // No auction open: the admin may take POL out.
    f.env.exec(&[withdraw(&f, ONE_DEBT)], &[&admin]).await;
    let keeper = f.user(0, 0).await;
    let bidder = f.user(0, 100_000 * ONE_DEBT).await;
    f.set_prices(80.0, 80.0);
    let a = f.kick(&keeper, b.margin).await;
    // What the open auction can still need (its principal) stays; the rest
    // may leave, so a small auction (or a restart) locks no more than that.
    let m = f.market_state().await;
    let principal = m.auction_debt;
    assert!(principal > 0 && principal < m.pol_debt_amount);
    let free = m.pol_debt_amount - principal;
    f.env
        .expect_rejected(
            withdraw(&f, free + 1),
            &[&admin],
            ZlError::PolLockedByAuctions,
        )
        .await;
    f.env.exec(&[withdraw(&f, free)], &[&admin]).await;
    assert_eq!(f.market_state().await.pol_debt_amount, principal);
    f.env
        .expect_rejected(withdraw(&f, 1), &[&admin], ZlError::PolLockedByAuctions)
        .await;
    // Sold and settled: POL is free again.
    f.buy_and_settle(&bidder, &keeper, a, b.margin).await;
    f.env.exec(&[withdraw(&f, ONE_DEBT)], &[&admin]).await;
    assert_eq!(f.env.token_balance(admin_debt).await, 2 * ONE_DEBT + free);
}

/// One timelocked step cannot stretch the oracle, make rates punitive, move
/// the buffer's clamps or the dust limit far, or switch a defence off with a
/// zero: each such proposal is refused (by `check_step`, or `validate` for
/// the zeros) and the market's parameters and pending proposal are unchanged.
#[tokio::test]
async fn one_step_cannot_stretch_the_oracle_or_make_rates_punitive() {
    let (mut f, _b) = levered().await;
    let admin = f.admin.insecure_clone();
    let base = RiskParams::example();
    type Edit = fn(&mut RiskParams);
    let too_far: [(&str, Edit, ZlError); 8] = [
        (
            "oracle age 60 s -> 1 h",
            |p| {
                p.oracle_max_age_secs = 3_600;
                p.breach_persist_secs = 3_600;
            },
            ZlError::ParamsStepTooLarge,
        ),
        (
            "base rate 1% -> 50%",
            |p| p.base_rate_bps = 5_000,
            ZlError::ParamsStepTooLarge,
        ),
        (
            "slope2 60% -> 100% a year",
            |p| p.slope2_bps = 10_000,
            ZlError::ParamsStepTooLarge,
        ),
        (
            "buffer floor 1% -> 10%",
            |p| p.buffer_min_bps = 1_000,
            ZlError::ParamsStepTooLarge,
        ),
        (
            "dust limit x100",
            |p| p.min_position *= 100,
            ZlError::ParamsStepTooLarge,
        ),
        (
            "reserve factor 10% -> 50%",
            |p| p.reserve_factor_bps = 5_000,
            ZlError::ParamsStepTooLarge,
        ),
        (
            "volatility widening off",
            |p| p.vol_z_e4 = 0,
            ZlError::InvalidParam,
        ),
        (
            "confidence adjustment off",
            |p| p.oracle_conf_k_e4 = 0,
            ZlError::InvalidParam,
        ),
    ];
    let before = f.market_state().await;
    for (name, edit, code) in too_far {
        let mut p = base;
        edit(&mut p);
        assert_ne!(p, base, "{name} changes something");
        f.env
            .expect_rejected(f.ix_update_params(&admin.pubkey(), p), &[&admin], code)
            .await;
    }
    let after = f.market_state().await;
    assert_eq!(
        (after.params, after.pending_params_eta),
        (before.params, before.pending_params_eta)
    );
    // The largest steps in those directions go through, after the delay.
    let mut p = base;
    p.oracle_max_age_secs += 60;
    p.breach_persist_secs = p.breach_persist_secs.max(p.oracle_max_age_secs);
    p.base_rate_bps += 1_000;
    p.slope2_bps += 1_000;
    p.buffer_min_bps += 200;
    p.min_position *= 2;
    p.reserve_factor_bps += 200;
    f.apply_params(p).await;
    assert_eq!(f.market_state().await.params, p);
}

/// With parameters the old rule let through (the effective threshold
/// `liq_ltv x (1 - buffer_max)` = 72% under `max_ltv` = 75%), a borrow at the
/// allowed maximum with the buffer at its widest is neither sliced nor
/// kicked in the same slot: liquidation opens at `liq_ltv` whatever the
/// buffer, and the borrow limit is `max_ltv x (1 - b)`.
#[tokio::test]
async fn a_borrow_at_the_limit_is_not_liquidatable_at_the_widest_buffer() {
    let p = RiskParams {
        max_ltv_bps: 7_500,
        liq_ltv_bps: 8_000,
        buffer_min_bps: 1_000,
        buffer_max_bps: 1_000,
        ..RiskParams::example()
    };
    p.validate().unwrap();
    let mut f = MarketFixture::with_params(p).await;
    f.lp(100_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    let liq = f.user(0, 10_000 * ONE_DEBT).await;
    let kicker = f.user(0, 0).await;
    // The largest borrow the program accepts, found downward from above the
    // reference limit max_ltv x (1 - b) on the conservative price.
    let price = f.reference_price(false).min(f.reference_price(true));
    let limit = (10 * ONE_COLL) as f64 * price * 0.75 * 0.9;
    let mut borrowed = None;
    for cand in (limit as u64 - 2..=limit as u64 + 2).rev() {
        let r = f.env.send(&[f.ix_borrow(&b, cand)], &[&b.kp]).await;
        if r.error.is_none() {
            borrowed = Some(cand);
            break;
        }
    }
    let borrowed = borrowed.expect("a borrow at the limit");
    assert!(borrowed as f64 >= limit - 2.0, "{borrowed} vs {limit}");
    let r = f.env.exec(&[f.ix_check_health(b.margin)], &[]).await;
    assert_eq!(r.events::<HealthChecked>()[0].zone, Zone::Healthy);
    f.expect_nothing_opens(b.margin, &liq, &kicker).await;
}
