//! A protocol and one market, set up the way an operator would, with users
//! and a builder for every instruction (each delegates to `zero_loss::client`).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use zero_loss::state::{seeds, MarginAccount, Market, Protocol, RiskParams, VaultKind};

use crate::pyth::PriceFixture;
use crate::{Env, Keypair, Signer};

pub const COLLATERAL_FEED: [u8; 32] = [0xc0; 32];
pub const DEBT_FEED: [u8; 32] = [0xde; 32];
/// Collateral: 9 decimals (SOL-like). Debt: 6 decimals (USDC-like).
pub const COLLATERAL_DECIMALS: u8 = 9;
pub const DEBT_DECIMALS: u8 = 6;
/// One whole collateral token, native units.
pub const ONE_COLL: u64 = 1_000_000_000;
/// One whole debt token, native units.
pub const ONE_DEBT: u64 = 1_000_000;
/// The collateral's starting price: $100, in 1e-8 USD.
pub const START_PRICE_E8: i64 = 100 * 100_000_000;

/// `RiskParams::example()`'s auction top over spot, `auction_buf_bps / 1e4` (f64 references).
pub const TOP_BUF: f64 = RiskParams::example().auction_buf_bps as f64 / 1e4;
/// The share of the held price an auction's floor keeps, `1 - auction_max_discount_bps / 1e4`.
pub const FLOOR_KEEP: f64 = 1.0 - RiskParams::example().auction_max_discount_bps as f64 / 1e4;

/// A user with token accounts for both assets and the LP share.
pub struct User {
    pub kp: Keypair,
    pub collateral_ata: Pubkey,
    pub debt_ata: Pubkey,
    pub lp_ata: Pubkey,
    pub margin: Pubkey,
}

impl User {
    pub fn key(&self) -> Pubkey {
        self.kp.pubkey()
    }
}

/// A second market in the same bank (for cross-market account tests).
pub struct OtherMarket {
    pub market: Pubkey,
    pub collateral_mint: Pubkey,
    pub debt_mint: Pubkey,
    pub lp_mint: Pubkey,
    pub vaults: [Pubkey; 5],
}

impl OtherMarket {
    pub fn vault(&self, k: VaultKind) -> Pubkey {
        self.vaults[k as usize]
    }

    pub fn margin_of(&self, owner: &Pubkey) -> Pubkey {
        seeds::margin_address(&pid(), &self.market, owner).0
    }
}

pub struct MarketFixture {
    pub env: Env,
    pub admin: Keypair,
    pub protocol: Pubkey,
    pub market: Pubkey,
    pub collateral_mint: Pubkey,
    pub debt_mint: Pubkey,
    pub lp_mint: Pubkey,
    pub vaults: [Pubkey; 5],
    pub collateral_oracle: Pubkey,
    pub debt_oracle: Pubkey,
    pub collateral_price: PriceFixture,
    pub debt_price: PriceFixture,
}

fn pid() -> Pubkey {
    zero_loss::ID
}

impl MarketFixture {
    /// A market with [`RiskParams::example`].
    pub async fn new() -> Self {
        Self::with_params(RiskParams::example()).await
    }

    /// The protocol, a market with `params`, and oracles at $100 / $1.
    pub async fn with_params(params: RiskParams) -> Self {
        Self::with_env(Env::new().await, params).await
    }

    /// As [`MarketFixture::with_params`], in a bank set up by the caller.
    pub async fn with_env(mut env: Env, params: RiskParams) -> Self {
        let admin = env.new_user(100).await;
        let collateral_mint = env.create_mint(COLLATERAL_DECIMALS).await;
        let debt_mint = env.create_mint(DEBT_DECIMALS).await;
        let protocol = seeds::protocol_address(&pid()).0;
        let market = seeds::market_address(&pid(), &collateral_mint, &debt_mint).0;
        let vaults = VaultKind::ALL.map(|k| seeds::vault_address(&pid(), &market, k).0);
        let lp_mint = seeds::lp_mint_address(&pid(), &market).0;
        let now = env.now();
        let mut f = MarketFixture {
            env,
            admin,
            protocol,
            market,
            collateral_mint,
            debt_mint,
            lp_mint,
            vaults,
            collateral_oracle: Pubkey::new_unique(),
            debt_oracle: Pubkey::new_unique(),
            collateral_price: PriceFixture::new(COLLATERAL_FEED, START_PRICE_E8, now),
            debt_price: PriceFixture::new(DEBT_FEED, 100_000_000, now),
        };
        f.write_oracles();
        let admin = f.admin.insecure_clone();
        f.env.set_upgrade_authority(Some(admin.pubkey()));
        f.env
            .exec(&[f.ix_init_protocol(&admin.pubkey())], &[&admin])
            .await;
        let ix = f.ix_init_market(&admin.pubkey(), collateral_mint, debt_mint, params);
        f.env.exec(&[ix], &[&admin]).await;
        f
    }

