use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::auction;
use crate::emit_event;
use crate::errors::ZlError;
use crate::events::AuctionBackstopped;
use crate::oracle;
use crate::state::{pause, seeds, Auction, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// Permissionless: at a borrower's auction's last stage once a restart would
/// be due, or whenever the curve has reached the floor, POL's debt-asset
/// vault buys the lot at the floor price, as far as its balance allows.
#[derive(Accounts)]
pub struct Backstop<'info> {
    /// Signer: the caller (anyone); receives no reward.
    pub keeper: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// The fill is booked on it.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The borrower auction to backstop; must belong to the market.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub auction: Box<Account<'info, Auction>>,
    /// The market's POL debt-asset vault, which pays for the lot.
    /// Must be the vault recorded on the market, PDA ["vault", market, [3]].
    #[account(mut, address = market.vault(VaultKind::PolDebt) @ ZlError::WrongVault)]
    pub pol_debt_vault: Box<Account<'info, TokenAccount>>,
    /// The market's POL collateral vault, which receives the collateral.
    /// Must be the vault recorded on the market, PDA ["vault", market, [4]].
    #[account(mut, address = market.vault(VaultKind::PolCollateral) @ ZlError::WrongVault)]
    pub pol_collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The market's liquidity vault, which receives the principal.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// The market's insurance vault, which receives the penalty.
    /// Must be the vault recorded on the market, PDA ["vault", market, [2]].
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// The market's collateral vault, which pays the collateral out.
    /// Must be the vault recorded on the market, PDA ["vault", market, [0]].
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub debt_oracle: UncheckedAccount<'info>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Backstop>) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::AUCTION)?;
    let now = Clock::get()?.unix_timestamp;
    let prices = oracle::load_prices(&mut a.market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let out = auction::backstop(&mut a.market, &mut a.auction, &prices, now)?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::PolDebt, a.pol_debt_vault.to_account_info())
            .vault(
                VaultKind::PolCollateral,
                a.pol_collateral_vault.to_account_info(),
            )
            .vault(VaultKind::Liquidity, a.liquidity_vault.to_account_info())
            .vault(VaultKind::Insurance, a.insurance_vault.to_account_info())
            .vault(VaultKind::Collateral, a.collateral_vault.to_account_info()),
        &out.moves,
    )?;
    emit_event!(AuctionBackstopped {
        market: a.market.key(),
        ts: now,
        auction: a.auction.key(),
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
