//! The fuzzer's quick run (docs/security.md, "The fuzzer"): 1,000 sequences
//! of 50 steps through the real handlers, every invariant after every step,
//! on two threads (the two tests run in parallel). `ZL_FUZZ_SEQUENCES`
//! sets the sequences per thread (scripts/test-sbf.sh runs 100 on the VM,
//! where the point is the compute budgets). The long run is the `zl-fuzz`
//! binary.

use zero_loss_tests::fuzz;

const STEPS: usize = 50;
const PER_THREAD: u64 = 500;

fn quick(first: u64) {
    let sequences: u64 = std::env::var("ZL_FUZZ_SEQUENCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PER_THREAD);
    let stats = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fuzz::run(first, sequences, STEPS));
    assert_eq!(stats.sequences, sequences);
    assert_eq!(stats.steps, sequences * STEPS as u64);
    // A run of the default size reaches the deep paths, not only refusals:
    // liquidations, kicks, auctions to check, and a superseded replay.
    if sequences >= 100 {
        assert!(stats.partials > 0 && stats.kicks > 0, "{stats:?}");
        assert!(stats.auctions_checked > 0, "{stats:?}");
        assert!(stats.replays_refused > 0, "{stats:?}");
        let every = |name: &str| stats.ops.get(name).is_some_and(|(ok, _)| *ok > 0);
        for op in [
            "deposit_collateral",
            "withdraw_collateral",
            "borrow",
            "repay",
            "open/close_margin_account",
            "lp_deposit",
            "lp_withdraw",
            "fund_insurance",
            "fund_pol",
            "withdraw_pol",
            "set_pause",
            "update_market_params",
            "propose/accept_admin",
            "refresh_market",
            "check_health",
            "liquidate_partial",
            "liquidate_batch",
            "start_auction",
            "bid",
            "settle_auction",
        ] {
            assert!(every(op), "{op} never went through: {stats:?}");
        }
    }
    eprintln!("{stats:#?}");
}

#[test]
fn fuzz_first_half() {
    quick(0);
}

#[test]
fn fuzz_second_half() {
    quick(1_000_000);
}
