use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::emit_event;
use crate::engine::auction;
use crate::engine::fixed::{to_u64, Fp};
use crate::errors::{zl, ZlError};
use crate::events::AuctionBackstopped;
use crate::oracle;
use crate::risk;
use crate::state::{owner_kind, pause, seeds, Auction, Market, Protocol, VaultKind};
use crate::token_ops;

/// Permissionless: at a borrower's auction's last stage once a restart would
/// be due, or whenever the curve has reached the floor, POL's debt-asset
/// vault buys the lot at the floor price, as far as its balance allows.
#[derive(Accounts)]
pub struct Backstop<'info> {
    pub keeper: Signer<'info>,
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub auction: Box<Account<'info, Auction>>,
    #[account(mut, address = market.vault(VaultKind::PolDebt) @ ZlError::WrongVault)]
    pub pol_debt_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::PolCollateral) @ ZlError::WrongVault)]
    pub pol_collateral_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub debt_oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Backstop>) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::AUCTION)?;
    let market = &mut a.market;
    let au = &mut a.auction;
    require!(
        au.owner_kind == owner_kind::MARGIN,
        ZlError::WrongAuctionKind
    );
    require!(!au.is_done(), ZlError::AuctionDone);
    let now = Clock::get()?.unix_timestamp;
    let prices = oracle::load_prices(market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let floor = risk::auction_floor(market, &prices)?;
    let p = market.params;
    let (elapsed, curve) = (au.elapsed(now), p.curve());
    let last_stage_stale = au.stage as u16 + 1 >= p.auction_max_stages as u16
        && auction::restart_allowed(
            au.top(),
            elapsed,
            curve,
            p.auction_tail_secs as u64,
            Fp::from_bps(p.auction_cusp_bps as u64),
        )
        .map_err(zl)?;
    let at_floor = auction::at_floor(au.top(), elapsed, curve, floor).map_err(zl)?;
    require!(last_stage_stale || at_floor, ZlError::BackstopNotAllowed);

    // What POL can afford at the floor, then a fill without the dust rule
    // (POL is the buyer of last resort; settlement follows).
    let affordable = floor
        .div_int_floor(market.pol_debt_amount as u128)
        .and_then(to_u64)
        .map_err(zl)?;
    require!(affordable > 0, ZlError::InsufficientPol);
    let fill = auction::fill(au.lot, au.tab, au.principal, affordable, floor, 0).map_err(zl)?;
    // POL pays and takes the collateral; the proceeds are booked as any bid's.
    market.pol_debt_amount = market
        .pol_debt_amount
        .checked_sub(fill.owe)
        .ok_or(ZlError::InsufficientPol)?;
    market.pol_collateral_amount = market
        .pol_collateral_amount
        .checked_add(fill.slice)
        .ok_or(ZlError::MathOverflow)?;
    let penalty = market.book_fill(au, &fill)?;
    au.invariant()?;
    market.invariant()?;

    for (to, amount) in [
        (a.liquidity_vault.to_account_info(), fill.principal),
        (a.insurance_vault.to_account_info(), penalty),
    ] {
        if amount > 0 {
            token_ops::transfer_out(
                &a.token_program,
                market,
                a.pol_debt_vault.to_account_info(),
                to,
                amount,
            )?;
        }
    }
    token_ops::transfer_out(
        &a.token_program,
        market,
        a.collateral_vault.to_account_info(),
        a.pol_collateral_vault.to_account_info(),
        fill.slice,
    )?;
    emit_event!(AuctionBackstopped {
        auction: au.key(),
        price: floor.0,
        collateral: fill.slice,
        paid: fill.owe,
        principal: fill.principal,
        penalty,
        lot_left: au.lot,
        tab_left: au.tab,
    });
    Ok(())
}
