//! Auctions: kick, bid, restart, backstop, settle, the waterfall, POL's own
//! collateral, and the races and abuses of hostile keepers and bidders.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::prelude::Pubkey;
use zero_loss::engine::Fp;
use zero_loss::events::{
    AuctionBackstopped, AuctionBid, AuctionRestarted, AuctionSettled, AuctionStarted,
    BadDebtRecorded,
};
use zero_loss::state::Zone;
use zero_loss::state::{AccountStatus, Auction, AuctionCurve, RiskParams, VaultKind};
use zero_loss_tests::market::*;
use zero_loss_tests::{anchor_code, Signer, ZlError};

struct Setup {
    f: MarketFixture,
    b: User,
    keeper: User,
    bidder: User,
}

/// 10 SOL against 690 USDC at $100; insurance and POL funded.
/// The example parameters with a top 10% over spot and a floor 20% under the
/// held price: room to see the curve, restarts and the backstop at work (the
/// example itself starts at spot with a 5% floor, docs/risk-parameters.md).
fn curve_params() -> RiskParams {
    RiskParams {
        auction_buf_bps: 11_000,
        auction_max_discount_bps: 2_000,
        ..RiskParams::example()
    }
}
/// `curve_params()`'s top over spot and the share of the held price its floor keeps.
const TOP_BUF: f64 = 1.1;
const FLOOR_KEEP: f64 = 0.8;

async fn setup(params: RiskParams, insurance: u64, pol: u64) -> Setup {
    let mut f = MarketFixture::with_params(params).await;
    f.lp(100_000 * ONE_DEBT).await;
    f.fund_backstops(insurance, pol).await;
    let b = f.borrower(10 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&b, 690 * ONE_DEBT)], &[&b.kp])
        .await;
    let keeper = f.user(0, 0).await;
    let bidder = f.user(0, 100_000 * ONE_DEBT).await;
    Setup {
        f,
        b,
        keeper,
        bidder,
    }
}

async fn kick(s: &mut Setup) -> (Pubkey, AuctionStarted) {
    let a = s.f.next_auction().await;
    let r =
        s.f.env
            .exec(
                &[s.f.ix_start_auction(&s.keeper, s.b.margin, a)],
                &[&s.keeper.kp],
            )
            .await;
    let mut ev = r.events::<AuctionStarted>();
    (a, ev.remove(0))
}

/// Once auction `a`'s price sits at `floor` (USD per collateral unit, in
/// debt units per native unit): a bid asking for less is refused, and a bid
/// for the whole lot at any price clears at the floor. Returns that bid.
async fn buy_all_at_the_floor(
    f: &mut MarketFixture,
    bidder: &User,
    a: Pubkey,
    floor: f64,
) -> AuctionBid {
    let below = (floor * (1.0 - 1e-6) * 1e18) as u128;
    f.env
        .expect_rejected(
            f.ix_bid(bidder, a, u64::MAX, below),
            &[&bidder.kp],
            ZlError::TooExpensive,
        )
        .await;
    let r = f
        .env
        .exec(&[f.ix_bid(bidder, a, u64::MAX, u128::MAX)], &[&bidder.kp])
        .await;
    let bid = r.events::<AuctionBid>().remove(0);
    assert!(
        (bid.price as f64 / 1e18 - floor).abs() / floor < 1e-9,
        "at the floor: {} vs {floor}",
        bid.price as f64 / 1e18
    );
    bid
}

