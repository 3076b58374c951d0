// A whole life of a market on the program's SBF build in LiteSVM, through the
// generated client only: init protocol and market, LP deposit, open, deposit,
// borrow, a price crash, check_health, a kick, a bid, settlement, an LP
// withdrawal. Every transaction's `Program data:` lines must all decode to
// the program's events (Env.send checks); the events expected are asserted
// in order, and so are the token balances after every move of money.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Address } from '@solana/kit';
import {
  AccountStatus,
  WAD,
  ZERO_LOSS_ERROR__MAX_LTV_EXCEEDED,
  ZERO_LOSS_ERROR__NOT_DISTRESSED,
  ZERO_LOSS_ERROR__ORACLE_STALE,
  ZERO_LOSS_ERROR__TOO_EXPENSIVE,
  Zone,
  auctionFloor,
  auctionPriceAt,
  divIntFloor,
  evaluateHealth,
  eventsNamed,
  fetchMarginHealth,
  fromBps,
  getBidWithMaxPriceInstruction,
  getZeroLossErrorMessage,
  marginHealthFromAccounts,
  marketPrices,
  maxPriceWithSlippage,
  mulIntCeil,
  priceToWad,
  type ZeroLossEvent,
} from '../src';
import { type TxResult } from './helpers/env';
import {
  COLLATERAL_DECIMALS,
  DEBT_DECIMALS,
  EXAMPLE_PARAMS,
  MarketFixture,
  ONE_COLL,
  ONE_DEBT,
  type User,
} from './helpers/market';

const U64_MAX = (1n << 64n) - 1n;

function names(r: TxResult): string[] {
  return r.events.map((e) => e.name);
}

/** The single event of `r`, asserting the transaction emitted exactly `name`. */
function only<N extends ZeroLossEvent['name']>(r: TxResult, name: N) {
  assert.deepEqual(names(r), [name]);
  return eventsNamed(r.events, name)[0]!;
}

/** The client's view of `u`'s health, from the accounts as they are now. */
function clientHealth(f: MarketFixture, u: User) {
  const acc = (k: Address) => {
    const a = f.env.svm.getAccount(k);
    assert.ok(a.exists);
    return { owner: a.programAddress, data: a.data };
  };
  return marginHealthFromAccounts(
    f.marketState(),
    f.marginState(u),
    acc(f.collateralOracle),
    acc(f.debtOracle),
    f.env.now(),
  );
}

