use anchor_lang::prelude::*;

use super::auction::{Auction, OwnerKind};
use super::margin::MarginAccount;
use super::params::RiskParams;
use super::seeds::{self, VaultKind};
use crate::engine::auction::Fill;
use crate::engine::fixed::Fp;
use crate::engine::{book, budget, held, interest, shares, volatility};
use crate::errors::ZlError;
use crate::math::{to_u64, SafeMath};

/// Where a fill's proceeds are credited: the vault for the principal part
/// and the vault for the penalty part, with the amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proceeds {
    pub principal: (VaultKind, u64),
    pub penalty: (VaultKind, u64),
}

/// Why the circuit breaker tripped (bitset; 0 = not tripped).
pub mod breaker {
    pub const DIVERGENCE: u8 = 1 << 0;
    pub const CONFIDENCE: u8 = 1 << 1;
    pub const BUDGET: u8 = 1 << 2;
}

/// An isolated lending market: one collateral asset, one debt asset.
/// PDA ["market", collateral_mint, debt_mint]. It is the token authority of its five vaults and the
/// mint authority of its LP mint. Each vault accounting field equals its vault's balance (tokens
/// sent to a vault outside the program are not counted).
#[account]
#[derive(InitSpace, Debug)]
pub struct Market {
    /// Account layout version (ACCOUNT_VERSION, currently 1), written at creation.
    pub version: u8,
    /// Bump of this account's PDA.
    pub bump: u8,
    /// Bumps of the five vault PDAs, indexed by vault kind (same order as `vaults`).
    pub vault_bumps: [u8; 5],
    /// Bump of the LP mint's PDA.
    pub lp_mint_bump: u8,
    /// Decimals of the collateral mint, copied at creation.
    pub collateral_decimals: u8,
    /// Decimals of the debt mint, copied at creation.
    pub debt_decimals: u8,

    /// SPL Token mint of the collateral asset.
    pub collateral_mint: Pubkey,
    /// SPL Token mint of the debt asset (what is lent and borrowed).
    pub debt_mint: Pubkey,
    /// SPL Token mint of the LP shares, PDA ["lp_mint", market].
    /// Same decimals as the debt mint; this market is its mint authority.
    pub lp_mint: Pubkey,
    /// Addresses of the market's five token vaults, indexed by vault kind.
    /// Collateral 0, Liquidity 1, Insurance 2, PolDebt 3, PolCollateral 4.
    /// Each is PDA ["vault", market, [kind]].
    pub vaults: [Pubkey; 5],
    /// Pyth feed id of the collateral's USD price.
    pub collateral_feed_id: [u8; 32],
    /// Pyth feed id of the debt asset's USD price.
    pub debt_feed_id: [u8; 32],

    /// The risk parameters in force.
    pub params: RiskParams,

    // --- lending ---
    /// Borrow index, 1e18 fixed point; starts at 1.0 and never falls.
    /// An account's debt is its debt shares times this index, rounded up.
    pub borrow_index: u128,
    /// Sum of all margin accounts' debt shares.
    /// Shares moved into an auction at kick time leave this total (see auction_debt).
    pub total_debt_shares: u64,
    /// When interest was last accrued, unix seconds.
    pub last_accrual_ts: i64,

    // --- vault accounting (native units; each equals its vault's balance) ---
    /// Collateral vault balance, collateral-token base units.
    /// Margin accounts' collateral plus the lots of all open auctions (borrower and POL).
    pub total_collateral: u64,
    /// Liquidity vault balance, debt-token base units.
    /// LP deposits not lent out plus repayments; includes pending_reserves.
    pub liquidity_amount: u64,
    /// Interest owed to the insurance fund, not yet swept out of liquidity, debt-token base units.
    pub pending_reserves: u64,
    /// Insurance vault balance, debt-token base units.
    pub insurance_amount: u64,
    /// POL debt-asset vault balance, debt-token base units.
    pub pol_debt_amount: u64,
    /// POL collateral vault balance, collateral-token base units.
    pub pol_collateral_amount: u64,
    /// Cumulative bad debt written off against the LPs, debt-token base units.
    /// Auction principal shortfalls that neither insurance nor POL could pay.
    pub recorded_bad_debt: u64,
    /// Principal owed by open borrower auctions, debt-token base units.
    /// Moved out of the debt shares at kick time; bids, the backstop and settlement pay it down.
    pub auction_debt: u64,
    /// LP shares outstanding as the program minted and burned them, LP-mint base units.
    /// Shares burned outside the program stay counted here, so an outside burn forfeits the
    /// burner's claim instead of inflating the share price.
    pub lp_shares: u64,

