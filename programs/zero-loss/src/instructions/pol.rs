use anchor_lang::prelude::*;

use crate::controller::treasury;
use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::{PolFunded, PolWithdrawn};
use crate::state::{pause, seeds, Market, PolAsset, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// The admin adds the debt asset to the POL vault that backstops auctions.
#[derive(Accounts)]
pub struct FundPol<'info> {
    /// Signer: the admin; authority of the source account.
    pub admin: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; `admin` must be its admin.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its pol_debt_amount grows.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The market's POL debt-asset vault, which receives the funds.
    /// Must be the vault recorded on the market, PDA ["vault", market, [3]].
    #[account(mut, address = market.vault(VaultKind::PolDebt) @ ZlError::WrongVault)]
    pub pol_debt_vault: Box<Account<'info, TokenAccount>>,
    /// The admin's debt-asset account that pays.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&source.key()) @ ZlError::VaultAsUserAccount,
        constraint = source.mint == market.debt_mint @ ZlError::WrongMint)]
    pub source: Box<Account<'info, TokenAccount>>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
}

pub fn fund_handler(ctx: Context<FundPol>, amount: u64) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::TREASURY)?;
    let moves = treasury::fund_pol(&mut a.market, amount)?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::PolDebt, a.pol_debt_vault.to_account_info())
            .caller(
                a.admin.to_account_info(),
                Some(a.source.to_account_info()),
                None,
            ),
        &moves,
    )?;
    let now = Clock::get()?.unix_timestamp;
    emit_event!(PolFunded {
        market: a.market.key(),
        ts: now,
        amount
    });
    Ok(())
}

/// The admin takes the debt asset or collateral out of POL.
#[derive(Accounts)]
pub struct WithdrawPol<'info> {
    /// Signer: the admin.
    pub admin: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; `admin` must be its admin.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its POL accounting shrinks.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The POL vault named by `asset`, which pays the withdrawal.
    /// Must be PDA ["vault", market, [3]] for Debt or ["vault", market, [4]] for Collateral
    /// (checked in the handler).
    #[account(mut)]
    pub pol_vault: Box<Account<'info, TokenAccount>>,
    /// Token account that receives the withdrawal.
    /// Must hold pol_vault's mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&destination.key()) @ ZlError::VaultAsUserAccount,
        constraint = destination.mint == pol_vault.mint @ ZlError::WrongMint)]
    pub destination: Box<Account<'info, TokenAccount>>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
}

pub fn withdraw_handler(ctx: Context<WithdrawPol>, asset: PolAsset, amount: u64) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::TREASURY)?;
    let moves = treasury::withdraw_pol(&mut a.market, asset, amount)?;
    let kind = treasury::pol_vault(asset);
    require_keys_eq!(a.pol_vault.key(), a.market.vault(kind), ZlError::WrongVault);
    let destination = Some(a.destination.to_account_info());
    let (debt, collateral) = match asset {
        PolAsset::Debt => (destination, None),
        PolAsset::Collateral => (None, destination),
    };
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(kind, a.pol_vault.to_account_info())
            .caller(a.admin.to_account_info(), debt, collateral),
        &moves,
    )?;
    let now = Clock::get()?.unix_timestamp;
    emit_event!(PolWithdrawn {
        market: a.market.key(),
        ts: now,
        asset,
        amount
    });
    Ok(())
}
