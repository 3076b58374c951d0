/**
 * A LiteSVM bank with the zero-loss program's SBF build deployed under the
 * upgradeable loader (admin = upgrade authority), SPL Token, a clock under
 * the test's control, Pyth PriceUpdateV2 accounts written in the receiver's
 * layout, and a sender that decodes every event and names every refusal.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Address,
  type GetAccountInfoApi,
  type GetMultipleAccountsApi,
  type Instruction,
  type KeyPairSigner,
  type ReadonlyUint8Array,
  type Rpc,
  appendTransactionMessageInstructions,
  createTransactionMessage,
  generateKeyPairSigner,
  getAddressEncoder,
  getBase64Decoder,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  signTransactionMessageWithSigners,
} from '@solana/kit';
import { getCreateAccountInstruction } from '@solana-program/system';
import {
  TOKEN_PROGRAM_ADDRESS,
  getInitializeAccount3Instruction,
  getInitializeMint2Instruction,
  getMintSize,
  getMintToInstruction,
  getTokenDecoder,
  getTokenSize,
} from '@solana-program/token';
import { FailedTransactionMetadata, LiteSVM } from 'litesvm';
import {
  PYTH_RECEIVER_PROGRAM_ADDRESS,
  type PriceUpdateV2,
  ZERO_LOSS_PROGRAM_ADDRESS,
  type ZeroLossErrorInfo,
  type ZeroLossEvent,
  decodeZeroLossEvents,
  describeZeroLossError,
  encodePriceUpdateV2,
  findProgramDataPda,
} from '../../src';
import { REPO_ROOT } from './fixtures';

export const SO_PATH = process.env.ZERO_LOSS_SO ?? join(REPO_ROOT, 'target/deploy/zero_loss.so');

/** UpgradeableLoaderState::ProgramData header: u32 tag 3, u64 slot, Option<Pubkey>. */
const PROGRAMDATA_METADATA_LEN = 45;

/** A transaction's outcome. */
export type TxResult = {
  logs: string[];
  /** Every `Program data:` line, decoded (the test fails on one that is no event). */
  events: ZeroLossEvent[];
  computeUnits: bigint;
  /** Set when the transaction failed. */
  error?: {
    /** The failing instruction's index and custom code, when it was a custom error. */
    index?: number;
    code?: number;
    /** The program error it maps to (a zero-loss instruction failing with its own code). */
    program?: ZeroLossErrorInfo | null;
    text: string;
  };
};

export class Env {
  /** Every instruction of the program in a transaction that succeeded, in order. */
  readonly executed: Instruction[] = [];

  private constructor(
    readonly svm: LiteSVM,
    readonly payer: KeyPairSigner,
  ) {}

  /** A bank with SPL Token and the program, the clock at `now`. */
  static async create(now: bigint): Promise<Env> {
    if (!existsSync(SO_PATH)) {
      throw new Error(
        `${SO_PATH} not found: build the program first (scripts/build-sbf.sh), or set ZERO_LOSS_SO`,
      );
    }
    const svm = new LiteSVM();
    svm.addProgramFromFile(ZERO_LOSS_PROGRAM_ADDRESS, SO_PATH);
    const payer = await generateKeyPairSigner();
    svm.airdrop(payer.address, lamports(1_000_000_000_000n));
    const env = new Env(svm, payer);
    env.setTime(now);
    return env;
  }

  /**
   * Names `authority` as the upgrade authority in the program's ProgramData
   * account (LiteSVM deploys under the upgradeable loader with none), as a
   * deployment by `authority` leaves it. The program bytes after the header
   * are kept, so the loaded program is the same.
   */
  async setUpgradeAuthority(authority: Address): Promise<void> {
    const [programData] = await findProgramDataPda();
    const acc = this.svm.getAccount(programData);
    assert.ok(acc.exists, 'LiteSVM created no ProgramData account');
    const data = Uint8Array.from(acc.data);
    assert.deepEqual([...data.slice(0, 4)], [3, 0, 0, 0], 'ProgramData tag');
    assert.equal(data[12], 0, 'LiteSVM deploys with no upgrade authority');
    data[12] = 1;
    data.set(getAddressEncoder().encode(authority), 13);
    assert.ok(data.length > PROGRAMDATA_METADATA_LEN);
    this.svm.setAccount({ ...acc, data });
  }

