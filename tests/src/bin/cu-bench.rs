//! Compute units per instruction on the SBF VM, in each instruction's most
//! expensive realistic configuration. Run with `scripts/cu-bench.sh` (it
//! builds the .so and points SBF_OUT_DIR at it); natively there is no meter
//! and this refuses to run.

use zero_loss::state::Zone;
use zero_loss::state::{pause, RiskParams, VaultKind};
use zero_loss_tests::market::*;
use zero_loss_tests::{Signer, TxResult};

use zero_loss_tests::budget::{KEEPER_CU, USER_CU};

/// Budgets from the performance issue: keeper paths 60k, user paths 40k.
const KEEPER: u64 = KEEPER_CU as u64;
const USER: u64 = USER_CU as u64;

/// The zero-loss program's own `consumed N of M compute units` line.
fn cu(r: &TxResult) -> u64 {
    let id = zero_loss::ID.to_string();
    r.logs
        .iter()
        .filter_map(|l| l.strip_prefix(&format!("Program {id} consumed ")))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .next()
        .unwrap_or_else(|| panic!("no compute-unit line: {:?}\n{}", r.error, r.logs.join("\n")))
}

struct Row(&'static str, u64, u64, &'static str);

/// Walks the price down from `price` (USD) in 10-cent steps until `margin` sits in the
/// buffer zone; the price it stops at.
async fn walk_into_buffer(
    f: &mut MarketFixture,
    margin: anchor_lang::prelude::Pubkey,
    mut price: f64,
) -> f64 {
    loop {
        f.set_prices(price, price);
        let r = f.env.exec(&[f.ix_check_health(margin)], &[]).await;
        let zone = r.events::<zero_loss::events::HealthChecked>()[0].zone;
        assert!(zone <= Zone::Buffer, "stepped past the buffer zone");
        if zone == Zone::Buffer {
            return price;
        }
        price -= 0.1;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::var_os("SBF_OUT_DIR").is_none() && std::env::var_os("BPF_OUT_DIR").is_none() {
        eprintln!("cu-bench measures the SBF build: run scripts/cu-bench.sh");
        std::process::exit(2);
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut f = MarketFixture::with_params(RiskParams::example()).await;
    let admin = f.admin.insecure_clone();
    let mut run = async |f: &mut MarketFixture,
                         name: &'static str,
                         budget: u64,
                         what: &'static str,
                         ix,
                         signers: &[&zero_loss_tests::Keypair]| {
        let r = f.env.send(&[ix], signers).await;
        if r.error.is_some() && !r.logs.iter().any(|l| l.contains("exceeded CUs meter")) {
            panic!("{name} failed: {:?}\n{}", r.error, r.logs.join("\n"));
        }
        rows.push(Row(name, cu(&r), budget, what));
    };

    // --- liquidity and user paths ---
    let lp = f.user(0, 1_000_000 * ONE_DEBT).await;
    let ix = f.ix_lp_deposit(&lp, 500_000 * ONE_DEBT);
    run(&mut f, "lp_deposit", USER, "mints LP shares", ix, &[&lp.kp]).await;
    let donor = f.user(0, 1_000 * ONE_DEBT).await;
    let ix = f.ix_fund_insurance(&donor.key(), donor.debt_ata, 500 * ONE_DEBT);
    run(&mut f, "fund_insurance", USER, "", ix, &[&donor.kp]).await;
    let src = f
        .env
        .create_token_account(f.debt_mint, admin.pubkey())
        .await;
    f.env.mint_to(f.debt_mint, src, 1_000 * ONE_DEBT).await;
    let ix = f.ix_fund_pol(&admin.pubkey(), src, 1_000 * ONE_DEBT);
    run(&mut f, "fund_pol", USER, "", ix, &[&admin]).await;

    let b = f.user(20 * ONE_COLL, 0).await;
    let ix = f.ix_open(&b);
    run(
        &mut f,
        "open_margin_account",
        USER,
        "creates the PDA",
        ix,
        &[&b.kp],
    )
    .await;
    let ix = f.ix_deposit(&b, 10 * ONE_COLL);
    run(&mut f, "deposit_collateral", USER, "", ix, &[&b.kp]).await;
    let ix = f.ix_borrow(&b, 600 * ONE_DEBT);
    run(
        &mut f,
        "borrow",
        USER,
        "accrues, two feeds, health",
        ix,
        &[&b.kp],
    )
    .await;
    f.advance(3_600).await;
    let ix = f.ix_withdraw(&b, ONE_COLL / 2);
    run(
        &mut f,
        "withdraw_collateral",
        USER,
        "with debt: accrues, two feeds, health",
        ix,
        &[&b.kp],
    )
    .await;
    let ix = f.ix_repay(&b, b.margin, 10 * ONE_DEBT);
    run(&mut f, "repay", USER, "partial, accrues", ix, &[&b.kp]).await;
    let ix = f.ix_lp_withdraw(&lp, 1_000 * ONE_DEBT);
    run(
        &mut f,
        "lp_withdraw",
        USER,
        "burns shares, accrues",
        ix,
        &[&lp.kp],
    )
    .await;

    // --- keeper paths ---
    f.advance(60).await;
    f.set_prices(99.0, 97.0);
    let ix = f.ix_refresh();
    run(
        &mut f,
        "refresh_market",
        KEEPER,
        "accrues, sweeps reserves, samples volatility",
        ix,
        &[],
    )
    .await;
    let ix = f.ix_check_health(b.margin);
    run(&mut f, "check_health", KEEPER, "", ix, &[]).await;

    let liq = f.user(0, 100_000 * ONE_DEBT).await;
    let price = walk_into_buffer(&mut f, b.margin, 90.0).await;
    let ix = f.ix_liquidate_partial(&liq, b.margin, u64::MAX);
    run(
        &mut f,
        "liquidate_partial",
        KEEPER,
        "buffer zone, to target",
        ix,
        &[&liq.kp],
    )
    .await;

    // Eight accounts alike, walked into the partial zone together: one batch.
    let mut batch = Vec::new();
    for _ in 0..zero_loss::controller::liquidation::MAX_BATCH {
        let u = f.borrower(10 * ONE_COLL).await;
        let debt = (f.reference_max_borrow(10 * ONE_COLL) * 0.9) as u64;
        f.env.exec(&[f.ix_borrow(&u, debt)], &[&u.kp]).await;
        batch.push(u);
    }
    walk_into_buffer(&mut f, batch[0].margin, price).await;
    let margins: Vec<_> = batch.iter().map(|u| u.margin).collect();
    let debts_before: Vec<u64> = {
        let mut v = Vec::new();
        for u in &batch {
            v.push(f.margin_state(u).await.debt_shares);
        }
        v
    };
    let ix = f.ix_liquidate_batch(&liq, &margins, vec![u64::MAX; margins.len()]);
    run(
        &mut f,
        "liquidate_batch",
        15_000 * margins.len() as u64,
        "8 accounts, each to target",
        ix,
        &[&liq.kp],
    )
    .await;
    for (u, before) in batch.iter().zip(debts_before) {
        assert!(
            f.margin_state(u).await.debt_shares < before,
            "every account of the batch liquidated"
        );
    }

    f.set_prices(60.0, 60.0);
    let a = f.next_auction().await;
    let ix = f.ix_start_auction(&liq, b.margin, a);
    run(
        &mut f,
        "start_auction",
        KEEPER,
        "emergency, whole position, keeper reward",
        ix,
        &[&liq.kp],
    )
    .await;
    let ix = f.ix_bid(&liq, a, ONE_COLL, u128::MAX);
    run(&mut f, "bid", KEEPER, "partial fill", ix, &[&liq.kp]).await;
    f.advance(1_801).await;
    let ix = f.ix_restart(&liq, a);
    run(
        &mut f,
        "restart_auction",
        KEEPER,
        "new top, keeper reward",
        ix,
        &[&liq.kp],
    )
    .await;
    f.advance(1_801).await;
    let ix = f.ix_restart(&liq, a);
    f.env.exec(&[ix], &[&liq.kp]).await;
    f.advance(1_801).await;
    let ix = f.ix_backstop(&liq.key(), a);
    run(
        &mut f,
        "backstop",
        KEEPER,
        "POL buys at the floor",
        ix,
        &[&liq.kp],
    )
    .await;
    let ix = f.ix_settle(&liq.key(), a, liq.key(), Some(b.margin));
    run(
        &mut f,
        "settle_auction",
        KEEPER,
        "lot gone: shortfall waterfall",
        ix,
        &[&liq.kp],
    )
    .await;

    // --- admin ---
    let ix = f.ix_set_pause(&admin.pubkey(), pause::LP);
    run(&mut f, "set_pause", USER, "", ix, &[&admin]).await;
    let mut p = RiskParams::example();
    p.max_ltv_bps = 6_900;
    p.target_ltv_bps = 6_900;
    let ix = f.ix_update_params(&admin.pubkey(), p);
    run(
        &mut f,
        "update_market_params",
        USER,
        "proposes (timelock)",
        ix,
        &[&admin],
    )
    .await;
    let delay = f.protocol_state().await.params_delay_secs as i64;
    f.advance(delay).await;
    let ix = f.ix_execute_params();
    run(
        &mut f,
        "execute_market_params",
        USER,
        "accrues, applies",
        ix,
        &[],
    )
    .await;
    let c = f.env.create_mint(9).await;
    let d = f.env.create_mint(6).await;
    let ix = f.ix_init_market(&admin.pubkey(), c, d, RiskParams::example());
    run(
        &mut f,
        "init_market",
        0,
        "market + 5 vaults + LP mint (one-off)",
        ix,
        &[&admin],
    )
    .await;
    let _ = VaultKind::ALL;

    println!("| instruction | CU | budget | configuration |");
    println!("|---|---:|---:|---|");
    let mut over = 0;
    for Row(name, used, budget, what) in &rows {
        let b = if *budget == 0 {
            "-".to_string()
        } else {
            budget.to_string()
        };
        let mark = if *budget > 0 && used > budget {
            " **over**"
        } else {
            ""
        };
        over += (*budget > 0 && used > budget) as u32;
        println!("| `{name}` | {used}{mark} | {b} | {what} |");
    }
    println!();
    println!("{over} instruction(s) over budget");
}
