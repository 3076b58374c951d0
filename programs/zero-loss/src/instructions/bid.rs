use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::auction;
use crate::emit_event;
use crate::errors::ZlError;
use crate::events::AuctionBid;
use crate::oracle;
use crate::state::{pause, seeds, Auction, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// Permissionless: buys up to `max_lot` collateral from an auction at the
/// current curve price (never below the floor), refusing if that price is
/// above `max_price`. Principal goes to the liquidity vault, penalty to the
/// insurance fund (for POL's own collateral, everything to the POL vault).
#[derive(Accounts)]
pub struct Bid<'info> {
    pub bidder: Signer<'info>,
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub auction: Box<Account<'info, Auction>>,
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::PolDebt) @ ZlError::WrongVault)]
    pub pol_debt_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut,
        constraint = !market.is_vault(&bidder_debt.key()) @ ZlError::VaultAsUserAccount,
        constraint = bidder_debt.mint == market.debt_mint @ ZlError::WrongMint)]
    pub bidder_debt: Box<Account<'info, TokenAccount>>,
    #[account(mut,
        constraint = !market.is_vault(&bidder_collateral.key()) @ ZlError::VaultAsUserAccount,
        constraint = bidder_collateral.mint == market.collateral_mint @ ZlError::WrongMint)]
    pub bidder_collateral: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub debt_oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Bid>, max_lot: u64, max_price: u128) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::AUCTION)?;
    let now = Clock::get()?.unix_timestamp;
    let prices = oracle::load_prices(&mut a.market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let out = auction::bid(
        &mut a.market,
        &mut a.auction,
        &prices,
        now,
        max_lot,
        max_price,
    )?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::Liquidity, a.liquidity_vault.to_account_info())
            .vault(VaultKind::Insurance, a.insurance_vault.to_account_info())
            .vault(VaultKind::PolDebt, a.pol_debt_vault.to_account_info())
            .vault(VaultKind::Collateral, a.collateral_vault.to_account_info())
            .caller(
                a.bidder.to_account_info(),
                Some(a.bidder_debt.to_account_info()),
                Some(a.bidder_collateral.to_account_info()),
            ),
        &out.moves,
    )?;
    emit_event!(AuctionBid {
        market: a.market.key(),
        ts: now,
        auction: a.auction.key(),
        bidder: a.bidder.key(),
        price: out.price.0,
        collateral: out.fill.slice,
        paid: out.fill.owe,
        principal: out.fill.principal,
        penalty: out.penalty(),
        lot_left: a.auction.lot,
        tab_left: a.auction.tab,
    });
    Ok(())
}
