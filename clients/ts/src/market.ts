/**
 * Reading a market and a margin account, and judging the account's health
 * the way the program does (`risk::evaluate`, `engine/health.rs`,
 * `oracle::read_prices`), in exact bigint arithmetic with the program's
 * rounding, so the zone computed here is the zone `check_health` would
 * store at the same prices and time.
 *
 * Which price judges what (`oracle::PRICE_TABLE`):
 *
 * - The zone's liquidation test uses the **Trigger** basis: the EMA
 *   prices, the collateral at `ema_price - k * ema_conf` and the debt asset
 *   at `ema_price + k * ema_conf` (`k = oracle_conf_k_e4 / 1e4`).
 * - The emergency test (`LTV >= full_ltv`) uses the **Held** basis: the
 *   highest confidence-adjusted spot price the market has seen over more
 *   than `breach_persist_secs` (`engine/held.rs`), or the higher of the
 *   Trigger and Spot prices until it has seen readings that long; the EMA
 *   trigger reaching `full_ltv` is an emergency too.
 * - Borrowing and withdrawing use the **Conservative** basis, the lower of
 *   the two (reported here as `openingLtv`).
 *
 * Prices are debt-asset native units per collateral native unit, as WADs
 * (18 decimals): token decimals are folded in.
 */
import {
  type Address,
  type EncodedAccount,
  type ReadonlyUint8Array,
  type GetAccountInfoApi,
  type GetMultipleAccountsApi,
  type Rpc,
  assertAccountExists,
  fetchEncodedAccounts,
} from '@solana/kit';
import {
  type MarginAccount,
  type Market,
  decodeMarginAccount,
  decodeMarket,
} from './generated/accounts';
import { ZERO_LOSS_PROGRAM_ADDRESS } from './generated/programs';
import { type RiskParams, Zone } from './generated/types';
import {
  U128_MAX,
  WAD,
  divCeil,
  fromBps,
  max,
  min,
  mulCeil,
  mulDivCeil,
  mulDivFloor,
  mulFloor,
  mulIntCeil,
  mulIntFloor,
  ratioCeil,
  sqrtFloor,
  toBpsCeilSaturating,
} from './fixed';
import { type PriceUpdateV2, PYTH_RECEIVER_PROGRAM_ADDRESS, decodePriceUpdateV2 } from './pyth';

/** "Debt against worthless collateral" (`health::LTV_INFINITE`). */
export const LTV_INFINITE = U128_MAX;
/** How far a publish time may run ahead of the clock, seconds (`oracle::MAX_CLOCK_SKEW_SECS`). */
export const MAX_CLOCK_SKEW_SECS = 10n;
/** Seconds in the program's interest year. */
export const SECONDS_PER_YEAR = 31_536_000n;

/** One feed's two readings, in `10^exponent` USD (a `PriceFeedMessage` is one). */
export type FeedReadings = {
  price: bigint;
  conf: bigint;
  emaPrice: bigint;
  emaConf: bigint;
  exponent: number;
  /** Publish time, unix seconds; the market's newest is assumed when absent. */
  publishTime?: bigint;
};

/** The market's prices at one moment (`oracle::MarketPrices`), WADs. */
export type MarketPrices = {
  /** EMA, confidence-adjusted: the liquidation trigger. */
  trigger: bigint;
  /** Spot, confidence-adjusted: auction tops. */
  spot: bigint;
  /** The held spot price (`engine::held`): the emergency test and auction floors. */
  held: bigint;
  /** Spot mid (no confidence band). */
  spotMid: bigint;
  /** EMA mid (no confidence band). */
  emaMid: bigint;
  /** The wider `conf / price` of the two feeds' spot readings. */
  confRatio: bigint;
};

type Reading = { price: bigint; conf: bigint; expo: number };

/**
 * `price::collateral_in_debt`: the collateral's price in debt native units
 * per collateral native unit (WAD), the collateral at `price - k*conf`, the
 * debt at `price + k*conf`, every rounding against the collateral.
 */
