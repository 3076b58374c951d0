// Every instruction of the program, sent through the generated client to its
// SBF build in LiteSVM: the ones lifecycle.test.ts does not reach
// (liquidate_partial, liquidate_batch, repay, withdraw_collateral,
// close_margin_account, fund_pol, withdraw_pol, set_pause, propose_admin,
// accept_admin, update_market_params, execute_market_params,
// restart_auction, backstop, start_pol_auction) and, on the way, the others.
// Each successful instruction is asserted by its event's fields, the decoded
// accounts and the token balances it moved; refusals by the generated error
// constant, with every account they name unchanged (Env.expectRefused). The
// last test checks that this file alone sent every instruction of the IDL.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Address, address } from '@solana/kit';
import {
  AccountStatus,
  OwnerKind,
  PolAsset,
  U128_MAX,
  U64_MAX,
  WAD,
  ZERO_LOSS_ERROR__ACCOUNT_HEALTHY,
  ZERO_LOSS_ERROR__ACCOUNT_NOT_EMPTY,
  ZERO_LOSS_ERROR__BACKSTOP_NOT_ALLOWED,
  ZERO_LOSS_ERROR__BORROW_CAP_EXCEEDED,
  ZERO_LOSS_ERROR__INSUFFICIENT_COLLATERAL,
  ZERO_LOSS_ERROR__INSUFFICIENT_POL,
  ZERO_LOSS_ERROR__MAX_STAGES_REACHED,
  ZERO_LOSS_ERROR__NOTHING_LIQUIDATED,
  ZERO_LOSS_ERROR__NOT_ADMIN,
  ZERO_LOSS_ERROR__NOT_PENDING_ADMIN,
  ZERO_LOSS_ERROR__NO_PENDING_PARAMS,
  ZERO_LOSS_ERROR__PAUSED,
  ZERO_LOSS_ERROR__POL_LOCKED_BY_AUCTIONS,
  ZERO_LOSS_ERROR__RESTART_TOO_EARLY,
  ZERO_LOSS_ERROR__SELF_LIQUIDATION,
  ZERO_LOSS_ERROR__TIMELOCK_PENDING,
  ZERO_LOSS_ERROR__WRONG_AUCTION_KIND,
  ZeroLossInstruction,
  type ZeroLossEvent,
  Zone,
  auctionFloor,
  eventsNamed,
  getBidWithMaxPriceInstruction,
  identifyZeroLossInstruction,
  marketPrices,
  min,
  mulCeil,
  mulDivCeil,
  mulIntFloor,
} from '../src';
import { type Env, type TxResult } from './helpers/env';
import { REPO_ROOT } from './helpers/fixtures';
import { EXAMPLE_PARAMS, MarketFixture, ONE_COLL, ONE_DEBT, type User } from './helpers/market';

/** `state::pause` bits. */
const PAUSE = { LP: 1, DEPOSIT: 2, BORROW: 4, LIQUIDATION: 8, AUCTION: 16, TREASURY: 32 };
/** `MAX_PAUSE_SECS`: a fresh protocol's pause credit, a week. */
const WEEK = 7n * 86_400n;
const DEFAULT_ADDRESS = address('11111111111111111111111111111111');
/** $85.90: a 690-against-10 account at ~80.4%, in the buffer zone (tests/tests/partial.rs). */
const BUFFER_PRICE_E8 = 8_590_000_000n;

/** Every program instruction sent successfully, over all the scenarios below. */
const sent = new Set<ZeroLossInstruction>();
function collect(env: Env) {
  for (const ix of env.executed) {
    assert.ok(ix.data, 'a program instruction carries data');
    sent.add(identifyZeroLossInstruction(ix.data));
  }
}

/** The single event of `r`, asserting the transaction emitted exactly `name`. */
function only<N extends ZeroLossEvent['name']>(r: TxResult, name: N) {
  assert.deepEqual(
    r.events.map((e) => e.name),
    [name],
  );
  return eventsNamed(r.events, name)[0]!;
}

/** The market's prices at the fixture's current price accounts, as the client computes them. */
function prices(f: MarketFixture) {
  return marketPrices(f.marketState(), f.collateralPrice.priceMessage, f.debtPrice.priceMessage);
}

/** Debt of `shares` at `index`, rounded up (`Market::debt_of`). */
function debtOf(shares: bigint, index: bigint): bigint {
  return mulDivCeil(shares, index, WAD);
}

/** The market's vaults hold exactly what its accounting says. */
function assertConservation(f: MarketFixture) {
  const m = f.marketState();
  const env = f.env;
  assert.equal(env.balance(f.addrs.collateralVault), m.totalCollateral);
  assert.equal(env.balance(f.addrs.liquidityVault), m.liquidityAmount);
  assert.equal(env.balance(f.addrs.insuranceVault), m.insuranceAmount);
  assert.equal(env.balance(f.addrs.polDebtVault), m.polDebtAmount);
  assert.equal(env.balance(f.addrs.polCollateralVault), m.polCollateralAmount);
}