  now(): bigint {
    return this.svm.getClock().unixTimestamp;
  }

  /** Sets the clock to `unix` (and moves the slot on). */
  setTime(unix: bigint): void {
    const c = this.svm.getClock();
    c.unixTimestamp = unix;
    c.slot = c.slot + 1n;
    this.svm.setClock(c);
  }

  advance(secs: bigint): void {
    this.setTime(this.now() + secs);
  }

  async newUser(sol = 10n): Promise<KeyPairSigner> {
    const k = await generateKeyPairSigner();
    this.svm.airdrop(k.address, lamports(sol * 1_000_000_000n));
    return k;
  }

  /** Sends `ixs` (fee payer: the env payer; signers come from the instructions). */
  async send(ixs: Instruction[]): Promise<TxResult> {
    const tx = await pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(this.payer, m),
      (m) => this.svm.setTransactionMessageLifetimeUsingLatestBlockhash(m),
      (m) => appendTransactionMessageInstructions(ixs, m),
      (m) => signTransactionMessageWithSigners(m),
    );
    const r = this.svm.sendTransaction(tx);
    // A fresh blockhash: identical later transactions stay distinct.
    this.svm.expireBlockhash();
    const meta = r instanceof FailedTransactionMetadata ? r.meta() : r;
    const logs = meta.logs();
    const decoded = decodeZeroLossEvents(logs);
    assert.equal(
      decoded.unknown.length,
      0,
      `a Program data line is no event of the program:\n${logs.join('\n')}`,
    );
    const out: TxResult = {
      logs,
      events: decoded.events,
      computeUnits: meta.computeUnitsConsumed(),
    };
    if (r instanceof FailedTransactionMetadata) {
      // litesvm's TransactionErrorInstructionError { index, err() } holding an
      // InstructionErrorCustom { code } (classes its index does not export).
      const err = r.err() as unknown;
      const error: NonNullable<TxResult['error']> = { text: r.toString() };
      if (typeof err === 'object' && err !== null && 'index' in err && 'err' in err) {
        const ie = err as { index: number; err(): unknown };
        const inner = ie.err();
        error.index = ie.index;
        if (typeof inner === 'object' && inner !== null && 'code' in inner) {
          const code = Number((inner as { code: number }).code);
          error.code = code;
          const ix = ixs[ie.index];
          error.program =
            ix?.programAddress === ZERO_LOSS_PROGRAM_ADDRESS ? describeZeroLossError(code) : null;
        }
      }
      out.error = error;
    } else {
      this.executed.push(...ixs.filter((ix) => ix.programAddress === ZERO_LOSS_PROGRAM_ADDRESS));
    }
    return out;
  }

  /** Sends and asserts success. */
  async exec(ixs: Instruction[]): Promise<TxResult> {
    const r = await this.send(ixs);
    assert.equal(r.error, undefined, `transaction failed: ${r.error?.text}\n${r.logs.join('\n')}`);
    return r;
  }

  /**
   * Sends `ix`, asserts it fails with the program error whose generated
   * constant is `code`, and that every account it names is unchanged.
   */
  async expectRefused(ix: Instruction, code: number): Promise<TxResult> {
    const keys = [...new Set((ix.accounts ?? []).map((a) => a.address))].filter(
      (k) => k !== this.payer.address,
    );
    const before = keys.map((k) => this.snapshot(k));
    const r = await this.send([ix]);
    assert.ok(r.error, 'expected a refusal, but the transaction succeeded');
    assert.ok(r.error.program, `not a program error: ${r.error.text}\n${r.logs.join('\n')}`);
    const expected = describeZeroLossError(code);
    assert.equal(
      r.error.program.constant,
      expected?.constant,
      `refused with ${r.error.program.name} (${r.error.program.message}), expected ${expected?.name}`,
    );
    keys.forEach((k, i) => assert.deepEqual(this.snapshot(k), before[i], `account ${k} changed`));
    return r;
  }

  private snapshot(k: Address) {
    const a = this.svm.getAccount(k);
    return a.exists ? { lamports: a.lamports, owner: a.programAddress, data: [...a.data] } : null;
  }

  /** The raw data of an existing account. */
  data(k: Address): ReadonlyUint8Array {
    const a = this.svm.getAccount(k);
    assert.ok(a.exists, `no account ${k}`);
    return a.data;
  }

  /**
   * A stand-in for an RPC client that answers `getAccountInfo` and
   * `getMultipleAccounts` (base64) from the bank, for helpers that fetch.
   */
  rpc(): Rpc<GetAccountInfoApi & GetMultipleAccountsApi> {
    const info = (k: Address) => {
      const a = this.svm.getAccount(k);
      return a.exists
        ? {
            data: [getBase64Decoder().decode(a.data), 'base64'],
            executable: a.executable,
            lamports: a.lamports,
            owner: a.programAddress,
            space: a.space,
            rentEpoch: 0n,
          }
        : null;
    };
    const context = { slot: this.svm.getClock().slot };
    return {
      getAccountInfo: (k: Address) => ({ send: async () => ({ context, value: info(k) }) }),
      getMultipleAccounts: (ks: Address[]) => ({
        send: async () => ({ context, value: ks.map(info) }),
      }),
    } as unknown as Rpc<GetAccountInfoApi & GetMultipleAccountsApi>;
  }

  // --- SPL Token ---

  async createMint(decimals: number, authority: KeyPairSigner = this.payer): Promise<Address> {
    const mint = await generateKeyPairSigner();
    const space = BigInt(getMintSize());
    await this.exec([
      getCreateAccountInstruction({
        payer: this.payer,
        newAccount: mint,
        lamports: this.svm.minimumBalanceForRentExemption(space),
        space,
        programAddress: TOKEN_PROGRAM_ADDRESS,
      }),
      getInitializeMint2Instruction({
        mint: mint.address,
        decimals,
        mintAuthority: authority.address,
      }),
    ]);
    return mint.address;
  }

  async createTokenAccount(mint: Address, owner: Address): Promise<Address> {
    const acc = await generateKeyPairSigner();
    const space = BigInt(getTokenSize());
    await this.exec([
      getCreateAccountInstruction({
        payer: this.payer,
        newAccount: acc,
        lamports: this.svm.minimumBalanceForRentExemption(space),
        space,
        programAddress: TOKEN_PROGRAM_ADDRESS,
      }),
      getInitializeAccount3Instruction({ account: acc.address, mint, owner }),
    ]);
    return acc.address;
  }

  async mintTo(mint: Address, to: Address, amount: bigint): Promise<void> {
    await this.exec([getMintToInstruction({ mint, token: to, mintAuthority: this.payer, amount })]);
  }

  balance(tokenAccount: Address): bigint {
    return getTokenDecoder().decode(this.data(tokenAccount)).amount;
  }

  // --- Pyth ---

  /** Writes a PriceUpdateV2 account at `at`, owned by the Pyth receiver unless `owner` says. */
  writePriceUpdate(
    at: Address,
    update: PriceUpdateV2,
    owner: Address = PYTH_RECEIVER_PROGRAM_ADDRESS,
  ): void {
    this.writeAccount(at, encodePriceUpdateV2(update), owner);
  }

  /** Writes raw account bytes (e.g. a captured account) at `at`. */
  writeAccount(at: Address, data: Uint8Array, owner: Address, lamportsAmount = 10_000_000n): void {
    this.svm.setAccount({
      address: at,
      data,
      executable: false,
      lamports: lamports(lamportsAmount),
      programAddress: owner,
      space: BigInt(data.length),
    });
  }
}
