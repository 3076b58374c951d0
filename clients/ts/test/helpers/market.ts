/**
 * The TypeScript twin of tests/src/market.rs's MarketFixture: a protocol
 * and one market (collateral 9 decimals, debt 6), oracles at $100 / $1, the
 * parameters of `RiskParams::example()`, and instruction builders, every
 * one the generated client's.
 */
import {
  type Address,
  AccountRole,
  type Instruction,
  type KeyPairSigner,
  address,
  generateKeyPairSigner,
  getAddressDecoder,
} from '@solana/kit';
import {
  AuctionCurve,
  type MarketAddresses,
  PolAsset,
  type PriceUpdateV2,
  type RiskParamsArgs,
  decodeAuction,
  decodeMarginAccount,
  decodeMarket,
  decodeProtocol,
  deriveMarketAddresses,
  findAuctionPda,
  findLpMintPda,
  findMarginAccountPda,
  getAcceptAdminInstructionAsync,
  getBackstopInstructionAsync,
  getBorrowInstructionAsync,
  getCheckHealthInstruction,
  getCloseMarginAccountInstruction,
  getDepositCollateralInstructionAsync,
  getExecuteMarketParamsInstruction,
  getFundInsuranceInstructionAsync,
  getFundPolInstructionAsync,
  getInitMarketInstructionAsync,
  getInitProtocolInstructionAsync,
  getLiquidateBatchInstructionAsync,
  getLiquidatePartialInstructionAsync,
  getLpDepositInstructionAsync,
  getLpWithdrawInstructionAsync,
  getOpenMarginAccountInstructionAsync,
  getProposeAdminInstructionAsync,
  getRefreshMarketInstructionAsync,
  getRepayInstructionAsync,
  getRestartAuctionInstructionAsync,
  getSetPauseInstructionAsync,
  getSettleAuctionInstructionAsync,
  getStartAuctionInstructionAsync,
  getStartPolAuctionInstructionAsync,
  getUpdateMarketParamsInstructionAsync,
  getWithdrawCollateralInstructionAsync,
  getWithdrawPolInstructionAsync,
} from '../../src';
import { Env } from './env';

/** The unix time every test starts at (tests/src/lib.rs `T0`). */
export const T0 = 1_750_000_000n;
export const COLLATERAL_FEED = new Uint8Array(32).fill(0xc0);
export const DEBT_FEED = new Uint8Array(32).fill(0xde);
export const COLLATERAL_DECIMALS = 9;
export const DEBT_DECIMALS = 6;
export const ONE_COLL = 1_000_000_000n;
export const ONE_DEBT = 1_000_000n;
/** $100 in 1e-8 USD. */
export const START_PRICE_E8 = 100n * 100_000_000n;
const U64_MAX = (1n << 64n) - 1n;

/** `RiskParams::example()` (programs/zero-loss/src/state/params.rs). */
export const EXAMPLE_PARAMS: RiskParamsArgs = {
  maxLtvBps: 7_000,
  liqLtvBps: 8_000,
  fullLtvBps: 9_500,
  targetLtvBps: 7_000,
  volZE4: 20_000,
  recoverySecs: 3_600,
  volWindowSecs: 3_600,
  bufferMinBps: 100,
  bufferMaxBps: 1_000,
  oracleMaxAgeSecs: 60,
  oracleMaxConfBps: 200,
  oracleConfKE4: 10_000,
  payoutMaxAgeSecs: 10,
  breachPersistSecs: 120,
  baseRateBps: 100,
  slope1Bps: 400,
  slope2Bps: 6_000,
  kinkBps: 8_000,
  reserveFactorBps: 1_000,
  collateralCap: U64_MAX,
  borrowCap: U64_MAX,
  minBonusBps: 50,
  maxBonusBps: 300,
  budgetCapacity: 100_000_000_000n,
  budgetRefillPerSec: 10_000_000n,
  minPosition: 10_000_000n,
  penaltyBps: 300,
  auctionBufBps: 10_000,
  auctionCurve: AuctionCurve.StepExp,
  auctionTauSecs: 1_800,
  auctionStepSecs: 60,
  auctionCutBps: 9_900,
  auctionTailSecs: 1_800,
  auctionCuspBps: 6_000,
  auctionMaxDiscountBps: 500,
  auctionMaxStages: 3,
  keeperTip: 1_000_000n,
  keeperChipBps: 10,
  keeperRewardCap: 100_000_000n,
  breakerDivergenceBps: 500,
  breakerConfBps: 100,
  breakerCooldownSecs: 300,
};

/** The write authority the Rust fixture writes ([7; 32]). */
const WRITE_AUTHORITY = getAddressDecoder().decode(new Uint8Array(32).fill(7));