    // --- volatility (see engine::volatility) ---
    /// Realized variance: EWMA of squared simple returns per second, 1e18 fixed point.
    pub vol_variance: u128,
    /// Last sampled spot mid price, 1e18 fixed point (0 before the first sample).
    /// Debt-token base units per collateral-token base unit.
    pub vol_last_price: u128,
    /// Collateral feed publish time of that sample, unix seconds.
    pub vol_last_time: i64,

    // --- liquidity budget (token bucket, debt native units) ---
    /// Liquidity budget level (token bucket), debt-token base units; full at creation.
    pub budget_level: u64,
    /// When the liquidity budget was last refilled, unix seconds.
    pub budget_last_ts: i64,

    // --- circuit breaker ---
    /// Circuit breaker reasons while tripped, a bitset; 0 when clear.
    /// DIVERGENCE 1, CONFIDENCE 2, BUDGET 4.
    pub breaker_reasons: u8,
    /// When the circuit breaker last tripped from clear, unix seconds.
    pub breaker_tripped_at: i64,
    /// When the last abnormal reading or budget exhaustion was seen, unix seconds.
    pub breaker_last_abnormal_ts: i64,

    // --- auctions ---
    /// Id of the next auction created in this market (its PDA seed); starts at 0.
    pub next_auction_id: u64,
    /// Auctions of this market not yet settled (borrower and POL).
    pub open_auctions: u32,

    // --- oracle order (see oracle::load_prices) ---
    /// Newest publish time of the collateral feed any instruction has used, unix seconds.
    /// Older readings are refused (oracle/superseded).
    pub collateral_publish_time: i64,
    /// Newest publish time of the debt asset's feed any instruction has used, unix seconds.
    /// Older readings are refused (oracle/superseded).
    pub debt_publish_time: i64,

    // --- parameter timelock (see update_market_params) ---
    /// Risk parameters proposed by the admin, not yet in force.
    /// Meaningful only while pending_params_eta is non-zero.
    pub pending_params: RiskParams,
    /// When pending_params may be executed, unix seconds; 0 when none is pending.
    pub pending_params_eta: i64,

    /// Collateral in open borrower auctions' lots, collateral-token base units.
    /// What backs auction_debt.
    pub auction_lots: u64,

    // --- held spot (see engine::held) ---
    /// Highest conf-adjusted spot price of the previous held-price bucket, 1e18 fixed point,
    /// debt-token base units per collateral-token base unit; 0 while empty.
    pub held_prev_max: u128,
    /// Collateral publish time of the previous bucket's first reading, unix seconds.
    pub held_prev_start: i64,
    /// Highest conf-adjusted spot price of the current bucket, 1e18 fixed point; 0 while empty.
    pub held_cur_max: u128,
    /// Collateral publish time of the current bucket's first reading, unix seconds.
    pub held_cur_start: i64,

    /// Lowest conf-adjusted spot price of the previous held-price bucket, 1e18 fixed point;
    /// 0 while empty. With held_cur_min, the low an LP exit values collateral at.
    pub held_prev_min: u128,
    /// Lowest conf-adjusted spot price of the current held-price bucket, 1e18 fixed point;
    /// 0 while empty.
    pub held_cur_min: u128,

    // --- underwater book (see engine::book) ---
    /// The book's anchor: the power of two at or below the share price (conf-adjusted spot /
    /// borrow index, 1e18 fixed point) at the first reading the market recorded; 0 before it.
    /// Never changes after.
    pub book_anchor: u128,
    /// The underwater book's 96 buckets (keyed by debt_shares / collateral), 1,536 bytes:
    /// bucket k is the little-endian u64 debt shares at 16k and u64 collateral at 16k + 8 of
    /// the indebted margin accounts in it; the shares sum to total_debt_shares. Bytes in a
    /// vector: Borsh copies them at once, onto the heap, not the 4 KB SBF stack frame.
    #[max_len(1536)]
    pub book: Vec<u8>,