#[tokio::test]
async fn a_distressed_kick_moves_a_slice_and_pays_the_keeper() {
    let mut s = setup(curve_params(), 100 * ONE_DEBT, 0).await;
    let f = &mut s.f;
    f.set_prices(80.0, 80.0);
    let before = f.margin_state(&s.b).await;
    let share_price = f.share_price().await;
    let (a, ev) = kick(&mut s).await;
    let f = &mut s.f;
    assert!(!ev.emergency && !ev.whole_position);
    // d = (690 - 0.7 * V) / (1 - 0.7 * (1 + penalty)), V = 10 * 80 * (0.9995 / 1.0005).
    let pen = curve_params().penalty_bps as u64;
    let v = 10.0 * 80.0 * 0.9995 / 1.0005;
    let d = (690.0 - 0.7 * v) / (1.0 - 0.7 * (1.0 + pen as f64 / 1e4)) * ONE_DEBT as f64;
    // One unit of rounding in V is amplified by 1 / (1 - 0.7 * (1 + penalty)) < 4.
    assert!(
        (ev.principal as f64 - d).abs() <= 5.0,
        "{} vs {d}",
        ev.principal
    );
    assert_eq!(ev.tab, ev.principal + (ev.principal * pen).div_ceil(10_000));
    // Pro-rata lot.
    let lot = 10.0 * ONE_COLL as f64 * ev.principal as f64 / (690 * ONE_DEBT) as f64;
    assert!((ev.lot as f64 - lot).abs() / lot < 1e-6);
    // top = spot * auction_buf.
    let top = 80.0 * 0.9995 / 1.0005 * TOP_BUF * 1e-3; // debt units per lamport
    assert!((ev.top as f64 / 1e18 - top).abs() / top < 1e-9);
    // Keeper reward: tip + 0.1% of the tab.
    assert_eq!(ev.keeper_reward, ONE_DEBT + ev.tab / 1_000);
    assert_eq!(
        f.env.token_balance(s.keeper.debt_ata).await,
        ev.keeper_reward
    );

    let au: Auction = f.env.read(a).await;
    assert_eq!(
        (au.lot, au.tab, au.principal, au.stage, au.owner),
        (ev.lot, ev.tab, ev.principal, 0, s.b.margin)
    );
    let after = f.margin_state(&s.b).await;
    assert_eq!(after.collateral, before.collateral - ev.lot);
    assert_eq!(
        (after.open_auctions, after.status),
        (1, AccountStatus::InAuction)
    );
    let m = f.market_state().await;
    assert_eq!(m.auction_debt, ev.principal);
    assert_eq!(m.insurance_amount, 100 * ONE_DEBT - ev.keeper_reward);
    // Moving debt into an auction does not move the LP share price.
    assert!((f.share_price().await - share_price).abs() < 1e-9);
    f.assert_conservation().await;
    // The owner cannot borrow or withdraw while the auction runs.
    f.env
        .expect_rejected(f.ix_borrow(&s.b, 1), &[&s.b.kp], ZlError::AccountInAuction)
        .await;
    f.env
        .expect_rejected(
            f.ix_withdraw(&s.b, 1),
            &[&s.b.kp],
            ZlError::AccountInAuction,
        )
        .await;
}

#[tokio::test]
async fn two_keepers_race_to_kick_and_one_wins() {
    let mut s = setup(curve_params(), 100 * ONE_DEBT, 0).await;
    s.f.set_prices(80.0, 80.0);
    let rival = s.f.user(0, 0).await;
    let a = s.f.next_auction().await;
    let first = s.f.ix_start_auction(&s.keeper, s.b.margin, a);
    let second = s.f.ix_start_auction(&rival, s.b.margin, a);
    s.f.env.exec(&[first], &[&s.keeper.kp]).await;
    // The same auction address: it exists now.
    s.f.env.expect_failed(second, &[&rival.kp]).await;
    // The next address: the account already has its auction.
    let next = s.f.next_auction().await;
    let ix = s.f.ix_start_auction(&rival, s.b.margin, next);
    s.f.env
        .expect_rejected(ix, &[&rival.kp], ZlError::AuctionInProgress)
        .await;
    let m = s.f.market_state().await;
    assert_eq!((m.open_auctions, m.next_auction_id), (1, 1));
    assert_eq!(s.f.env.token_balance(rival.debt_ata).await, 0);
}

#[tokio::test]
async fn kicks_are_refused_for_healthy_and_buffer_accounts_and_bad_accounts() {
    let mut s = setup(curve_params(), 0, 0).await;
    let a = s.f.next_auction().await;
    let ix = s.f.ix_start_auction(&s.keeper, s.b.margin, a);
    s.f.env
        .expect_rejected(ix.clone(), &[&s.keeper.kp], ZlError::NotDistressed)
        .await;
    s.f.set_prices(85.9, 85.9);
    s.f.env
        .expect_rejected(ix.clone(), &[&s.keeper.kp], ZlError::NotDistressed)
        .await;
    s.f.set_prices(80.0, 80.0);
    // An auction address other than the next id.
    let wrong = s.f.auction_at(7);
    let bad = replace_account(ix.clone(), a, wrong);
    s.f.env
        .expect_rejected_code(
            bad,
            &[&s.keeper.kp],
            anchor_code(AnchorError::ConstraintSeeds),
        )
        .await;
    // Another market's margin account.
    let o = s.f.other_market().await;
    let bad = replace_account(ix, s.f.market, o.market);
    s.f.env.expect_failed(bad, &[&s.keeper.kp]).await;
}