    /// Creates a second market (fresh mints, same oracles' feed ids).
    pub async fn other_market(&mut self) -> OtherMarket {
        let collateral_mint = self.env.create_mint(COLLATERAL_DECIMALS).await;
        let debt_mint = self.env.create_mint(DEBT_DECIMALS).await;
        let admin = self.admin.insecure_clone();
        let ix = self.ix_init_market(
            &admin.pubkey(),
            collateral_mint,
            debt_mint,
            RiskParams::example(),
        );
        self.env.exec(&[ix], &[&admin]).await;
        let market = seeds::market_address(&pid(), &collateral_mint, &debt_mint).0;
        OtherMarket {
            market,
            collateral_mint,
            debt_mint,
            lp_mint: seeds::lp_mint_address(&pid(), &market).0,
            vaults: VaultKind::ALL.map(|k| seeds::vault_address(&pid(), &market, k).0),
        }
    }

    /// Writes both oracle accounts from their fixtures.
    pub fn write_oracles(&mut self) {
        let (c, d) = (
            self.collateral_price.to_account(),
            self.debt_price.to_account(),
        );
        self.env.set_account(&self.collateral_oracle.clone(), c);
        self.env.set_account(&self.debt_oracle.clone(), d);
    }

    /// Sets the collateral's spot and EMA price (1e-8 USD), published now.
    pub fn set_price(&mut self, price_e8: i64) {
        self.collateral_price.price = price_e8;
        self.collateral_price.ema_price = price_e8;
        self.collateral_price.conf = (price_e8 / 2_000) as u64;
        self.collateral_price.ema_conf = self.collateral_price.conf;
        self.publish_now();
    }

    /// Marks both feeds as published at the current time.
    pub fn publish_now(&mut self) {
        let now = self.env.now();
        self.collateral_price.publish_time = now;
        self.debt_price.publish_time = now;
        self.write_oracles();
    }

    /// Moves the clock forward and republishes the oracles (prices kept).
    pub async fn advance(&mut self, secs: i64) {
        self.env.advance(secs).await;
        self.publish_now();
    }

    pub fn vault(&self, k: VaultKind) -> Pubkey {
        self.vaults[k as usize]
    }

    /// The market's addresses for `zero_loss::client`'s builders, from the
    /// vaults derived once at set-up.
    pub fn keys(&self) -> zero_loss::client::MarketKeys {
        zero_loss::client::MarketKeys {
            market: self.market,
            vaults: self.vaults,
            collateral_oracle: self.collateral_oracle,
            debt_oracle: self.debt_oracle,
        }
    }

    pub fn margin_of(&self, owner: &Pubkey) -> Pubkey {
        self.keys().margin_of(owner)
    }

    /// A funded user with token accounts and `coll` collateral and `debt`
    /// debt-asset units in them; its margin account is not opened.
    pub async fn user(&mut self, coll: u64, debt: u64) -> User {
        let kp = self.env.new_user(10).await;
        let owner = kp.pubkey();
        let collateral_ata = self
            .env
            .create_token_account(self.collateral_mint, owner)
            .await;
        let debt_ata = self.env.create_token_account(self.debt_mint, owner).await;
        let lp_ata = self.env.create_token_account(self.lp_mint, owner).await;
        if coll > 0 {
            self.env
                .mint_to(self.collateral_mint, collateral_ata, coll)
                .await;
        }
        if debt > 0 {
            self.env.mint_to(self.debt_mint, debt_ata, debt).await;
        }
        let margin = self.margin_of(&owner);
        User {
            kp,
            collateral_ata,
            debt_ata,
            lp_ata,
            margin,
        }
    }

    /// A user with an open margin account holding `coll` collateral.
    pub async fn borrower(&mut self, coll: u64) -> User {
        let u = self.user(coll, 0).await;
        self.env.exec(&[self.ix_open(&u)], &[&u.kp]).await;
        if coll > 0 {
            self.env.exec(&[self.ix_deposit(&u, coll)], &[&u.kp]).await;
        }
        u
    }