    /// Reserved for future fields (73 bytes, zero).
    pub reserved: [u8; 73],
}

/// The signer seeds of a market PDA, built once per handler.
pub struct MarketSigner {
    collateral_mint: Pubkey,
    debt_mint: Pubkey,
    bump: [u8; 1],
}

impl MarketSigner {
    pub fn seeds(&self) -> [&[u8]; 4] {
        [
            seeds::MARKET,
            self.collateral_mint.as_ref(),
            self.debt_mint.as_ref(),
            &self.bump,
        ]
    }
}

impl Market {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    pub fn vault(&self, kind: VaultKind) -> Pubkey {
        self.vaults[kind as usize]
    }

    /// Whether `key` is one of this market's five vaults. Every token
    /// account a caller chooses (a source it pays from, a destination it is
    /// paid to) is refused when it is one (`account/vault-as-user-account`):
    /// a move between a vault and itself, or between two vaults outside the
    /// accounting, would break balance == accounting.
    pub fn is_vault(&self, key: &Pubkey) -> bool {
        self.vaults.contains(key)
    }

    pub fn signer(&self) -> MarketSigner {
        MarketSigner {
            collateral_mint: self.collateral_mint,
            debt_mint: self.debt_mint,
            bump: [self.bump],
        }
    }

    pub fn index(&self) -> Fp {
        Fp(self.borrow_index)
    }

    /// Total debt outstanding, rounded up.
    pub fn total_debt(&self) -> Result<u64> {
        to_u64(shares::debt_of_ceil(
            self.total_debt_shares as u128,
            self.index(),
        )?)
    }

    /// Debt of `shares`, rounded up.
    pub fn debt_of(&self, shares: u64) -> Result<u64> {
        to_u64(shares::debt_of_ceil(shares as u128, self.index())?)
    }

    /// Debt owed to the LPs: margin accounts' debt plus auctions' principal.
    pub fn debt_owed(&self) -> Result<u64> {
        self.total_debt()?.safe_add(self.auction_debt)
    }

    /// What the LPs own, debt native units.
    pub fn lp_assets(&self) -> Result<u64> {
        to_u64(shares::lp_assets(
            self.liquidity_amount as u128,
            self.debt_owed()? as u128,
            self.pending_reserves as u128,
        )?)
    }

    /// Liquidity not lent out, less the reserves owed to insurance: what a
    /// borrow or an LP exit may take (the reserves are not the LPs').
    pub fn free_liquidity(&self) -> u64 {
        self.liquidity_amount.saturating_sub(self.pending_reserves)
    }

    /// Accrues interest up to `now`; returns the interest accrued.
    pub fn accrue_interest(&mut self, now: i64) -> Result<u64> {
        if now <= self.last_accrual_ts {
            return Ok(0);
        }
        let dt = now.safe_sub(self.last_accrual_ts)? as u64;
        let a = interest::accrue(
            &self.params.rate_model(),
            self.index(),
            self.total_debt_shares as u128,
            self.liquidity_amount as u128,
            dt,
            Fp::from_bps(self.params.reserve_factor_bps as u64),
        )?;
        let reserve = to_u64(a.reserve)?;
        let accrued = to_u64(a.interest)?;
        self.pending_reserves.safe_add_assign(reserve)?;
        self.borrow_index = a.index.0;
        self.last_accrual_ts = now;
        Ok(accrued)
    }

    /// Moves as much of the pending reserves as liquidity allows from the
    /// liquidity vault's accounting to the insurance fund's; returns the
    /// amount, which the caller must transfer between the two vaults.
    pub fn take_reserve_sweep(&mut self) -> Result<u64> {
        let amount = self.pending_reserves.min(self.liquidity_amount);
        self.insurance_amount.safe_add_assign(amount)?;
        self.pending_reserves.safe_sub_assign(amount)?;
        self.liquidity_amount.safe_sub_assign(amount)?;
        Ok(amount)
    }