export function collateralInDebt(
  c: Reading,
  d: Reading,
  k: bigint,
  collateralDecimals: number,
  debtDecimals: number,
): bigint {
  if (c.price <= 0n || d.price <= 0n) throw new RangeError('oracle: price not positive');
  const cAdj = c.price - mulIntCeil(k, c.conf);
  if (cAdj <= 0n) throw new RangeError('oracle: price less its confidence band is not positive');
  const dAdj = d.price + mulIntCeil(k, d.conf);
  const exp = 18 + c.expo - d.expo + debtDecimals - collateralDecimals;
  if (exp < -36 || exp > 36) throw new RangeError('oracle: price out of range');
  let v: bigint;
  if (exp >= 0) {
    v = mulDivFloor(cAdj, 10n ** BigInt(exp), dAdj);
  } else {
    const den = dAdj * 10n ** BigInt(-exp);
    if (den > U128_MAX) throw new RangeError('oracle: price out of range');
    v = cAdj / den;
  }
  if (v === 0n) throw new RangeError('oracle: price out of range (below 1e-18)');
  return v;
}

/** `conf / price` as a WAD, rounded up. */
export function confRatio(price: bigint, conf: bigint): bigint {
  if (price <= 0n) throw new RangeError('oracle: price not positive');
  return ratioCeil(conf, price);
}

/**
 * The market's prices from its two feeds' readings (`oracle::read_prices`
 * without the account checks; see {@link checkPriceUpdate} for those).
 * Pass decoded `PriceUpdateV2.priceMessage`s or explicit readings.
 */
export function marketPrices(
  market: Pick<Market, 'params' | 'collateralDecimals' | 'debtDecimals'> & HeldWindow,
  collateral: FeedReadings,
  debt: FeedReadings,
): MarketPrices {
  const k = fromBps(market.params.oracleConfKE4);
  const spot = (f: FeedReadings): Reading => ({ price: f.price, conf: f.conf, expo: f.exponent });
  const ema = (f: FeedReadings): Reading => ({
    price: f.emaPrice,
    conf: f.emaConf,
    expo: f.exponent,
  });
  const q = (c: Reading, d: Reading, kk: bigint) =>
    collateralInDebt(c, d, kk, market.collateralDecimals, market.debtDecimals);
  const trigger = q(ema(collateral), ema(debt), k);
  const spotPrice = q(spot(collateral), spot(debt), k);
  const time = collateral.publishTime ?? market.collateralPublishTime;
  return {
    trigger,
    spot: spotPrice,
    held: heldAfter(market, time, spotPrice) ?? max(trigger, spotPrice),
    spotMid: q(spot(collateral), spot(debt), 0n),
    emaMid: q(ema(collateral), ema(debt), 0n),
    confRatio: max(confRatio(collateral.price, collateral.conf), confRatio(debt.price, debt.conf)),
  };
}

/** The market's held-price state (`held::Window`): its two buckets and its newest reading. */
export type HeldWindow = Pick<
  Market,
  'collateralPublishTime' | 'heldPrevMax' | 'heldPrevStart' | 'heldCurMax' | 'heldCurStart'
>;

/**
 * `held::Window::record`: the market's held-price state after a reading of
 * `price` (WAD) published at `time`.
 */
export function recordHeld(
  market: HeldWindow & Pick<Market, 'params'>,
  time: bigint,
  price: bigint,
): HeldWindow {
  const persist = BigInt(market.params.breachPersistSecs);
  const fresh = { collateralPublishTime: time, heldCurMax: price, heldCurStart: time };
  if (market.heldCurMax === 0n || time - market.collateralPublishTime > persist) {
    return { ...fresh, heldPrevMax: 0n, heldPrevStart: 0n };
  }
  if (time - market.heldCurStart > persist) {
    return { ...fresh, heldPrevMax: market.heldCurMax, heldPrevStart: market.heldCurStart };
  }
  return {
    collateralPublishTime: time,
    heldPrevMax: market.heldPrevMax,
    heldPrevStart: market.heldPrevStart,
    heldCurMax: max(market.heldCurMax, price),
    heldCurStart: market.heldCurStart,
  };
}

