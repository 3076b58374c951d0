use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::liquidation;
use crate::emit_event;
use crate::errors::ZlError;
use crate::events::PartialLiquidated;
use crate::oracle;
use crate::risk::ltv_bps;
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};
/// Permissionless: in the buffer zone, a liquidator repays up to `max_repay`
/// of an account's debt and receives collateral worth the repayment plus a
/// bonus at the market's higher price (EMA or spot mid), so the bonus never
/// exceeds `max_bonus` at either. Sized to bring the account back to
/// `target_ltv`, capped by the liquidity budget, with the dust rule
/// (`controller::liquidation`).
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
    #[account(mut,
        constraint = !market.is_vault(&liquidator_debt.key()) @ ZlError::VaultAsUserAccount,
        constraint = liquidator_debt.mint == market.debt_mint @ ZlError::WrongMint)]
    pub liquidator_debt: Box<Account<'info, TokenAccount>>,
    /// The liquidator's collateral account (receives).
    #[account(mut,
        constraint = !market.is_vault(&liquidator_collateral.key()) @ ZlError::VaultAsUserAccount,
        constraint = liquidator_collateral.mint == market.collateral_mint @ ZlError::WrongMint)]
    pub liquidator_collateral: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub debt_oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<LiquidatePartial>, max_repay: u64) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::LIQUIDATION)?;
    let now = Clock::get()?.unix_timestamp;
    let prices = oracle::load_prices(&mut a.market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let out = liquidation::liquidate_partial(
        &mut a.market,
        &mut a.margin_account,
        &prices,
        now,
        &a.liquidator.key(),
        max_repay,
    )?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::Liquidity, a.liquidity_vault.to_account_info())
            .vault(VaultKind::Collateral, a.collateral_vault.to_account_info())
            .caller(
                a.liquidator.to_account_info(),
                Some(a.liquidator_debt.to_account_info()),
                Some(a.liquidator_collateral.to_account_info()),
            ),
        &out.moves,
    )?;
    if out.budget_tripped {
        crate::events::emit_budget_tripped(a.market.key(), now);
    }
    let plan = &out.plan;
    emit_event!(PartialLiquidated {
        market: a.market.key(),
        ts: now,
        margin_account: a.margin_account.key(),
        liquidator: a.liquidator.key(),
        repaid: plan.repaid,
        collateral_out: plan.collateral_out,
        bonus_bps: ltv_bps(plan.bonus),
        payout_price: plan.payout_price.0,
        ltv_before_bps: ltv_bps(plan.before.trigger_ltv),
        ltv_after_bps: ltv_bps(out.after.trigger_ltv),
        budget_left: a.market.budget_level,
    });
    Ok(())
}