/** A price update like tests/src/pyth.rs's `PriceFixture::new`: spot = EMA, conf 0.05%. */
export function priceUpdate(
  feedId: Uint8Array,
  priceE8: bigint,
  publishTime: bigint,
): PriceUpdateV2 {
  const conf = priceE8 / 2_000n;
  return {
    writeAuthority: WRITE_AUTHORITY,
    verificationLevel: { __kind: 'Full' },
    priceMessage: {
      feedId,
      price: priceE8,
      conf,
      exponent: -8,
      publishTime,
      prevPublishTime: publishTime - 1n,
      emaPrice: priceE8,
      emaConf: conf,
    },
    postedSlot: 1n,
  };
}

export type User = {
  kp: KeyPairSigner;
  collateralAta: Address;
  debtAta: Address;
  lpAta: Address;
  margin: Address;
};

export class MarketFixture {
  collateralPrice!: PriceUpdateV2;
  debtPrice!: PriceUpdateV2;

  private constructor(
    readonly env: Env,
    readonly admin: KeyPairSigner,
    readonly collateralMint: Address,
    readonly debtMint: Address,
    readonly addrs: MarketAddresses,
    readonly lpMint: Address,
    readonly collateralOracle: Address,
    readonly debtOracle: Address,
  ) {}

  get market(): Address {
    return this.addrs.market;
  }

  /** Mints, oracles, the protocol (admin = upgrade authority) and the market. */
  static async create(
    opts: {
      params?: RiskParamsArgs;
      now?: bigint;
      feeds?: { collateral: Uint8Array; debt: Uint8Array };
      oracles?: { collateral: Address; debt: Address };
      /** Write the fixture's own price accounts (false: the caller writes them). */
      writeOracles?: boolean;
    } = {},
  ): Promise<{ f: MarketFixture; results: Awaited<ReturnType<Env['exec']>>[] }> {
    const env = await Env.create(opts.now ?? T0);
    const admin = await env.newUser(100n);
    const collateralMint = await env.createMint(COLLATERAL_DECIMALS);
    const debtMint = await env.createMint(DEBT_DECIMALS);
    const addrs = await deriveMarketAddresses(collateralMint, debtMint);
    const [lpMint] = await findLpMintPda({ market: addrs.market });
    const f = new MarketFixture(
      env,
      admin,
      collateralMint,
      debtMint,
      addrs,
      lpMint,
      opts.oracles?.collateral ?? (await generateKeyPairSigner()).address,
      opts.oracles?.debt ?? (await generateKeyPairSigner()).address,
    );
    const now = env.now();
    const feeds = opts.feeds ?? { collateral: COLLATERAL_FEED, debt: DEBT_FEED };
    f.collateralPrice = priceUpdate(feeds.collateral, START_PRICE_E8, now);
    f.debtPrice = priceUpdate(feeds.debt, 100_000_000n, now);
    if (opts.writeOracles ?? true) f.writeOracles();
    await env.setUpgradeAuthority(admin.address);
    const results = [];
    results.push(await env.exec([await getInitProtocolInstructionAsync({ admin })]));
    results.push(
      await env.exec([
        await getInitMarketInstructionAsync({
          admin,
          collateralMint,
          debtMint,
          collateralFeedId: feeds.collateral,
          debtFeedId: feeds.debt,
          params: opts.params ?? EXAMPLE_PARAMS,
        }),
      ]),
    );
    return { f, results };
  }

  writeOracles(): void {
    this.env.writePriceUpdate(this.collateralOracle, this.collateralPrice);
    this.env.writePriceUpdate(this.debtOracle, this.debtPrice);
  }

  /** Republishes both feeds at the current time (prices kept). */
  publishNow(): void {
    const now = this.env.now();
    for (const u of [this.collateralPrice, this.debtPrice]) {
      u.priceMessage = { ...u.priceMessage, publishTime: now, prevPublishTime: now - 1n };
    }
    this.writeOracles();
  }

  /** Moves the clock on and republishes the feeds. */
  advance(secs: bigint): void {
    this.env.advance(secs);
    this.publishNow();
  }

  /** Sets the collateral's EMA and spot prices (1e-8 USD), conf 0.05% each, published now. */
  setPrices(emaE8: bigint, spotE8: bigint): void {
    this.collateralPrice.priceMessage = {
      ...this.collateralPrice.priceMessage,
      emaPrice: emaE8,
      emaConf: emaE8 / 2_000n,
      price: spotE8,
      conf: spotE8 / 2_000n,
    };
    this.publishNow();
  }

  marketState() {
    const a = this.env.svm.getAccount(this.market);
    if (!a.exists) throw new Error('no market');
    return decodeMarket(a).data;
  }

