//! Admin instructions: protocol and market creation, parameter updates,
//! pause gates, two-step admin transfer.

use anchor_lang::error::ErrorCode as AnchorError;
use zero_loss::events::{AdminAccepted, MarketInitialized, PauseSet};
use zero_loss::state::{pause, RiskParams, VaultKind};
use zero_loss_tests::market::*;
use zero_loss_tests::{anchor_code, Keypair, Signer, ZlError};

#[tokio::test]
async fn init_market_creates_market_vaults_and_lp_mint() {
    let mut f = MarketFixture::new().await;
    let m = f.market_state().await;
    assert_eq!(m.collateral_mint, f.collateral_mint);
    assert_eq!(m.debt_mint, f.debt_mint);
    assert_eq!(m.lp_mint, f.lp_mint);
    assert_eq!(m.vaults, f.vaults);
    assert_eq!(m.params, RiskParams::example());
    assert_eq!(m.borrow_index, zero_loss::engine::Fp::ONE.0);
    assert_eq!(
        (m.collateral_decimals, m.debt_decimals),
        (COLLATERAL_DECIMALS, DEBT_DECIMALS)
    );
    // Every vault is an SPL token account of the right mint owned by the market.
    for k in VaultKind::ALL {
        let acc = f.env.account(f.vault(k)).await.expect("vault");
        let t = anchor_spl::token::spl_token::state::Account::unpack(&acc.data).unwrap();
        let mint = match k {
            VaultKind::Collateral | VaultKind::PolCollateral => f.collateral_mint,
            _ => f.debt_mint,
        };
        assert_eq!((t.mint, t.owner, t.amount), (mint, f.market, 0), "{k:?}");
    }
    assert_eq!(f.env.mint_supply(f.lp_mint).await, 0);
    assert_eq!(f.protocol_state().await.admin, f.admin.pubkey());
}

use anchor_lang::solana_program::program_pack::Pack;

#[tokio::test]
async fn init_market_emits_an_event_and_refuses_a_second_market_for_the_pair() {
    let mut f = MarketFixture::new().await;
    let admin = f.admin.insecure_clone();
    let c = f.env.create_mint(9).await;
    let d = f.env.create_mint(6).await;
    let r = f
        .env
        .exec(
            &[f.ix_init_market(&admin.pubkey(), c, d, RiskParams::example())],
            &[&admin],
        )
        .await;
    let ev: Vec<MarketInitialized> = r.events();
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].collateral_mint, ev[0].debt_mint), (c, d));
    // The same pair again: the market PDA exists already.
    let again = f.ix_init_market(&admin.pubkey(), c, d, RiskParams::example());
    f.env.expect_failed(again, &[&admin]).await;
}

#[tokio::test]
async fn init_protocol_runs_once() {
    let mut f = MarketFixture::new().await;
    let other = f.env.new_user(1).await;
    let ix = f.ix_init_protocol(&other.pubkey());
    f.env.expect_failed(ix, &[&other]).await;
    assert_eq!(f.protocol_state().await.admin, f.admin.pubkey());
}

/// Only the program's upgrade authority can initialize the protocol: a
/// front-runner who sees the deployment cannot take the admin seat.
#[tokio::test]
async fn only_the_upgrade_authority_can_initialize_the_protocol() {
    let mut env = zero_loss_tests::Env::new().await;
    let deployer = env.new_user(10).await;
    let front_runner = env.new_user(10).await;
    let ix = |k: &Keypair| zero_loss::client::init_protocol(k.pubkey());
    let protocol = zero_loss::state::seeds::protocol_address(&zero_loss::ID).0;
    // No ProgramData at all (a program deployed without the upgradeable
    // loader): nobody can.
    env.expect_failed(ix(&deployer), &[&deployer]).await;
    // Another key's upgrade authority, or none: refused, nothing created.
    env.set_upgrade_authority(Some(deployer.pubkey()));
    env.expect_rejected(
        ix(&front_runner),
        &[&front_runner],
        ZlError::NotUpgradeAuthority,
    )
    .await;
    env.set_upgrade_authority(None);
    env.expect_rejected(ix(&deployer), &[&deployer], ZlError::NotUpgradeAuthority)
        .await;
    assert!(env.account(protocol).await.is_none());
    // A ProgramData-shaped account naming the front-runner, but owned by
    // anyone but the upgradeable loader, is refused.
    env.set_upgrade_authority(Some(front_runner.pubkey()));
    let key = zero_loss::state::seeds::program_data_address(&zero_loss::ID);
    let mut forged = env.account(key).await.unwrap();
    forged.owner = front_runner.pubkey();
    env.set_account(&key, forged);
    env.expect_failed(ix(&front_runner), &[&front_runner]).await;
    env.set_upgrade_authority(Some(deployer.pubkey()));
    env.exec(&[ix(&deployer)], &[&deployer]).await;
    let p: zero_loss::state::Protocol = env.read(protocol).await;
    assert_eq!(p.admin, deployer.pubkey());
}