test('a market from init to LP withdrawal, through the generated client', async (t) => {
  // A top 10% over spot and a floor 20% under: room to see the curve at
  // work (the example starts at spot with a 5% floor).
  const { f, results } = await MarketFixture.create({
    params: { ...EXAMPLE_PARAMS, auctionBufBps: 11_000, auctionMaxDiscountBps: 2_000 },
  });
  const env = f.env;
  const life: string[] = [];
  const record = (r: TxResult) => {
    life.push(...names(r));
    return r;
  };
  results.forEach(record);

  await t.test('init_protocol and init_market', () => {
    const [ip, im] = results;
    assert.equal(only(ip!, 'ProtocolInitialized').admin, f.admin.address);
    const mi = only(im!, 'MarketInitialized');
    assert.equal(mi.market, f.market);
    assert.equal(mi.collateralMint, f.collateralMint);
    assert.equal(mi.debtMint, f.debtMint);
    assert.equal(mi.lpMint, f.lpMint);
    const m = f.marketState();
    assert.deepEqual(m.collateralFeedId, new Uint8Array(32).fill(0xc0));
    assert.equal(m.collateralDecimals, COLLATERAL_DECIMALS);
    assert.equal(m.debtDecimals, DEBT_DECIMALS);
    assert.equal(m.params.liqLtvBps, 8_000);
  });

  const lp = await f.user(0n, 100_000n * ONE_DEBT);
  await t.test('LP deposit: 100,000 debt tokens for as many shares', async () => {
    const r = record(await env.exec([await f.ixLpDeposit(lp, 100_000n * ONE_DEBT)]));
    const ev = only(r, 'LpDeposited');
    assert.equal(ev.amount, 100_000n * ONE_DEBT);
    assert.equal(ev.shares, 100_000n * ONE_DEBT, 'the first deposit mints one share per unit');
    assert.equal(env.balance(lp.debtAta), 0n);
    assert.equal(env.balance(lp.lpAta), 100_000n * ONE_DEBT);
    assert.equal(env.balance(f.addrs.liquidityVault), 100_000n * ONE_DEBT);
  });

  await t.test('insurance funded: 100 debt tokens', async () => {
    const src = await env.createTokenAccount(f.debtMint, f.admin.address);
    await env.mintTo(f.debtMint, src, 100n * ONE_DEBT);
    const r = record(await env.exec([await f.ixFundInsurance(f.admin, src, 100n * ONE_DEBT)]));
    assert.equal(only(r, 'InsuranceFunded').amount, 100n * ONE_DEBT);
    assert.equal(env.balance(f.addrs.insuranceVault), 100n * ONE_DEBT);
  });

  const b = await f.user(10n * ONE_COLL, 0n);
  await t.test('open a margin account and deposit 10 collateral tokens', async () => {
    let r = record(await env.exec([await f.ixOpen(b)]));
    const opened = only(r, 'MarginAccountOpened');
    assert.equal(opened.marginAccount, b.margin);
    assert.equal(opened.owner, b.kp.address);
    r = record(await env.exec([await f.ixDeposit(b, 10n * ONE_COLL)]));
    const dep = only(r, 'CollateralDeposited');
    assert.equal(dep.amount, 10n * ONE_COLL);
    assert.equal(dep.collateral, 10n * ONE_COLL);
    assert.equal(env.balance(b.collateralAta), 0n);
    assert.equal(env.balance(f.addrs.collateralVault), 10n * ONE_COLL);
    assert.equal(f.marginState(b).collateral, 10n * ONE_COLL);
  });

  await t.test('borrow: 700 is past max_ltv (refused by name), 690 is lent', async () => {
    // The client predicts both: the conservative price of 10 tokens at $100
    // (conf 0.05% on each side) supports 699.3 at 70%.
    const m = f.marketState();
    const prices = marketPrices(m, f.collateralPrice.priceMessage, f.debtPrice.priceMessage);
    const sharesFor = (amount: bigint) => divIntCeilShares(amount, m.borrowIndex);
    const at = (amount: bigint) =>
      evaluateHealth(m, { collateral: 10n * ONE_COLL, debtShares: sharesFor(amount) }, prices, {
        now: env.now(),
      });
    assert.ok(at(700n * ONE_DEBT).openingLtv > fromBps(m.params.maxLtvBps));
    assert.ok(at(690n * ONE_DEBT).openingLtv <= fromBps(m.params.maxLtvBps));

    const refused = await env.expectRefused(
      await f.ixBorrow(b, 700n * ONE_DEBT),
      ZERO_LOSS_ERROR__MAX_LTV_EXCEEDED,
    );
    assert.equal(refused.error?.program?.name, 'MaxLtvExceeded');
    assert.match(getZeroLossErrorMessage(ZERO_LOSS_ERROR__MAX_LTV_EXCEEDED), /^lend\/max-ltv/);
    assert.equal(env.balance(b.debtAta), 0n);

    const r = record(await env.exec([await f.ixBorrow(b, 690n * ONE_DEBT)]));
    const ev = only(r, 'Borrowed');
    assert.equal(ev.amount, 690n * ONE_DEBT);
    assert.equal(ev.debt, 690n * ONE_DEBT);
    assert.equal(ev.ltvBps, toBps(at(690n * ONE_DEBT).openingLtv), 'LTV on the conservative price');
    assert.equal(env.balance(b.debtAta), 690n * ONE_DEBT);
    assert.equal(env.balance(f.addrs.liquidityVault), (100_000n - 690n) * ONE_DEBT);
  });

  await t.test('check_health at $100: healthy, as the client computes it', async () => {
    f.advance(30n);
    const expected = clientHealth(f, b);
    assert.deepEqual(expected.refusals, { collateral: null, debt: null });
    // The same through the fetching helper (one getMultipleAccounts call).
    const fetched = await fetchMarginHealth(env.rpc(), {
      marginAccount: b.margin,
      market: f.market,
      collateralOracle: f.collateralOracle,
      debtOracle: f.debtOracle,
      now: env.now(),
    });
    assert.deepEqual(fetched.health, expected.health);
    const r = record(await env.exec([f.ixCheckHealth(b.margin)]));
    const ev = only(r, 'HealthChecked');
    assertHealthEvent(ev, expected.health);
    assert.equal(ev.zone, Zone.Healthy);
    assert.equal(f.marginState(b).lastZone, Zone.Healthy);
  });

  const keeper = await f.user(0n, 0n);
  await t.test('no kick while healthy (refused by name)', async () => {
    const a = await f.nextAuction();
    await env.expectRefused(
      await f.ixStartAuction(keeper, b.margin, a),
      ZERO_LOSS_ERROR__NOT_DISTRESSED,
    );
  });

  await t.test(
    'a price update older than oracle_max_age_secs is refused (OracleStale)',
    async () => {
      env.advance(61n); // the feeds were last published 61 s ago; max age 60
      const r = await env.expectRefused(f.ixCheckHealth(b.margin), ZERO_LOSS_ERROR__ORACLE_STALE);
      assert.equal(r.error?.program?.name, 'OracleStale');
      assert.equal(clientHealth(f, b).refusals.collateral, 'OracleStale');
    },
  );

  await t.test('the price crashes to $80: check_health finds the account distressed', async () => {
    f.setPrices(80n * 100_000_000n, 80n * 100_000_000n);
    const expected = clientHealth(f, b);
    assert.equal(expected.health.zone, Zone.Distressed);
    const r = record(await env.exec([f.ixCheckHealth(b.margin)]));
    const ev = only(r, 'HealthChecked');
    assertHealthEvent(ev, expected.health);
    assert.equal(ev.zone, Zone.Distressed);
    assert.ok(ev.triggerLtvBps > 8_000n);
    assert.equal(f.marginState(b).lastZone, Zone.Distressed);
  });

  let auction!: Address;
  let started!: ReturnType<typeof eventsNamed<'AuctionStarted'>>[number];
  await t.test('a keeper kicks a slice into a Dutch auction and is rewarded', async () => {
    auction = await f.nextAuction();
    const insuranceBefore = env.balance(f.addrs.insuranceVault);
    const before = f.marginState(b);
    const r = record(await env.exec([await f.ixStartAuction(keeper, b.margin, auction)]));
    started = only(r, 'AuctionStarted');
    assert.equal(started.auction, auction);
    assert.equal(started.owner, b.margin);
    assert.equal(started.kicker, keeper.kp.address);
    assert.equal(started.emergency, false);
    assert.equal(started.wholePosition, false);
    // top = spot (confidence-adjusted) * auction_buf (110%), rounded up.
    const m = f.marketState();
    const spot = marketPrices(m, f.collateralPrice.priceMessage, f.debtPrice.priceMessage).spot;
    assert.equal(started.top, mulCeilWad(spot, fromBps(m.params.auctionBufBps)));
    // tab = principal + 3% penalty (rounded up); keeper reward = tip + 0.1% of the tab.
    assert.equal(started.tab, started.principal + ceilDiv(started.principal * 300n, 10_000n));
    assert.equal(started.keeperReward, ONE_DEBT + started.tab / 1_000n);
    assert.equal(env.balance(keeper.debtAta), started.keeperReward);
    assert.equal(env.balance(f.addrs.insuranceVault), insuranceBefore - started.keeperReward);
    const after = f.marginState(b);
    assert.equal(after.collateral, before.collateral - started.lot);
    assert.equal(after.status, AccountStatus.InAuction);
    assert.equal(
      env.balance(f.addrs.collateralVault),
      10n * ONE_COLL,
      'the lot stays in the vault',
    );
  });

  const bidder = await f.user(0n, 10_000n * ONE_DEBT);
  const bidAccounts = () => ({
    bidder: bidder.kp,
    market: f.market,
    auction,
    bidderDebt: bidder.debtAta,
    bidderCollateral: bidder.collateralAta,
    collateralOracle: f.collateralOracle,
    debtOracle: f.debtOracle,
  });

  await t.test('a bid below the current auction price is refused (TooExpensive)', async () => {
    const ix = await getBidWithMaxPriceInstruction({
      ...bidAccounts(),
      maxLot: ONE_COLL,
      maxPrice: started.top - 1n,
    });
    const r = await env.expectRefused(ix, ZERO_LOSS_ERROR__TOO_EXPENSIVE);
    assert.equal(r.error?.program?.name, 'TooExpensive');
    assert.equal(env.balance(bidder.debtAta), 10_000n * ONE_DEBT);
  });

  await t.test('ten minutes on, a bid at "80 per token + 0.5%" buys the whole tab', async () => {
    // The bidder accepts 80 debt tokens per collateral token, 0.5% slippage:
    // max_price in the program's unit, WAD debt native units per collateral
    // native unit (80 * 10^6 / 10^9 * 10^18 = 8e16), raised by 0.5%.
    const accepted = priceToWad('80', COLLATERAL_DECIMALS, DEBT_DECIMALS);
    assert.equal(accepted, 80_000_000_000_000_000n);
    const maxPrice = maxPriceWithSlippage(accepted, 50);
    assert.equal(maxPrice, 80_400_000_000_000_000n);
    f.advance(600n); // 10 steps of 60 s: the curve is top * 0.99^10
    const m = f.marketState();
    const au = f.auctionState(auction);
    const prices = marketPrices(m, f.collateralPrice.priceMessage, f.debtPrice.priceMessage);
    const price = auctionPriceAt(au, m, prices, env.now());
    assert.ok(
      price <= maxPrice && price > auctionFloor(m, prices),
      'on the curve, within the limit',
    );

    const before = {
      debt: env.balance(bidder.debtAta),
      liquidity: env.balance(f.addrs.liquidityVault),
      insurance: env.balance(f.addrs.insuranceVault),
      vault: env.balance(f.addrs.collateralVault),
    };
    const ix = await getBidWithMaxPriceInstruction({
      ...bidAccounts(),
      maxLot: U64_MAX,
      acceptedPrice: accepted,
      slippageBps: 50,
    });
    const r = record(await env.exec([ix]));
    const ev = only(r, 'AuctionBid');
    assert.equal(ev.price, price, 'the client predicted the price');
    assert.equal(ev.bidder, bidder.kp.address);
    assert.equal(ev.paid, started.tab, 'the whole tab is raised');
    assert.equal(ev.tabLeft, 0n);
    assert.equal(
      ev.collateral,
      divIntFloor(price, started.tab),
      'tab / price collateral, rounded down',
    );
    assert.equal(ev.lotLeft, started.lot - ev.collateral);
    assert.ok(ev.lotLeft > 0n);
    assert.equal(ev.principal, started.principal);
    assert.equal(ev.penalty, started.tab - started.principal);
    assert.ok(mulIntCeil(price, ev.collateral) <= ev.paid);
    // Money: the bidder pays the tab and receives the collateral; principal
    // to liquidity, penalty to insurance.
    assert.equal(env.balance(bidder.debtAta), before.debt - ev.paid);
    assert.equal(env.balance(bidder.collateralAta), ev.collateral);
    assert.equal(env.balance(f.addrs.liquidityVault), before.liquidity + ev.principal);
    assert.equal(env.balance(f.addrs.insuranceVault), before.insurance + ev.penalty);
    assert.equal(env.balance(f.addrs.collateralVault), before.vault - ev.collateral);
  });

  await t.test('settlement returns the leftover collateral and the rent', async () => {
    const lotLeft = f.auctionState(auction).lot;
    const before = f.marginState(b).collateral;
    const kickerLamports = env.svm.getBalance(keeper.kp.address)!;
    const rent = env.svm.getBalance(auction)!;
    const r = record(
      await env.exec([await f.ixSettle(bidder.kp, auction, keeper.kp.address, b.margin)]),
    );
    const ev = only(r, 'AuctionSettled');
    assert.equal(ev.auction, auction);
    assert.equal(ev.owner, b.margin);
    assert.equal(ev.raised, started.tab);
    assert.equal(ev.collateralReturned, lotLeft);
    assert.equal(ev.badDebt, 0n);
    assert.equal(ev.insurancePaid, 0n);
    assert.equal(ev.polPaid, 0n);
    const m = f.marginState(b);
    assert.equal(m.collateral, before + lotLeft);
    assert.equal(m.status, AccountStatus.Active);
    assert.equal(m.openAuctions, 0);
    assert.equal(env.svm.getAccount(auction).exists, false, 'the auction is closed');
    assert.equal(env.svm.getBalance(keeper.kp.address), kickerLamports + rent);
    const mk = f.marketState();
    assert.equal(mk.auctionDebt, 0n);
    assert.equal(env.balance(f.addrs.collateralVault), mk.totalCollateral);
    assert.equal(env.balance(f.addrs.liquidityVault), mk.liquidityAmount);
    assert.equal(env.balance(f.addrs.insuranceVault), mk.insuranceAmount);
  });

  await t.test('after settlement the account is healthy again', async () => {
    const expected = clientHealth(f, b);
    const r = record(await env.exec([f.ixCheckHealth(b.margin)]));
    const ev = only(r, 'HealthChecked');
    assertHealthEvent(ev, expected.health);
    assert.equal(ev.zone, Zone.Healthy);
  });

  await t.test('LP withdrawal: half the shares, at no loss', async () => {
    const shares = 50_000n * ONE_DEBT;
    const before = env.balance(f.addrs.liquidityVault);
    const r = record(await env.exec([await f.ixLpWithdraw(lp, shares)]));
    const ev = only(r, 'LpWithdrawn');
    assert.equal(ev.shares, shares);
    assert.ok(ev.amount >= shares, 'the share price never fell: no bad debt');
    assert.equal(env.balance(lp.debtAta), ev.amount);
    assert.equal(env.balance(lp.lpAta), 100_000n * ONE_DEBT - shares);
    assert.equal(env.balance(f.addrs.liquidityVault), before - ev.amount);
    assert.equal(f.marketState().lpShares, 100_000n * ONE_DEBT - shares);
  });

  await t.test('the events of the whole life, in order', () => {
    assert.deepEqual(life, [
      'ProtocolInitialized',
      'MarketInitialized',
      'LpDeposited',
      'InsuranceFunded',
      'MarginAccountOpened',
      'CollateralDeposited',
      'Borrowed',
      'HealthChecked',
      'HealthChecked',
      'AuctionStarted',
      'AuctionBid',
      'AuctionSettled',
      'HealthChecked',
      'LpWithdrawn',
    ]);
  });
});

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

