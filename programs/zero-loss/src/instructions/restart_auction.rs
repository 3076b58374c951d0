use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::auction;
use crate::emit_event;
use crate::errors::ZlError;
use crate::events::AuctionRestarted;
use crate::oracle;
use crate::state::{pause, seeds, Auction, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

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
    #[account(mut,
        constraint = !market.is_vault(&keeper_debt.key()) @ ZlError::VaultAsUserAccount,
        constraint = keeper_debt.mint == market.debt_mint @ ZlError::WrongMint)]
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
    let now = Clock::get()?.unix_timestamp;
    let prices = oracle::load_prices(&mut a.market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let out = auction::restart(&mut a.market, &mut a.auction, &prices, now)?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::Insurance, a.insurance_vault.to_account_info())
            .caller(
                a.keeper.to_account_info(),
                Some(a.keeper_debt.to_account_info()),
                None,
            ),
        &out.moves,
    )?;
    emit_event!(AuctionRestarted {
        market: a.market.key(),
        ts: now,
        auction: a.auction.key(),
        stage: out.stage,
        top: out.top.0,
        keeper: a.keeper.key(),
        keeper_reward: out.keeper_reward,
    });
    Ok(())
}