#[tokio::test]
async fn init_market_rejects_non_admin_same_mint_bad_feeds_and_bad_params() {
    let mut f = MarketFixture::new().await;
    let admin = f.admin.insecure_clone();
    let c = f.env.create_mint(9).await;
    let d = f.env.create_mint(6).await;

    let stranger = f.env.new_user(1).await;
    let ix = f.ix_init_market(&stranger.pubkey(), c, d, RiskParams::example());
    f.env
        .expect_rejected(ix, &[&stranger], ZlError::NotAdmin)
        .await;

    let ix = f.ix_init_market(&admin.pubkey(), c, c, RiskParams::example());
    // Same mint twice: the collateral and liquidity vaults would collide or
    // the handler refuses; either way nothing is created.
    f.env.expect_failed(ix, &[&admin]).await;

    for (cf, df) in [
        ([0u8; 32], DEBT_FEED),
        (COLLATERAL_FEED, [0u8; 32]),
        (COLLATERAL_FEED, COLLATERAL_FEED),
    ] {
        let ix = f.ix_init_market_with(&admin.pubkey(), c, d, cf, df, RiskParams::example());
        f.env
            .expect_rejected(ix, &[&admin], ZlError::InvalidFeedId)
            .await;
    }

    let mut bad = RiskParams::example();
    bad.liq_ltv_bps = bad.max_ltv_bps; // max must be strictly below liq
    let ix = f.ix_init_market(&admin.pubkey(), c, d, bad);
    f.env
        .expect_rejected(ix, &[&admin], ZlError::InvalidParam)
        .await;

    let mut bad = RiskParams::example();
    bad.oracle_max_age_secs = 0;
    let ix = f.ix_init_market(&admin.pubkey(), c, d, bad);
    f.env
        .expect_rejected(ix, &[&admin], ZlError::InvalidParam)
        .await;
}

#[tokio::test]
async fn update_market_params_validates_and_needs_the_admin() {
    let mut f = MarketFixture::new().await;
    let admin = f.admin.insecure_clone();
    let stranger = f.env.new_user(1).await;

    let mut p = RiskParams::example();
    p.max_ltv_bps = 6_800;
    p.target_ltv_bps = 6_800;
    let ix = f.ix_update_params(&stranger.pubkey(), p);
    f.env
        .expect_rejected(ix, &[&stranger], ZlError::NotAdmin)
        .await;

    let mut bad = p;
    bad.full_ltv_bps = 10_001;
    f.env
        .expect_rejected(
            f.ix_update_params(&admin.pubkey(), bad),
            &[&admin],
            ZlError::InvalidParam,
        )
        .await;

    f.apply_params(p).await;
    assert_eq!(f.market_state().await.params, p);
}

