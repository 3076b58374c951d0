use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::emit_event;
use crate::engine::fixed::{to_u64, Fp};
use crate::engine::health::Zone;
use crate::engine::liquidation;
use crate::errors::{zl, ZlError};
use crate::events::PartialLiquidated;
use crate::oracle::{self, Action};
use crate::risk::{self, ltv_bps};
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops;

/// Permissionless: in the buffer zone, a liquidator repays up to `max_repay`
/// of an account's debt and receives collateral at the trigger price plus a
/// bonus. Sized to bring the account back to `target_ltv`, capped by the
/// liquidity budget, with the dust rule.
#[derive(Accounts)]
pub struct LiquidatePartial<'info> {
    pub liquidator: Signer<'info>,
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The liquidator's debt-asset account (pays).
    #[account(mut, constraint = liquidator_debt.mint == market.debt_mint @ ZlError::WrongMint)]
    pub liquidator_debt: Box<Account<'info, TokenAccount>>,
    /// The liquidator's collateral account (receives).
    #[account(mut, constraint = liquidator_collateral.mint == market.collateral_mint @ ZlError::WrongMint)]
    pub liquidator_collateral: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub debt_oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<LiquidatePartial>, max_repay: u64) -> Result<()> {
    require!(max_repay > 0, ZlError::ZeroAmount);
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::LIQUIDATION)?;
    let m = &mut a.margin_account;
    require_keys_neq!(a.liquidator.key(), m.owner, ZlError::SelfLiquidation);
    require!(m.open_auctions == 0, ZlError::AuctionInProgress);
    let market = &mut a.market;
    let now = Clock::get()?.unix_timestamp;
    market.accrue_interest(now)?;
    let prices = oracle::load_prices(market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let before = risk::evaluate(market, m.collateral, m.debt_shares, &prices)?;
    match before.zone {
        Zone::Healthy => return err!(ZlError::AccountHealthy),
        Zone::Buffer => {}
        Zone::Distressed | Zone::Emergency => return err!(ZlError::NotInBufferZone),
    }

    let p = market.params;
    let budget = market.refill_budget(now);
    let price = prices.price(Action::LiquidationTrigger);
    let sized = liquidation::partial(&liquidation::PartialInput {
        debt: before.debt,
        collateral: m.collateral,
        price,
        ltv: before.trigger_ltv,
        liq_ltv_eff: before.liq_ltv_eff,
        liq_ltv: Fp::from_bps(p.liq_ltv_bps as u64),
        target: Fp::from_bps(p.target_ltv_bps as u64),
        min_bonus: Fp::from_bps(p.min_bonus_bps as u64),
        max_bonus: Fp::from_bps(p.max_bonus_bps as u64),
        budget: budget.level,
        max_repay,
        min_position: p.min_position,
    })
    .map_err(zl)?;

    // Retire whole shares and charge their value (never above the sized
    // repayment); the collateral follows the charge.
    let (retired, charged) = market.retire_debt(m.debt_shares, sized.repay)?;
    // Paid out at the EMA mid price (the confidence band lowers the trigger
    // price, and paying at it would lift the bonus above max_bonus).
    let with_bonus = Fp::ONE.checked_add(sized.bonus).map_err(zl)?;
    let payout_price = prices.ema_mid.max(price);
    let collateral_out = with_bonus
        .mul_int_floor(charged as u128)
        .and_then(|v| payout_price.div_int_floor(v))
        .and_then(to_u64)
        .map_err(zl)?
        .min(m.collateral);

    m.debt_shares -= retired;
    m.collateral -= collateral_out;
    market.total_collateral = market
        .total_collateral
        .checked_sub(collateral_out)
        .ok_or(ZlError::MathUnderflow)?;
    let tripped = market.draw_budget(charged, now);
    let after = risk::evaluate(market, m.collateral, m.debt_shares, &prices)?;
    require!(
        after.trigger_ltv <= before.trigger_ltv,
        ZlError::HealthWorsened
    );
    m.invariant()?;
    market.invariant()?;

    token_ops::transfer_in(
        &a.token_program,
        a.liquidator_debt.to_account_info(),
        a.liquidity_vault.to_account_info(),
        a.liquidator.to_account_info(),
        charged,
    )?;
    token_ops::transfer_out(
        &a.token_program,
        market,
        a.collateral_vault.to_account_info(),
        a.liquidator_collateral.to_account_info(),
        collateral_out,
    )?;
    if tripped {
        crate::events::emit_budget_tripped(market.key());
    }
    emit_event!(PartialLiquidated {
        market: market.key(),
        margin_account: m.key(),
        liquidator: a.liquidator.key(),
        repaid: charged,
        collateral_out,
        bonus_bps: ltv_bps(sized.bonus),
        ltv_before_bps: ltv_bps(before.trigger_ltv),
        ltv_after_bps: ltv_bps(after.trigger_ltv),
        budget_left: market.budget_level,
    });
    Ok(())
}
