use anchor_lang::prelude::*;

use crate::emit_event;

use crate::errors::ZlError;
use crate::events::HealthChecked;
use crate::oracle;
use crate::risk::{self, ltv_bps};
use crate::state::{MarginAccount, Market};

/// Permissionless: computes an account's LTVs, the volatility buffer, the
/// effective threshold and the zone at current prices; emits them and
/// stores a snapshot on the account. Other instructions recompute health
/// themselves and never trust the snapshot.
#[derive(Accounts)]
pub struct CheckHealth<'info> {
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Interest accrues and the oracle publish times are recorded.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The margin account to check (any owner), which stores the health snapshot.
    /// Must belong to the market.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub debt_oracle: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<CheckHealth>) -> Result<()> {
    let a = ctx.accounts;
    let market = &mut a.market;
    let now = Clock::get()?.unix_timestamp;
    market.accrue_interest(now)?;
    let prices = oracle::load_prices(market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let m = &mut a.margin_account;
    let r = risk::evaluate(market, m.collateral, m.debt_shares, &prices)?;
    m.last_zone = r.zone.into();
    m.last_ltv_bps = u32::try_from(ltv_bps(r.trigger_ltv)).unwrap_or(u32::MAX);
    m.last_health_ts = now;
    emit_event!(HealthChecked {
        market: market.key(),
        ts: now,
        margin_account: m.key(),
        collateral: m.collateral,
        debt: r.debt,
        trigger_ltv_bps: ltv_bps(r.trigger_ltv),
        spot_ltv_bps: ltv_bps(r.spot_ltv),
        held_ltv_bps: ltv_bps(r.held_ltv),
        buffer_bps: ltv_bps(r.buffer),
        distress_ltv_bps: ltv_bps(r.distress_ltv),
        zone: r.zone.into(),
    });
    Ok(())
}
