//! The keeper core against the in-process bank: it finds the accounts that
//! need it and does what a live keeper would.

use anchor_lang::prelude::Pubkey;
use zero_loss::engine::Fp;
use zero_loss::state::RiskParams;
use zero_loss_tests::market::*;
use zero_loss_tests::Signer;
use zl_keeper::bank::BankChain;
use zl_keeper::keeper::{
    Keeper, KeeperConfig, KeeperEvent, OracleVenue, Role, TickReport, Venue, ZoneCounts,
};

/// A venue that pays a fixed price (debt native per collateral native).
struct Fixed(Fp);
impl Venue for Fixed {
    fn sell_price(&self, _q: u64) -> Option<Fp> {
        Some(self.0)
    }
}

/// One keeper tick on the bank, seeing `margins`.
async fn tick(
    keeper: &mut Keeper,
    f: &mut MarketFixture,
    k: &User,
    margins: &[Pubkey],
    venue: &impl Venue,
) -> TickReport {
    let mut chain = BankChain {
        env: &mut f.env,
        keeper: &k.kp,
        margins,
    };
    keeper.tick(&mut chain, venue).await.unwrap()
}

async fn setup() -> (MarketFixture, Vec<User>, User, Keeper) {
    let mut f = MarketFixture::with_params(RiskParams::example()).await;
    f.lp(100_000 * ONE_DEBT).await;
    f.fund_backstops(1_000 * ONE_DEBT, 1_000 * ONE_DEBT).await;
    let mut borrowers = Vec::new();
    for debt in [690, 600, 300] {
        let b = f.borrower(10 * ONE_COLL).await;
        f.env
            .exec(&[f.ix_borrow(&b, debt * ONE_DEBT)], &[&b.kp])
            .await;
        borrowers.push(b);
    }
    let k = f.user(0, 100_000 * ONE_DEBT).await;
    let keeper = Keeper::new(KeeperConfig {
        market: f.market,
        collateral_oracle: f.collateral_oracle,
        debt_oracle: f.debt_oracle,
        debt_account: k.debt_ata,
        collateral_account: k.collateral_ata,
        edge_bps: 100,
        tx_cost: 0,
        tx_cost_per_account: 0,
        refresh_secs: 0,
        buffer_move_bps: u64::MAX,
        watch_secs: 0,
        kick_after_secs: 0,
        role: Role::FULL,
    });
    (f, borrowers, k, keeper)
}