function mulCeilWad(a: bigint, b: bigint): bigint {
  return ceilDiv(a * b, WAD);
}

function toBps(x: bigint): bigint {
  return ceilDiv(x * 10_000n, WAD);
}

/** Debt shares minted for borrowing `amount` at `index`, rounded up. */
function divIntCeilShares(amount: bigint, index: bigint): bigint {
  return ceilDiv(amount * WAD, index);
}

function assertHealthEvent(
  ev: ReturnType<typeof eventsNamed<'HealthChecked'>>[number],
  h: ReturnType<typeof evaluateHealth>,
) {
  assert.deepEqual(
    {
      debt: ev.debt,
      triggerLtvBps: ev.triggerLtvBps,
      spotLtvBps: ev.spotLtvBps,
      heldLtvBps: ev.heldLtvBps,
      bufferBps: ev.bufferBps,
      distressLtvBps: ev.distressLtvBps,
      zone: ev.zone,
    },
    {
      debt: h.debt,
      triggerLtvBps: h.bps.triggerLtv,
      spotLtvBps: h.bps.spotLtv,
      heldLtvBps: h.bps.heldLtv,
      bufferBps: h.bps.buffer,
      distressLtvBps: h.bps.distressLtv,
      zone: h.zone,
    },
    'the program and the client judge the account alike',
  );
}