/**
 * `held::Window::record` then `held()`: the held price after a reading of
 * `price` (WAD) published at `time`, or `null` while the market has not seen
 * readings spanning more than `breach_persist_secs` with no longer silence.
 */
export function heldAfter(
  market: HeldWindow & Pick<Market, 'params'>,
  time: bigint,
  price: bigint,
): bigint | null {
  const w = recordHeld(market, time, price);
  if (w.heldPrevMax === 0n || w.heldCurMax === 0n) return null;
  return max(w.heldPrevMax, w.heldCurMax);
}

/** Why the program would refuse a price account (the error's IDL name). */
export type PriceRefusal =
  | 'OracleWrongOwner'
  | 'OracleInvalidAccount'
  | 'OracleWrongFeed'
  | 'OracleUnverified'
  | 'OracleFromFuture'
  | 'OracleStale'
  | 'OracleConfidenceTooWide'
  | 'OracleNonPositive';

/**
 * `oracle::load_feed`'s checks, in its order: what the program would say of
 * this price account for a market whose feed is `feedId`, at unix time
 * `now`; `null` when it would accept it. (The market also refuses a reading
 * older than the newest it has used: `OracleSuperseded`, see
 * `Market.collateralPublishTime` / `debtPublishTime`.)
 */
export function checkPriceUpdate(
  account: { owner: Address; data: ReadonlyUint8Array },
  feedId: ReadonlyUint8Array,
  params: Pick<RiskParams, 'oracleMaxAgeSecs' | 'oracleMaxConfBps'>,
  now: bigint,
): PriceRefusal | null {
  if (account.owner !== PYTH_RECEIVER_PROGRAM_ADDRESS) return 'OracleWrongOwner';
  let u: PriceUpdateV2;
  try {
    u = decodePriceUpdateV2(account.data);
  } catch {
    return 'OracleInvalidAccount';
  }
  const m = u.priceMessage;
  if (m.feedId.length !== feedId.length || m.feedId.some((b, i) => b !== feedId[i])) {
    return 'OracleWrongFeed';
  }
  if (u.verificationLevel.__kind !== 'Full') return 'OracleUnverified';
  if (m.publishTime > now + MAX_CLOCK_SKEW_SECS) return 'OracleFromFuture';
  if (now - m.publishTime > BigInt(params.oracleMaxAgeSecs)) return 'OracleStale';
  const maxConf = fromBps(params.oracleMaxConfBps);
  for (const [p, c] of [
    [m.price, m.conf],
    [m.emaPrice, m.emaConf],
  ] as const) {
    if (p <= 0n) return 'OracleNonPositive';
    if (confRatio(p, c) > maxConf) return 'OracleConfidenceTooWide';
  }
  return null;
}

/** The kinked borrow APR at utilization `u` (WADs), rounded up. */
function borrowApr(p: RiskParams, u: bigint): bigint {
  const base = fromBps(p.baseRateBps);
  const slope1 = fromBps(p.slope1Bps);
  const slope2 = fromBps(p.slope2Bps);
  const kink = fromBps(p.kinkBps);
  const uu = min(u, WAD);
  if (uu <= kink) return base + divCeil(mulCeil(slope1, uu), kink);
  return base + slope1 + divCeil(mulCeil(slope2, uu - kink), WAD - kink);
}

/**
 * The market's borrow index brought up to `now` (`Market::accrue_interest`):
 * what every price-reading instruction does first.
 */
export function accruedBorrowIndex(
  market: Pick<
    Market,
    'params' | 'borrowIndex' | 'totalDebtShares' | 'liquidityAmount' | 'lastAccrualTs'
  >,
  now: bigint,
): bigint {
  const index = market.borrowIndex;
  if (now <= market.lastAccrualTs || market.totalDebtShares === 0n) return index;
  const dt = now - market.lastAccrualTs;
  const debt = mulIntCeil(index, market.totalDebtShares);
  const total = debt + market.liquidityAmount;
  const u = total === 0n ? 0n : ratioCeil(debt, total);
  const growth = mulDivCeil(borrowApr(market.params, u), dt, SECONDS_PER_YEAR);
  return mulCeil(index, WAD + growth);
}

