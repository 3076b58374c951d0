use anchor_lang::prelude::*;

use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::{PolFunded, PolWithdrawn};
use crate::math::SafeMath;
use crate::state::{pause, seeds, Market, PolAsset, Protocol, VaultKind};
use crate::token_ops;

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
    require!(amount > 0, ZlError::ZeroAmount);
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::TREASURY)?;
    a.market.pol_debt_amount.safe_add_assign(amount)?;
    token_ops::transfer_in(
        &a.token_program,
        a.source.to_account_info(),
        a.pol_debt_vault.to_account_info(),
        a.admin.to_account_info(),
        amount,
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
    require!(amount > 0, ZlError::ZeroAmount);
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::TREASURY)?;
    let market = &mut a.market;
    // POL is the backstop of open borrower auctions: of its debt asset, what
    // they can still need stays (their outstanding principal, the most the
    // waterfall can ask of it; the rest may leave, so a small auction, or a
    // restart, cannot lock it all).
    let auction_debt = market.auction_debt;
    let (kind, held, locked) = match asset {
        PolAsset::Debt => (
            VaultKind::PolDebt,
            &mut market.pol_debt_amount,
            auction_debt,
        ),
        PolAsset::Collateral => (
            VaultKind::PolCollateral,
            &mut market.pol_collateral_amount,
            0,
        ),
    };
    require!(amount <= *held, ZlError::InsufficientPol);
    require!(*held - amount >= locked, ZlError::PolLockedByAuctions);
    held.safe_sub_assign(amount)?;
    require_keys_eq!(a.pol_vault.key(), market.vault(kind), ZlError::WrongVault);
    token_ops::transfer_out(
        &a.token_program,
        market,
        a.pol_vault.to_account_info(),
        a.destination.to_account_info(),
        amount,
    )?;
    let now = Clock::get()?.unix_timestamp;
    emit_event!(PolWithdrawn {
        market: market.key(),
        ts: now,
        asset,
        amount
    });
    Ok(())
}
