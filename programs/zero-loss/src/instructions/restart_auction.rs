use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::emit_event;
use crate::engine::auction;
use crate::engine::fixed::Fp;
use crate::errors::{zl, ZlError};
use crate::events::AuctionRestarted;
use crate::oracle::{self, Action};
use crate::risk;
use crate::state::{owner_kind, pause, seeds, Auction, Market, Protocol, VaultKind};
use crate::token_ops;

/// Permissionless: once a stage is older than `tail` or its price fell below
/// `cusp * top`, restart it from a new top on the current spot price and pay
/// the caller the keeper reward. A borrower's auction at its last stage goes
/// to the backstop instead.
#[derive(Accounts)]
pub struct RestartAuction<'info> {
    pub keeper: Signer<'info>,
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub auction: Box<Account<'info, Auction>>,
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = keeper_debt.mint == market.debt_mint @ ZlError::WrongMint)]
    pub keeper_debt: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub debt_oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<RestartAuction>) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::AUCTION)?;
    let market = &mut a.market;
    let au = &mut a.auction;
    require!(!au.is_done(), ZlError::AuctionDone);
    let now = Clock::get()?.unix_timestamp;
    let p = market.params;
    let allowed = auction::restart_allowed(
        au.top(),
        au.elapsed(now),
        p.curve(),
        p.auction_tail_secs as u64,
        Fp::from_bps(p.auction_cusp_bps as u64),
    )
    .map_err(zl)?;
    require!(allowed, ZlError::RestartTooEarly);
    if au.owner_kind == owner_kind::MARGIN {
        require!(
            au.stage as u16 + 1 < p.auction_max_stages as u16,
            ZlError::MaxStagesReached
        );
    }
    let prices = oracle::load_prices(market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let top = prices
        .price(Action::AuctionPricing)
        .mul_ceil(Fp::from_bps(p.auction_buf_bps as u64))
        .map_err(zl)?;
    au.top = top.0;
    au.stage = au.stage.saturating_add(1);
    au.stage_start = now;
    let reward = risk::take_keeper_reward(market, au.tab, au.principal)?;
    au.invariant()?;
    market.invariant()?;
    if reward > 0 {
        token_ops::transfer_out(
            &a.token_program,
            market,
            a.insurance_vault.to_account_info(),
            a.keeper_debt.to_account_info(),
            reward,
        )?;
    }
    emit_event!(AuctionRestarted {
        auction: au.key(),
        stage: au.stage,
        top: au.top,
        keeper: a.keeper.key(),
        keeper_reward: reward,
    });
    Ok(())
}