    pub fn vol_state(&self) -> volatility::VolState {
        volatility::VolState {
            variance: Fp(self.vol_variance),
            last_price: Fp(self.vol_last_price),
            last_time: self.vol_last_time,
        }
    }

    pub fn set_vol_state(&mut self, s: volatility::VolState) {
        self.vol_variance = s.variance.0;
        self.vol_last_price = s.last_price.0;
        self.vol_last_time = s.last_time;
    }

    /// Feeds one volatility sample: `price` (the spot mid) at `time` (the collateral
    /// feed's publish time, the feed that carries the moves). What `refresh_market`
    /// writes; the keeper runs it on a copy to see whether a refresh would move the
    /// buffer.
    pub fn sample_volatility(&mut self, price: Fp, time: i64) -> Result<()> {
        let vol = volatility::update(
            self.vol_state(),
            price,
            time,
            self.params.vol_window_secs as u64,
        )?;
        self.set_vol_state(vol);
        Ok(())
    }

    pub fn held_window(&self) -> held::Window {
        held::Window {
            prev: held::Bucket {
                max: Fp(self.held_prev_max),
                min: Fp(self.held_prev_min),
                start: self.held_prev_start,
            },
            cur: held::Bucket {
                max: Fp(self.held_cur_max),
                min: Fp(self.held_cur_min),
                start: self.held_cur_start,
            },
            last: self.collateral_publish_time,
        }
    }

    pub fn set_held_window(&mut self, w: held::Window) {
        self.held_prev_max = w.prev.max.0;
        self.held_prev_min = w.prev.min.0;
        self.held_prev_start = w.prev.start;
        self.held_cur_max = w.cur.max.0;
        self.held_cur_min = w.cur.min.0;
        self.held_cur_start = w.cur.start;
    }

    /// Anchors the underwater book at the share price of `price` (the first
    /// reading the market records; later calls change nothing, so every
    /// account leaves the bucket it entered).
    pub fn anchor_book(&mut self, price: Fp) -> Result<()> {
        if self.book_anchor == 0 {
            self.book_anchor = book::anchor_for(price.div_floor(self.index())?).0;
        }
        Ok(())
    }

    /// Opens the underwater book: every bucket empty (at `init_market`).
    pub fn open_book(&mut self) {
        self.book = vec![0; book::BYTES];
    }

    /// Moves an account in the underwater book from its position `before`
    /// to `after`, each `(collateral, debt_shares)`, so the buckets' shares
    /// always sum to `total_debt_shares` ([`Market::set_position`] calls it
    /// for every change of an account).
    pub fn rebook(&mut self, before: (u64, u64), after: (u64, u64)) -> Result<()> {
        if before == after {
            return Ok(());
        }
        require!(self.book.len() == book::BYTES, ZlError::InvariantViolated);
        let anchor = Fp(self.book_anchor);
        if let Some(k) = book::bucket_of(anchor, before.1, before.0)? {
            let (s, c) = book::entry(&self.book, k);
            let out = (s.safe_sub(before.1)?, c.safe_sub(before.0)?);
            book::set_entry(&mut self.book, k, out);
        }
        if let Some(k) = book::bucket_of(anchor, after.1, after.0)? {
            // An account enters the book only after a reading anchored it.
            require!(self.book_anchor != 0, ZlError::InvariantViolated);
            let (s, c) = book::entry(&self.book, k);
            let with = (s.safe_add(after.1)?, c.safe_add(after.0)?);
            book::set_entry(&mut self.book, k, with);
        }
        Ok(())
    }

    /// Sets `account`'s position to `collateral` against `debt_shares` and
    /// moves it in the underwater book: the one way the program changes an
    /// account's collateral or debt shares.
    pub fn set_position(
        &mut self,
        account: &mut MarginAccount,
        collateral: u64,
        debt_shares: u64,
    ) -> Result<()> {
        self.rebook(account.position(), (collateral, debt_shares))?;
        account.collateral = collateral;
        account.debt_shares = debt_shares;
        Ok(())
    }

