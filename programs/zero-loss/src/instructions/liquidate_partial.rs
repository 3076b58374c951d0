use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::liquidation::{self, PartialOutcome};
use crate::emit_event;
use crate::errors::ZlError;
use crate::events::PartialLiquidated;
use crate::oracle;
use crate::risk::ltv_bps;
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};
/// Permissionless: in the buffer zone (or while healthy at the EMA trigger
/// with the held spot LTV already past liq_ltv), at a reading at most
/// payout_max_age_secs old, a liquidator repays up to
/// `max_repay` of an account's debt and receives collateral worth the
/// repayment plus a bonus, paid out at the spot mid price so the bonus at the
/// market price is the bonus the parameters give. Sized on the lower of the
/// trigger and spot mid prices to bring the account back to `target_ltv`,
/// capped by the liquidity budget, with the dust rule
/// (`controller::liquidation`).
#[derive(Accounts)]
pub struct LiquidatePartial<'info> {
    /// Signer: the liquidator (anyone but the account's owner); authority of liquidator_debt.
    pub liquidator: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// The liquidation is booked on it.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The margin account to liquidate; must belong to the market.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The market's liquidity vault, which receives the repayment.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// The market's collateral vault, which pays the collateral out.
    /// Must be the vault recorded on the market, PDA ["vault", market, [0]].
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The liquidator's debt-asset account that pays the repayment.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&liquidator_debt.key()) @ ZlError::VaultAsUserAccount,
        constraint = liquidator_debt.mint == market.debt_mint @ ZlError::WrongMint)]
    pub liquidator_debt: Box<Account<'info, TokenAccount>>,
    /// The liquidator's collateral account that receives the collateral.
    /// Must hold the market's collateral mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&liquidator_collateral.key()) @ ZlError::VaultAsUserAccount,
        constraint = liquidator_collateral.mint == market.collateral_mint @ ZlError::WrongMint)]
    pub liquidator_collateral: Box<Account<'info, TokenAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub debt_oracle: UncheckedAccount<'info>,
    /// The SPL Token program.
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
    emit_event!(partial_event(
        &a.market,
        now,
        a.margin_account.key(),
        a.liquidator.key(),
        &out
    ));
    Ok(())
}

/// The `PartialLiquidated` event of one account's partial liquidation
/// (`liquidate_partial`, and each account of `liquidate_batch`).
pub(crate) fn partial_event(
    market: &Account<Market>,
    ts: i64,
    margin_account: Pubkey,
    liquidator: Pubkey,
    out: &PartialOutcome,
) -> PartialLiquidated {
    let plan = &out.plan;
    PartialLiquidated {
        market: market.key(),
        ts,
        margin_account,
        liquidator,
        repaid: plan.repaid,
        collateral_out: plan.collateral_out,
        bonus_bps: ltv_bps(plan.bonus),
        payout_price: plan.payout_price.0,
        ltv_before_bps: ltv_bps(plan.before.trigger_ltv),
        ltv_after_bps: ltv_bps(out.ltv_after),
        budget_left: market.budget_level,
    }
}