    /// A borrower with `coll` collateral that has borrowed `debt`.
    pub async fn levered_borrower(&mut self, coll: u64, debt: u64) -> User {
        let b = self.borrower(coll).await;
        self.env.exec(&[self.ix_borrow(&b, debt)], &[&b.kp]).await;
        b
    }

    /// An LP that has deposited `amount` of the debt asset.
    pub async fn lp(&mut self, amount: u64) -> User {
        let u = self.user(0, amount).await;
        self.env
            .exec(&[self.ix_lp_deposit(&u, amount)], &[&u.kp])
            .await;
        u
    }

    pub async fn market_state(&mut self) -> Market {
        self.env.read(self.market).await
    }

    /// Overwrites the market account (to stage states such as a saturated
    /// volatility estimate that would take many refreshes to reach).
    pub async fn write_market(&mut self, m: &Market) {
        let key = self.market;
        self.env.write(key, m).await;
    }

    pub async fn protocol_state(&mut self) -> Protocol {
        self.env.read(self.protocol).await
    }

    pub async fn margin_state(&mut self, u: &User) -> MarginAccount {
        self.env.read(u.margin).await
    }

    /// Token conservation: every vault holds exactly what the market's
    /// accounting says, and the LP mint's supply is what it was told.
    pub async fn assert_conservation(&mut self) {
        let m = self.market_state().await;
        let expect = [
            (VaultKind::Collateral, m.total_collateral),
            (VaultKind::Liquidity, m.liquidity_amount),
            (VaultKind::Insurance, m.insurance_amount),
            (VaultKind::PolDebt, m.pol_debt_amount),
            (VaultKind::PolCollateral, m.pol_collateral_amount),
        ];
        for (k, amount) in expect {
            let bal = self.env.token_balance(self.vault(k)).await;
            assert_eq!(
                bal, amount,
                "vault {k:?} balance differs from the market's accounting"
            );
        }
    }

    // --- instruction builders: zero_loss::client, from the fixture's keys ---

    pub fn ix_init_protocol(&self, admin: &Pubkey) -> Instruction {
        zero_loss::client::init_protocol(*admin)
    }

    pub fn ix_init_market(
        &self,
        admin: &Pubkey,
        collateral_mint: Pubkey,
        debt_mint: Pubkey,
        params: RiskParams,
    ) -> Instruction {
        self.ix_init_market_with(
            admin,
            collateral_mint,
            debt_mint,
            COLLATERAL_FEED,
            DEBT_FEED,
            params,
        )
    }

    pub fn ix_init_market_with(
        &self,
        admin: &Pubkey,
        collateral_mint: Pubkey,
        debt_mint: Pubkey,
        collateral_feed_id: [u8; 32],
        debt_feed_id: [u8; 32],
        params: RiskParams,
    ) -> Instruction {
        zero_loss::client::init_market(
            *admin,
            collateral_mint,
            debt_mint,
            zero_loss::state::InitMarketArgs {
                collateral_feed_id,
                debt_feed_id,
                params,
            },
        )
    }

    /// Proposes `params` (they take effect after the timelock).
    pub fn ix_update_params(&self, admin: &Pubkey, params: RiskParams) -> Instruction {
        self.keys().update_params(*admin, params)
    }

    pub fn ix_execute_params(&self) -> Instruction {
        self.keys().execute_params()
    }

    /// Proposes `params` as the admin, lets the protocol's timelock pass
    /// (prices republished) and executes them.
    pub async fn apply_params(&mut self, params: RiskParams) {
        let admin = self.admin.insecure_clone();
        self.env
            .exec(&[self.ix_update_params(&admin.pubkey(), params)], &[&admin])
            .await;
        let delay = self.protocol_state().await.params_delay_secs as i64;
        self.advance(delay).await;
        self.env.exec(&[self.ix_execute_params()], &[]).await;
    }

    pub fn ix_set_pause(&self, admin: &Pubkey, paused: u16) -> Instruction {
        zero_loss::client::set_pause(*admin, paused)
    }

    pub fn ix_propose_admin(&self, admin: &Pubkey, new_admin: Pubkey) -> Instruction {
        zero_loss::client::propose_admin(*admin, new_admin)
    }

    pub fn ix_accept_admin(&self, pending_admin: &Pubkey) -> Instruction {
        zero_loss::client::accept_admin(*pending_admin)
    }

