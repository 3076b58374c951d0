use anchor_lang::prelude::*;

use crate::controller::lending;
use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::Repaid;
use crate::state::{MarginAccount, Market, VaultKind};
use crate::token_ops::{self, Endpoints};

/// Anyone repays debt for any margin account. `amount` above the debt
/// repays exactly the debt (so `u64::MAX` means "all of it"). Never paused.
#[derive(Accounts)]
pub struct Repay<'info> {
    /// Signer: the payer (anyone); authority of the source account.
    pub payer: Signer<'info>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Interest accrues and the repayment joins liquidity.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The margin account whose debt is repaid (any owner).
    /// Must belong to the market.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The market's liquidity vault, which receives the repayment.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// The payer's debt-asset account that pays.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&source.key()) @ ZlError::VaultAsUserAccount,
        constraint = source.mint == market.debt_mint @ ZlError::WrongMint)]
    pub source: Box<Account<'info, TokenAccount>>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Repay>, amount: u64) -> Result<()> {
    let a = ctx.accounts;
    let now = Clock::get()?.unix_timestamp;
    let (moves, out) = lending::repay(&mut a.market, &mut a.margin_account, amount, now)?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::Liquidity, a.liquidity_vault.to_account_info())
            .caller(
                a.payer.to_account_info(),
                Some(a.source.to_account_info()),
                None,
            ),
        &moves,
    )?;
    emit_event!(Repaid {
        market: a.market.key(),
        ts: now,
        margin_account: a.margin_account.key(),
        payer: a.payer.key(),
        amount: out.paid,
        debt: out.remaining
    });
    Ok(())
}
