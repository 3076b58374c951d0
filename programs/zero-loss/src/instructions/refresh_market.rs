use anchor_lang::prelude::*;

use crate::controller::treasury;
use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::engine::budget;
use crate::errors::ZlError;
use crate::events::{BreakerCleared, BreakerTripped, MarketRefreshed};
use crate::oracle;
use crate::risk;
use crate::state::{breaker, Market, VaultKind};
use crate::token_ops::{self, Endpoints};

/// Permissionless crank: accrues interest and sweeps the reserve share into
/// the insurance fund, samples the spot price into the volatility EWMA,
/// refills the liquidity budget, and trips or clears the circuit breaker
/// (divergence, confidence, exhausted budget).
#[derive(Accounts)]
pub struct RefreshMarket<'info> {
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its interest, volatility, budget and breaker state are updated.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The market's liquidity vault, which pays the reserve sweep.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// The market's insurance vault, which receives the reserve sweep.
    /// Must be the vault recorded on the market, PDA ["vault", market, [2]].
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub debt_oracle: UncheckedAccount<'info>,
    /// The SPL Token program.
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
    market.sample_volatility(prices.spot_mid, prices.collateral_time)?;

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

    let (moves, swept) = treasury::sweep_reserves(market)?;
    market.invariant()?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, market)
            .vault(VaultKind::Liquidity, a.liquidity_vault.to_account_info())
            .vault(VaultKind::Insurance, a.insurance_vault.to_account_info()),
        &moves,
    )?;
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
