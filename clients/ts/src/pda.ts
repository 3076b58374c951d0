/**
 * Program-derived addresses of the zero-loss program. Seeds, from
 * `programs/zero-loss/src/state/seeds.rs`:
 *
 * | account        | seeds                                          | helper |
 * | -------------- | ---------------------------------------------- | ------ |
 * | Protocol       | `["protocol"]`                                 | `findProtocolPda` (generated) |
 * | Market         | `["market", collateral_mint, debt_mint]`       | `findMarketPda` (generated) |
 * | vault          | `["vault", market, [kind]]`                    | `findVaultPda` (or the generated `find<Kind>VaultPda`) |
 * | LP-share mint  | `["lp_mint", market]`                          | `findLpMintPda` (generated) |
 * | MarginAccount  | `["margin", market, owner]`                    | `findMarginAccountPda` (generated) |
 * | Auction        | `["auction", market, id as u64 LE]`            | `findAuctionPda` |
 * | ProgramData    | `[program_id]` under the upgradeable loader    | `findProgramDataPda` |
 *
 * The generated helpers come from the IDL's `pda` seeds; the IDL cannot
 * express the auction's seeds (they read `market.next_auction_id`) nor the
 * vaults' (checked with `address = market.vault(kind)`), so those are here.
 */
import {
  type Address,
  type ProgramDerivedAddress,
  address,
  getAddressEncoder,
  getProgramDerivedAddress,
  getU64Encoder,
  getUtf8Encoder,
} from '@solana/kit';
import {
  findLpMintPda,
  findMarginAccountPda,
  findMarketPda,
  findProtocolPda,
} from './generated/pdas';
import { ZERO_LOSS_PROGRAM_ADDRESS } from './generated/programs';

/** The BPF upgradeable loader (loader v3). */
export const BPF_LOADER_UPGRADEABLE_PROGRAM_ADDRESS: Address = address(
  'BPFLoaderUpgradeab1e11111111111111111111111',
);

/** The five token vaults of a market; the value is the seed byte. */
export enum VaultKind {
  /** Borrowers' collateral (and collateral in auctions). */
  Collateral = 0,
  /** LP deposits not lent out (debt asset). */
  Liquidity = 1,
  /** The insurance fund (debt asset). */
  Insurance = 2,
  /** Protocol-owned liquidity, debt asset. */
  PolDebt = 3,
  /** Protocol-owned liquidity, collateral bought by the backstop. */
  PolCollateral = 4,
}

export type PdaConfig = { programAddress?: Address };

/** A market's vault of `kind`: `["vault", market, [kind]]`. */
export function findVaultPda(
  market: Address,
  kind: VaultKind,
  config: PdaConfig = {},
): Promise<ProgramDerivedAddress> {
  return getProgramDerivedAddress({
    programAddress: config.programAddress ?? ZERO_LOSS_PROGRAM_ADDRESS,
    seeds: [
      getUtf8Encoder().encode('vault'),
      getAddressEncoder().encode(market),
      new Uint8Array([kind]),
    ],
  });
}

/** Auction number `id` of a market: `["auction", market, id (u64 LE)]`. */
export function findAuctionPda(
  market: Address,
  id: bigint | number,
  config: PdaConfig = {},
): Promise<ProgramDerivedAddress> {
  return getProgramDerivedAddress({
    programAddress: config.programAddress ?? ZERO_LOSS_PROGRAM_ADDRESS,
    seeds: [
      getUtf8Encoder().encode('auction'),
      getAddressEncoder().encode(market),
      getU64Encoder().encode(BigInt(id)),
    ],
  });
}

/**
 * The program's ProgramData account under the upgradeable loader: its
 * upgrade authority is the only signer `init_protocol` accepts.
 */
export function findProgramDataPda(config: PdaConfig = {}): Promise<ProgramDerivedAddress> {
  return getProgramDerivedAddress({
    programAddress: BPF_LOADER_UPGRADEABLE_PROGRAM_ADDRESS,
    seeds: [getAddressEncoder().encode(config.programAddress ?? ZERO_LOSS_PROGRAM_ADDRESS)],
  });
}

/** Every address of one market, derived from its mint pair. */
export type MarketAddresses = {
  protocol: Address;
  market: Address;
  lpMint: Address;
  collateralVault: Address;
  liquidityVault: Address;
  insuranceVault: Address;
  polDebtVault: Address;
  polCollateralVault: Address;
};

/** The protocol, market, LP mint and five vaults of a mint pair. */
export async function deriveMarketAddresses(
  collateralMint: Address,
  debtMint: Address,
  config: PdaConfig = {},
): Promise<MarketAddresses> {
  const [market] = await findMarketPda({ collateralMint, debtMint }, config);
  const vault = async (k: VaultKind) => (await findVaultPda(market, k, config))[0];
  return {
    protocol: (await findProtocolPda(config))[0],
    market,
    lpMint: (await findLpMintPda({ market }, config))[0],
    collateralVault: await vault(VaultKind.Collateral),
    liquidityVault: await vault(VaultKind.Liquidity),
    insuranceVault: await vault(VaultKind.Insurance),
    polDebtVault: await vault(VaultKind.PolDebt),
    polCollateralVault: await vault(VaultKind.PolCollateral),
  };
}

/** `owner`'s margin account in `market`. */
export async function marginAccountAddress(
  market: Address,
  owner: Address,
  config: PdaConfig = {},
): Promise<Address> {
  return (await findMarginAccountPda({ market, owner }, config))[0];
}
