// The hand-written helpers and the generated tables against the IDL, without
// the program: PDAs, event and error tables, price units.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  type Address,
  generateKeyPairSigner,
  getAddressEncoder,
  getBase64Decoder,
  getProgramDerivedAddress,
  getU64Encoder,
  getUtf8Encoder,
} from '@solana/kit';
import {
  BPF_LOADER_UPGRADEABLE_PROGRAM_ADDRESS,
  type HeldWindow,
  VaultKind,
  ZERO_LOSS_ERROR__ORACLE_STALE,
  ZERO_LOSS_ERROR__TOO_EXPENSIVE,
  ZERO_LOSS_ERROR_NAMES,
  ZERO_LOSS_EVENTS,
  ZERO_LOSS_PROGRAM_ADDRESS,
  Zone,
  decodeZeroLossEvents,
  deriveMarketAddresses,
  describeZeroLossError,
  findAuctionPda,
  findCollateralVaultPda,
  findInsuranceVaultPda,
  findLiquidityVaultPda,
  findPolCollateralVaultPda,
  findPolDebtVaultPda,
  findProgramDataPda,
  getHealthCheckedEncoder,
  getLpDepositedEncoder,
  heldAfter,
  maxPriceWithSlippage,
  recordHeld,
  priceToWad,
  wadToPrice,
} from '../src';
import { REPO_ROOT } from './helpers/fixtures';

const IDL = JSON.parse(readFileSync(join(REPO_ROOT, 'idl/zero_loss.json'), 'utf8'));

describe('generated tables against the IDL', () => {
  test('the program address', () => {
    assert.equal(ZERO_LOSS_PROGRAM_ADDRESS, IDL.address);
  });

  test('every IDL event, with its discriminator, and nothing else', () => {
    const fromIdl = IDL.events.map((e: { name: string; discriminator: number[] }) => [
      e.name,
      e.discriminator,
    ]);
    const generated = ZERO_LOSS_EVENTS.map((e) => [e.name, [...e.discriminator]]);
    const byName = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    assert.deepEqual(generated.sort(byName), fromIdl.sort(byName));
    for (const e of IDL.events) {
      assert.ok(
        IDL.types.some((t: { name: string }) => t.name === e.name),
        `${e.name} is in the IDL's types`,
      );
    }
  });

  test('every IDL error, by code and name', () => {
    const fromIdl = Object.fromEntries(
      IDL.errors.map((e: { code: number; name: string }) => [e.code, e.name]),
    );
    assert.deepEqual({ ...ZERO_LOSS_ERROR_NAMES }, fromIdl);
    assert.equal(
      ZERO_LOSS_ERROR__ORACLE_STALE,
      IDL.errors.find((e: { name: string }) => e.name === 'OracleStale').code,
    );
    const info = describeZeroLossError(ZERO_LOSS_ERROR__TOO_EXPENSIVE);
    assert.equal(info?.name, 'TooExpensive');
    assert.equal(info?.constant, 'ZERO_LOSS_ERROR__TOO_EXPENSIVE');
    assert.match(info?.message ?? '', /^auction\/too-expensive/);
    assert.equal(describeZeroLossError(1), null, "an SPL Token code is not the program's");
  });
});

describe('event decoding', () => {
  test('Program data lines decode in order, in both log forms; other data is set apart', async () => {
    const market = (await generateKeyPairSigner()).address;
    const e1 = ZERO_LOSS_EVENTS.find((e) => e.name === 'LpDeposited')!;
    const e2 = ZERO_LOSS_EVENTS.find((e) => e.name === 'HealthChecked')!;
    const line = (disc: ArrayLike<number>, body: ArrayLike<number>) =>
      getBase64Decoder().decode(Uint8Array.from([...Array.from(disc), ...Array.from(body)]));
    const lp = getLpDepositedEncoder().encode({
      market,
      ts: 7n,
      lp: market,
      amount: 5n,
      shares: 5n,
    });
    const hc = getHealthCheckedEncoder().encode({
      market,
      ts: 8n,
      marginAccount: market,
      collateral: 1n,
      debt: 2n,
      triggerLtvBps: 3n,
      spotLtvBps: 4n,
      heldLtvBps: 4n,
      bufferBps: 100n,
      distressLtvBps: 8_081n,
      zone: Zone.Distressed,
    });
    const logs = [
      `Program ${ZERO_LOSS_PROGRAM_ADDRESS} invoke [1]`,
      `Program data: ${line(e1.discriminator, lp)}`,
      `Program log: Program data: ${line(e2.discriminator, hc)}`,
      `Program data: ${line([1, 2, 3, 4, 5, 6, 7, 8], [9])}`,
    ];
    const { events, unknown } = decodeZeroLossEvents(logs);
    assert.deepEqual(
      events.map((e) => e.name),
      ['LpDeposited', 'HealthChecked'],
    );
    assert.equal(unknown.length, 1);
    const h = events[1]!;
    assert.ok(
      h.name === 'HealthChecked' &&
        h.data.zone === Zone.Distressed &&
        h.data.distressLtvBps === 8_081n,
    );
    // A body that does not decode completely is an error, not a silent skip.
    assert.throws(
      () =>
        decodeZeroLossEvents([`Program data: ${line(e1.discriminator, [...Array.from(lp), 0])}`]),
      /left/,
    );
  });
});