/** The volatility buffer `b` in force (`volatility::buffer`), WAD. */
export function volatilityBuffer(market: Pick<Market, 'params' | 'volVariance'>): bigint {
  const p = market.params;
  const bMin = fromBps(p.bufferMinBps);
  const bMax = fromBps(p.bufferMaxBps);
  const varT = min(market.volVariance * BigInt(p.recoverySecs), U128_MAX);
  const sigmaT = min(sqrtFloor(varT) + 1n, U128_MAX);
  let b: bigint;
  try {
    b = mulCeil(fromBps(p.volZE4), sigmaT);
  } catch {
    b = bMax;
  }
  return min(max(b, bMin), bMax);
}

/** `debt / (collateral * price)`, rounded up (`health::ltv_ceil`), WAD. */
export function ltvCeil(debt: bigint, collateral: bigint, price: bigint): bigint {
  if (debt === 0n) return 0n;
  const value = mulIntFloor(price, collateral);
  if (value === 0n) return LTV_INFINITE;
  const l = (debt * WAD + value - 1n) / value;
  return l > U128_MAX ? LTV_INFINITE : l;
}

/** A position's health (`risk::HealthReport`); LTVs and thresholds are WADs. */
export type HealthReport = {
  /** Debt owed, debt native units, rounded up. */
  debt: bigint;
  /** LTV on the Trigger (EMA) basis: what the zone is judged by. */
  triggerLtv: bigint;
  /** LTV on the Spot basis (reported). */
  spotLtv: bigint;
  /** LTV on the Held basis: the emergency test. */
  heldLtv: bigint;
  /** LTV on the Conservative basis: what borrowing is limited by. */
  openingLtv: bigint;
  /** The volatility buffer `b`. */
  buffer: bigint;
  /** `liq_ltv / (1 - b)`, rounded down: the top of the partial-liquidation zone. */
  distressLtv: bigint;
  zone: Zone;
  /** The same figures in basis points, rounded up, as `HealthChecked` reports them. */
  bps: {
    triggerLtv: bigint;
    spotLtv: bigint;
    heldLtv: bigint;
    buffer: bigint;
    distressLtv: bigint;
  };
};

/**
 * Judges `collateral` against `debtShares` in `market` at `prices`
 * (`risk::evaluate`). With `now`, the borrow index is first accrued to
 * `now`, as the program does; without it the stored index is used.
 */
export function evaluateHealth(
  market: Market,
  position: Pick<MarginAccount, 'collateral' | 'debtShares'>,
  prices: MarketPrices,
  opts: { now?: bigint } = {},
): HealthReport {
  const index = opts.now === undefined ? market.borrowIndex : accruedBorrowIndex(market, opts.now);
  const debt = mulIntCeil(index, position.debtShares);
  const p = market.params;
  const triggerLtv = ltvCeil(debt, position.collateral, prices.trigger);
  const spotLtv = ltvCeil(debt, position.collateral, prices.spot);
  const heldLtv = ltvCeil(debt, position.collateral, prices.held);
  const openingLtv = ltvCeil(debt, position.collateral, min(prices.trigger, prices.spot));
  const buffer = volatilityBuffer(market);
  const liqLtv = fromBps(p.liqLtvBps);
  const distressLtv = mulDivFloor(liqLtv, WAD, WAD - buffer);
  let zone: Zone;
  const fullLtv = fromBps(p.fullLtvBps);
  if (heldLtv >= fullLtv || triggerLtv >= fullLtv) zone = Zone.Emergency;
  else if (triggerLtv > distressLtv) zone = Zone.Distressed;
  else if (triggerLtv > liqLtv) zone = Zone.Buffer;
  else zone = Zone.Healthy;
  return {
    debt,
    triggerLtv,
    spotLtv,
    heldLtv,
    openingLtv,
    buffer,
    distressLtv,
    zone,
    bps: {
      triggerLtv: toBpsCeilSaturating(triggerLtv),
      spotLtv: toBpsCeilSaturating(spotLtv),
      heldLtv: toBpsCeilSaturating(heldLtv),
      buffer: toBpsCeilSaturating(buffer),
      distressLtv: toBpsCeilSaturating(distressLtv),
    },
  };
}

