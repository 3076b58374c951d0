/**
 * Building a `bid` on a Dutch auction with a price limit.
 *
 * Units. `max_price` (like `AuctionStarted.top`, `AuctionBid.price` and
 * `Auction.top`) is a WAD: **debt-asset native units per collateral native
 * unit, times 10^18** (`engine/auction.rs`, `engine/price.rs`). For SOL
 * (9 decimals) against USDC (6 decimals) at $80 per SOL that is
 * `80 * 10^6 / 10^9 * 10^18 = 8 * 10^16`. The program refuses a bid whose
 * current price (the curve's, never below the floor) is above `max_price`
 * (`TooExpensive`); the bidder pays `ceil(price * collateral)`.
 */
import { type Address, type TransactionSigner } from '@solana/kit';
import { type Auction, type Market } from './generated/accounts';
import { type BidInstruction, getBidInstructionAsync } from './generated/instructions';
import { AuctionCurve, type RiskParams } from './generated/types';
import { BPS, WAD, fromBps, max, mulCeil, ratioCeil } from './fixed';
import { type MarketPrices } from './market';
import { VaultKind, findVaultPda } from './pda';

/**
 * A price per whole token as a decimal string (`"80"`, `"80.25"`): debt
 * tokens per collateral token, converted to the program's WAD of native
 * units, rounded down.
 */
export function priceToWad(
  perWholeCollateral: string,
  collateralDecimals: number,
  debtDecimals: number,
): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(perWholeCollateral.trim());
  if (!m) throw new Error(`not a non-negative decimal price: ${perWholeCollateral}`);
  const frac = m[2] ?? '';
  const num = BigInt(m[1]! + frac) * 10n ** BigInt(debtDecimals) * WAD;
  const den = 10n ** BigInt(frac.length + collateralDecimals);
  return num / den;
}

/**
 * A WAD price as debt tokens per whole collateral token, with `digits`
 * decimals (rounded down), for display.
 */
export function wadToPrice(
  wad: bigint,
  collateralDecimals: number,
  debtDecimals: number,
  digits = 6,
): string {
  const scaled =
    (wad * 10n ** BigInt(collateralDecimals + digits)) / (10n ** BigInt(debtDecimals) * WAD);
  const s = scaled.toString().padStart(digits + 1, '0');
  return digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/**
 * The `max_price` for a bidder who accepts `acceptedPrice` (WAD) with a
 * tolerance of `slippageBps`: `acceptedPrice * (1 + slippage)`, rounded
 * down, so the bid never pays more than the tolerance allows.
 */
export function maxPriceWithSlippage(acceptedPrice: bigint, slippageBps: number | bigint): bigint {
  const s = BigInt(slippageBps);
  if (acceptedPrice < 0n || s < 0n) throw new RangeError('price and slippage must be non-negative');
  return (acceptedPrice * (BPS + s)) / BPS;
}

/** `x^n`, each product rounded up (`auction::pow_ceil`). */
function powCeil(x: bigint, n: bigint): bigint {
  let base = x;
  let acc = WAD;
  while (n > 0n) {
    if ((n & 1n) === 1n) acc = mulCeil(acc, base);
    n >>= 1n;
    if (n > 0n) base = mulCeil(base, base);
  }
  return acc;
}

/** The curve's price `elapsed` seconds into a stage, rounded up (no floor). */
export function curvePrice(top: bigint, elapsed: bigint, params: RiskParams): bigint {
  if (params.auctionCurve === AuctionCurve.Linear) {
    const tau = BigInt(params.auctionTauSecs);
    if (elapsed >= tau) return 0n;
    return mulCeil(top, ratioCeil(tau - elapsed, tau));
  }
  const step = max(BigInt(params.auctionStepSecs), 1n);
  return mulCeil(top, powCeil(fromBps(params.auctionCutBps), elapsed / step));
}

/**
 * The auction floor on the held spot price, `held * (1 - max_discount)`,
 * rounded up (`risk::auction_floor`): the least any bid pays. Pass prices
 * from {@link marketPrices} with the reading's publish time, so `held`
 * includes it.
 */
export function auctionFloor(
  market: Pick<Market, 'params'>,
  prices: Pick<MarketPrices, 'held'>,
): bigint {
  return mulCeil(prices.held, WAD - fromBps(market.params.auctionMaxDiscountBps));
}

/**
 * What a bid pays per collateral unit at unix time `now`: the curve's
 * price, never below the floor (`auction::bid_price`). Compare it with a
 * `max_price` before sending.
 */
export function auctionPriceAt(
  auction: Pick<Auction, 'top' | 'stageStart'>,
  market: Pick<Market, 'params'>,
  prices: Pick<MarketPrices, 'held'>,
  now: bigint,
): bigint {
  const elapsed = now > auction.stageStart ? now - auction.stageStart : 0n;
  return max(curvePrice(auction.top, elapsed, market.params), auctionFloor(market, prices));
}

export type BidWithMaxPriceInput = {
  bidder: TransactionSigner;
  /** The market's address (its vaults are derived from it). */
  market: Address;
  auction: Address;
  /** The bidder's debt-asset token account (pays). */
  bidderDebt: Address;
  /** The bidder's collateral token account (receives). */
  bidderCollateral: Address;
  collateralOracle: Address;
  debtOracle: Address;
  /** Most collateral to buy, native units (`2^64 - 1`: as much as the tab allows). */
  maxLot: bigint;
} & (
  | {
      /** The price the bidder accepts, WAD (see {@link priceToWad}). */
      acceptedPrice: bigint;
      /** Tolerance above `acceptedPrice`, bps. */
      slippageBps: number | bigint;
    }
  | {
      /** `max_price` as is, WAD. */
      maxPrice: bigint;
    }
);

/**
 * A `bid` instruction (generated builder) with the market's vaults derived
 * and `max_price` from an accepted price plus slippage (or given).
 */
export async function getBidWithMaxPriceInstruction(
  input: BidWithMaxPriceInput,
  config: { programAddress?: Address } = {},
): Promise<BidInstruction> {
  const maxPrice =
    'maxPrice' in input
      ? input.maxPrice
      : maxPriceWithSlippage(input.acceptedPrice, input.slippageBps);
  const vault = async (k: VaultKind) => (await findVaultPda(input.market, k, config))[0];
  return getBidInstructionAsync(
    {
      bidder: input.bidder,
      market: input.market,
      auction: input.auction,
      liquidityVault: await vault(VaultKind.Liquidity),
      insuranceVault: await vault(VaultKind.Insurance),
      polDebtVault: await vault(VaultKind.PolDebt),
      collateralVault: await vault(VaultKind.Collateral),
      bidderDebt: input.bidderDebt,
      bidderCollateral: input.bidderCollateral,
      collateralOracle: input.collateralOracle,
      debtOracle: input.debtOracle,
      maxLot: input.maxLot,
      maxPrice,
    },
    config,
  ) as Promise<BidInstruction>;
}
