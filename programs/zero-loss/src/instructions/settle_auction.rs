use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::emit_event;
use crate::engine::waterfall;
use crate::errors::ZlError;
use crate::events::{AuctionSettled, BadDebtRecorded};
use crate::state::{
    owner_kind, pause, seeds, status, Auction, MarginAccount, Market, Protocol, VaultKind,
};
use crate::token_ops;

/// Permissionless: closes an auction whose tab is raised or whose lot is
/// gone. Leftover collateral returns to its owner; a principal shortfall is
/// paid by the insurance fund, then POL, and what remains is recorded as bad
/// debt against the LPs. The unpaid penalty is forgiven. Rent returns to the
/// kicker.
#[derive(Accounts)]
pub struct SettleAuction<'info> {
    pub keeper: Signer<'info>,
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, close = kicker, has_one = market @ ZlError::WrongMarket, has_one = kicker @ ZlError::WrongAuctionOwner)]
    pub auction: Box<Account<'info, Auction>>,
    /// CHECK: receives the auction's rent; checked against `auction.kicker`.
    #[account(mut)]
    pub kicker: UncheckedAccount<'info>,
    /// The owning margin account; absent for POL's own collateral.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub margin_account: Option<Box<Account<'info, MarginAccount>>>,
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::PolDebt) @ ZlError::WrongVault)]
    pub pol_debt_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::PolCollateral) @ ZlError::WrongVault)]
    pub pol_collateral_vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<SettleAuction>) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::AUCTION)?;
    let market = &mut a.market;
    let au = &a.auction;
    require!(au.is_done(), ZlError::AuctionNotDone);
    let (lot, principal, penalty_forgiven) = (au.lot, au.principal, au.tab - au.principal);
    let raised = au.initial_tab - au.tab;
    let mut cover = waterfall::Cover::default();

    match (au.owner_kind, a.margin_account.as_mut()) {
        (owner_kind::MARGIN, Some(m)) => {
            require_keys_eq!(m.key(), au.owner, ZlError::WrongAuctionOwner);
            // Leftover collateral stays in the collateral vault, back on the account.
            m.collateral = m.collateral.checked_add(lot).ok_or(ZlError::MathOverflow)?;
            m.open_auctions = m
                .open_auctions
                .checked_sub(1)
                .ok_or(ZlError::MathUnderflow)?;
            if m.open_auctions == 0 {
                m.status = status::ACTIVE;
            }
            m.invariant()?;
            cover = waterfall::cover(principal, market.insurance_amount, market.pol_debt_amount);
            market.insurance_amount -= cover.insurance;
            market.pol_debt_amount -= cover.pol;
            market.liquidity_amount = market
                .liquidity_amount
                .checked_add(cover.insurance + cover.pol)
                .ok_or(ZlError::MathOverflow)?;
            market.auction_debt = market
                .auction_debt
                .checked_sub(principal)
                .ok_or(ZlError::MathUnderflow)?;
            market.recorded_bad_debt = market
                .recorded_bad_debt
                .checked_add(cover.bad_debt)
                .ok_or(ZlError::MathOverflow)?;
        }
        (owner_kind::POL, None) => {
            require_keys_eq!(au.owner, market.key(), ZlError::WrongAuctionOwner);
            market.total_collateral = market
                .total_collateral
                .checked_sub(lot)
                .ok_or(ZlError::MathUnderflow)?;
            market.pol_collateral_amount = market
                .pol_collateral_amount
                .checked_add(lot)
                .ok_or(ZlError::MathOverflow)?;
        }
        _ => return err!(ZlError::WrongAuctionOwner),
    }
    market.open_auctions = market
        .open_auctions
        .checked_sub(1)
        .ok_or(ZlError::MathUnderflow)?;
    market.invariant()?;

    let moves = [
        (
            a.insurance_vault.to_account_info(),
            a.liquidity_vault.to_account_info(),
            cover.insurance,
        ),
        (
            a.pol_debt_vault.to_account_info(),
            a.liquidity_vault.to_account_info(),
            cover.pol,
        ),
    ];
    for (from, to, amount) in moves {
        if amount > 0 {
            token_ops::transfer_out(&a.token_program, market, from, to, amount)?;
        }
    }
    if au.owner_kind == owner_kind::POL && lot > 0 {
        token_ops::transfer_out(
            &a.token_program,
            market,
            a.collateral_vault.to_account_info(),
            a.pol_collateral_vault.to_account_info(),
            lot,
        )?;
    }
    if cover.bad_debt > 0 {
        emit_event!(BadDebtRecorded {
            market: market.key(),
            auction: au.key(),
            amount: cover.bad_debt,
            total: market.recorded_bad_debt,
        });
    }
    emit_event!(AuctionSettled {
        auction: au.key(),
        owner: au.owner,
        raised,
        collateral_returned: lot,
        insurance_paid: cover.insurance,
        pol_paid: cover.pol,
        bad_debt: cover.bad_debt,
        penalty_forgiven,
    });
    Ok(())
}
