use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::emit_event;
use crate::engine::auction;
use crate::errors::{zl, ZlError};
use crate::events::AuctionBid;
use crate::oracle;
use crate::risk;
use crate::state::{owner_kind, pause, seeds, Auction, Market, Protocol, VaultKind};
use crate::token_ops;

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
    #[account(mut, constraint = bidder_debt.mint == market.debt_mint @ ZlError::WrongMint)]
    pub bidder_debt: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = bidder_collateral.mint == market.collateral_mint @ ZlError::WrongMint)]
    pub bidder_collateral: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub debt_oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Bid>, max_lot: u64, max_price: u128) -> Result<()> {
    require!(max_lot > 0, ZlError::ZeroAmount);
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::AUCTION)?;
    let market = &mut a.market;
    let au = &mut a.auction;
    require!(!au.is_done(), ZlError::AuctionDone);
    let now = Clock::get()?.unix_timestamp;
    let prices = oracle::load_prices(market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let floor = risk::auction_floor(market, &prices)?;
    let p = market.params;
    let price = auction::bid_price(au.top(), au.elapsed(now), p.curve(), floor).map_err(zl)?;
    require!(price.0 <= max_price, ZlError::TooExpensive);
    let fill =
        auction::fill(au.lot, au.tab, au.principal, max_lot, price, p.min_position).map_err(zl)?;
    let penalty = market.book_fill(au, &fill)?;
    let pol_owned = au.owner_kind == owner_kind::POL;
    au.invariant()?;
    market.invariant()?;

    let (to_principal, to_penalty) = if pol_owned {
        (
            a.pol_debt_vault.to_account_info(),
            a.pol_debt_vault.to_account_info(),
        )
    } else {
        (
            a.liquidity_vault.to_account_info(),
            a.insurance_vault.to_account_info(),
        )
    };
    for (to, amount) in [(to_principal, fill.principal), (to_penalty, penalty)] {
        if amount > 0 {
            token_ops::transfer_in(
                &a.token_program,
                a.bidder_debt.to_account_info(),
                to,
                a.bidder.to_account_info(),
                amount,
            )?;
        }
    }
    token_ops::transfer_out(
        &a.token_program,
        market,
        a.collateral_vault.to_account_info(),
        a.bidder_collateral.to_account_info(),
        fill.slice,
    )?;
    emit_event!(AuctionBid {
        auction: au.key(),
        bidder: a.bidder.key(),
        price: price.0,
        collateral: fill.slice,
        paid: fill.owe,
        principal: fill.principal,
        penalty,
        lot_left: au.lot,
        tab_left: au.tab,
    });
    Ok(())
}
