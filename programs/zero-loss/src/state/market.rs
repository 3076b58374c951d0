use anchor_lang::prelude::*;

use super::auction::{owner_kind, Auction};
use super::params::RiskParams;
use super::seeds::{self, VaultKind};
use crate::engine::auction::Fill;
use crate::engine::fixed::{to_u64, Fp};
use crate::engine::{budget, interest, shares, volatility};
use crate::errors::{zl, ZlError};

/// Why the circuit breaker tripped (bitset; 0 = not tripped).
pub mod breaker {
    pub const DIVERGENCE: u8 = 1 << 0;
    pub const CONFIDENCE: u8 = 1 << 1;
    pub const BUDGET: u8 = 1 << 2;
}

/// An isolated lending market: one collateral asset, one debt asset.
/// PDA `["market", collateral_mint, debt_mint]`; it is the authority of its
/// five vaults and of its LP-share mint.
#[account]
#[derive(InitSpace, Debug)]
pub struct Market {
    pub version: u8,
    pub bump: u8,
    /// Bumps of the vaults, indexed by [`VaultKind`].
    pub vault_bumps: [u8; 5],
    pub lp_mint_bump: u8,
    pub collateral_decimals: u8,
    pub debt_decimals: u8,

    pub collateral_mint: Pubkey,
    pub debt_mint: Pubkey,
    /// SPL mint of the LP shares (decimals = the debt asset's).
    pub lp_mint: Pubkey,
    /// Token accounts owned by this PDA, indexed by [`VaultKind`].
    pub vaults: [Pubkey; 5],
    /// Pyth feed id of the collateral (USD quote).
    pub collateral_feed_id: [u8; 32],
    /// Pyth feed id of the debt asset (USD quote).
    pub debt_feed_id: [u8; 32],

    pub params: RiskParams,

    // --- lending ---
    /// Borrow index, WAD (starts at 1.0).
    pub borrow_index: u128,
    /// Sum of all margin accounts' debt shares (and auctions' later).
    pub total_debt_shares: u64,
    /// Last interest accrual, unix seconds.
    pub last_accrual_ts: i64,

    // --- vault accounting (native units; each equals its vault's balance) ---
    /// Collateral vault: all margin accounts' collateral plus auction lots.
    pub total_collateral: u64,
    /// Liquidity vault: LP deposits not lent out.
    pub liquidity_amount: u64,
    /// Interest owed to the insurance fund, not yet moved out of liquidity.
    pub pending_reserves: u64,
    /// Insurance vault.
    pub insurance_amount: u64,
    /// POL debt-asset vault.
    pub pol_debt_amount: u64,
    /// POL collateral vault.
    pub pol_collateral_amount: u64,
    /// Bad debt written off against the LPs, cumulative, debt native units.
    pub recorded_bad_debt: u64,
    /// Principal owed by open auctions (moved out of the debt shares at
    /// kick time), debt native units.
    pub auction_debt: u64,
    /// LP shares outstanding, as the program minted and burned them. Shares
    /// burned outside the program stay counted here, so an outside burn
    /// forfeits the burner's claim instead of inflating the share price.
    pub lp_shares: u64,

    // --- volatility (see engine::volatility) ---
    /// EWMA of squared returns per second, WAD.
    pub vol_variance: u128,
    /// Last sampled spot price (debt units per collateral unit), WAD.
    pub vol_last_price: u128,
    /// Publish time of that sample.
    pub vol_last_time: i64,

    // --- liquidity budget (token bucket, debt native units) ---
    pub budget_level: u64,
    pub budget_last_ts: i64,

    // --- circuit breaker ---
    /// [`breaker`] reasons while tripped; 0 when clear.
    pub breaker_reasons: u8,
    /// When it last tripped, unix seconds.
    pub breaker_tripped_at: i64,
    /// Last refresh that saw an abnormal reading, unix seconds.
    pub breaker_last_abnormal_ts: i64,

    // --- auctions ---
    pub next_auction_id: u64,
    pub open_auctions: u32,