#[tokio::test]
async fn the_keeper_partially_liquidates_an_account_that_enters_the_buffer_zone() {
    let (mut f, bs, k, mut keeper) = setup().await;
    let margins: Vec<_> = bs.iter().map(|b| b.margin).collect();
    let venue = OracleVenue(Fp::ONE);
    // Everyone healthy: nothing to do but refresh.
    let r = tick(&mut keeper, &mut f, &k, &margins, &venue).await;
    assert_eq!(
        (r.accounts_checked, r.zones),
        (
            3,
            ZoneCounts {
                healthy: 3,
                buffer: 0,
                distressed: 0,
                emergency: 0
            }
        )
    );
    assert!(r.events.is_empty());
    assert_eq!(keeper.stats.refreshes, 1);

    // $85.9: the 690 account is in the buffer zone, the others healthy.
    f.set_prices(85.9, 85.9);
    let r = tick(&mut keeper, &mut f, &k, &margins, &venue).await;
    assert_eq!(
        r.zones,
        ZoneCounts {
            healthy: 2,
            buffer: 1,
            distressed: 0,
            emergency: 0
        }
    );
    let partials: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match e {
            KeeperEvent::Partial(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(partials.len(), 1);
    assert_eq!(partials[0].margin_account, bs[0].margin);
    assert!(partials[0].ltv_after_bps <= 7_000);
    assert_eq!(
        f.env.token_balance(k.collateral_ata).await,
        partials[0].collateral_out
    );
    // Next tick: nothing left to do.
    let r = tick(&mut keeper, &mut f, &k, &margins, &venue).await;
    assert_eq!(
        r.zones,
        ZoneCounts {
            healthy: 3,
            buffer: 0,
            distressed: 0,
            emergency: 0
        }
    );
    assert!(r.events.is_empty());
    f.assert_conservation().await;
}

#[tokio::test]
async fn a_crash_leads_to_auctions_that_clear_and_settle() {
    let (mut f, bs, k, mut keeper) = setup().await;
    let margins: Vec<_> = bs.iter().map(|b| b.margin).collect();
    f.set_prices(78.0, 78.0);
    // The keeper's venue pays the spot: it bids once the curve is 1% under it.
    let spot = Fp((78.0 * 0.9995 / 1.0005 * 1e-3 * 1e18) as u128);
    let venue = Fixed(spot);
    let mut kicked = 0;
    let mut bids = 0;
    let mut settled = 0;
    for _ in 0..40 {
        let r = tick(&mut keeper, &mut f, &k, &margins, &venue).await;
        for e in &r.events {
            match e {
                KeeperEvent::Kick(_) => kicked += 1,
                KeeperEvent::Bid(b) => {
                    bids += 1;
                    assert!(b.price <= spot.0, "bid above the reference");
                }
                KeeperEvent::Settle(s) => {
                    settled += 1;
                    assert_eq!(s.bad_debt, 0);
                }
                _ => {}
            }
        }
        f.advance(60).await;
        if kicked > 0 && settled == kicked {
            break;
        }
    }
    // 690 and 600 are distressed at $78 (88%, 77%: the 600 account sits in the buffer).
    assert!(kicked >= 1, "no auction started");
    assert!(bids >= 1, "no bid");
    assert_eq!(settled, kicked, "every auction settled");
    let m = f.market_state().await;
    assert_eq!(
        (m.open_auctions, m.auction_debt, m.recorded_bad_debt),
        (0, 0, 0)
    );
    assert_eq!(keeper.stats.kicks, kicked);
    f.assert_conservation().await;
}

#[tokio::test]
async fn a_rival_keeper_that_loses_the_race_skips_without_retrying() {
    let (mut f, bs, k, mut keeper) = setup().await;
    let rival = f.user(0, 100_000 * ONE_DEBT).await;
    let margins = vec![bs[0].margin];
    f.set_prices(85.9, 85.9);
    // The rival liquidates first, directly.
    f.env
        .exec(
            &[f.ix_liquidate_partial(&rival, bs[0].margin, u64::MAX)],
            &[&rival.kp],
        )
        .await;
    // Our keeper's view is fresh, so it sees a healthy account; force a stale
    // decision by sending what it would have sent: refused as a race.
    let before = keeper.stats.transactions;
    let r = tick(&mut keeper, &mut f, &k, &margins, &OracleVenue(Fp::ONE)).await;
    assert!(r.events.is_empty());
    assert_eq!(
        keeper.stats.transactions - before,
        1,
        "only the refresh was sent"
    );
    let ix = f.ix_liquidate_partial(&k, bs[0].margin, u64::MAX);
    let out = f.env.send(&[ix], &[&k.kp]).await;
    assert!(
        zl_keeper::keeper::is_race(out.custom_code()),
        "{:?}",
        out.error
    );
}

#[tokio::test]
async fn token_helpers_create_the_associated_account_the_ata_program_derives() {
    // The bank runs the real SPL Associated Token Account program: the
    // account it creates for (owner, mint) must sit at `tokens::ata`, and a
    // second create is a no-op (CreateIdempotent).
    let mut env = zero_loss_tests::Env::new().await;
    let mint = env.create_mint(6).await;
    let owner = anchor_lang::prelude::Pubkey::new_unique();
    let payer = env.payer().pubkey();
    let ix = zl_keeper::tokens::create_ata_ix(payer, owner, mint);
    env.exec(std::slice::from_ref(&ix), &[]).await;
    let at = zl_keeper::tokens::ata(&owner, &mint);
    assert_eq!(env.token_balance(at).await, 0);
    let mint_ix = zl_keeper::tokens::mint_to_ix(mint, at, payer, 42).unwrap();
    env.exec(&[ix, mint_ix], &[]).await;
    assert_eq!(env.token_balance(at).await, 42);
}

/// The keeper's cadence: with an hourly `refresh_secs` and a one-minute
/// `watch_secs`, a calm market is refreshed once an hour, and a spot fall
/// past the threshold that the held price has not yet seen hold is refreshed
/// when the held window needs a reading (to start it, to keep it alive, to open
/// its next bucket: three readings in three minutes, not one a minute) until it
/// holds (and the partial liquidation it opens goes ahead); once nothing is
/// building, the hourly cadence is back.
#[tokio::test]
async fn the_keeper_refreshes_hourly_and_while_a_breach_builds_when_the_window_needs_it() {
    let (mut f, bs, k, mut keeper) = setup().await;
    keeper.cfg.refresh_secs = 3_600;
    keeper.cfg.watch_secs = 60;
    let margins: Vec<_> = bs.iter().map(|b| b.margin).collect();
    let venue = OracleVenue(Fp::ONE);
    // Calm: one refresh, then none for the rest of the hour.
    for _ in 0..10 {
        tick(&mut keeper, &mut f, &k, &margins, &venue).await;
        f.advance(60).await;
    }
    assert_eq!(keeper.stats.refreshes, 1, "one refresh in ten calm minutes");
    // Spot falls 20% under an EMA that barely moves: the 690 account is past
    // liq_ltv on spot only. The keeper watches and refreshes every minute.
    let before = keeper.stats.refreshes;
    let mut partials = 0;
    for _ in 0..6 {
        f.set_prices(99.0, 80.0);
        let r = tick(&mut keeper, &mut f, &k, &margins, &venue).await;
        partials += r
            .events
            .iter()
            .filter(|e| matches!(e, KeeperEvent::Partial(_)))
            .count();
        f.advance(60).await;
    }
    let watched = keeper.stats.refreshes - before;
    assert_eq!(
        watched, 3,
        "refreshed {watched} times in six minutes of a building breach: at its start, to \
         keep the window alive and to open its next bucket"
    );
    assert_eq!(partials, 1, "the held fall opened one partial liquidation");
    // The account is back at the target; nothing builds: hourly again.
    let before = keeper.stats.refreshes;
    for _ in 0..10 {
        f.set_prices(99.0, 99.0);
        tick(&mut keeper, &mut f, &k, &margins, &venue).await;
        f.advance(60).await;
    }
    assert!(
        keeper.stats.refreshes - before <= 1,
        "{} refreshes in ten calm minutes",
        keeper.stats.refreshes - before
    );
    f.assert_conservation().await;
}

/// A keeper whose looks come further apart than `breach_persist_secs` does not watch: a
/// silence that long starts the held window again, so its refreshes could never make a
/// breach hold. Only the heartbeat refreshes.
#[tokio::test]
async fn the_keeper_does_not_watch_when_its_looks_are_further_apart_than_the_held_window() {
    let (mut f, bs, k, mut keeper) = setup().await;
    keeper.cfg.refresh_secs = 6 * 3_600;
    keeper.cfg.watch_secs = 60;
    let margins: Vec<_> = bs.iter().map(|b| b.margin).collect();
    let venue = OracleVenue(Fp::ONE);
    let persist = f.market_state().await.params.breach_persist_secs as i64;
    for _ in 0..8 {
        // Past liq_ltv on spot only (690 / 860 > 80%), healthy on the EMA
        // (690 / 900), and within the breaker's 5% divergence.
        f.set_prices(90.0, 86.0);
        tick(&mut keeper, &mut f, &k, &margins, &venue).await;
        f.advance(persist + 60).await;
    }
    assert_eq!(
        keeper.stats.refreshes, 1,
        "only the first look's heartbeat refreshes"
    );
    // The same market looked at every minute: the keeper watches.
    for _ in 0..3 {
        tick(&mut keeper, &mut f, &k, &margins, &venue).await;
        f.advance(60).await;
    }
    assert!(
        keeper.stats.refreshes >= 2,
        "looks a minute apart watch: the held window is started again"
    );
}

/// With a long heartbeat, a calm market is refreshed once; a move that would widen the
/// volatility buffer by `buffer_move_bps` or more is refreshed at the next look.
#[tokio::test]
async fn the_keeper_refreshes_when_a_refresh_would_move_the_buffer() {
    let (mut f, bs, k, mut keeper) = setup().await;
    keeper.cfg.refresh_secs = 6 * 3_600;
    keeper.cfg.watch_secs = 6 * 3_600;
    keeper.cfg.buffer_move_bps = 50;
    let margins: Vec<_> = bs.iter().map(|b| b.margin).collect();
    let venue = OracleVenue(Fp::ONE);
    for _ in 0..10 {
        f.set_prices(100.0, 100.0);
        tick(&mut keeper, &mut f, &k, &margins, &venue).await;
        f.advance(60).await;
    }
    assert_eq!(keeper.stats.refreshes, 1, "one refresh in ten calm minutes");
    let buffer = f.market_state().await.buffer().unwrap();
    f.set_prices(115.0, 115.0);
    tick(&mut keeper, &mut f, &k, &margins, &venue).await;
    assert_eq!(keeper.stats.refreshes, 2, "a 15% move is refreshed at once");
    assert!(
        f.market_state().await.buffer().unwrap() >= buffer.checked_add(Fp::from_bps(50)).unwrap(),
        "the refresh widened the buffer"
    );
}

/// A maintenance keeper offers an account past the partial zone but solvent to the
/// liquidators for `kick_after_secs` before kicking it into an auction; an insolvent one it
/// kicks at once.
#[tokio::test]
async fn the_keeper_offers_a_solvent_distressed_account_before_kicking_it() {
    let (mut f, bs, k, mut keeper) = setup().await;
    keeper.cfg.role = Role::MAINTAIN;
    keeper.cfg.kick_after_secs = 600;
    let margins = vec![bs[0].margin];
    let venue = OracleVenue(Fp::ONE);
    let kicks = |r: &TickReport| {
        r.events
            .iter()
            .filter(|e| matches!(e, KeeperEvent::Kick(_)))
            .count()
    };
    // 690 against 10 x $80: 86%, distressed and solvent.
    f.set_prices(80.0, 80.0);
    for _ in 0..2 {
        let r = tick(&mut keeper, &mut f, &k, &margins, &venue).await;
        assert_eq!(r.zones.distressed, 1);
        assert_eq!(kicks(&r), 0, "offered, not kicked");
        assert_eq!(r.buffer, vec![bs[0].margin], "offered to the takers");
        f.advance(300).await;
        f.set_prices(80.0, 80.0);
    }
    let r = tick(&mut keeper, &mut f, &k, &margins, &venue).await;
    assert_eq!(kicks(&r), 1, "kicked once the offer has stood 600 s");

    // The 600 account at 10 x $58: 103%, insolvent: kicked at the first look.
    let (mut f, bs, k, mut keeper) = setup().await;
    keeper.cfg.role = Role::MAINTAIN;
    keeper.cfg.kick_after_secs = 600;
    let margins = vec![bs[1].margin];
    f.set_prices(58.0, 58.0);
    let r = tick(&mut keeper, &mut f, &k, &margins, &venue).await;
    assert_eq!(r.zones.emergency, 1);
    assert_eq!(kicks(&r), 1);
    assert!(r.buffer.is_empty());
}

#[tokio::test]
async fn a_taking_keeper_commits_no_more_than_its_debt_balance() {
    let (mut f, bs, _, mut keeper) = setup().await;
    // A keeper holding 50 debt tokens, with no cap of its own.
    let poor = f.user(0, 50 * ONE_DEBT).await;
    keeper.cfg.debt_account = poor.debt_ata;
    keeper.cfg.collateral_account = poor.collateral_ata;
    let margins: Vec<_> = bs.iter().map(|b| b.margin).collect();
    f.set_prices(85.9, 85.9);
    let r = tick(&mut keeper, &mut f, &poor, &margins, &OracleVenue(Fp::ONE)).await;
    assert_eq!(r.debt_balance, Some(50 * ONE_DEBT), "the balance is read");
    let repaid: u64 = r
        .events
        .iter()
        .filter_map(|e| match e {
            KeeperEvent::Partial(p) => Some(p.repaid),
            _ => None,
        })
        .sum();
    assert!(repaid > 0, "it still takes what it can pay for");
    assert!(
        repaid <= 50 * ONE_DEBT,
        "repaid {repaid} beyond the balance"
    );
    assert_eq!(keeper.stats.failed, 0, "nothing sized past the balance");
    let landed = &keeper.stats.actions["liquidate_partial"];
    assert_eq!((landed.sent, landed.landed), (1, 1));
    assert_eq!(
        keeper.stats.fees_lamports,
        2 * 5_000,
        "the refresh and the partial"
    );
}

#[tokio::test]
async fn a_missing_token_account_is_reported_and_never_counted_as_a_race() {
    let (mut f, bs, k, mut keeper) = setup().await;
    let margins: Vec<_> = bs.iter().map(|b| b.margin).collect();
    let missing = Pubkey::new_unique();
    keeper.cfg.debt_account = missing;
    // A crash: partials and kicks would be due.
    f.set_prices(78.0, 78.0);
    let r = tick(&mut keeper, &mut f, &k, &margins, &OracleVenue(Fp::ONE)).await;
    assert_eq!(r.debt_balance, None);
    assert!(
        r.missing.iter().any(|m| m.contains(&missing.to_string())),
        "{:?}",
        r.missing
    );
    assert!(r.zones.past_threshold() > 0, "there was work");
    assert!(
        r.events
            .iter()
            .all(|e| !matches!(e, KeeperEvent::Partial(_) | KeeperEvent::Kick(_))),
        "{:?}",
        r.events
    );
    assert_eq!(keeper.stats.races_lost, 0);
    assert_eq!(
        keeper.stats.failed, 0,
        "nothing was sent that needed the account"
    );
    // A maintaining keeper needs no collateral account.
    keeper.cfg.debt_account = k.debt_ata;
    keeper.cfg.collateral_account = missing;
    keeper.cfg.role = Role::MAINTAIN;
    let r = tick(&mut keeper, &mut f, &k, &margins, &OracleVenue(Fp::ONE)).await;
    assert!(r.missing.is_empty(), "{:?}", r.missing);
    assert!(
        r.events.iter().any(|e| matches!(e, KeeperEvent::Kick(_))),
        "it kicks: {:?}",
        r.events
    );
}

#[tokio::test]
async fn a_v0_transaction_with_the_keepers_lookup_table_lands_on_the_bank() {
    use solana_address_lookup_table_interface::instruction as alt_ix;
    use solana_transaction::versioned::VersionedTransaction;
    let (mut f, bs, k, keeper) = setup().await;
    let keys = zero_loss::client::MarketKeys::new(f.market, f.collateral_oracle, f.debt_oracle);
    let wanted =
        zl_keeper::alt::market_addresses(&keys, k.kp.pubkey(), k.debt_ata, k.collateral_ata);
    // The table, as `zl-keeper alt` makes it: created at a recent slot, then extended.
    f.env.ctx.warp_to_slot(20).unwrap();
    let payer = f.env.payer().pubkey();
    let (create, table) = alt_ix::create_lookup_table(payer, payer, 19);
    let extend = alt_ix::extend_lookup_table(table, payer, Some(payer), wanted.clone());
    f.env.exec(&[create], &[]).await;
    f.env.exec(&[extend], &[]).await;
    // Extended addresses are usable from the next slot.
    f.env.ctx.warp_to_slot(21).unwrap();
    let acc = f.env.account(table).await.expect("the table");
    assert_eq!(acc.owner, zl_keeper::alt::program_id());
    let parsed = zl_keeper::alt::parse_table(table, &acc.data).unwrap();
    assert_eq!(parsed.addresses, wanted, "the layout parse_table reads");

    // A partial liquidation as v0, its market accounts looked up.
    f.set_prices(85.9, 85.9);
    f.env.exec(&[keys.refresh()], &[]).await;
    let ix = keys.liquidate_partial(
        k.kp.pubkey(),
        bs[0].margin,
        keeper.cfg.debt_account,
        keeper.cfg.collateral_account,
        u64::MAX,
    );
    let ixs = zl_keeper::rpc::with_budget(&[ix], 400_000, 1);
    let blockhash = f.env.ctx.banks_client.get_latest_blockhash().await.unwrap();
    let message =
        zl_keeper::alt::message(&payer, &ixs, std::slice::from_ref(&parsed), blockhash).unwrap();
    let solana_message::VersionedMessage::V0(m) = &message else {
        panic!("not v0")
    };
    assert!(
        !m.account_keys.contains(&f.market),
        "the market is looked up"
    );
    let tx = VersionedTransaction::try_new(message, &[f.env.payer(), &k.kp]).unwrap();
    let before = f.env.token_balance(k.collateral_ata).await;
    f.env
        .ctx
        .banks_client
        .process_transaction(tx)
        .await
        .expect("the v0 transaction lands");
    assert!(
        f.env.token_balance(k.collateral_ata).await > before,
        "it liquidated"
    );
}

#[tokio::test]
async fn an_account_refused_again_and_again_is_skipped_for_a_while() {
    let (mut f, bs, k, mut keeper) = setup().await;
    let margins: Vec<_> = bs.iter().map(|b| b.margin).collect();
    // A misconfigured tip account (the collateral mint's): every kick is refused, and not
    // as a lost race.
    keeper.cfg.debt_account = k.collateral_ata;
    keeper.cfg.role = Role::MAINTAIN;
    f.set_prices(78.0, 78.0);
    let kicks_sent = |keeper: &Keeper| {
        keeper
            .stats
            .actions
            .get("start_auction")
            .map_or(0, |a| a.sent)
    };
    let mut per_tick = Vec::new();
    for _ in 0..5 {
        let before = kicks_sent(&keeper);
        tick(&mut keeper, &mut f, &k, &margins, &OracleVenue(Fp::ONE)).await;
        per_tick.push(kicks_sent(&keeper) - before);
    }
    let distressed = per_tick[0];
    assert!(distressed >= 1, "{per_tick:?}");
    assert_eq!(per_tick, [distressed, distressed, distressed, 0, 0]);
    assert_eq!(keeper.stats.races_lost, 0);
    assert_eq!(keeper.stats.skipped, distressed);
    // Past the skip, it tries again.
    f.advance(keeper.skip.for_secs + 1).await;
    let before = kicks_sent(&keeper);
    tick(&mut keeper, &mut f, &k, &margins, &OracleVenue(Fp::ONE)).await;
    assert_eq!(kicks_sent(&keeper) - before, distressed);
}