#[tokio::test]
async fn emergency_on_held_spot_takes_the_whole_position_before_the_ema_moves() {
    let mut s = setup(curve_params(), 100 * ONE_DEBT, 0).await;
    // EMA still at $90 (82.9%, distressed), spot $70 (98.7% >= 95%), held
    // for breach_persist_secs (one reading alone: tests/tests/persistence.rs).
    s.f.set_prices(90.0, 70.0);
    s.f.hold_spot().await;
    let (_, ev) = kick(&mut s).await;
    assert!(ev.emergency && ev.whole_position);
    assert_eq!((ev.lot, ev.principal), (10 * ONE_COLL, 690 * ONE_DEBT));
    let m = s.f.margin_state(&s.b).await;
    assert_eq!((m.collateral, m.debt_shares), (0, 0));
    s.f.assert_conservation().await;
}

#[tokio::test]
async fn bids_fill_partially_at_the_curve_price_and_settlement_returns_the_rest() {
    let mut s = setup(curve_params(), 100 * ONE_DEBT, 0).await;
    s.f.set_prices(80.0, 80.0);
    let (a, ev) = kick(&mut s).await;
    let (f, bidder) = (&mut s.f, &s.bidder);
    let top = ev.top;
    // Price moved above what the bidder accepts.
    f.env
        .expect_rejected(
            f.ix_bid(bidder, a, ONE_COLL, top - 1),
            &[&bidder.kp],
            ZlError::TooExpensive,
        )
        .await;
    f.env
        .expect_rejected(
            f.ix_bid(bidder, a, 0, top),
            &[&bidder.kp],
            ZlError::ZeroAmount,
        )
        .await;
    let r = f
        .env
        .exec(&[f.ix_bid(bidder, a, ONE_COLL, top)], &[&bidder.kp])
        .await;
    let b1 = &r.events::<AuctionBid>()[0];
    assert_eq!((b1.price, b1.collateral), (top, ONE_COLL));
    assert_eq!(
        b1.paid,
        Fp(top).mul_int_ceil(ONE_COLL as u128).unwrap() as u64
    );
    assert_eq!((b1.principal, b1.penalty), (b1.paid, 0), "principal first");
    f.assert_conservation().await;

    // Ten minutes later the stair-step curve is 0.99^10 of top.
    f.advance(600).await;
    let r = f
        .env
        .exec(&[f.ix_bid(bidder, a, u64::MAX, u128::MAX)], &[&bidder.kp])
        .await;
    let b2 = &r.events::<AuctionBid>()[0];
    let expect = top as f64 * 0.99f64.powi(10);
    assert!((b2.price as f64 - expect).abs() / expect < 1e-12);
    assert_eq!(b2.tab_left, 0, "the tab is raised");
    assert!(b2.lot_left > 0, "collateral is left over");
    assert!(b2.penalty > 0, "the penalty went to insurance");

    let owner_before = f.margin_state(&s.b).await.collateral;
    let kicker_lamports = f.env.lamports(s.keeper.key()).await;
    let rent = f.env.lamports(a).await;
    let share_price = f.share_price().await;
    let r = f
        .env
        .exec(
            &[f.ix_settle(&bidder.key(), a, s.keeper.key(), Some(s.b.margin))],
            &[&bidder.kp],
        )
        .await;
    let st = &r.events::<AuctionSettled>()[0];
    assert_eq!(
        (
            st.collateral_returned,
            st.bad_debt,
            st.insurance_paid,
            st.pol_paid
        ),
        (b2.lot_left, 0, 0, 0)
    );
    assert_eq!(st.raised, ev.tab);
    let m = f.margin_state(&s.b).await;
    assert_eq!(m.collateral, owner_before + b2.lot_left);
    assert_eq!((m.open_auctions, m.status), (0, AccountStatus::Active));
    assert!(f.env.account(a).await.is_none(), "the auction is closed");
    assert_eq!(
        f.env.lamports(s.keeper.key()).await,
        kicker_lamports + rent,
        "rent back to the kicker"
    );
    assert!(f.share_price().await >= share_price);
    assert_eq!(f.market_state().await.auction_debt, 0);
    f.assert_conservation().await;
    // The account sits near the target once the leftover is back.
    f.env.exec(&[f.ix_check_health(s.b.margin)], &[]).await;
    assert_eq!(f.margin_state(&s.b).await.last_zone, Zone::Healthy);

    // Settling twice, bidding after settlement: the auction is gone.
    let again = f.ix_settle(&bidder.key(), a, s.keeper.key(), Some(s.b.margin));
    f.env
        .expect_rejected_code(
            again,
            &[&bidder.kp],
            anchor_code(AnchorError::AccountNotInitialized),
        )
        .await;
    let late = f.ix_bid(bidder, a, ONE_COLL, u128::MAX);
    f.env
        .expect_rejected_code(
            late,
            &[&bidder.kp],
            anchor_code(AnchorError::AccountNotInitialized),
        )
        .await;
}