    pub reserved: [u8; 359],
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
        let d = shares::debt_of_ceil(self.total_debt_shares as u128, self.index()).map_err(zl)?;
        to_u64(d).map_err(zl)
    }

    /// Debt of `shares`, rounded up.
    pub fn debt_of(&self, shares: u64) -> Result<u64> {
        let d = shares::debt_of_ceil(shares as u128, self.index()).map_err(zl)?;
        to_u64(d).map_err(zl)
    }

    /// Debt owed to the LPs: margin accounts' debt plus auctions' principal.
    pub fn debt_owed(&self) -> Result<u64> {
        self.total_debt()?
            .checked_add(self.auction_debt)
            .ok_or_else(|| error!(ZlError::MathOverflow))
    }

    /// What the LPs own, debt native units.
    pub fn lp_assets(&self) -> Result<u64> {
        let a = shares::lp_assets(
            self.liquidity_amount as u128,
            self.debt_owed()? as u128,
            self.pending_reserves as u128,
        )
        .map_err(zl)?;
        to_u64(a).map_err(zl)
    }

    /// Accrues interest up to `now`; returns the interest accrued.
    pub fn accrue_interest(&mut self, now: i64) -> Result<u64> {
        if now <= self.last_accrual_ts {
            return Ok(0);
        }
        let dt = (now - self.last_accrual_ts) as u64;
        let a = interest::accrue(
            &self.params.rate_model(),
            self.index(),
            self.total_debt_shares as u128,
            self.liquidity_amount as u128,
            dt,
            Fp::from_bps(self.params.reserve_factor_bps as u64),
        )
        .map_err(zl)?;
        self.borrow_index = a.index.0;
        self.last_accrual_ts = now;
        let reserve = to_u64(a.reserve).map_err(zl)?;
        self.pending_reserves = self
            .pending_reserves
            .checked_add(reserve)
            .ok_or(ZlError::MathOverflow)?;
        to_u64(a.interest).map_err(zl)
    }

    /// Moves as much of the pending reserves as liquidity allows from the
    /// liquidity vault's accounting to the insurance fund's; returns the
    /// amount, which the caller must transfer between the two vaults.
    pub fn take_reserve_sweep(&mut self) -> Result<u64> {
        let amount = self.pending_reserves.min(self.liquidity_amount);
        self.pending_reserves -= amount;
        self.liquidity_amount -= amount;
        self.insurance_amount = self
            .insurance_amount
            .checked_add(amount)
            .ok_or(ZlError::MathOverflow)?;
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

    /// The volatility buffer `b` in force.
    pub fn buffer(&self) -> Result<Fp> {
        volatility::buffer(Fp(self.vol_variance), &self.params.buffer_params()).map_err(zl)
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

    /// Retires debt from an account holding `account_shares`, paying up to
    /// `amount`: all of it when `amount` covers the debt, else whole shares
    /// rounded down, charged at their value rounded up (never above
    /// `amount`): the payer never pays for debt it does not retire. Updates
    /// the market's share total and liquidity; returns `(retired, charged)`
    /// for the caller to take off the account and collect.
    pub fn retire_debt(&mut self, account_shares: u64, amount: u64) -> Result<(u64, u64)> {
        let debt = self.debt_of(account_shares)?;
        let (retired, charged) = if amount >= debt {
            (account_shares, debt)
        } else {
            let retired = shares::shares_for_repay_floor(amount as u128, self.index())
                .and_then(to_u64)
                .map_err(zl)?;
            require!(retired > 0, ZlError::AmountTooSmall);
            (retired, self.debt_of(retired)?.min(amount))
        };
        self.total_debt_shares = self
            .total_debt_shares
            .checked_sub(retired)
            .ok_or(ZlError::MathUnderflow)?;
        self.liquidity_amount = self
            .liquidity_amount
            .checked_add(charged)
            .ok_or(ZlError::MathOverflow)?;
        Ok((retired, charged))
    }

    /// Books a fill of auction `au` (a bid or the backstop): the lot, tab and
    /// principal shrink, the collateral leaves the collateral vault's
    /// accounting, and the proceeds are credited by owner: a borrower's
    /// principal to liquidity (no longer owed by the auction) and penalty to
    /// insurance; POL's own collateral, everything to the POL debt vault.
    /// Returns the penalty part; the caller moves the tokens.
    pub fn book_fill(&mut self, au: &mut Auction, fill: &Fill) -> Result<u64> {
        let penalty = fill.owe - fill.principal;
        au.lot -= fill.slice;
        au.tab -= fill.owe;
        au.principal -= fill.principal;
        self.total_collateral = self
            .total_collateral
            .checked_sub(fill.slice)
            .ok_or(ZlError::MathUnderflow)?;
        if au.owner_kind == owner_kind::POL {
            self.pol_debt_amount = self
                .pol_debt_amount
                .checked_add(fill.owe)
                .ok_or(ZlError::MathOverflow)?;
        } else {
            self.liquidity_amount = self
                .liquidity_amount
                .checked_add(fill.principal)
                .ok_or(ZlError::MathOverflow)?;
            self.auction_debt = self
                .auction_debt
                .checked_sub(fill.principal)
                .ok_or(ZlError::MathUnderflow)?;
            self.insurance_amount = self
                .insurance_amount
                .checked_add(penalty)
                .ok_or(ZlError::MathOverflow)?;
        }
        Ok(penalty)
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
        let claimable = (self.liquidity_amount as u128) + (self.debt_owed()? as u128);
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

const _: () = assert!(Market::SIZE == 1_024);