/** Everything needed to judge one margin account, as read from the chain. */
export type MarginHealth = {
  market: Market;
  marginAccount: MarginAccount;
  collateralUpdate: PriceUpdateV2;
  debtUpdate: PriceUpdateV2;
  /** Problems the program would refuse the price accounts for, if any. */
  refusals: { collateral: PriceRefusal | null; debt: PriceRefusal | null };
  prices: MarketPrices;
  health: HealthReport;
};

/**
 * Fetches a margin account, its market and the market's two price
 * accounts in one `getMultipleAccounts` call, decodes them and computes
 * the account's health at `now` (unix seconds; default: the local clock).
 */
export async function fetchMarginHealth(
  rpc: Rpc<GetAccountInfoApi & GetMultipleAccountsApi>,
  input: {
    marginAccount: Address;
    market: Address;
    collateralOracle: Address;
    debtOracle: Address;
    now?: bigint;
  },
): Promise<MarginHealth> {
  const accounts = await fetchEncodedAccounts(rpc, [
    input.marginAccount,
    input.market,
    input.collateralOracle,
    input.debtOracle,
  ]);
  const [m, mk, co, dor] = accounts.map((a) => {
    assertAccountExists(a);
    return a;
  }) as unknown as [EncodedAccount, EncodedAccount, EncodedAccount, EncodedAccount];
  const marginAccount = decodeMarginAccount(m);
  const market = decodeMarket(mk);
  for (const a of [marginAccount, market]) {
    if (a.programAddress !== ZERO_LOSS_PROGRAM_ADDRESS) {
      throw new Error(`${a.address} is not owned by the zero-loss program`);
    }
  }
  if (marginAccount.data.market !== input.market) {
    throw new Error('the margin account belongs to another market');
  }
  const now = input.now ?? BigInt(Math.floor(Date.now() / 1000));
  return marginHealthFromAccounts(
    market.data,
    marginAccount.data,
    { owner: co.programAddress, data: co.data },
    { owner: dor.programAddress, data: dor.data },
    now,
  );
}

/** {@link fetchMarginHealth} on accounts already read. */
export function marginHealthFromAccounts(
  market: Market,
  marginAccount: MarginAccount,
  collateralOracle: { owner: Address; data: ReadonlyUint8Array },
  debtOracle: { owner: Address; data: ReadonlyUint8Array },
  now: bigint,
): MarginHealth {
  const collateralUpdate = decodePriceUpdateV2(collateralOracle.data);
  const debtUpdate = decodePriceUpdateV2(debtOracle.data);
  const prices = marketPrices(market, collateralUpdate.priceMessage, debtUpdate.priceMessage);
  return {
    market,
    marginAccount,
    collateralUpdate,
    debtUpdate,
    refusals: {
      collateral: checkPriceUpdate(collateralOracle, market.collateralFeedId, market.params, now),
      debt: checkPriceUpdate(debtOracle, market.debtFeedId, market.params, now),
    },
    prices,
    health: evaluateHealth(market, marginAccount, prices, { now }),
  };
}

/** The market's total debt and what its LPs own, debt native units (`Market::lp_assets`). */
export function lpAssets(
  market: Pick<
    Market,
    'borrowIndex' | 'totalDebtShares' | 'auctionDebt' | 'liquidityAmount' | 'pendingReserves'
  >,
): bigint {
  const debt = mulIntCeil(market.borrowIndex, market.totalDebtShares) + market.auctionDebt;
  return market.liquidityAmount + debt - market.pendingReserves;
}
