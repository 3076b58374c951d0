use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::emit_event;
use crate::engine::fixed::{to_u64, Fp};
use crate::errors::{zl, ZlError};
use crate::events::AuctionStarted;
use crate::oracle::{self, Action};
use crate::state::{
    owner_kind, pause, seeds, Auction, Market, Protocol, VaultKind, ACCOUNT_VERSION,
};
use crate::token_ops;

/// The admin puts `lot` of POL's collateral up for auction (the same curve,
/// bids and settlement as a borrower's). The tab is the lot's spot value;
/// proceeds go to the POL debt-asset vault; it restarts without a stage limit
/// and is never backstopped.
#[derive(Accounts)]
pub struct StartPolAuction<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    #[account(init, payer = admin, space = Auction::SIZE,
        seeds = [seeds::AUCTION, market.key().as_ref(), &market.next_auction_id.to_le_bytes()], bump)]
    pub auction: Box<Account<'info, Auction>>,
    #[account(mut, address = market.vault(VaultKind::PolCollateral) @ ZlError::WrongVault)]
    pub pol_collateral_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub debt_oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<StartPolAuction>, lot: u64) -> Result<()> {
    require!(lot > 0, ZlError::ZeroAmount);
    let bump = ctx.bumps.auction;
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::AUCTION)?;
    let market = &mut a.market;
    let now = Clock::get()?.unix_timestamp;
    let prices = oracle::load_prices(market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let spot = prices.price(Action::AuctionPricing);
    let tab = spot
        .mul_int_floor(lot as u128)
        .and_then(to_u64)
        .map_err(zl)?;
    require!(tab > 0, ZlError::AmountTooSmall);
    let top = spot
        .mul_ceil(Fp::from_bps(market.params.auction_buf_bps as u64))
        .map_err(zl)?;

    market.pol_collateral_amount = market
        .pol_collateral_amount
        .checked_sub(lot)
        .ok_or(ZlError::InsufficientPol)?;
    market.total_collateral = market
        .total_collateral
        .checked_add(lot)
        .ok_or(ZlError::MathOverflow)?;
    let id = market.next_auction_id;
    market.next_auction_id = id.checked_add(1).ok_or(ZlError::MathOverflow)?;
    market.open_auctions = market
        .open_auctions
        .checked_add(1)
        .ok_or(ZlError::MathOverflow)?;

    let au = &mut a.auction;
    au.version = ACCOUNT_VERSION;
    au.bump = bump;
    au.owner_kind = owner_kind::POL;
    au.id = id;
    au.market = market.key();
    au.owner = market.key();
    au.kicker = a.admin.key();
    au.lot = lot;
    au.tab = tab;
    au.principal = tab;
    au.top = top.0;
    au.stage_start = now;
    au.created_at = now;
    au.initial_lot = lot;
    au.initial_tab = tab;
    au.invariant()?;
    market.invariant()?;

    token_ops::transfer_out(
        &a.token_program,
        market,
        a.pol_collateral_vault.to_account_info(),
        a.collateral_vault.to_account_info(),
        lot,
    )?;
    emit_event!(AuctionStarted {
        market: market.key(),
        auction: au.key(),
        id,
        owner: market.key(),
        kicker: a.admin.key(),
        lot,
        tab,
        principal: tab,
        top: top.0,
        emergency: false,
        whole_position: false,
        keeper_reward: 0,
    });
    Ok(())
}