test('a borrower: partial and batch liquidation, repay, withdrawal, close', async (t) => {
  const { f } = await MarketFixture.create();
  const env = f.env;
  await f.lp(100_000n * ONE_DEBT);
  const b1 = await f.borrower(10n * ONE_COLL, 690n * ONE_DEBT);
  const b2 = await f.borrower(10n * ONE_COLL, 690n * ONE_DEBT);
  const b3 = await f.borrower(10n * ONE_COLL, 690n * ONE_DEBT);
  const b4 = await f.borrower(10n * ONE_COLL, 300n * ONE_DEBT);
  const liq = await f.user(0n, 10_000n * ONE_DEBT);

  let triggerBefore = 0n;
  await t.test('at $85.90 check_health puts the 690 borrowers in the buffer zone', async () => {
    f.setPrices(BUFFER_PRICE_E8, BUFFER_PRICE_E8);
    for (const b of [b1, b2, b3]) {
      const ev = only(await env.exec([f.ixCheckHealth(b.margin)]), 'HealthChecked');
      assert.equal(ev.zone, Zone.Buffer);
      if (b === b1) triggerBefore = ev.triggerLtvBps;
    }
    const ev = only(await env.exec([f.ixCheckHealth(b4.margin)]), 'HealthChecked');
    assert.equal(ev.zone, Zone.Healthy);
  });

  await t.test('liquidate_partial: the owner is refused (SelfLiquidation)', async () => {
    assert.equal(env.balance(b1.debtAta), 690n * ONE_DEBT, 'the owner could pay');
    await env.expectRefused(
      await f.ixLiquidatePartial(b1, b1.margin, U64_MAX),
      ZERO_LOSS_ERROR__SELF_LIQUIDATION,
    );
  });

  let budgetLeft = 0n;
  await t.test('liquidate_partial brings the account back to target with a bonus', async () => {
    const before = {
      coll: f.marginState(b1).collateral,
      liquidity: env.balance(f.addrs.liquidityVault),
      vault: env.balance(f.addrs.collateralVault),
    };
    const p = prices(f);
    const r = await env.exec([await f.ixLiquidatePartial(liq, b1.margin, U64_MAX)]);
    const ev = only(r, 'PartialLiquidated');
    assert.equal(ev.marginAccount, b1.margin);
    assert.equal(ev.liquidator, liq.kp.address);
    assert.equal(ev.ltvBeforeBps, triggerBefore, 'the LTV check_health reported');
    assert.ok(ev.ltvAfterBps <= 7_000n && ev.ltvAfterBps >= 6_995n, `after ${ev.ltvAfterBps}`);
    assert.ok(ev.bonusBps >= 50n && ev.bonusBps <= 300n, `bonus ${ev.bonusBps}`);
    assert.equal(ev.payoutPrice, p.spotMid, 'paid out at the spot mid price');
    // Collateral worth the repayment plus at most the bonus, at the payout price.
    const value = mulIntFloor(ev.payoutPrice, ev.collateralOut);
    assert.ok(value > ev.repaid);
    assert.ok(value * 10_000n <= ev.repaid * (10_000n + ev.bonusBps));
    // Money and accounts.
    assert.equal(env.balance(liq.debtAta), 10_000n * ONE_DEBT - ev.repaid);
    assert.equal(env.balance(liq.collateralAta), ev.collateralOut);
    assert.equal(env.balance(f.addrs.liquidityVault), before.liquidity + ev.repaid);
    assert.equal(env.balance(f.addrs.collateralVault), before.vault - ev.collateralOut);
    assert.equal(f.marginState(b1).collateral, before.coll - ev.collateralOut);
    // The budget was full: the draw is the repayment.
    assert.equal(ev.budgetLeft, BigInt(EXAMPLE_PARAMS.budgetCapacity) - ev.repaid);
    assert.equal(f.marketState().budgetLevel, ev.budgetLeft);
    budgetLeft = ev.budgetLeft;
    assertConservation(f);
    // Back to healthy: a second liquidation is refused.
    await env.expectRefused(
      await f.ixLiquidatePartial(liq, b1.margin, U64_MAX),
      ZERO_LOSS_ERROR__ACCOUNT_HEALTHY,
    );
  });

  await t.test(
    'liquidate_batch liquidates the two in the zone, skips the healthy one',
    async () => {
      const margins = [b2.margin, b3.margin, b4.margin];
      const healthyBefore = f.marginState(b4);
      const before = {
        debt: env.balance(liq.debtAta),
        coll: env.balance(liq.collateralAta),
        liquidity: env.balance(f.addrs.liquidityVault),
      };
      const ix = await f.ixLiquidateBatch(liq, margins, [U64_MAX, U64_MAX, U64_MAX]);
      const r = await env.exec([ix]);
      const evs = eventsNamed(r.events, 'PartialLiquidated');
      assert.deepEqual(
        r.events.map((e) => e.name),
        ['PartialLiquidated', 'PartialLiquidated'],
      );
      assert.deepEqual(
        evs.map((e) => e.marginAccount),
        [b2.margin, b3.margin],
      );
      for (const [ev, b] of [
        [evs[0]!, b2],
        [evs[1]!, b3],
      ] as const) {
        assert.ok(ev.ltvAfterBps <= 7_000n && ev.ltvAfterBps >= 6_995n);
        assert.equal(f.marginState(b).collateral, 10n * ONE_COLL - ev.collateralOut);
      }
      assert.equal(evs[0]!.repaid, evs[1]!.repaid, 'the same rule for the same position');
      const repaid = evs[0]!.repaid + evs[1]!.repaid;
      const out = evs[0]!.collateralOut + evs[1]!.collateralOut;
      assert.equal(env.balance(liq.debtAta), before.debt - repaid);
      assert.equal(env.balance(liq.collateralAta), before.coll + out);
      assert.equal(env.balance(f.addrs.liquidityVault), before.liquidity + repaid);
      assert.equal(evs[1]!.budgetLeft, budgetLeft - repaid, 'each draws the budget in turn');
      const healthyAfter = f.marginState(b4);
      assert.deepEqual(
        [healthyAfter.debtShares, healthyAfter.collateral],
        [healthyBefore.debtShares, healthyBefore.collateral],
        'the healthy account is untouched',
      );
      assertConservation(f);
      // All healthy now: the same batch liquidates nothing and is refused.
      await env.expectRefused(
        await f.ixLiquidateBatch(liq, margins, [U64_MAX, U64_MAX, U64_MAX]),
        ZERO_LOSS_ERROR__NOTHING_LIQUIDATED,
      );
    },
  );

  const payer = await f.user(0n, 1_000n * ONE_DEBT);
  let left = 0n;
  await t.test('repay: a third party repays 100, at most what it asked', async () => {
    f.advance(3_600n); // an hour of interest: the index is above 1
    const liquidity = env.balance(f.addrs.liquidityVault);
    const r = await env.exec([await f.ixRepay(payer, b1.margin, 100n * ONE_DEBT)]);
    const ev = only(r, 'Repaid');
    assert.equal(ev.marginAccount, b1.margin);
    assert.equal(ev.payer, payer.kp.address);
    const m = f.marketState();
    assert.ok(m.borrowIndex > WAD, 'interest accrued');
    // Whole shares retired: charged at most the amount, less by under one share's worth.
    assert.ok(ev.amount <= 100n * ONE_DEBT);
    assert.ok(100n * ONE_DEBT - ev.amount <= m.borrowIndex / WAD + 1n);
    assert.equal(ev.debt, debtOf(f.marginState(b1).debtShares, m.borrowIndex));
    assert.equal(env.balance(payer.debtAta), 1_000n * ONE_DEBT - ev.amount);
    assert.equal(env.balance(f.addrs.liquidityVault), liquidity + ev.amount);
    left = ev.debt;
    assertConservation(f);
  });

  await t.test('repay u64::MAX repays exactly the debt left', async () => {
    const paid = env.balance(payer.debtAta);
    const ev = only(await env.exec([await f.ixRepay(payer, b1.margin, U64_MAX)]), 'Repaid');
    assert.equal(ev.amount, left, 'no time passed: the debt the last repay left');
    assert.equal(ev.debt, 0n);
    assert.equal(f.marginState(b1).debtShares, 0n);
    assert.equal(env.balance(payer.debtAta), paid - left);
    assertConservation(f);
  });

  await t.test('close_margin_account is refused while collateral remains', async () => {
    assert.ok(f.marginState(b1).collateral > 0n);
    await env.expectRefused(f.ixClose(b1), ZERO_LOSS_ERROR__ACCOUNT_NOT_EMPTY);
  });

  await t.test('set_pause(BORROW): borrowing and a withdrawal with debt are paused', async () => {
    const ev = only(await env.exec([await f.ixSetPause(f.admin, PAUSE.BORROW)]), 'PauseSet');
    assert.equal(ev.paused, PAUSE.BORROW);
    assert.equal(ev.expiresAt, env.now() + WEEK, 'a fresh budget holds a week');
    const p = f.protocolState();
    assert.equal(p.paused, PAUSE.BORROW);
    assert.equal(p.pauseExpiresAt, ev.expiresAt);
    const r = await env.expectRefused(await f.ixBorrow(b4, ONE_DEBT), ZERO_LOSS_ERROR__PAUSED);
    assert.equal(r.error?.program?.name, 'Paused');
    await env.expectRefused(await f.ixWithdraw(b2, 1n), ZERO_LOSS_ERROR__PAUSED);
  });

  await t.test('withdraw_collateral: a debt-free account withdraws all while paused', async () => {
    const coll = f.marginState(b1).collateral;
    const vault = env.balance(f.addrs.collateralVault);
    await env.expectRefused(
      await f.ixWithdraw(b1, coll + 1n),
      ZERO_LOSS_ERROR__INSUFFICIENT_COLLATERAL,
    );
    const ev = only(await env.exec([await f.ixWithdraw(b1, coll)]), 'CollateralWithdrawn');
    assert.equal(ev.marginAccount, b1.margin);
    assert.equal(ev.amount, coll);
    assert.equal(ev.collateral, 0n);
    assert.equal(f.marginState(b1).collateral, 0n);
    assert.equal(env.balance(b1.collateralAta), coll);
    assert.equal(env.balance(f.addrs.collateralVault), vault - coll);
    assertConservation(f);
  });

  await t.test('set_pause(0) unpauses: borrowing goes on', async () => {
    const ev = only(await env.exec([await f.ixSetPause(f.admin, 0)]), 'PauseSet');
    assert.equal(ev.paused, 0);
    assert.equal(ev.expiresAt, env.now());
    assert.equal(f.protocolState().paused, 0);
    const borrowed = only(await env.exec([await f.ixBorrow(b4, ONE_DEBT)]), 'Borrowed');
    assert.equal(borrowed.amount, ONE_DEBT);
  });

  await t.test('close_margin_account closes the empty account and refunds its rent', async () => {
    const rent = env.svm.getBalance(b1.margin)!;
    assert.ok(rent > 0n);
    const lamports = env.svm.getBalance(b1.kp.address)!;
    const ev = only(await env.exec([f.ixClose(b1)]), 'MarginAccountClosed');
    assert.equal(ev.marginAccount, b1.margin);
    assert.equal(ev.market, f.market);
    assert.equal(env.svm.getAccount(b1.margin).exists, false);
    assert.equal(env.svm.getBalance(b1.kp.address), lamports + rent);
  });

  collect(env);
});

