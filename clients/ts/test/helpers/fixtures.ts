/**
 * The captured mainnet `PriceUpdateV2` accounts of tests/fixtures/pyth/ and
 * their documented contents (tests/fixtures/pyth/SOURCES.md, "Decoded
 * contents"), written out by hand here from that table.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Address, address, getBase64Encoder } from '@solana/kit';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const PYTH_FIXTURES = join(REPO_ROOT, 'tests/fixtures/pyth');

export type CapturedAccount = {
  pubkey: Address;
  lamports: bigint;
  owner: Address;
  data: Uint8Array;
  space: number;
};

/** A Solana JSON account file (`{"pubkey", "account": {..., "data": [b64, "base64"]}}`). */
export function loadAccountJson(file: string): CapturedAccount {
  const j = JSON.parse(readFileSync(join(PYTH_FIXTURES, file), 'utf8'));
  const [b64, enc] = j.account.data;
  if (enc !== 'base64') throw new Error(`${file}: data is not base64`);
  return {
    pubkey: address(j.pubkey),
    lamports: BigInt(j.account.lamports),
    owner: address(j.account.owner),
    data: Uint8Array.from(getBase64Encoder().encode(b64)),
    space: j.account.space,
  };
}

export type Documented = {
  file: string;
  pubkey: string;
  writeAuthority: string;
  feedIdHex: string;
  price: bigint;
  conf: bigint;
  exponent: number;
  publishTime: bigint;
  prevPublishTime: bigint;
  emaPrice: bigint;
  emaConf: bigint;
  postedSlot: bigint;
};

export const SOL_USD_FEED = 'ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d';
export const USDC_USD_FEED = 'eaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a';

export const SOL_2025: Documented = {
  file: 'sol_usd_marginfi_2025-01-04.json',
  pubkey: '7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE',
  writeAuthority: '7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE',
  feedIdHex: SOL_USD_FEED,
  price: 21_568_137_069n,
  conf: 20_134_469n,
  exponent: -8,
  publishTime: 1_735_984_087n,
  prevPublishTime: 1_735_984_087n,
  emaPrice: 21_616_020_100n,
  emaConf: 18_045_331n,
  postedSlot: 311_798_332n,
};

export const SOL_2026: Documented = {
  file: 'sol_usd_marginfi_2026-07-31.json',
  pubkey: '7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE',
  writeAuthority: '7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE',
  feedIdHex: SOL_USD_FEED,
  price: 7_282_143_606n,
  conf: 3_856_794n,
  exponent: -8,
  publishTime: 1_785_539_008n,
  prevPublishTime: 1_785_539_007n,
  emaPrice: 7_285_666_800n,
  emaConf: 4_134_367n,
  postedSlot: 436_446_948n,
};

export const USDC_2026: Documented = {
  file: 'usdc_usd_mainnet_slot450587418.json',
  pubkey: 'Dpw1EAVrSB1ibxiDQyTAW6Zip3J4Btk2x4SgApQCeFbX',
  writeAuthority: 'Dpw1EAVrSB1ibxiDQyTAW6Zip3J4Btk2x4SgApQCeFbX',
  feedIdHex: USDC_USD_FEED,
  price: 99_991_510n,
  conf: 16_490n,
  exponent: -8,
  publishTime: 1_790_402_373n,
  prevPublishTime: 1_790_402_372n,
  emaPrice: 99_993_334n,
  emaConf: 15_147n,
  postedSlot: 450_587_418n,
};

export const CAPTURED = [SOL_2025, SOL_2026, USDC_2026];