    pub fn ix_lp_deposit(&self, u: &User, amount: u64) -> Instruction {
        self.keys()
            .lp_deposit(u.key(), u.debt_ata, u.lp_ata, amount)
    }

    pub fn ix_lp_withdraw(&self, u: &User, shares: u64) -> Instruction {
        self.keys()
            .lp_withdraw(u.key(), u.debt_ata, u.lp_ata, shares)
    }

    pub fn ix_fund_insurance(&self, funder: &Pubkey, source: Pubkey, amount: u64) -> Instruction {
        self.keys().fund_insurance(*funder, source, amount)
    }

    pub fn ix_fund_pol(&self, admin: &Pubkey, source: Pubkey, amount: u64) -> Instruction {
        self.keys().fund_pol(*admin, source, amount)
    }

    pub fn ix_withdraw_pol(
        &self,
        admin: &Pubkey,
        pol_vault: Pubkey,
        destination: Pubkey,
        asset: zero_loss::state::PolAsset,
        amount: u64,
    ) -> Instruction {
        self.keys()
            .withdraw_pol(*admin, pol_vault, destination, asset, amount)
    }

    pub fn ix_open(&self, u: &User) -> Instruction {
        self.keys().open_margin(u.key())
    }

    pub fn ix_close(&self, u: &User) -> Instruction {
        self.keys().close_margin(u.key())
    }

    pub fn ix_deposit(&self, u: &User, amount: u64) -> Instruction {
        self.keys()
            .deposit(u.key(), u.margin, u.collateral_ata, amount)
    }

    pub fn ix_withdraw(&self, u: &User, amount: u64) -> Instruction {
        self.keys().withdraw(u.key(), u.collateral_ata, amount)
    }

    pub fn ix_borrow(&self, u: &User, amount: u64) -> Instruction {
        self.keys().borrow(u.key(), u.debt_ata, amount)
    }

    /// `payer` repays for the margin account `margin`.
    pub fn ix_repay(&self, payer: &User, margin: Pubkey, amount: u64) -> Instruction {
        self.keys()
            .repay(payer.key(), margin, payer.debt_ata, amount)
    }

    pub fn ix_refresh(&self) -> Instruction {
        self.keys().refresh()
    }

    pub fn ix_check_health(&self, margin: Pubkey) -> Instruction {
        self.keys().check_health(margin)
    }
}

/// Replaces the account at `index` of an instruction (for forged-account tests).
pub fn with_account(mut ix: Instruction, index: usize, key: Pubkey) -> Instruction {
    ix.accounts[index].pubkey = key;
    ix
}

/// Replaces every occurrence of `from` in an instruction's accounts.
pub fn replace_account(mut ix: Instruction, from: Pubkey, to: Pubkey) -> Instruction {
    for m in ix.accounts.iter_mut() {
        if m.pubkey == from {
            m.pubkey = to;
        }
    }
    ix
}

/// Clears the signer flag of `key` (to send a call its owner did not sign).
pub fn unsign(mut ix: Instruction, key: Pubkey) -> Instruction {
    for m in ix.accounts.iter_mut() {
        if m.pubkey == key {
            m.is_signer = false;
        }
    }
    ix
}

impl MarketFixture {
    /// The conservative (opening-risk) collateral price, computed here in
    /// f64 from the fixtures, independently of the program: debt native
    /// units per collateral native unit.
    pub fn reference_price(&self, use_ema: bool) -> f64 {
        let k = zero_loss::state::RiskParams::example().oracle_conf_k_e4 as f64 / 1e4;
        let (c, cc, d, dc) = if use_ema {
            (
                self.collateral_price.ema_price,
                self.collateral_price.ema_conf,
                self.debt_price.ema_price,
                self.debt_price.ema_conf,
            )
        } else {
            (
                self.collateral_price.price,
                self.collateral_price.conf,
                self.debt_price.price,
                self.debt_price.conf,
            )
        };
        let usd_c = (c as f64 - k * cc as f64) * 1e-8;
        let usd_d = (d as f64 + k * dc as f64) * 1e-8;
        usd_c / usd_d * 10f64.powi(DEBT_DECIMALS as i32 - COLLATERAL_DECIMALS as i32)
    }

