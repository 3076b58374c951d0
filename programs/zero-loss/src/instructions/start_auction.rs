use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::auction::{self, NewAuction};
use crate::emit_event;
use crate::errors::ZlError;
use crate::events::AuctionStarted;
use crate::oracle;
use crate::state::{pause, seeds, Auction, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// Permissionless kick: a distressed account's slice (or, in emergency, the
/// whole position) moves into a new Auction. The kicker pays the auction's
/// rent (returned at settlement) and is rewarded from the insurance fund.
#[derive(Accounts)]
pub struct StartAuction<'info> {
    /// Signer: the kicker (anyone); pays the auction's rent, refunded at settlement.
    #[account(mut)]
    pub kicker: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its next_auction_id seeds the new auction.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The Distressed or Emergency margin account to kick; must belong to the market.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The auction to create, PDA ["auction", market, next_auction_id as u64 little-endian].
    #[account(init, payer = kicker, space = Auction::SIZE,
        seeds = [seeds::AUCTION, market.key().as_ref(), &market.next_auction_id.to_le_bytes()], bump)]
    pub auction: Box<Account<'info, Auction>>,
    /// The market's insurance vault, which pays the keeper reward.
    /// Must be the vault recorded on the market, PDA ["vault", market, [2]].
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// The kicker's debt-asset account that receives the keeper reward.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&kicker_debt.key()) @ ZlError::VaultAsUserAccount,
        constraint = kicker_debt.mint == market.debt_mint @ ZlError::WrongMint)]
    pub kicker_debt: Box<Account<'info, TokenAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub debt_oracle: UncheckedAccount<'info>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
    /// The System program.
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<StartAuction>) -> Result<()> {
    let bump = ctx.bumps.auction;
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::LIQUIDATION)?;
    let now = Clock::get()?.unix_timestamp;
    let prices = oracle::load_prices(&mut a.market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let new = NewAuction {
        market: a.market.key(),
        owner: a.margin_account.key(),
        kicker: a.kicker.key(),
        bump,
    };
    let out = auction::kick(
        &mut a.market,
        &mut a.margin_account,
        &mut a.auction,
        &new,
        &prices,
        now,
    )?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::Insurance, a.insurance_vault.to_account_info())
            .caller(
                a.kicker.to_account_info(),
                Some(a.kicker_debt.to_account_info()),
                None,
            ),
        &out.moves,
    )?;
    if out.budget_tripped {
        crate::events::emit_budget_tripped(new.market, now);
    }
    emit_event!(AuctionStarted::of(&new, a.auction.key(), &out, now));
    Ok(())
}
