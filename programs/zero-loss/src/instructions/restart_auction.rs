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
    /// Signer: the keeper (anyone) who restarts the stage and earns the keeper reward.
    pub keeper: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// The keeper reward leaves its insurance fund.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The auction to restart; must belong to the market.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub auction: Box<Account<'info, Auction>>,
    /// The market's insurance vault, which pays the keeper reward.
    /// Must be the vault recorded on the market, PDA ["vault", market, [2]].
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// The keeper's debt-asset account that receives the keeper reward.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&keeper_debt.key()) @ ZlError::VaultAsUserAccount,
        constraint = keeper_debt.mint == market.debt_mint @ ZlError::WrongMint)]
    pub keeper_debt: Box<Account<'info, TokenAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub debt_oracle: UncheckedAccount<'info>,
    /// The SPL Token program.
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