    /// What the margin accounts not in auction visibly owe beyond their
    /// collateral valued at `worth`, as the `bound` on that side
    /// (`engine::book`), debt-token units.
    pub fn book_shortfall(&self, worth: Fp, bound: book::Bound) -> Result<u64> {
        require!(self.book.len() == book::BYTES, ZlError::InvariantViolated);
        let s = book::shortfall(Fp(self.book_anchor), &self.book, self.index(), worth, bound)?;
        Ok(s.min(u64::MAX as u128) as u64)
    }

    /// The volatility buffer `b` in force.
    pub fn buffer(&self) -> Result<Fp> {
        Ok(volatility::buffer(
            Fp(self.vol_variance),
            &self.params.buffer_params(),
        )?)
    }

    pub fn budget(&self) -> budget::Bucket {
        budget::Bucket {
            level: self.budget_level,
            last_ts: self.budget_last_ts,
        }
    }

    /// The budget brought up to `now` (stored).
    pub fn refill_budget(&mut self, now: i64) -> budget::Bucket {
        let p = &self.params;
        let b = budget::refill(
            self.budget(),
            now,
            p.budget_capacity,
            p.budget_refill_per_sec,
        );
        self.budget_level = b.level;
        self.budget_last_ts = b.last_ts;
        b
    }

    /// Draws from the budget; trips the breaker when it runs dry and
    /// returns whether this draw newly tripped it.
    pub fn draw_budget(&mut self, amount: u64, now: i64) -> bool {
        let b = budget::draw(self.budget(), amount);
        self.budget_level = b.level;
        budget::exhausted(b, self.params.min_position) && self.trip_breaker(breaker::BUDGET, now)
    }

    /// What retiring debt from an account holding `account_shares`, paying
    /// up to `amount`, would do: all of it when `amount` covers the debt,
    /// else whole shares rounded down, charged at their value rounded up
    /// (never above `amount`): the payer never pays for debt it does not
    /// retire. Returns `(retired shares, charged)`; nothing is written.
    pub fn debt_retirement(&self, account_shares: u64, amount: u64) -> Result<(u64, u64)> {
        let debt = self.debt_of(account_shares)?;
        if amount >= debt {
            return Ok((account_shares, debt));
        }
        let retired = to_u64(shares::shares_for_repay_floor(
            amount as u128,
            self.index(),
        )?)?;
        require!(retired > 0, ZlError::AmountTooSmall);
        Ok((retired, self.debt_of(retired)?.min(amount)))
    }

    /// Books a retirement planned by [`Market::debt_retirement`]: the shares
    /// leave the market's total and the charge joins liquidity. The caller
    /// takes the shares off the account and collects the charge.
    pub fn book_retirement(&mut self, retired: u64, charged: u64) -> Result<()> {
        self.total_debt_shares.safe_sub_assign(retired)?;
        self.liquidity_amount.safe_add_assign(charged)
    }

    /// [`Market::debt_retirement`] then [`Market::book_retirement`].
    pub fn retire_debt(&mut self, account_shares: u64, amount: u64) -> Result<(u64, u64)> {
        let (retired, charged) = self.debt_retirement(account_shares, amount)?;
        self.book_retirement(retired, charged)?;
        Ok((retired, charged))
    }

    /// Books a fill of auction `au` (a bid or the backstop): the lot, tab and
    /// principal shrink, the collateral leaves the collateral vault's
    /// accounting, and the proceeds are credited by owner: a borrower's
    /// principal to liquidity (no longer owed by the auction) and penalty to
    /// insurance; POL's own collateral, everything to the POL debt vault.
    /// Returns where the proceeds go; the caller moves the tokens.
    pub fn book_fill(&mut self, au: &mut Auction, fill: &Fill) -> Result<Proceeds> {
        let penalty = fill.owe.safe_sub(fill.principal)?;
        au.lot.safe_sub_assign(fill.slice)?;
        au.tab.safe_sub_assign(fill.owe)?;
        au.principal.safe_sub_assign(fill.principal)?;
        self.total_collateral.safe_sub_assign(fill.slice)?;
        let to = match au.owner_kind {
            OwnerKind::Pol => {
                self.pol_debt_amount.safe_add_assign(fill.owe)?;
                (VaultKind::PolDebt, VaultKind::PolDebt)
            }
            OwnerKind::Margin => {
                self.auction_lots.safe_sub_assign(fill.slice)?;
                self.liquidity_amount.safe_add_assign(fill.principal)?;
                self.auction_debt.safe_sub_assign(fill.principal)?;
                self.insurance_amount.safe_add_assign(penalty)?;
                (VaultKind::Liquidity, VaultKind::Insurance)
            }
        };
        Ok(Proceeds {
            principal: (to.0, fill.principal),
            penalty: (to.1, penalty),
        })
    }