#[tokio::test]
async fn pause_gates_block_their_groups_only() {
    let mut f = MarketFixture::new().await;
    let admin = f.admin.insecure_clone();
    let lp = f.lp(1_000 * ONE_DEBT).await;
    let b = f.borrower(10 * ONE_COLL).await;
    f.env
        .mint_to(f.collateral_mint, b.collateral_ata, ONE_COLL)
        .await;

    let stranger = f.env.new_user(1).await;
    f.env
        .expect_rejected(
            f.ix_set_pause(&stranger.pubkey(), pause::ALL),
            &[&stranger],
            ZlError::NotAdmin,
        )
        .await;
    f.env
        .expect_rejected(
            f.ix_set_pause(&admin.pubkey(), 1 << 15),
            &[&admin],
            ZlError::InvalidParam,
        )
        .await;

    let r = f
        .env
        .exec(&[f.ix_set_pause(&admin.pubkey(), pause::BORROW)], &[&admin])
        .await;
    assert_eq!(r.events::<PauseSet>()[0].paused, pause::BORROW);
    f.env
        .expect_rejected(f.ix_borrow(&b, ONE_DEBT), &[&b.kp], ZlError::Paused)
        .await;
    // A debt-free account's collateral backs nothing: its withdrawal is
    // never paused.
    f.env.exec(&[f.ix_withdraw(&b, ONE_COLL)], &[&b.kp]).await;
    // Other groups go on.
    f.env.exec(&[f.ix_deposit(&b, ONE_COLL)], &[&b.kp]).await;
    f.env.mint_to(f.debt_mint, lp.debt_ata, ONE_DEBT).await;
    f.env
        .exec(&[f.ix_lp_deposit(&lp, ONE_DEBT)], &[&lp.kp])
        .await;

    f.env
        .exec(
            &[f.ix_set_pause(&admin.pubkey(), pause::LP | pause::DEPOSIT)],
            &[&admin],
        )
        .await;
    f.env
        .expect_rejected(f.ix_lp_withdraw(&lp, 1), &[&lp.kp], ZlError::Paused)
        .await;
    f.env
        .expect_rejected(f.ix_deposit(&b, 1), &[&b.kp], ZlError::Paused)
        .await;
    let late = f.user(0, 0).await;
    f.env
        .expect_rejected(f.ix_open(&late), &[&late.kp], ZlError::Paused)
        .await;
    // Borrowing is open again; repay is never paused.
    f.env
        .exec(&[f.ix_borrow(&b, 10 * ONE_DEBT)], &[&b.kp])
        .await;
    f.env
        .exec(&[f.ix_set_pause(&admin.pubkey(), pause::ALL)], &[&admin])
        .await;
    // With debt, a withdrawal is opening risk and waits for the pause.
    f.env
        .expect_rejected(f.ix_withdraw(&b, 1), &[&b.kp], ZlError::Paused)
        .await;
    let payer = f.user(0, 10 * ONE_DEBT).await;
    f.env
        .exec(&[f.ix_repay(&payer, b.margin, u64::MAX)], &[&payer.kp])
        .await;
    assert_eq!(f.margin_state(&b).await.debt_shares, 0);
    f.env.exec(&[f.ix_withdraw(&b, ONE_COLL)], &[&b.kp]).await;
    let funder = f.user(0, ONE_DEBT).await;
    let ix = f.ix_fund_insurance(&funder.key(), funder.debt_ata, ONE_DEBT);
    f.env
        .expect_rejected(ix, &[&funder.kp], ZlError::Paused)
        .await;
    f.env
        .exec(&[f.ix_set_pause(&admin.pubkey(), 0)], &[&admin])
        .await;
    assert_eq!(f.protocol_state().await.paused, 0);
}

#[tokio::test]
async fn admin_transfer_takes_two_steps() {
    let mut f = MarketFixture::new().await;
    let admin = f.admin.insecure_clone();
    let next = f.env.new_user(1).await;
    let stranger = f.env.new_user(1).await;

    f.env
        .expect_rejected(
            f.ix_propose_admin(&stranger.pubkey(), stranger.pubkey()),
            &[&stranger],
            ZlError::NotAdmin,
        )
        .await;
    // Nobody proposed yet: accepting fails.
    f.env
        .expect_rejected(
            f.ix_accept_admin(&next.pubkey()),
            &[&next],
            ZlError::NotPendingAdmin,
        )
        .await;

    f.env
        .exec(
            &[f.ix_propose_admin(&admin.pubkey(), next.pubkey())],
            &[&admin],
        )
        .await;
    assert_eq!(
        f.protocol_state().await.admin,
        admin.pubkey(),
        "proposal alone changes nothing"
    );
    f.env
        .expect_rejected(
            f.ix_accept_admin(&stranger.pubkey()),
            &[&stranger],
            ZlError::NotPendingAdmin,
        )
        .await;
    // The accept must be signed by the proposed key.
    let unsigned = unsign(f.ix_accept_admin(&next.pubkey()), next.pubkey());
    f.env
        .expect_rejected_code(unsigned, &[], anchor_code(AnchorError::AccountNotSigner))
        .await;

    let r = f
        .env
        .exec(&[f.ix_accept_admin(&next.pubkey())], &[&next])
        .await;
    let ev = r.events::<AdminAccepted>();
    assert_eq!(
        (ev[0].old_admin, ev[0].new_admin),
        (admin.pubkey(), next.pubkey())
    );
    let p = f.protocol_state().await;
    assert_eq!(
        (p.admin, p.pending_admin),
        (next.pubkey(), anchor_lang::prelude::Pubkey::default())
    );
    // The old admin has lost its powers; the new one has them.
    f.env
        .expect_rejected(
            f.ix_set_pause(&admin.pubkey(), pause::LP),
            &[&admin],
            ZlError::NotAdmin,
        )
        .await;
    f.env
        .exec(&[f.ix_set_pause(&next.pubkey(), pause::LP)], &[&next])
        .await;
}
