use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::liquidation::{self, BatchEntry};
use crate::emit_event;
use crate::errors::ZlError;
use crate::instructions::liquidate_partial::partial_event;
use crate::oracle;
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// Permissionless: the partial liquidation of up to 8 margin accounts of one
/// market in one instruction, each on the rule of `liquidate_partial`. The
/// margin accounts come as remaining accounts (writable), with one
/// `max_repay` each, in order. A malformed batch (size, an account of another
/// market or program, one named twice) is refused whole; an account that
/// cannot be liquidated now is skipped (`controller::liquidation::liquidate_batch`).
#[derive(Accounts)]
pub struct LiquidateBatch<'info> {
    /// Signer: the liquidator (anyone but the accounts' owners); authority of liquidator_debt.
    pub liquidator: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// The liquidations are booked on it.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The market's liquidity vault, which receives the repayments.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// The market's collateral vault, which pays the collateral out.
    /// Must be the vault recorded on the market, PDA ["vault", market, [0]].
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The liquidator's debt-asset account that pays the repayments.
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

pub fn handler<'info>(
    ctx: Context<'info, LiquidateBatch<'info>>,
    max_repays: Vec<u64>,
) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::LIQUIDATION)?;
    // Before loading anything; the controller checks the size again as its rule.
    let n = ctx.remaining_accounts.len();
    require!(
        n == max_repays.len() && n <= liquidation::MAX_BATCH,
        ZlError::BatchSize
    );
    let market_key = a.market.key();
    // Owner and discriminator (Anchor's checks), writable, this market's.
    let mut loaded = Vec::with_capacity(ctx.remaining_accounts.len());
    for info in ctx.remaining_accounts {
        require!(info.is_writable, ErrorCode::AccountNotMutable);
        let acc = Account::<MarginAccount>::try_from(info)?;
        require_keys_eq!(acc.market, market_key, ZlError::WrongMarket);
        loaded.push(acc);
    }
    let now = Clock::get()?.unix_timestamp;
    let prices = oracle::load_prices(&mut a.market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let mut entries: Vec<BatchEntry> = loaded
        .iter_mut()
        .zip(&max_repays)
        .map(|(acc, &max_repay)| BatchEntry {
            key: acc.key(),
            account: acc,
            max_repay,
        })
        .collect();
    let out = liquidation::liquidate_batch(
        &mut a.market,
        &mut entries,
        &prices,
        now,
        &a.liquidator.key(),
    )?;
    drop(entries);
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
        crate::events::emit_budget_tripped(market_key, now);
    }
    for (i, o) in &out.liquidated {
        let acc = &loaded[*i];
        acc.exit(&crate::ID)?;
        emit_event!(partial_event(
            &a.market,
            now,
            acc.key(),
            a.liquidator.key(),
            o
        ));
    }
    Ok(())
}