  auctionState(auction: Address) {
    const a = this.env.svm.getAccount(auction);
    if (!a.exists) throw new Error('no auction');
    return decodeAuction(a).data;
  }

  marginState(u: User) {
    const a = this.env.svm.getAccount(u.margin);
    if (!a.exists) throw new Error('no margin account');
    return decodeMarginAccount(a).data;
  }

  protocolState() {
    const a = this.env.svm.getAccount(this.addrs.protocol);
    if (!a.exists) throw new Error('no protocol');
    return decodeProtocol(a).data;
  }

  /** A funded user with token accounts for both assets and the LP share. */
  async user(coll: bigint, debt: bigint): Promise<User> {
    const kp = await this.env.newUser();
    const collateralAta = await this.env.createTokenAccount(this.collateralMint, kp.address);
    const debtAta = await this.env.createTokenAccount(this.debtMint, kp.address);
    const lpAta = await this.env.createTokenAccount(this.lpMint, kp.address);
    if (coll > 0n) await this.env.mintTo(this.collateralMint, collateralAta, coll);
    if (debt > 0n) await this.env.mintTo(this.debtMint, debtAta, debt);
    const [margin] = await findMarginAccountPda({ market: this.market, owner: kp.address });
    return { kp, collateralAta, debtAta, lpAta, margin };
  }

  /** An LP who has deposited `amount` of the debt asset. */
  async lp(amount: bigint): Promise<User> {
    const u = await this.user(0n, amount);
    await this.env.exec([await this.ixLpDeposit(u, amount)]);
    return u;
  }

  /** A user with a margin account holding `coll` collateral, having borrowed `debt`. */
  async borrower(coll: bigint, debt: bigint): Promise<User> {
    const u = await this.user(coll, 0n);
    await this.env.exec([await this.ixOpen(u), await this.ixDeposit(u, coll)]);
    if (debt > 0n) await this.env.exec([await this.ixBorrow(u, debt)]);
    return u;
  }

  /** A debt-asset token account of the admin holding `amount`. */
  async adminDebtAccount(amount: bigint): Promise<Address> {
    const a = await this.env.createTokenAccount(this.debtMint, this.admin.address);
    if (amount > 0n) await this.env.mintTo(this.debtMint, a, amount);
    return a;
  }

  // --- instruction builders (the generated client) ---
  // No vault or LP-mint address is passed: the async builders derive them
  // from the IDL's seeds (["vault", market, [kind]], ["lp_mint", market]),
  // so every test below also checks that derivation against the program.

  private oracles() {
    return { collateralOracle: this.collateralOracle, debtOracle: this.debtOracle };
  }

  /** The accounts `lp_deposit` and `lp_withdraw` share (one Accounts struct). */
  private lpAccounts(u: User) {
    return {
      lp: u.kp,
      market: this.market,
      lpToken: u.debtAta,
      lpShares: u.lpAta,
      ...this.oracles(),
    };
  }

  ixLpDeposit(u: User, amount: bigint): Promise<Instruction> {
    return getLpDepositInstructionAsync({ ...this.lpAccounts(u), amount });
  }

  ixLpWithdraw(u: User, shares: bigint): Promise<Instruction> {
    return getLpWithdrawInstructionAsync({ ...this.lpAccounts(u), shares });
  }

  ixOpen(u: User): Promise<Instruction> {
    return getOpenMarginAccountInstructionAsync({ owner: u.kp, market: this.market });
  }

  ixDeposit(u: User, amount: bigint): Promise<Instruction> {
    return getDepositCollateralInstructionAsync({
      depositor: u.kp,
      market: this.market,
      marginAccount: u.margin,
      source: u.collateralAta,
      amount,
    });
  }

  ixBorrow(u: User, amount: bigint): Promise<Instruction> {
    return getBorrowInstructionAsync({
      owner: u.kp,
      market: this.market,
      marginAccount: u.margin,
      destination: u.debtAta,
      ...this.oracles(),
      amount,
    });
  }

  ixFundInsurance(funder: KeyPairSigner, source: Address, amount: bigint): Promise<Instruction> {
    return getFundInsuranceInstructionAsync({
      funder,
      market: this.market,
      source,
      amount,
    });
  }

  ixRefresh(): Promise<Instruction> {
    return getRefreshMarketInstructionAsync({
      market: this.market,
      ...this.oracles(),
    });
  }

  ixCheckHealth(margin: Address): Instruction {
    return getCheckHealthInstruction({
      market: this.market,
      marginAccount: margin,
      ...this.oracles(),
    });
  }

  /** The address the next kick creates. */
  async nextAuction(): Promise<Address> {
    return (await findAuctionPda(this.market, this.marketState().nextAuctionId))[0];
  }