#[tokio::test]
async fn no_bid_clears_below_the_floor_and_dust_is_never_left() {
    let mut s = setup(curve_params(), 100 * ONE_DEBT, 0).await;
    s.f.set_prices(80.0, 80.0);
    let (a, ev) = kick(&mut s).await;
    let f = &mut s.f;
    // A bid that would leave ~5 USDC of tab (< min_position 10) is cut to leave 10.
    let top = ev.top as f64 / 1e18;
    let slice = ((ev.tab - 5 * ONE_DEBT) as f64 / top) as u64 + 1;
    let r = f
        .env
        .exec(&[f.ix_bid(&s.bidder, a, slice, ev.top)], &[&s.bidder.kp])
        .await;
    let bid = &r.events::<AuctionBid>()[0];
    assert!(bid.collateral < slice);
    assert_eq!(bid.tab_left, 10 * ONE_DEBT);
    // What is left must be bought whole.
    f.env
        .expect_rejected(
            f.ix_bid(&s.bidder, a, 1, ev.top),
            &[&s.bidder.kp],
            ZlError::AuctionDust,
        )
        .await;

    // Far past the curve's reach: the price sits at the live floor, and a
    // bidder asking for less is refused.
    f.advance(20_000).await;
    let floor = 80.0 * 0.9995 / 1.0005 * FLOOR_KEEP * 1e-3;
    let last = buy_all_at_the_floor(f, &s.bidder, a, floor).await;
    assert_eq!(last.tab_left, 0);
    f.assert_conservation().await;
}

#[tokio::test]
async fn restarts_wait_for_tail_then_the_last_stage_goes_to_the_backstop() {
    let mut s = setup(curve_params(), 100 * ONE_DEBT, 10_000 * ONE_DEBT).await;
    s.f.set_prices(80.0, 80.0);
    let (a, _) = kick(&mut s).await;
    let (f, k) = (&mut s.f, &s.keeper);
    f.env
        .expect_rejected(f.ix_restart(k, a), &[&k.kp], ZlError::RestartTooEarly)
        .await;
    f.env
        .expect_rejected(
            f.ix_backstop(&k.key(), a),
            &[&k.kp],
            ZlError::BackstopNotAllowed,
        )
        .await;
    let paid_before = f.env.token_balance(k.debt_ata).await;
    for stage in 1..=2u8 {
        f.advance(1_801).await;
        f.set_prices(78.0, 78.0);
        let r = f.env.exec(&[f.ix_restart(k, a)], &[&k.kp]).await;
        let ev = &r.events::<AuctionRestarted>()[0];
        assert_eq!(ev.stage, stage);
        let top = 78.0 * 0.9995 / 1.0005 * TOP_BUF * 1e-3;
        assert!(
            (ev.top as f64 / 1e18 - top).abs() / top < 1e-9,
            "a new top from spot"
        );
        assert!(ev.keeper_reward > 0);
        // Restarting again at once is too early.
        f.env
            .expect_rejected(f.ix_restart(k, a), &[&k.kp], ZlError::RestartTooEarly)
            .await;
    }
    assert!(f.env.token_balance(k.debt_ata).await > paid_before);
    // Stage 2 of 3 is the last: once stale, no restart but the backstop.
    f.advance(1_801).await;
    f.env
        .expect_rejected(f.ix_restart(k, a), &[&k.kp], ZlError::MaxStagesReached)
        .await;
    let au: Auction = f.env.read(a).await;
    let r = f.env.exec(&[f.ix_backstop(&k.key(), a)], &[&k.kp]).await;
    let bs = &r.events::<AuctionBackstopped>()[0];
    let floor = 78.0 * 0.9995 / 1.0005 * FLOOR_KEEP * 1e-3;
    assert!(
        (bs.price as f64 / 1e18 - floor).abs() / floor < 1e-9,
        "POL buys at the floor"
    );
    // At the floor the pro-rata lot does not cover the tab: POL takes it all.
    assert_eq!((bs.lot_left, bs.collateral), (0, au.lot));
    assert_eq!(bs.tab_left, au.tab - bs.paid);
    let m = f.market_state().await;
    assert_eq!(m.pol_collateral_amount, bs.collateral);
    assert_eq!(
        f.env.token_balance(f.vault(VaultKind::PolCollateral)).await,
        bs.collateral
    );
    f.assert_conservation().await;
    let r = f
        .env
        .exec(
            &[f.ix_settle(&k.key(), a, k.key(), Some(s.b.margin))],
            &[&k.kp],
        )
        .await;
    let st = &r.events::<AuctionSettled>()[0];
    assert!(
        st.insurance_paid > 0 && st.bad_debt == 0,
        "insurance covers the gap"
    );
    f.assert_conservation().await;
}