    /// The EMA (or spot) mid price with no confidence adjustment, f64.
    pub fn reference_mid_price(&self, use_ema: bool) -> f64 {
        let (c, d) = if use_ema {
            (self.collateral_price.ema_price, self.debt_price.ema_price)
        } else {
            (self.collateral_price.price, self.debt_price.price)
        };
        c as f64 / d as f64 * 10f64.powi(DEBT_DECIMALS as i32 - COLLATERAL_DECIMALS as i32)
    }

    /// The largest debt `collateral` supports at `max_ltv * (1 - buffer)` on
    /// the conservative price, on a market whose volatility buffer is at its
    /// floor `buffer_min` (no volatility sampled yet), the collateral valued in whole debt
    /// units rounded down: reference computation, f64.
    pub fn reference_max_borrow(&self, collateral: u64) -> f64 {
        let p = self.reference_price(false).min(self.reference_price(true));
        let e = zero_loss::state::RiskParams::example();
        let limit = e.max_ltv_bps as f64 / 1e4 * (1.0 - e.buffer_min_bps as f64 / 1e4);
        // The collateral's value in whole debt units, rounded down as the program values it.
        (collateral as f64 * p).floor() * limit
    }
}

/// Builders for the liquidation engine's instructions.
impl MarketFixture {
    pub fn auction_at(&self, id: u64) -> Pubkey {
        seeds::auction_address(&pid(), &self.market, id).0
    }

    /// The address the next kick will create.
    pub async fn next_auction(&mut self) -> Pubkey {
        let id = self.market_state().await.next_auction_id;
        self.auction_at(id)
    }

    pub fn ix_liquidate_partial(
        &self,
        liquidator: &User,
        margin: Pubkey,
        max_repay: u64,
    ) -> Instruction {
        self.keys().liquidate_partial(
            liquidator.key(),
            margin,
            liquidator.debt_ata,
            liquidator.collateral_ata,
            max_repay,
        )
    }

    pub fn ix_liquidate_batch(
        &self,
        liquidator: &User,
        margins: &[Pubkey],
        max_repays: Vec<u64>,
    ) -> Instruction {
        self.keys().liquidate_batch(
            liquidator.key(),
            margins,
            liquidator.debt_ata,
            liquidator.collateral_ata,
            max_repays,
        )
    }

    pub fn ix_start_auction(&self, kicker: &User, margin: Pubkey, auction: Pubkey) -> Instruction {
        self.keys()
            .start_auction(kicker.key(), margin, auction, kicker.debt_ata)
    }

    pub fn ix_bid(
        &self,
        bidder: &User,
        auction: Pubkey,
        max_lot: u64,
        max_price: u128,
    ) -> Instruction {
        self.keys().bid(
            bidder.key(),
            auction,
            bidder.debt_ata,
            bidder.collateral_ata,
            max_lot,
            max_price,
        )
    }

    pub fn ix_restart(&self, keeper: &User, auction: Pubkey) -> Instruction {
        self.keys().restart(keeper.key(), auction, keeper.debt_ata)
    }

    pub fn ix_backstop(&self, keeper: &Pubkey, auction: Pubkey) -> Instruction {
        self.keys().backstop(*keeper, auction)
    }

    /// Settles `auction`; `margin` is its owning account (None for POL's).
    pub fn ix_settle(
        &self,
        keeper: &Pubkey,
        auction: Pubkey,
        kicker: Pubkey,
        margin: Option<Pubkey>,
    ) -> Instruction {
        self.keys().settle(*keeper, auction, kicker, margin)
    }

    /// `keeper` kicks `margin`'s account; returns the new auction.
    pub async fn kick(&mut self, keeper: &User, margin: Pubkey) -> Pubkey {
        let a = self.next_auction().await;
        self.env
            .exec(&[self.ix_start_auction(keeper, margin, a)], &[&keeper.kp])
            .await;
        a
    }

    /// `bidder` buys all it can of auction `a` at the curve's price, then
    /// `keeper` (its kicker) settles it for `margin`.
    pub async fn buy_and_settle(
        &mut self,
        bidder: &User,
        keeper: &User,
        a: Pubkey,
        margin: Pubkey,
    ) {
        self.env
            .exec(
                &[self.ix_bid(bidder, a, u64::MAX, u128::MAX)],
                &[&bidder.kp],
            )
            .await;
        self.env
            .exec(
                &[self.ix_settle(&keeper.key(), a, keeper.key(), Some(margin))],
                &[&keeper.kp],
            )
            .await;
    }

