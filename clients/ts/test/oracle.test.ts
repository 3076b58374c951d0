// The program's oracle reader on the captured mainnet PriceUpdateV2 bytes
// (tests/fixtures/pyth/), loaded into LiteSVM at their own addresses and
// owned by the Pyth receiver.
//
// The SOL/USD and USDC/USD captures were published months apart and a market
// accepts a reading at most oracle_max_age_secs (<= 1 h) old, so no clock
// makes both fresh at once. Each real account is therefore paired with a
// synthetic account for the other feed, written by the client's encoder,
// once for each real account: the real SOL/USD accounts as the collateral
// feed (against a synthetic $1.00 quote), the real USDC/USD account as the
// debt feed (against a synthetic $100 collateral). The synthetic side has
// no confidence band and a different exponent, so the figures the program
// reports depend on the real account's price, confidence, EMA, EMA
// confidence and exponent, which the expected values below are computed
// from directly, as documented in SOURCES.md.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Address, address, generateKeyPairSigner } from '@solana/kit';
import {
  PYTH_RECEIVER_PROGRAM_ADDRESS,
  type PriceUpdateV2,
  WAD,
  ZERO_LOSS_ERROR__ORACLE_STALE,
  ZERO_LOSS_ERROR__ORACLE_WRONG_FEED,
  checkPriceUpdate,
  decodePriceUpdateV2,
  eventsNamed,
  evaluateHealth,
  feedIdFromHex,
  getRefreshMarketInstruction,
  marketPrices,
} from '../src';
import {
  type Documented,
  SOL_2025,
  SOL_2026,
  USDC_2026,
  loadAccountJson,
} from './helpers/fixtures';
import { COLLATERAL_FEED, DEBT_FEED, MarketFixture, ONE_COLL, ONE_DEBT } from './helpers/market';

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
const pow10 = (e: number) => 10n ** BigInt(e);

/**
 * Debt native units per collateral native unit, WAD, of a collateral at
 * `c * 10^ce` USD and a debt asset at `d * 10^de` USD (9 and 6 decimals),
 * rounded down: the program's formula, written out for these exponents.
 */
function quote(c: bigint, ce: number, d: bigint, de: number): bigint {
  const exp = 18 + ce - de + 6 - 9;
  assert.ok(exp >= 0);
  return (c * pow10(exp)) / d;
}

/** The trigger LTV in bps as the program rounds it: debt over value (floor), up; then bps, up. */
function ltvBps(debt: bigint, collateral: bigint, price: bigint): bigint {
  const value = (collateral * price) / WAD;
  return ceilDiv(ceilDiv(debt * WAD, value) * 10_000n, WAD);
}

/** A synthetic reading without a confidence band, exponent -6. */
function synthetic(feedId: Uint8Array, price: bigint, publishTime: bigint): PriceUpdateV2 {
  return {
    writeAuthority: address('11111111111111111111111111111111'),
    verificationLevel: { __kind: 'Full' },
    priceMessage: {
      feedId,
      price,
      conf: 0n,
      exponent: -6,
      publishTime,
      prevPublishTime: publishTime - 1n,
      emaPrice: price,
      emaConf: 0n,
    },
    postedSlot: 1n,
  };
}

type Case = {
  doc: Documented;
  side: 'collateral' | 'debt';
  /** The synthetic other side's price at exponent -6. */
  otherPrice: bigint;
  expectSpot: (d: Documented) => bigint;
  expectEma: (d: Documented) => bigint;
  /** The trigger price: collateral at ema - ema_conf, debt at ema + ema_conf (k = 1). */
  expectTrigger: (d: Documented) => bigint;
};

const CASES: Case[] = [
  ...[SOL_2025, SOL_2026].map((doc): Case => ({
    doc,
    side: 'collateral',
    otherPrice: 1_000_000n, // $1.00
    expectSpot: (d) => quote(d.price, d.exponent, 1_000_000n, -6),
    expectEma: (d) => quote(d.emaPrice, d.exponent, 1_000_000n, -6),
    expectTrigger: (d) => quote(d.emaPrice - d.emaConf, d.exponent, 1_000_000n, -6),
  })),
  {
    doc: USDC_2026,
    side: 'debt',
    otherPrice: 100_000_000n, // $100.00
    expectSpot: (d) => quote(100_000_000n, -6, d.price, d.exponent),
    expectEma: (d) => quote(100_000_000n, -6, d.emaPrice, d.exponent),
    expectTrigger: (d) => quote(100_000_000n, -6, d.emaPrice + d.emaConf, d.exponent),
  },
];

async function setup(c: Case) {
  const real = loadAccountJson(c.doc.file);
  assert.equal(real.owner, PYTH_RECEIVER_PROGRAM_ADDRESS);
  const now = c.doc.publishTime + 5n;
  const other: Address = (await generateKeyPairSigner()).address;
  const realFeed = feedIdFromHex(c.doc.feedIdHex);
  const feeds =
    c.side === 'collateral'
      ? { collateral: realFeed, debt: DEBT_FEED }
      : { collateral: COLLATERAL_FEED, debt: realFeed };
  const oracles =
    c.side === 'collateral'
      ? { collateral: real.pubkey, debt: other }
      : { collateral: other, debt: real.pubkey };
  const { f } = await MarketFixture.create({ now, feeds, oracles, writeOracles: false });
  f.env.writeAccount(real.pubkey, real.data, real.owner, real.lamports);
  const otherFeed = c.side === 'collateral' ? DEBT_FEED : COLLATERAL_FEED;
  const writeOther = () =>
    f.env.writePriceUpdate(other, synthetic(otherFeed, c.otherPrice, f.env.now()));
  writeOther();
  return { f, real, other, writeOther };
}