/// An auction runs on the terms of its kick: a parameter step taken while
/// it is open (the floor's discount 20% -> 25%, the tail, the cusp, the
/// stages, the dust limit) moves neither its floor nor its restarts, so the
/// lot never clears under its kick-time floor; an auction kicked after the
/// step runs on the new terms.
#[tokio::test]
async fn an_open_auction_keeps_the_terms_of_its_kick() {
    let old = curve_params();
    let mut s = setup(old, 100 * ONE_DEBT, 10_000 * ONE_DEBT).await;
    s.f.set_prices(80.0, 80.0);
    let (a, _) = kick(&mut s).await;
    let f = &mut s.f;
    let mut new = old;
    new.auction_max_discount_bps += 500;
    new.auction_tail_secs *= 2;
    new.auction_cusp_bps -= 1_000;
    new.auction_max_stages += 1;
    new.min_position *= 2;
    // A day's timelock: the open auction's curve has long reached its floor.
    f.apply_params(new).await;
    assert_eq!(f.market_state().await.params, new);
    let au: Auction = f.env.read(a).await;
    assert_eq!(au.terms, old.auction_terms());
    assert_ne!(au.terms, new.auction_terms());
    // The price sits at the kick-time floor (80% of the held price), not the
    // new one (75%): a bidder asking for less is refused.
    let floor = 80.0 * 0.9995 / 1.0005 * FLOOR_KEEP * 1e-3;
    buy_all_at_the_floor(f, &s.bidder, a, floor).await;
    f.assert_conservation().await;
    // A new auction takes the new terms.
    let c = f.borrower(10 * ONE_COLL).await;
    f.env
        .exec(&[f.ix_borrow(&c, 550 * ONE_DEBT)], &[&c.kp])
        .await;
    f.set_prices(65.0, 65.0);
    let a2 = f.next_auction().await;
    f.env
        .exec(
            &[f.ix_start_auction(&s.keeper, c.margin, a2)],
            &[&s.keeper.kp],
        )
        .await;
    let au2: Auction = f.env.read(a2).await;
    assert_eq!(au2.terms, new.auction_terms());
}