    /// The loss in sight that insurance and POL could not pay, with
    /// collateral valued at `worth` (rounded down): open borrower auctions'
    /// principal beyond their lots (valued together, so one auction's
    /// surplus offsets another's shortfall) plus what the margin accounts
    /// not yet kicked owe beyond their collateral (`Market::book_shortfall`,
    /// the `bound` on the mover's side). A loss everyone can see coming,
    /// which an LP leaving now must not shift onto those who stay, nor one
    /// arriving buy into cheap.
    pub fn uncovered_shortfall(&self, worth: Fp, bound: book::Bound) -> Result<u64> {
        let backing = to_u64(
            worth
                .mul_int_floor(self.auction_lots as u128)?
                .min(u64::MAX as u128),
        )?;
        let backstops = self.insurance_amount.saturating_add(self.pol_debt_amount);
        Ok(self
            .auction_debt
            .saturating_sub(backing)
            .saturating_add(self.book_shortfall(worth, bound)?)
            .saturating_sub(backstops))
    }

    /// The LPs' assets less the uncovered shortfall in sight with collateral
    /// valued at `worth` and the book's `bound` (an exit: `risk::lot_valuation`
    /// and the upper bound; a deposit: `risk::lot_valuation_high` and the
    /// lower): the one price both an LP exit and an LP deposit take while
    /// the market has debt, each leaning against the LP who moves, so none
    /// shifts a loss already in sight onto the others.
    pub fn lp_assets_net(&self, worth: Fp, bound: book::Bound) -> Result<u64> {
        Ok(self
            .lp_assets()?
            .saturating_sub(self.uncovered_shortfall(worth, bound)?))
    }

    /// Maker's dust rule on a position: its debt is zero or at least
    /// `min_position`.
    pub fn require_not_dust(&self, debt: u64) -> Result<()> {
        require!(
            debt == 0 || debt >= self.params.min_position,
            ZlError::DustPosition
        );
        Ok(())
    }

    /// Records abnormal `reasons`; returns whether this tripped a clear breaker.
    pub fn trip_breaker(&mut self, reasons: u8, now: i64) -> bool {
        let newly = !self.breaker_tripped();
        if newly {
            self.breaker_tripped_at = now;
        }
        self.breaker_reasons |= reasons;
        self.breaker_last_abnormal_ts = now;
        newly
    }

    pub fn breaker_tripped(&self) -> bool {
        self.breaker_reasons != 0
    }

    /// Refuses while the circuit breaker is tripped.
    pub fn require_breaker_clear(&self) -> Result<()> {
        require!(!self.breaker_tripped(), ZlError::CircuitBreakerTripped);
        Ok(())
    }

    /// Accounting identities that hold after every instruction.
    pub fn invariant(&self) -> Result<()> {
        require!(self.borrow_index >= Fp::ONE.0, ZlError::InvariantViolated);
        // Reserves are a claim on liquidity + debt, never more.
        let claimable = (self.liquidity_amount as u128).safe_add(self.debt_owed()? as u128)?;
        require!(
            (self.pending_reserves as u128) <= claimable,
            ZlError::InvariantViolated
        );
        // Parameters are validated where they are set (init_market,
        // update_market_params), not here: a bound tightened by an upgrade
        // must never lock an existing market's repayments.
        Ok(())
    }
}

const _: () = assert!(Market::SIZE == 2_560);
