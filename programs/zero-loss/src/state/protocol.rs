use anchor_lang::prelude::*;

use crate::engine::pause::Credit;
use crate::errors::ZlError;

/// Pause groups: each bit freezes one group of instructions.
pub mod pause {
    /// `lp_deposit`, `lp_withdraw`.
    pub const LP: u16 = 1 << 0;
    /// `open_margin_account`, `deposit_collateral`.
    pub const DEPOSIT: u16 = 1 << 1;
    /// `borrow`, `withdraw_collateral`.
    pub const BORROW: u16 = 1 << 2;
    /// `liquidate_partial`, `start_auction` (liquidation engine).
    pub const LIQUIDATION: u16 = 1 << 3;
    /// `bid`, `restart_auction`, `backstop`, `start_pol_auction`.
    pub const AUCTION: u16 = 1 << 4;
    /// `fund_insurance`, `fund_pol`, `withdraw_pol`.
    pub const TREASURY: u16 = 1 << 5;
    /// Every defined group. `repay`, `close_margin_account`,
    /// `refresh_market`, `check_health`, `settle_auction` (the return of
    /// leftover collateral), `execute_market_params` and a debt-free
    /// `withdraw_collateral` are never pausable: a pause must not trap a
    /// borrower who wants to reduce risk or collateral that backs no debt.
    pub const ALL: u16 = LP | DEPOSIT | BORROW | LIQUIDATION | AUCTION | TREASURY;
}

/// The program's singleton: who administers it and what is paused.
/// PDA ["protocol"].
#[account]
#[derive(InitSpace, Debug)]
pub struct Protocol {
    /// Account layout version (ACCOUNT_VERSION, currently 1), written at creation.
    pub version: u8,
    /// Bump of this account's PDA.
    pub bump: u8,
    /// Bitset of paused instruction groups.
    /// LP 1, DEPOSIT 2, BORROW 4, LIQUIDATION 8, AUCTION 16, TREASURY 32; 0 = nothing paused.
    pub paused: u16,
    /// The protocol admin: creates markets, proposes parameters, pauses, manages POL.
    pub admin: Pubkey,
    /// Proposed next admin (two-step transfer); `Pubkey::default()` if none.
    pub pending_admin: Pubkey,
    /// Timelock on market parameter changes, seconds.
    /// A proposal takes effect no sooner than this long after it is made; init_protocol sets one
    /// day (86,400).
    pub params_delay_secs: u32,
    /// When the current pause lapses, unix seconds.
    /// set_pause sets it to now + the pause credit, at most 7 days; the admin must renew a
    /// longer pause, within the pause budget.
    pub pause_expires_at: i64,
    /// Pause budget: seconds of pause credit left at pause_credit_at.
    /// At most 7 days; earns 7 days over 30 (engine::pause), so no 30 days hold more than 14
    /// paused.
    pub pause_credit_secs: i64,
    /// Pause budget: when pause_credit_secs was last brought up to date, unix seconds.
    pub pause_credit_at: i64,
    /// Reserved for future fields (32 bytes, zero).
    pub reserved: [u8; 32],
}

/// The longest a pause lasts without being renewed: a week (the pause
/// budget's credit cap).
pub const MAX_PAUSE_SECS: i64 = crate::engine::pause::CREDIT_CAP_SECS;

/// The parameter timelock every protocol starts with: one day, time for
/// every borrower to see a change coming and act.
pub const DEFAULT_PARAMS_DELAY_SECS: u32 = 86_400;

impl Protocol {
    /// Account size including the 8-byte discriminator.
    pub const SIZE: usize = 8 + Self::INIT_SPACE;

    /// Refuses while `group` is paused and the pause has not expired.
    pub fn require_not_paused(&self, group: u16) -> Result<()> {
        if self.paused & group == 0 {
            return Ok(());
        }
        let now = Clock::get()?.unix_timestamp;
        require!(now >= self.pause_expires_at, ZlError::Paused);
        Ok(())
    }

    pub fn require_admin(&self, signer: &Pubkey) -> Result<()> {
        require_keys_eq!(self.admin, *signer, ZlError::NotAdmin);
        Ok(())
    }

    /// The pause credit as stored.
    pub fn pause_credit(&self) -> Credit {
        Credit {
            secs: self.pause_credit_secs,
            at: self.pause_credit_at,
        }
    }

    /// Stores the pause credit.
    pub fn store_pause_credit(&mut self, credit: Credit) {
        self.pause_credit_secs = credit.secs;
        self.pause_credit_at = credit.at;
    }

    /// `set_pause`: brings the pause credit up to `now` (spending what the
    /// running pause used), then pauses `paused` until the credit is spent,
    /// at most [`MAX_PAUSE_SECS`] (`admin/pause-budget` when none is left),
    /// or unpauses when `paused` is 0. Returns when the pause lapses.
    pub fn set_pause(&mut self, paused: u16, now: i64) -> Result<i64> {
        require!(paused & !pause::ALL == 0, ZlError::InvalidParam);
        let running = (self.paused != 0).then_some(self.pause_expires_at);
        let credit = self.pause_credit().at_time(now, running);
        let expires_at = if paused == 0 {
            now
        } else {
            credit.pause_until().ok_or(ZlError::PauseBudgetSpent)?
        };
        self.store_pause_credit(credit);
        self.paused = paused;
        self.pause_expires_at = expires_at;
        self.invariant()?;
        Ok(expires_at)
    }

    pub fn invariant(&self) -> Result<()> {
        require!(self.paused & !pause::ALL == 0, ZlError::InvariantViolated);
        require!(
            (0..=MAX_PAUSE_SECS).contains(&self.pause_credit_secs),
            ZlError::InvariantViolated
        );
        require!(self.admin != Pubkey::default(), ZlError::InvariantViolated);
        Ok(())
    }
}

const _: () = assert!(Protocol::SIZE == 136);