    pub fn ix_start_pol_auction(&self, admin: &Pubkey, auction: Pubkey, lot: u64) -> Instruction {
        self.keys().start_pol_auction(*admin, auction, lot)
    }

    /// Sets the collateral's EMA and spot prices separately (USD), published now.
    pub fn set_prices(&mut self, ema_usd: f64, spot_usd: f64) {
        self.collateral_price = self.collateral_reading(ema_usd, spot_usd, self.env.now());
        self.publish_now();
    }

    /// A genuine collateral reading: EMA and spot in USD, each with a 0.05%
    /// confidence, published at `at` (the market's feed, not yet written).
    pub fn collateral_reading(&self, ema_usd: f64, spot_usd: f64, at: i64) -> PriceFixture {
        let e8 = |usd: f64| (usd * 1e8).round() as i64;
        let (e, s) = (e8(ema_usd), e8(spot_usd));
        PriceFixture {
            ema_price: e,
            ema_conf: (e / 2_000) as u64,
            price: s,
            conf: (s / 2_000) as u64,
            publish_time: at,
            ..self.collateral_price
        }
    }

    /// Puts `collateral` into the collateral oracle account and a flat debt
    /// reading published at `debt_at` into the debt one: what a caller
    /// presents with its next instruction.
    pub fn present(&mut self, collateral: PriceFixture, debt_at: i64) {
        self.collateral_price = collateral;
        self.debt_price.publish_time = debt_at;
        self.write_oracles();
    }

    /// Asserts that on the readings now in the oracle accounts neither a
    /// partial liquidation of `margin` by `liq` nor a kick by `kicker` goes
    /// ahead (each refusal leaves every account unchanged: `expect_rejected`).
    pub async fn expect_nothing_opens(&mut self, margin: Pubkey, liq: &User, kicker: &User) {
        self.env
            .expect_rejected(
                self.ix_liquidate_partial(liq, margin, u64::MAX),
                &[&liq.kp],
                zero_loss::errors::ZlError::AccountHealthy,
            )
            .await;
        let next = self.next_auction().await;
        self.env
            .expect_rejected(
                self.ix_start_auction(kicker, margin, next),
                &[&kicker.kp],
                zero_loss::errors::ZlError::NotDistressed,
            )
            .await;
    }

    /// Records on the market that the current spot reading has held for
    /// longer than `breach_persist_secs` (both held-price buckets at it), as
    /// readings at this price that long would: for suites about what follows
    /// a held breach (emergency kicks, floors). The persistence itself is
    /// tested through real readings (`tests/tests/persistence.rs`).
    pub async fn hold_spot(&mut self) {
        use zero_loss::engine::price::{collateral_in_debt, Reading};
        let mut m = self.market_state().await;
        let reading = |p: &PriceFixture| Reading {
            price: p.price,
            conf: p.conf,
            expo: p.expo,
        };
        let spot = collateral_in_debt(
            reading(&self.collateral_price),
            reading(&self.debt_price),
            m.params.conf_k(),
            m.collateral_decimals,
            m.debt_decimals,
        )
        .expect("a valid spot reading");
        let t = self.collateral_price.publish_time;
        m.held_prev_max = spot.0;
        m.held_prev_min = spot.0;
        m.held_prev_start = t - m.params.breach_persist_secs as i64 - 1;
        m.held_cur_max = spot.0;
        m.held_cur_min = spot.0;
        m.held_cur_start = t;
        self.write_market(&m).await;
    }

    /// Funds the insurance fund and POL from a fresh donor.
    pub async fn fund_backstops(&mut self, insurance: u64, pol: u64) {
        let admin = self.admin.insecure_clone();
        let src = self
            .env
            .create_token_account(self.debt_mint, admin.pubkey())
            .await;
        self.env.mint_to(self.debt_mint, src, insurance + pol).await;
        if insurance > 0 {
            self.env
                .exec(
                    &[self.ix_fund_insurance(&admin.pubkey(), src, insurance)],
                    &[&admin],
                )
                .await;
        }
        if pol > 0 {
            self.env
                .exec(&[self.ix_fund_pol(&admin.pubkey(), src, pol)], &[&admin])
                .await;
        }
    }

    /// The LP share price (assets per share, on the program's share count).
    pub async fn share_price(&mut self) -> f64 {
        let m = self.market_state().await;
        let assets = m.lp_assets().expect("lp assets");
        assets as f64 / m.lp_shares as f64
    }
}