describe('PDAs', () => {
  const seed = (s: string) => getUtf8Encoder().encode(s);
  const addr = (a: Address) => getAddressEncoder().encode(a);

  test('vaults, auctions and ProgramData, against their seeds and the generated helpers', async () => {
    const c = (await generateKeyPairSigner()).address;
    const d = (await generateKeyPairSigner()).address;
    const m = await deriveMarketAddresses(c, d);
    const pda = async (
      seeds: ArrayLike<number>[],
      programAddress: Address = ZERO_LOSS_PROGRAM_ADDRESS,
    ) =>
      (
        await getProgramDerivedAddress({
          programAddress,
          seeds: seeds.map((x) => Uint8Array.from(x)),
        })
      )[0];
    assert.equal(m.market, await pda([seed('market'), addr(c), addr(d)]));
    assert.equal(m.protocol, await pda([seed('protocol')]));
    assert.equal(m.lpMint, await pda([seed('lp_mint'), addr(m.market)]));
    const vaults: [
      VaultKind,
      Address,
      (s: { market: Address }) => Promise<readonly [Address, number]>,
    ][] = [
      [VaultKind.Collateral, m.collateralVault, findCollateralVaultPda],
      [VaultKind.Liquidity, m.liquidityVault, findLiquidityVaultPda],
      [VaultKind.Insurance, m.insuranceVault, findInsuranceVaultPda],
      [VaultKind.PolDebt, m.polDebtVault, findPolDebtVaultPda],
      [VaultKind.PolCollateral, m.polCollateralVault, findPolCollateralVaultPda],
    ];
    for (const [kind, derived, generated] of vaults) {
      assert.equal(derived, await pda([seed('vault'), addr(m.market), new Uint8Array([kind])]));
      assert.equal(derived, (await generated({ market: m.market }))[0]);
    }
    assert.equal(
      (await findAuctionPda(m.market, 3n))[0],
      await pda([seed('auction'), addr(m.market), Uint8Array.from(getU64Encoder().encode(3n))]),
    );
    assert.equal(
      (await findProgramDataPda())[0],
      await pda([addr(ZERO_LOSS_PROGRAM_ADDRESS)], BPF_LOADER_UPGRADEABLE_PROGRAM_ADDRESS),
    );
  });
});

describe('bid prices', () => {
  test('max_price is a WAD of debt native units per collateral native unit', () => {
    // SOL (9) / USDC (6): $80 = 80e6 / 1e9 = 0.08 native per native.
    assert.equal(priceToWad('80', 9, 6), 8n * 10n ** 16n);
    assert.equal(priceToWad('80.125', 9, 6), 80_125n * 10n ** 12n);
    assert.equal(priceToWad('1', 6, 6), 10n ** 18n);
    assert.equal(wadToPrice(8n * 10n ** 16n, 9, 6), '80.000000');
    assert.equal(maxPriceWithSlippage(8n * 10n ** 16n, 50), 804n * 10n ** 14n);
    assert.equal(maxPriceWithSlippage(999n, 1), 999n, 'rounded down');
    assert.throws(() => priceToWad('-1', 9, 6));
  });
});

// `heldAfter` is `held::Window::record` then `held()`, on the market's stored
// buckets: the same cases as the program's unit tests (engine/held.rs).
describe('the held spot price', () => {
  type Window = HeldWindow;
  const persist = 120;
  const params = { breachPersistSecs: persist } as Parameters<typeof heldAfter>[0]['params'];
  // Records a reading as the program does: the new window and the held price.
  const record = (w: Window, t: bigint, p: bigint): [Window, bigint | null] => [
    recordHeld({ ...w, params }, t, p),
    heldAfter({ ...w, params }, t, p),
  ];
  const empty: Window = {
    collateralPublishTime: 0n,
    heldPrevMax: 0n,
    heldPrevStart: 0n,
    heldCurMax: 0n,
    heldCurStart: 0n,
  };

  test('nothing is held until the readings span more than breach_persist_secs', () => {
    let w = empty;
    let held: bigint | null = null;
    for (const [t, p] of [
      [0n, 100n],
      [60n, 90n],
      [120n, 80n],
    ] as const)
      [w, held] = record(w, t, p);
    assert.equal(held, null, '120 s is not more than 120 s');
    [w, held] = record(w, 121n, 80n);
    assert.equal(held, 100n);
  });

  test('a wick shorter than the window never lowers it; a silence starts it again', () => {
    let w = empty;
    let held: bigint | null = null;
    for (let t = 0n; t <= 600n; t += 10n) {
      [w, held] = record(w, t, t >= 300n && t <= 410n ? 80n : 100n);
      if (t > 120n) assert.equal(held, 100n, `t = ${t}`);
    }
    [w, held] = record(w, 800n, 70n);
    assert.equal(held, null, 'nothing seen for 200 s');
  });
});
