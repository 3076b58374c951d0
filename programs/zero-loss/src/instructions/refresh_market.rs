use anchor_lang::prelude::*;

use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::engine::{budget, volatility};
use crate::errors::ZlError;
use crate::events::{BreakerCleared, BreakerTripped, MarketRefreshed};
use crate::oracle;
use crate::risk;
use crate::state::{breaker, Market, VaultKind};
use crate::token_ops;

/// Permissionless crank: accrues interest and sweeps the reserve share into
/// the insurance fund, samples the spot price into the volatility EWMA,
/// refills the liquidity budget, and trips or clears the circuit breaker
/// (divergence, confidence, exhausted budget).
#[derive(Accounts)]
pub struct RefreshMarket<'info> {
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub debt_oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<RefreshMarket>) -> Result<()> {
    let a = ctx.accounts;
    let market = &mut a.market;
    let now = Clock::get()?.unix_timestamp;
    let interest = market.accrue_interest(now)?;
    let prices = oracle::load_prices(market, &a.collateral_oracle, &a.debt_oracle, now)?;

    // Sampled at the collateral feed's publish time: the collateral carries
    // the moves (the debt asset is the quote), and stepping the other feed's
    // time cannot shrink a sample's span.
    let vol = volatility::update(
        market.vol_state(),
        prices.spot_mid,
        prices.collateral_time,
        market.params.vol_window_secs as u64,
    )?;
    market.set_vol_state(vol);

    let (mut reasons, divergence_bps, conf_bps) = risk::abnormal_reasons(market, &prices)?;
    let bucket = market.refill_budget(now);
    if budget::exhausted(bucket, market.params.min_position) {
        reasons |= breaker::BUDGET;
    }
    if reasons != 0 {
        if market.trip_breaker(reasons, now) {
            emit_event!(BreakerTripped {
                market: market.key(),
                ts: now,
                reasons,
                divergence_bps,
                conf_bps
            });
        }
    } else if market.breaker_tripped()
        && now - market.breaker_last_abnormal_ts >= market.params.breaker_cooldown_secs as i64
    {
        market.breaker_reasons = 0;
        emit_event!(BreakerCleared {
            market: market.key(),
            ts: now,
            tripped_secs: now - market.breaker_tripped_at
        });
    }

    let swept = market.take_reserve_sweep()?;
    market.invariant()?;
    if swept > 0 {
        token_ops::transfer_out(
            &a.token_program,
            market,
            a.liquidity_vault.to_account_info(),
            a.insurance_vault.to_account_info(),
            swept,
        )?;
    }
    emit_event!(MarketRefreshed {
        market: market.key(),
        ts: now,
        borrow_index: market.borrow_index,
        interest,
        reserves_swept: swept,
        spot_price: prices.spot_mid.0,
        ema_price: prices.ema_mid.0,
        variance: market.vol_variance,
        buffer_bps: risk::ltv_bps(market.buffer()?),
        breaker_reasons: market.breaker_reasons,
    });
    Ok(())
}