#[tokio::test]
async fn a_shortfall_is_paid_by_insurance_then_pol_then_recorded_as_bad_debt() {
    let mut p = curve_params();
    p.auction_max_stages = 1;
    let mut s = setup(p, 150 * ONE_DEBT, 100 * ONE_DEBT).await;
    // A crash: $60 puts 690 of debt against ~600 of collateral.
    s.f.set_prices(60.0, 60.0);
    let (a, ev) = kick(&mut s).await;
    assert!(ev.whole_position);
    let (f, k, bidder) = (&mut s.f, &s.keeper, &s.bidder);
    f.advance(1_801).await;
    // POL buys what its 100 USDC can at the floor.
    let r = f.env.exec(&[f.ix_backstop(&k.key(), a)], &[&k.kp]).await;
    let bs = &r.events::<AuctionBackstopped>()[0];
    assert!(bs.paid <= 100 * ONE_DEBT && bs.paid > 99 * ONE_DEBT);
    f.env
        .expect_rejected(
            f.ix_backstop(&k.key(), a),
            &[&k.kp],
            ZlError::InsufficientPol,
        )
        .await;
    // A bidder takes the rest of the lot at the floor.
    f.env
        .exec(&[f.ix_bid(bidder, a, u64::MAX, u128::MAX)], &[&bidder.kp])
        .await;
    let au: Auction = f.env.read(a).await;
    assert_eq!(au.lot, 0);
    assert!(au.principal > 0, "the lot did not cover the debt");
    let m = f.market_state().await;
    let (insurance, pol) = (m.insurance_amount, m.pol_debt_amount);
    let supply = f.env.mint_supply(f.lp_mint).await as f64;
    let share_price = f.share_price().await;

    let r = f
        .env
        .exec(
            &[f.ix_settle(&k.key(), a, k.key(), Some(s.b.margin))],
            &[&k.kp],
        )
        .await;
    let st = &r.events::<AuctionSettled>()[0];
    assert_eq!(
        st.insurance_paid, insurance,
        "insurance pays first, all it has"
    );
    assert_eq!(st.pol_paid, pol);
    assert_eq!(st.insurance_paid + st.pol_paid + st.bad_debt, au.principal);
    assert_eq!(st.penalty_forgiven, au.tab - au.principal);
    assert!(st.bad_debt > 0);
    let bd = &r.events::<BadDebtRecorded>()[0];
    assert_eq!((bd.amount, bd.total), (st.bad_debt, st.bad_debt));
    let m = f.market_state().await;
    assert_eq!(
        (
            m.recorded_bad_debt,
            m.insurance_amount,
            m.pol_debt_amount,
            m.auction_debt
        ),
        (st.bad_debt, 0, 0, 0)
    );
    // The LPs lose exactly the bad debt.
    let drop = (share_price - f.share_price().await) * supply;
    assert!(
        (drop - st.bad_debt as f64).abs() <= 1.0,
        "{drop} vs {}",
        st.bad_debt
    );
    f.assert_conservation().await;
}

#[tokio::test]
async fn the_lp_share_price_holds_while_insurance_covers_the_shortfall() {
    let mut p = curve_params();
    p.auction_max_stages = 1;
    let mut s = setup(p, 5_000 * ONE_DEBT, 0).await;
    s.f.set_prices(60.0, 60.0);
    let share_price = s.f.share_price().await;
    let (a, _) = kick(&mut s).await;
    let (f, k, bidder) = (&mut s.f, &s.keeper, &s.bidder);
    f.advance(1_801).await;
    f.env
        .exec(&[f.ix_bid(bidder, a, u64::MAX, u128::MAX)], &[&bidder.kp])
        .await;
    let r = f
        .env
        .exec(
            &[f.ix_settle(&k.key(), a, k.key(), Some(s.b.margin))],
            &[&k.kp],
        )
        .await;
    let st = &r.events::<AuctionSettled>()[0];
    assert!(st.insurance_paid > 0 && st.bad_debt == 0 && st.pol_paid == 0);
    assert!(f.share_price().await >= share_price);
    f.assert_conservation().await;
}