test('auctions: fund_pol, restart, backstop, POL auction, withdraw_pol', async (t) => {
  // A top 10% over spot and a floor 20% under the held price, two stages
  // (stage 1 is the last): room to see a restart, then the backstop.
  const { f } = await MarketFixture.create({
    params: {
      ...EXAMPLE_PARAMS,
      auctionBufBps: 11_000,
      auctionMaxDiscountBps: 2_000,
      auctionMaxStages: 2,
    },
  });
  const env = f.env;
  const lp = await f.lp(100_000n * ONE_DEBT);
  const insuranceSrc = await f.adminDebtAccount(100n * ONE_DEBT);
  await env.exec([await f.ixFundInsurance(f.admin, insuranceSrc, 100n * ONE_DEBT)]);
  const b = await f.borrower(10n * ONE_COLL, 690n * ONE_DEBT);
  const keeper = await f.user(0n, 0n);
  const bidder = await f.user(0n, 100_000n * ONE_DEBT);
  const stranger = await f.user(ONE_COLL, 1_000n * ONE_DEBT);
  const adminDebt = await f.adminDebtAccount(10_000n * ONE_DEBT);
  const adminColl = await env.createTokenAccount(f.collateralMint, f.admin.address);

  await t.test('fund_pol: only the admin; 10,000 to the POL debt vault', async () => {
    await env.expectRefused(
      await f.ixFundPol(stranger.kp, stranger.debtAta, ONE_DEBT),
      ZERO_LOSS_ERROR__NOT_ADMIN,
    );
    const ev = only(
      await env.exec([await f.ixFundPol(f.admin, adminDebt, 10_000n * ONE_DEBT)]),
      'PolFunded',
    );
    assert.equal(ev.market, f.market);
    assert.equal(ev.amount, 10_000n * ONE_DEBT);
    assert.equal(env.balance(adminDebt), 0n);
    assert.equal(env.balance(f.addrs.polDebtVault), 10_000n * ONE_DEBT);
    assert.equal(f.marketState().polDebtAmount, 10_000n * ONE_DEBT);
  });

  await t.test('withdraw_pol (Debt) with no auction open', async () => {
    const ev = only(
      await env.exec([await f.ixWithdrawPol(f.admin, PolAsset.Debt, adminDebt, ONE_DEBT)]),
      'PolWithdrawn',
    );
    assert.equal(ev.asset, PolAsset.Debt);
    assert.equal(ev.amount, ONE_DEBT);
    assert.equal(env.balance(adminDebt), ONE_DEBT);
    assert.equal(env.balance(f.addrs.polDebtVault), 9_999n * ONE_DEBT);
    assert.equal(f.marketState().polDebtAmount, 9_999n * ONE_DEBT);
  });

  let auction!: Address;
  await t.test('at $80 a keeper kicks; POL that the auction may need is locked', async () => {
    f.setPrices(8_000_000_000n, 8_000_000_000n);
    auction = await f.nextAuction();
    const started = only(
      await env.exec([await f.ixStartAuction(keeper, b.margin, auction)]),
      'AuctionStarted',
    );
    assert.equal(started.auction, auction);
    const m = f.marketState();
    assert.equal(m.auctionDebt, started.principal);
    const free = m.polDebtAmount - m.auctionDebt;
    await env.expectRefused(
      await f.ixWithdrawPol(f.admin, PolAsset.Debt, adminDebt, free + 1n),
      ZERO_LOSS_ERROR__POL_LOCKED_BY_AUCTIONS,
    );
  });

  await t.test('restart_auction: too early at once; after the tail, a new top', async () => {
    await env.expectRefused(await f.ixRestart(keeper, auction), ZERO_LOSS_ERROR__RESTART_TOO_EARLY);
    f.advance(1_801n); // past auction_tail_secs (1,800)
    f.setPrices(7_800_000_000n, 7_800_000_000n);
    const au = f.auctionState(auction);
    const before = {
      keeper: env.balance(keeper.debtAta),
      insurance: env.balance(f.addrs.insuranceVault),
    };
    const spot = prices(f).spot;
    const ev = only(await env.exec([await f.ixRestart(keeper, auction)]), 'AuctionRestarted');
    assert.equal(ev.auction, auction);
    assert.equal(ev.stage, 1);
    assert.equal(ev.keeper, keeper.kp.address);
    assert.equal(ev.top, mulCeil(spot, 11_000n * (WAD / 10_000n)), 'top = live spot x 110%');
    // Keeper reward: tip + 0.1% of the tab (well under the penalty left and the cap).
    assert.equal(ev.keeperReward, ONE_DEBT + au.tab / 1_000n);
    assert.equal(env.balance(keeper.debtAta), before.keeper + ev.keeperReward);
    assert.equal(env.balance(f.addrs.insuranceVault), before.insurance - ev.keeperReward);
    const after = f.auctionState(auction);
    assert.equal(after.stage, 1);
    assert.equal(after.top, ev.top);
    assert.equal(after.stageStart, env.now());
    assert.equal(after.rewardsPaid, au.rewardsPaid + ev.keeperReward);
    assertConservation(f);
    // The new stage is fresh: neither a restart nor the backstop yet.
    await env.expectRefused(await f.ixRestart(keeper, auction), ZERO_LOSS_ERROR__RESTART_TOO_EARLY);
    await env.expectRefused(
      await f.ixBackstop(keeper.kp, auction),
      ZERO_LOSS_ERROR__BACKSTOP_NOT_ALLOWED,
    );
  });

  let afterBackstop!: ReturnType<MarketFixture['auctionState']>;
  await t.test('the last stage gone stale: no restart, POL backstops at the floor', async () => {
    f.advance(1_801n);
    await env.expectRefused(
      await f.ixRestart(keeper, auction),
      ZERO_LOSS_ERROR__MAX_STAGES_REACHED,
    );
    const au = f.auctionState(auction);
    const p = prices(f);
    const before = {
      pol: env.balance(f.addrs.polDebtVault),
      polColl: env.balance(f.addrs.polCollateralVault),
      liquidity: env.balance(f.addrs.liquidityVault),
      insurance: env.balance(f.addrs.insuranceVault),
      vault: env.balance(f.addrs.collateralVault),
    };
    const ev = only(await env.exec([await f.ixBackstop(keeper.kp, auction)]), 'AuctionBackstopped');
    assert.equal(ev.auction, auction);
    assert.equal(ev.price, min(auctionFloor(f.marketState(), p), p.spot), 'the floor');
    assert.equal(ev.principal + ev.penalty, ev.paid);
    // At the floor the lot does not cover the tab: POL takes the whole lot.
    assert.equal(ev.collateral, au.lot);
    assert.equal(ev.lotLeft, 0n);
    assert.equal(ev.tabLeft, au.tab - ev.paid);
    assert.ok(ev.paid <= mulIntFloor(ev.price, ev.collateral) + 1n);
    assert.equal(env.balance(f.addrs.polDebtVault), before.pol - ev.paid);
    assert.equal(env.balance(f.addrs.polCollateralVault), before.polColl + ev.collateral);
    assert.equal(env.balance(f.addrs.liquidityVault), before.liquidity + ev.principal);
    assert.equal(env.balance(f.addrs.insuranceVault), before.insurance + ev.penalty);
    assert.equal(env.balance(f.addrs.collateralVault), before.vault - ev.collateral);
    assert.equal(f.marketState().polCollateralAmount, ev.collateral);
    afterBackstop = f.auctionState(auction);
    assert.equal(afterBackstop.lot, 0n);
    assertConservation(f);
  });

  await t.test('settlement covers the principal left through the waterfall', async () => {
    const ev = only(
      await env.exec([await f.ixSettle(keeper.kp, auction, keeper.kp.address, b.margin)]),
      'AuctionSettled',
    );
    assert.equal(ev.collateralReturned, 0n);
    assert.equal(ev.raised, afterBackstop.initialTab - afterBackstop.tab);
    assert.equal(ev.insurancePaid + ev.polPaid + ev.badDebt, afterBackstop.principal);
    assert.equal(ev.badDebt, 0n, 'insurance and POL cover it');
    assert.equal(ev.penaltyForgiven, afterBackstop.tab - afterBackstop.principal);
    assert.equal(env.svm.getAccount(auction).exists, false);
    assert.equal(f.marginState(b).status, AccountStatus.Active);
    assert.equal(f.marketState().auctionDebt, 0n);
    assertConservation(f);
  });

  let polAuction!: Address;
  await t.test('start_pol_auction: only the admin, at most what POL holds', async () => {
    const polColl = f.marketState().polCollateralAmount;
    assert.ok(polColl > ONE_COLL);
    polAuction = await f.nextAuction();
    await env.expectRefused(
      await f.ixStartPolAuction(stranger.kp, polAuction, ONE_COLL),
      ZERO_LOSS_ERROR__NOT_ADMIN,
    );
    await env.expectRefused(
      await f.ixStartPolAuction(f.admin, polAuction, polColl + 1n),
      ZERO_LOSS_ERROR__INSUFFICIENT_POL,
    );
    const p = prices(f);
    const vault = env.balance(f.addrs.collateralVault);
    const ev = only(
      await env.exec([await f.ixStartPolAuction(f.admin, polAuction, ONE_COLL)]),
      'AuctionStarted',
    );
    assert.equal(ev.auction, polAuction);
    assert.equal(ev.owner, f.market, 'POL auctions belong to the market');
    assert.equal(ev.kicker, f.admin.address);
    assert.equal(ev.lot, ONE_COLL);
    assert.equal(ev.keeperReward, 0n);
    assert.equal(ev.emergency, false);
    assert.equal(ev.tab, ev.principal, 'no penalty');
    assert.equal(ev.tab, mulIntFloor(p.spot, ONE_COLL), 'the lot at spot, rounded down');
    assert.equal(ev.top, mulCeil(p.spot, 11_000n * (WAD / 10_000n)));
    const au = f.auctionState(polAuction);
    assert.equal(au.ownerKind, OwnerKind.Pol);
    assert.equal(au.lot, ONE_COLL);
    assert.equal(env.balance(f.addrs.polCollateralVault), polColl - ONE_COLL);
    assert.equal(env.balance(f.addrs.collateralVault), vault + ONE_COLL);
    assertConservation(f);
    // The backstop is for borrower auctions only.
    await env.expectRefused(
      await f.ixBackstop(keeper.kp, polAuction),
      ZERO_LOSS_ERROR__WRONG_AUCTION_KIND,
    );
  });

  await t.test('a bid on the POL auction pays POL; settlement refunds the admin', async () => {
    const pol = env.balance(f.addrs.polDebtVault);
    const bid = only(
      await env.exec([
        await getBidWithMaxPriceInstruction({
          bidder: bidder.kp,
          market: f.market,
          auction: polAuction,
          bidderDebt: bidder.debtAta,
          bidderCollateral: bidder.collateralAta,
          collateralOracle: f.collateralOracle,
          debtOracle: f.debtOracle,
          maxLot: U64_MAX,
          maxPrice: U128_MAX,
        }),
      ]),
      'AuctionBid',
    );
    assert.equal(bid.tabLeft, 0n);
    assert.equal(bid.penalty, 0n);
    assert.equal(env.balance(f.addrs.polDebtVault), pol + bid.paid, 'proceeds to POL');
    assert.equal(env.balance(bidder.collateralAta), bid.collateral);
    const polColl = env.balance(f.addrs.polCollateralVault);
    const rent = env.svm.getBalance(polAuction)!;
    const lamports = env.svm.getBalance(f.admin.address)!;
    const ev = only(
      await env.exec([await f.ixSettle(keeper.kp, polAuction, f.admin.address)]),
      'AuctionSettled',
    );
    assert.equal(ev.owner, f.market);
    assert.equal(ev.collateralReturned, bid.lotLeft);
    assert.equal(env.balance(f.addrs.polCollateralVault), polColl + bid.lotLeft);
    assert.equal(env.svm.getBalance(f.admin.address), lamports + rent);
    assertConservation(f);
  });

  await t.test(
    'withdraw_pol (Collateral), then all of POL debt once no auction is open',
    async () => {
      const coll = f.marketState().polCollateralAmount;
      assert.ok(coll > 0n);
      await env.expectRefused(
        await f.ixWithdrawPol(f.admin, PolAsset.Collateral, adminColl, coll + 1n),
        ZERO_LOSS_ERROR__INSUFFICIENT_POL,
      );
      await env.expectRefused(
        await f.ixWithdrawPol(stranger.kp, PolAsset.Collateral, stranger.collateralAta, 1n),
        ZERO_LOSS_ERROR__NOT_ADMIN,
      );
      let ev = only(
        await env.exec([await f.ixWithdrawPol(f.admin, PolAsset.Collateral, adminColl, coll)]),
        'PolWithdrawn',
      );
      assert.equal(ev.asset, PolAsset.Collateral);
      assert.equal(ev.amount, coll);
      assert.equal(env.balance(adminColl), coll);
      assert.equal(env.balance(f.addrs.polCollateralVault), 0n);
      assert.equal(f.marketState().polCollateralAmount, 0n);
      const debt = f.marketState().polDebtAmount;
      const held = env.balance(adminDebt);
      ev = only(
        await env.exec([await f.ixWithdrawPol(f.admin, PolAsset.Debt, adminDebt, debt)]),
        'PolWithdrawn',
      );
      assert.equal(ev.asset, PolAsset.Debt);
      assert.equal(env.balance(adminDebt), held + debt);
      assert.equal(f.marketState().polDebtAmount, 0n);
      assertConservation(f);
    },
  );

  await t.test('the LP withdraws at no loss', async () => {
    const shares = 10_000n * ONE_DEBT;
    const ev = only(await env.exec([await f.ixLpWithdraw(lp, shares)]), 'LpWithdrawn');
    assert.equal(ev.shares, shares);
    assert.ok(ev.amount >= shares, 'no bad debt: the share price held');
    assert.equal(env.balance(lp.debtAta), ev.amount);
    assertConservation(f);
  });

  collect(env);
});

