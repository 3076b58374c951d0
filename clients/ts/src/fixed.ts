/**
 * The program's unsigned 18-decimal fixed point (`engine/fixed.rs`), in
 * bigint. A WAD `x` stands for `x / 10^18`. Every operation rounds the way
 * the program's does, and refuses results the program could not hold in
 * 128 bits, so an off-chain computation gives the program's exact number.
 */

/** 10^18: one, as a WAD. */
export const WAD = 10n ** 18n;
/** Basis points in one. */
export const BPS = 10_000n;
export const U64_MAX = (1n << 64n) - 1n;
export const U128_MAX = (1n << 128n) - 1n;

function fit128(v: bigint): bigint {
  if (v < 0n) throw new RangeError('fixed point: negative result');
  if (v > U128_MAX) throw new RangeError('fixed point: overflow (more than 128 bits)');
  return v;
}

/** `a * b / d`, rounded down. */
export function mulDivFloor(a: bigint, b: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('fixed point: division by zero');
  return fit128((a * b) / d);
}

/** `a * b / d`, rounded up. */
export function mulDivCeil(a: bigint, b: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('fixed point: division by zero');
  const p = a * b;
  return fit128(p / d + (p % d === 0n ? 0n : 1n));
}

/** `bps / 10_000` as a WAD (exact). */
export const fromBps = (bps: number | bigint): bigint => BigInt(bps) * (WAD / BPS);
/** `num / den` as a WAD, rounded up. */
export const ratioCeil = (num: bigint, den: bigint): bigint => mulDivCeil(num, WAD, den);
/** `num / den` as a WAD, rounded down. */
export const ratioFloor = (num: bigint, den: bigint): bigint => mulDivFloor(num, WAD, den);
/** `a * b` (both WADs), rounded down. */
export const mulFloor = (a: bigint, b: bigint): bigint => mulDivFloor(a, b, WAD);
/** `a * b` (both WADs), rounded up. */
export const mulCeil = (a: bigint, b: bigint): bigint => mulDivCeil(a, b, WAD);
/** `a / b` (both WADs), rounded up. */
export const divCeil = (a: bigint, b: bigint): bigint => mulDivCeil(a, WAD, b);
/** `amount * x` as an integer, rounded down. */
export const mulIntFloor = (x: bigint, amount: bigint): bigint => mulDivFloor(amount, x, WAD);
/** `amount * x` as an integer, rounded up. */
export const mulIntCeil = (x: bigint, amount: bigint): bigint => mulDivCeil(amount, x, WAD);
/** `amount / x` as an integer, rounded down. */
export const divIntFloor = (x: bigint, amount: bigint): bigint => mulDivFloor(amount, WAD, x);

/** Integer square root, rounded down. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** The square root of a WAD, rounded down (`Fp::sqrt_floor`). */
export function sqrtFloor(x: bigint): bigint {
  const n = x * WAD;
  return n <= U128_MAX ? isqrt(n) : isqrt(x) * 1_000_000_000n;
}

/** A WAD in basis points, rounded up; `u64::MAX` when it does not fit (`risk::ltv_bps`). */
export function toBpsCeilSaturating(x: bigint): bigint {
  const v = (x * BPS + WAD - 1n) / WAD;
  return v > U64_MAX ? U64_MAX : v;
}

export const min = (a: bigint, b: bigint): bigint => (a <= b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a >= b ? a : b);