describe("the program's oracle reader on captured mainnet PriceUpdateV2 accounts", () => {
  for (const c of CASES) {
    const label = `${c.doc.file} as the ${c.side} feed`;

    test(`${label}: refresh_market reports the documented spot and EMA prices`, async () => {
      const { f, real } = await setup(c);
      const r = await f.env.exec([await f.ixRefresh()]);
      assert.deepEqual(
        r.events.map((e) => e.name),
        ['MarketRefreshed'],
        'no breaker trip on a normal reading',
      );
      const ev = eventsNamed(r.events, 'MarketRefreshed')[0]!;
      assert.equal(ev.spotPrice, c.expectSpot(c.doc));
      assert.equal(ev.emaPrice, c.expectEma(c.doc));
      assert.equal(ev.breakerReasons, 0);
      // The client, decoding the same bytes, computes the same prices.
      const m = f.marketState();
      const co = f.env.data(f.collateralOracle);
      const dor = f.env.data(f.debtOracle);
      const p = marketPrices(
        m,
        decodePriceUpdateV2(co).priceMessage,
        decodePriceUpdateV2(dor).priceMessage,
      );
      assert.equal(p.spotMid, ev.spotPrice);
      assert.equal(p.emaMid, ev.emaPrice);
      assert.equal(p.trigger, c.expectTrigger(c.doc));
      // The market remembers the real feed's publish time.
      const published = c.side === 'collateral' ? m.collateralPublishTime : m.debtPublishTime;
      assert.equal(published, c.doc.publishTime);
      assert.equal(
        checkPriceUpdate(
          { owner: real.owner, data: real.data },
          real.data.slice(41, 73),
          m.params,
          f.env.now(),
        ),
        null,
      );
    });

    test(`${label}: borrow and check_health use its confidence and EMA`, async () => {
      const { f } = await setup(c);
      const env = f.env;
      const lp = await f.user(0n, 10_000n * ONE_DEBT);
      await env.exec([await f.ixLpDeposit(lp, 10_000n * ONE_DEBT)]);
      const b = await f.user(10n * ONE_COLL, 0n);
      await env.exec([await f.ixOpen(b), await f.ixDeposit(b, 10n * ONE_COLL)]);
      const debt = 100n * ONE_DEBT;
      const m = f.marketState();
      const prices = marketPrices(
        m,
        decodePriceUpdateV2(env.data(f.collateralOracle)).priceMessage,
        decodePriceUpdateV2(env.data(f.debtOracle)).priceMessage,
      );
      const borrowed = eventsNamed(
        (await env.exec([await f.ixBorrow(b, debt)])).events,
        'Borrowed',
      )[0]!;
      const opening = ltvBps(
        debt,
        10n * ONE_COLL,
        prices.trigger < prices.spot ? prices.trigger : prices.spot,
      );
      assert.equal(borrowed.ltvBps, opening);

      const r = await env.exec([f.ixCheckHealth(b.margin)]);
      const hc = eventsNamed(r.events, 'HealthChecked')[0]!;
      assert.equal(hc.debt, debt);
      assert.equal(hc.triggerLtvBps, ltvBps(debt, 10n * ONE_COLL, c.expectTrigger(c.doc)));
      const h = evaluateHealth(f.marketState(), f.marginState(b), prices, { now: env.now() });
      assert.deepEqual(
        [hc.triggerLtvBps, hc.spotLtvBps, hc.heldLtvBps, hc.bufferBps, hc.distressLtvBps, hc.zone],
        [h.bps.triggerLtv, h.bps.spotLtv, h.bps.heldLtv, h.bps.buffer, h.bps.distressLtv, h.zone],
      );
    });

    test(`${label}: presented as the other feed it is refused (OracleWrongFeed)`, async () => {
      const { f, real } = await setup(c);
      const ix = getRefreshMarketInstruction({
        market: f.market,
        liquidityVault: f.addrs.liquidityVault,
        insuranceVault: f.addrs.insuranceVault,
        // The real account in both slots: the slot it does not belong to
        // expects the synthetic feed's id.
        collateralOracle: real.pubkey,
        debtOracle: real.pubkey,
      });
      const r = await f.env.expectRefused(ix, ZERO_LOSS_ERROR__ORACLE_WRONG_FEED);
      assert.equal(r.error?.program?.name, 'OracleWrongFeed');
      const m = f.marketState();
      const wrongFeed = c.side === 'collateral' ? m.debtFeedId : m.collateralFeedId;
      assert.equal(
        checkPriceUpdate({ owner: real.owner, data: real.data }, wrongFeed, m.params, f.env.now()),
        'OracleWrongFeed',
      );
    });

    test(`${label}: once older than oracle_max_age_secs it is refused (OracleStale)`, async () => {
      const { f, real, writeOther } = await setup(c);
      f.env.advance(60n); // now - publish_time = 65 > 60
      writeOther(); // the synthetic side stays fresh: the real one is the stale one
      const r = await f.env.expectRefused(await f.ixRefresh(), ZERO_LOSS_ERROR__ORACLE_STALE);
      assert.equal(r.error?.program?.name, 'OracleStale');
      const m = f.marketState();
      const feed = c.side === 'collateral' ? m.collateralFeedId : m.debtFeedId;
      assert.equal(
        checkPriceUpdate({ owner: real.owner, data: real.data }, feed, m.params, f.env.now()),
        'OracleStale',
      );
    });
  }
});
