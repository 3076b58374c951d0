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
    /// Signer: the bidder (anyone); authority of bidder_debt.
    pub bidder: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// The fill is booked on it.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The auction bid on; must belong to the market.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub auction: Box<Account<'info, Auction>>,
    /// The market's liquidity vault, which receives a borrower auction's principal.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// The market's insurance vault, which receives a borrower auction's penalty.
    /// Must be the vault recorded on the market, PDA ["vault", market, [2]].
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// The market's POL debt-asset vault, which receives a POL auction's proceeds.
    /// Must be the vault recorded on the market, PDA ["vault", market, [3]].
    #[account(mut, address = market.vault(VaultKind::PolDebt) @ ZlError::WrongVault)]
    pub pol_debt_vault: Box<Account<'info, TokenAccount>>,
    /// The market's collateral vault, which pays the collateral out.
    /// Must be the vault recorded on the market, PDA ["vault", market, [0]].
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The bidder's debt-asset account that pays.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&bidder_debt.key()) @ ZlError::VaultAsUserAccount,
        constraint = bidder_debt.mint == market.debt_mint @ ZlError::WrongMint)]
    pub bidder_debt: Box<Account<'info, TokenAccount>>,
    /// The bidder's collateral account that receives the collateral.
    /// Must hold the market's collateral mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&bidder_collateral.key()) @ ZlError::VaultAsUserAccount,
        constraint = bidder_collateral.mint == market.collateral_mint @ ZlError::WrongMint)]
    pub bidder_collateral: Box<Account<'info, TokenAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub debt_oracle: UncheckedAccount<'info>,
    /// The SPL Token program.
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