  async ixStartAuction(kicker: User, margin: Address, auction: Address): Promise<Instruction> {
    return getStartAuctionInstructionAsync({
      kicker: kicker.kp,
      market: this.market,
      marginAccount: margin,
      auction,
      kickerDebt: kicker.debtAta,
      ...this.oracles(),
    });
  }

  ixSettle(keeper: KeyPairSigner, auction: Address, kicker: Address, margin?: Address) {
    return getSettleAuctionInstructionAsync({
      keeper,
      market: this.market,
      auction,
      kicker,
      marginAccount: margin,
    });
  }

  ixRepay(payer: User, margin: Address, amount: bigint): Promise<Instruction> {
    return getRepayInstructionAsync({
      payer: payer.kp,
      market: this.market,
      marginAccount: margin,
      source: payer.debtAta,
      amount,
    });
  }

  ixWithdraw(u: User, amount: bigint): Promise<Instruction> {
    return getWithdrawCollateralInstructionAsync({
      owner: u.kp,
      market: this.market,
      marginAccount: u.margin,
      destination: u.collateralAta,
      ...this.oracles(),
      amount,
    });
  }

  ixClose(u: User): Instruction {
    return getCloseMarginAccountInstruction({ owner: u.kp, marginAccount: u.margin });
  }

  ixLiquidatePartial(liq: User, margin: Address, maxRepay: bigint): Promise<Instruction> {
    return getLiquidatePartialInstructionAsync({
      liquidator: liq.kp,
      market: this.market,
      marginAccount: margin,
      liquidatorDebt: liq.debtAta,
      liquidatorCollateral: liq.collateralAta,
      ...this.oracles(),
      maxRepay,
    });
  }

  /**
   * `liquidate_batch` over `margins`, one `max_repay` each. The generated
   * builder takes no remaining accounts: the margin accounts are appended
   * to its accounts, writable, in order.
   */
  async ixLiquidateBatch(liq: User, margins: Address[], maxRepays: bigint[]): Promise<Instruction> {
    const ix = await getLiquidateBatchInstructionAsync({
      liquidator: liq.kp,
      market: this.market,
      liquidatorDebt: liq.debtAta,
      liquidatorCollateral: liq.collateralAta,
      ...this.oracles(),
      maxRepays,
    });
    return {
      ...ix,
      accounts: [
        ...ix.accounts,
        ...margins.map((address) => ({ address, role: AccountRole.WRITABLE })),
      ],
    };
  }

  ixFundPol(admin: KeyPairSigner, source: Address, amount: bigint): Promise<Instruction> {
    return getFundPolInstructionAsync({ admin, market: this.market, source, amount });
  }

  /** `withdraw_pol` of `asset` from the POL vault of that asset to `destination`. */
  ixWithdrawPol(
    admin: KeyPairSigner,
    asset: PolAsset,
    destination: Address,
    amount: bigint,
  ): Promise<Instruction> {
    return getWithdrawPolInstructionAsync({
      admin,
      market: this.market,
      polVault: asset === PolAsset.Debt ? this.addrs.polDebtVault : this.addrs.polCollateralVault,
      destination,
      asset,
      amount,
    });
  }

  ixSetPause(admin: KeyPairSigner, paused: number): Promise<Instruction> {
    return getSetPauseInstructionAsync({ admin, paused });
  }

  ixProposeAdmin(admin: KeyPairSigner, newAdmin: Address): Promise<Instruction> {
    return getProposeAdminInstructionAsync({ admin, newAdmin });
  }

  ixAcceptAdmin(pendingAdmin: KeyPairSigner): Promise<Instruction> {
    return getAcceptAdminInstructionAsync({ pendingAdmin });
  }

  ixUpdateParams(admin: KeyPairSigner, params: RiskParamsArgs): Promise<Instruction> {
    return getUpdateMarketParamsInstructionAsync({ admin, market: this.market, params });
  }

  ixExecuteParams(): Instruction {
    return getExecuteMarketParamsInstruction({ market: this.market });
  }

  ixRestart(keeper: User, auction: Address): Promise<Instruction> {
    return getRestartAuctionInstructionAsync({
      keeper: keeper.kp,
      market: this.market,
      auction,
      keeperDebt: keeper.debtAta,
      ...this.oracles(),
    });
  }

  ixBackstop(keeper: KeyPairSigner, auction: Address): Promise<Instruction> {
    return getBackstopInstructionAsync({
      keeper,
      market: this.market,
      auction,
      ...this.oracles(),
    });
  }

  ixStartPolAuction(admin: KeyPairSigner, auction: Address, lot: bigint): Promise<Instruction> {
    return getStartPolAuctionInstructionAsync({
      admin,
      market: this.market,
      auction,
      ...this.oracles(),
      lot,
    });
  }
}

export { address };
