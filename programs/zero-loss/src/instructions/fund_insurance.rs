use anchor_lang::prelude::*;

use crate::controller::treasury;
use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::InsuranceFunded;
use crate::state::{pause, seeds, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// Anyone may add the debt asset to a market's insurance fund.
#[derive(Accounts)]
pub struct FundInsurance<'info> {
    /// Signer: the funder; authority of the source account.
    pub funder: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its insurance_amount grows.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The market's insurance vault, which receives the funds.
    /// Must be the vault recorded on the market, PDA ["vault", market, [2]].
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// The funder's debt-asset account that pays.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&source.key()) @ ZlError::VaultAsUserAccount,
        constraint = source.mint == market.debt_mint @ ZlError::WrongMint)]
    pub source: Box<Account<'info, TokenAccount>>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<FundInsurance>, amount: u64) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::TREASURY)?;
    let moves = treasury::fund_insurance(&mut a.market, amount)?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::Insurance, a.insurance_vault.to_account_info())
            .caller(
                a.funder.to_account_info(),
                Some(a.source.to_account_info()),
                None,
            ),
        &moves,
    )?;
    let now = Clock::get()?.unix_timestamp;
    emit_event!(InsuranceFunded {
        market: a.market.key(),
        ts: now,
        funder: a.funder.key(),
        amount
    });
    Ok(())
}