#[tokio::test]
async fn settlement_needs_a_finished_auction_and_its_own_accounts() {
    let mut s = setup(curve_params(), 100 * ONE_DEBT, 0).await;
    s.f.set_prices(80.0, 80.0);
    let (a, _) = kick(&mut s).await;
    let other = s.f.borrower(ONE_COLL).await;
    let (f, k) = (&mut s.f, &s.keeper);
    let ix = f.ix_settle(&k.key(), a, k.key(), Some(s.b.margin));
    f.env
        .expect_rejected(ix, &[&k.kp], ZlError::AuctionNotDone)
        .await;
    f.env
        .exec(
            &[f.ix_bid(&s.bidder, a, u64::MAX, u128::MAX)],
            &[&s.bidder.kp],
        )
        .await;
    // Someone else's margin account, a rent thief, no account at all.
    let ix = f.ix_settle(&k.key(), a, k.key(), Some(other.margin));
    f.env
        .expect_rejected(ix, &[&k.kp], ZlError::WrongAuctionOwner)
        .await;
    let thief = f.user(0, 0).await;
    let ix = f.ix_settle(&thief.key(), a, thief.key(), Some(s.b.margin));
    f.env
        .expect_rejected(ix, &[&thief.kp], ZlError::WrongAuctionOwner)
        .await;
    let ix = f.ix_settle(&k.key(), a, k.key(), None);
    f.env
        .expect_rejected(ix, &[&k.kp], ZlError::WrongAuctionOwner)
        .await;
    // Another market with this auction.
    let o = f.other_market().await;
    let ix = replace_account(f.ix_bid(&s.bidder, a, 1, u128::MAX), f.market, o.market);
    f.env
        .expect_rejected(ix, &[&s.bidder.kp], ZlError::WrongMarket)
        .await;
    let ix = replace_account(
        f.ix_settle(&k.key(), a, k.key(), Some(s.b.margin)),
        f.vault(VaultKind::Insurance),
        o.vault(VaultKind::Insurance),
    );
    f.env
        .expect_rejected(ix, &[&k.kp], ZlError::WrongVault)
        .await;
    f.env
        .exec(
            &[f.ix_settle(&k.key(), a, k.key(), Some(s.b.margin))],
            &[&k.kp],
        )
        .await;
}

#[tokio::test]
async fn liquidation_bids_and_settlement_go_on_while_the_breaker_is_tripped() {
    let mut s = setup(curve_params(), 100 * ONE_DEBT, 0).await;
    // EMA $84 (distressed), spot $78: 7% divergence trips the breaker.
    s.f.set_prices(84.0, 78.0);
    s.f.env.exec(&[s.f.ix_refresh()], &[]).await;
    assert_ne!(s.f.market_state().await.breaker_reasons, 0);
    let (a, _) = kick(&mut s).await;
    let (f, k) = (&mut s.f, &s.keeper);
    f.env
        .exec(
            &[f.ix_bid(&s.bidder, a, u64::MAX, u128::MAX)],
            &[&s.bidder.kp],
        )
        .await;
    f.env
        .exec(
            &[f.ix_settle(&k.key(), a, k.key(), Some(s.b.margin))],
            &[&k.kp],
        )
        .await;
    f.assert_conservation().await;
}

#[tokio::test]
async fn pol_collateral_is_sold_through_the_same_auctions() {
    let mut p = curve_params();
    p.auction_max_stages = 1;
    let mut s = setup(p, 100 * ONE_DEBT, 10_000 * ONE_DEBT).await;
    s.f.set_prices(80.0, 80.0);
    let (a, _) = kick(&mut s).await;
    let (f, k) = (&mut s.f, &s.keeper);
    f.advance(1_801).await;
    f.env.exec(&[f.ix_backstop(&k.key(), a)], &[&k.kp]).await;
    f.env
        .exec(
            &[f.ix_settle(&k.key(), a, k.key(), Some(s.b.margin))],
            &[&k.kp],
        )
        .await;
    let pol_coll = f.market_state().await.pol_collateral_amount;
    assert!(pol_coll > ONE_COLL);

    let admin = f.admin.insecure_clone();
    let pa = f.next_auction().await;
    let stranger = f.user(0, 0).await;
    let ix = f.ix_start_pol_auction(&stranger.key(), pa, ONE_COLL);
    f.env
        .expect_rejected(ix, &[&stranger.kp], ZlError::NotAdmin)
        .await;
    let ix = f.ix_start_pol_auction(&admin.pubkey(), pa, pol_coll + 1);
    f.env
        .expect_rejected(ix, &[&admin], ZlError::InsufficientPol)
        .await;
    let r = f
        .env
        .exec(
            &[f.ix_start_pol_auction(&admin.pubkey(), pa, ONE_COLL)],
            &[&admin],
        )
        .await;
    let ev = &r.events::<AuctionStarted>()[0];
    assert_eq!(
        (ev.owner, ev.lot, ev.keeper_reward),
        (f.market, ONE_COLL, 0)
    );
    f.env
        .expect_rejected(
            f.ix_backstop(&k.key(), pa),
            &[&k.kp],
            ZlError::WrongAuctionKind,
        )
        .await;
    let pol_debt = f.market_state().await.pol_debt_amount;
    let r = f
        .env
        .exec(
            &[f.ix_bid(&s.bidder, pa, ONE_COLL / 2, u128::MAX)],
            &[&s.bidder.kp],
        )
        .await;
    let paid = r.events::<AuctionBid>()[0].paid;
    assert_eq!(
        f.market_state().await.pol_debt_amount,
        pol_debt + paid,
        "proceeds to POL"
    );
    // POL auctions restart without a stage limit.
    f.advance(1_801).await;
    f.env.exec(&[f.ix_restart(k, pa)], &[&k.kp]).await;
    f.advance(1_801).await;
    f.env.exec(&[f.ix_restart(k, pa)], &[&k.kp]).await;
    f.env
        .exec(
            &[f.ix_bid(&s.bidder, pa, u64::MAX, u128::MAX)],
            &[&s.bidder.kp],
        )
        .await;
    let ix = f.ix_settle(&k.key(), pa, admin.pubkey(), Some(s.b.margin));
    f.env
        .expect_rejected(ix, &[&k.kp], ZlError::WrongAuctionOwner)
        .await;
    f.env
        .exec(&[f.ix_settle(&k.key(), pa, admin.pubkey(), None)], &[&k.kp])
        .await;
    f.assert_conservation().await;
}