test('admin: timelocked parameters, the admin transfer, pauses', async (t) => {
  const { f } = await MarketFixture.create();
  const env = f.env;
  const stranger = await f.env.newUser();
  const next = await f.env.newUser();
  const lp = await f.lp(10_000n * ONE_DEBT);
  const b = await f.borrower(10n * ONE_COLL, 0n);
  const proposed = { ...EXAMPLE_PARAMS, borrowCap: 500n * ONE_DEBT, reserveFactorBps: 900 };

  let eta = 0n;
  let proposal!: ReturnType<MarketFixture['marketState']>['params'];
  await t.test('update_market_params proposes; nothing changes at once', async () => {
    const delay = BigInt(f.protocolState().paramsDelaySecs);
    assert.equal(delay, 86_400n, 'init_protocol sets a day');
    await env.expectRefused(f.ixExecuteParams(), ZERO_LOSS_ERROR__NO_PENDING_PARAMS);
    await env.expectRefused(await f.ixUpdateParams(stranger, proposed), ZERO_LOSS_ERROR__NOT_ADMIN);
    const ev = only(
      await env.exec([await f.ixUpdateParams(f.admin, proposed)]),
      'MarketParamsProposed',
    );
    eta = env.now() + delay;
    assert.equal(ev.market, f.market);
    assert.equal(ev.eta, eta);
    assert.equal(ev.params.borrowCap, 500n * ONE_DEBT);
    assert.equal(ev.params.reserveFactorBps, 900);
    proposal = ev.params;
    const m = f.marketState();
    assert.deepEqual(m.pendingParams, proposal);
    assert.equal(m.pendingParamsEta, eta);
    assert.equal(m.pendingParams.borrowCap, 500n * ONE_DEBT);
    assert.equal(m.params.borrowCap, EXAMPLE_PARAMS.borrowCap, 'in force only after the delay');
    assert.equal(m.params.reserveFactorBps, EXAMPLE_PARAMS.reserveFactorBps);
  });

  await t.test('execute_market_params waits for the timelock, then applies', async () => {
    await env.expectRefused(f.ixExecuteParams(), ZERO_LOSS_ERROR__TIMELOCK_PENDING);
    f.advance(eta - env.now() - 1n);
    await env.expectRefused(f.ixExecuteParams(), ZERO_LOSS_ERROR__TIMELOCK_PENDING);
    f.advance(1n);
    const ev = only(await env.exec([f.ixExecuteParams()]), 'MarketParamsUpdated');
    assert.equal(ev.market, f.market);
    assert.equal(ev.ts, eta);
    const m = f.marketState();
    assert.deepEqual(m.params, proposal, 'the proposal is in force');
    assert.equal(m.params.borrowCap, 500n * ONE_DEBT);
    assert.equal(m.params.reserveFactorBps, 900);
    assert.equal(m.pendingParamsEta, 0n);
    await env.expectRefused(f.ixExecuteParams(), ZERO_LOSS_ERROR__NO_PENDING_PARAMS);
  });

  await t.test('the new borrow cap binds; refresh_market reports the index', async () => {
    await env.expectRefused(
      await f.ixBorrow(b, 501n * ONE_DEBT),
      ZERO_LOSS_ERROR__BORROW_CAP_EXCEEDED,
    );
    const borrowed = only(await env.exec([await f.ixBorrow(b, 500n * ONE_DEBT)]), 'Borrowed');
    assert.equal(borrowed.debt, 500n * ONE_DEBT);
    f.advance(600n);
    const ev = only(await env.exec([await f.ixRefresh()]), 'MarketRefreshed');
    assert.ok(ev.interest > 0n, 'ten minutes of interest on 500');
    assert.equal(ev.borrowIndex, f.marketState().borrowIndex);
    assert.ok(ev.borrowIndex > WAD);
  });

  await t.test('propose_admin: only the admin; a proposal alone changes nothing', async () => {
    await env.expectRefused(
      await f.ixProposeAdmin(stranger, stranger.address),
      ZERO_LOSS_ERROR__NOT_ADMIN,
    );
    await env.expectRefused(await f.ixAcceptAdmin(next), ZERO_LOSS_ERROR__NOT_PENDING_ADMIN);
    const ev = only(
      await env.exec([await f.ixProposeAdmin(f.admin, next.address)]),
      'AdminProposed',
    );
    assert.equal(ev.admin, f.admin.address);
    assert.equal(ev.pendingAdmin, next.address);
    const p = f.protocolState();
    assert.equal(p.admin, f.admin.address);
    assert.equal(p.pendingAdmin, next.address);
  });

  await t.test(
    'accept_admin: refused for another signer; the proposed key takes over',
    async () => {
      const r = await env.expectRefused(
        await f.ixAcceptAdmin(stranger),
        ZERO_LOSS_ERROR__NOT_PENDING_ADMIN,
      );
      assert.equal(r.error?.program?.name, 'NotPendingAdmin');
      const ev = only(await env.exec([await f.ixAcceptAdmin(next)]), 'AdminAccepted');
      assert.equal(ev.oldAdmin, f.admin.address);
      assert.equal(ev.newAdmin, next.address);
      const p = f.protocolState();
      assert.equal(p.admin, next.address);
      assert.equal(p.pendingAdmin, DEFAULT_ADDRESS);
    },
  );

  await t.test('the old admin has lost its powers; the new one pauses LP', async () => {
    await env.expectRefused(await f.ixSetPause(f.admin, PAUSE.LP), ZERO_LOSS_ERROR__NOT_ADMIN);
    const ev = only(await env.exec([await f.ixSetPause(next, PAUSE.LP)]), 'PauseSet');
    assert.equal(ev.paused, PAUSE.LP);
    assert.equal(ev.expiresAt, env.now() + WEEK);
    assert.equal(f.protocolState().paused, PAUSE.LP);
    await env.mintTo(f.debtMint, lp.debtAta, ONE_DEBT);
    await env.expectRefused(await f.ixLpDeposit(lp, ONE_DEBT), ZERO_LOSS_ERROR__PAUSED);
    // Other groups go on: repay is never paused, and borrowing is not in LP.
    const payer = await f.user(0n, 10n * ONE_DEBT);
    assert.equal(
      only(await env.exec([await f.ixRepay(payer, b.margin, ONE_DEBT)]), 'Repaid').payer,
      payer.kp.address,
    );
    only(await env.exec([await f.ixSetPause(next, 0)]), 'PauseSet');
    assert.equal(f.protocolState().paused, 0);
    const dep = only(await env.exec([await f.ixLpDeposit(lp, ONE_DEBT)]), 'LpDeposited');
    assert.equal(dep.amount, ONE_DEBT);
  });

  collect(env);
});

test('this file sent every instruction of the IDL successfully', () => {
  const idl = JSON.parse(readFileSync(join(REPO_ROOT, 'idl/zero_loss.json'), 'utf8'));
  const all = Object.values(ZeroLossInstruction).filter(
    (v): v is ZeroLossInstruction => typeof v === 'number',
  );
  assert.equal(all.length, idl.instructions.length, 'the generated enum has every instruction');
  const missing = all.filter((i) => !sent.has(i)).map((i) => ZeroLossInstruction[i]);
  assert.deepEqual(missing, []);
});
