/**
 * Pyth pull-oracle `PriceUpdateV2` accounts, laid out exactly as the Pyth
 * receiver program (`rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ`) writes
 * them (`pyth_solana_receiver_sdk::price_update::PriceUpdateV2`):
 *
 * | field               | type                                             |
 * | ------------------- | ------------------------------------------------ |
 * | discriminator       | 8 bytes, `sha256("account:PriceUpdateV2")[..8]`  |
 * | write_authority     | 32-byte address                                  |
 * | verification_level  | Borsh enum: `0 = Partial { num_signatures: u8 }`, `1 = Full` |
 * | price_message       | feed_id [u8; 32], price i64, conf u64, exponent i32, publish_time i64, prev_publish_time i64, ema_price i64, ema_conf u64 |
 * | posted_slot         | u64                                              |
 *
 * All integers are little-endian. The account is 134 bytes
 * (`PriceUpdateV2::LEN`), which reserves two bytes for the verification
 * level; a `Full` update uses one, so every later field sits one byte
 * earlier than in a `Partial` one and the last byte is padding. Decode the
 * fields in order (as here), never at fixed offsets.
 *
 * A reading is `(price ± conf) × 10^exponent` USD per whole token.
 */
import {
  type Address,
  type Codec,
  type ReadonlyUint8Array,
  address,
  fixCodecSize,
  getAddressCodec,
  getBytesCodec,
  getDiscriminatedUnionCodec,
  getI32Codec,
  getI64Codec,
  getStructCodec,
  getU64Codec,
  getU8Codec,
  getUnitCodec,
} from '@solana/kit';

/** The Pyth Solana receiver program: the owner of every `PriceUpdateV2`. */
export const PYTH_RECEIVER_PROGRAM_ADDRESS: Address = address(
  'rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ',
);

/** Anchor account discriminator of `PriceUpdateV2`. */
export const PRICE_UPDATE_V2_DISCRIMINATOR: ReadonlyUint8Array = new Uint8Array([
  0x22, 0xf1, 0x23, 0x63, 0x9d, 0x7e, 0xf4, 0xcd,
]);

/** The size of a `PriceUpdateV2` account, bytes (`PriceUpdateV2::LEN`). */
export const PRICE_UPDATE_V2_LEN = 134;

/** How many Wormhole guardian signatures verified the update. */
export type VerificationLevel = { __kind: 'Partial'; numSignatures: number } | { __kind: 'Full' };

/** One feed's price message, as signed by Pyth. */
export type PriceFeedMessage = {
  /** The 32-byte Pyth feed id (`feedIdToHex` prints it). */
  feedId: ReadonlyUint8Array;
  /** Spot price, in `10^exponent` USD. */
  price: bigint;
  /** Spot confidence, same units. */
  conf: bigint;
  exponent: number;
  /** Unix seconds. */
  publishTime: bigint;
  prevPublishTime: bigint;
  /** EMA price, in `10^exponent` USD. */
  emaPrice: bigint;
  emaConf: bigint;
};

export type PriceUpdateV2 = {
  writeAuthority: Address;
  verificationLevel: VerificationLevel;
  priceMessage: PriceFeedMessage;
  postedSlot: bigint;
};

const verificationLevelCodec = getDiscriminatedUnionCodec(
  [
    ['Partial', getStructCodec([['numSignatures', getU8Codec()]])],
    ['Full', getUnitCodec()],
  ],
  { size: getU8Codec() },
) as unknown as Codec<VerificationLevel>;

const priceFeedMessageCodec: Codec<PriceFeedMessage> = getStructCodec([
  ['feedId', fixCodecSize(getBytesCodec(), 32)],
  ['price', getI64Codec()],
  ['conf', getU64Codec()],
  ['exponent', getI32Codec()],
  ['publishTime', getI64Codec()],
  ['prevPublishTime', getI64Codec()],
  ['emaPrice', getI64Codec()],
  ['emaConf', getU64Codec()],
]) as unknown as Codec<PriceFeedMessage>;

const bodyCodec = getStructCodec([
  ['writeAuthority', getAddressCodec()],
  ['verificationLevel', verificationLevelCodec],
  ['priceMessage', priceFeedMessageCodec],
  ['postedSlot', getU64Codec()],
]) as unknown as Codec<PriceUpdateV2>;

/** Whether `data` starts with the `PriceUpdateV2` discriminator. */
export function isPriceUpdateV2(data: ReadonlyUint8Array): boolean {
  return (
    data.length >= PRICE_UPDATE_V2_DISCRIMINATOR.length &&
    PRICE_UPDATE_V2_DISCRIMINATOR.every((b, i) => data[i] === b)
  );
}

/**
 * Decodes a `PriceUpdateV2` account's data (field by field: the offsets
 * depend on the verification level). Throws on a wrong discriminator or
 * short data.
 */
export function decodePriceUpdateV2(data: ReadonlyUint8Array): PriceUpdateV2 {
  if (!isPriceUpdateV2(data)) {
    throw new Error('not a PriceUpdateV2 account: wrong discriminator');
  }
  return bodyCodec.decode(data, PRICE_UPDATE_V2_DISCRIMINATOR.length);
}

/**
 * Encodes `update` as the receiver stores it: discriminator, fields,
 * zero-padded to {@link PRICE_UPDATE_V2_LEN} bytes.
 */
export function encodePriceUpdateV2(update: PriceUpdateV2): Uint8Array {
  const body = bodyCodec.encode(update);
  const out = new Uint8Array(PRICE_UPDATE_V2_LEN);
  out.set(PRICE_UPDATE_V2_DISCRIMINATOR, 0);
  out.set(body, PRICE_UPDATE_V2_DISCRIMINATOR.length);
  return out;
}

/** A feed id from its 64-digit hex form (an optional `0x` is accepted). */
export function feedIdFromHex(hex: string): Uint8Array {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new Error(`not a 32-byte hex feed id: ${hex}`);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A feed id as 64 lowercase hex digits. */
export function feedIdToHex(feedId: ReadonlyUint8Array): string {
  return Array.from(feedId, (b) => b.toString(16).padStart(2, '0')).join('');
}