#[tokio::test]
async fn keeper_rewards_never_exceed_the_penalty_an_auction_brings_in() {
    // With no dust floor, a 5-unit position could otherwise pay a 1 USDC
    // tip per kick and per restart out of the insurance fund.
    let mut p = curve_params();
    p.min_position = 0;
    let mut f = MarketFixture::with_params(p).await;
    f.lp(1_000 * ONE_DEBT).await;
    f.fund_backstops(100 * ONE_DEBT, 0).await;
    let b = f.borrower(100).await;
    f.env.exec(&[f.ix_borrow(&b, 5)], &[&b.kp]).await;
    f.set_prices(50.0, 50.0);
    let keeper = f.user(0, 0).await;
    let a = f.next_auction().await;
    let r = f
        .env
        .exec(&[f.ix_start_auction(&keeper, b.margin, a)], &[&keeper.kp])
        .await;
    let ev = &r.events::<AuctionStarted>()[0];
    assert_eq!(
        ev.keeper_reward,
        ev.tab - ev.principal,
        "capped at the penalty"
    );
    assert!(ev.keeper_reward <= 1);
    f.advance(1_801).await;
    let r = f.env.exec(&[f.ix_restart(&keeper, a)], &[&keeper.kp]).await;
    assert!(r.events::<AuctionRestarted>()[0].keeper_reward <= 1);
    assert!(f.market_state().await.insurance_amount >= 100 * ONE_DEBT - 2);
}

#[tokio::test]
async fn a_linear_curve_market_prices_bids_along_the_line_down_to_the_floor() {
    let mut p = curve_params();
    p.auction_curve = AuctionCurve::Linear;
    p.auction_tau_secs = 1_000;
    let mut s = setup(p, 100 * ONE_DEBT, 0).await;
    s.f.set_prices(80.0, 80.0);
    let (a, ev) = kick(&mut s).await;
    let f = &mut s.f;
    // A quarter of the way: 75% of top.
    f.advance(250).await;
    let r = f
        .env
        .exec(
            &[f.ix_bid(&s.bidder, a, ONE_COLL / 10, u128::MAX)],
            &[&s.bidder.kp],
        )
        .await;
    let price = r.events::<AuctionBid>()[0].price;
    assert_eq!(price, Fp(ev.top).mul_ceil(Fp::from_bps(7_500)).unwrap().0);
    // At 80% of tau the line (22% of top) is under the floor (80% of spot): the floor holds.
    f.advance(550).await;
    let r = f
        .env
        .exec(
            &[f.ix_bid(&s.bidder, a, ONE_COLL / 10, u128::MAX)],
            &[&s.bidder.kp],
        )
        .await;
    let floor = 80.0 * 0.9995 / 1.0005 * FLOOR_KEEP * 1e-3;
    let got = r.events::<AuctionBid>()[0].price as f64 / 1e18;
    assert!((got - floor).abs() / floor < 1e-9, "{got} vs {floor}");
    f.assert_conservation().await;
}
