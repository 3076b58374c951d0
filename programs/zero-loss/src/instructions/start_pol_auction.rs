use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::auction::{self, NewAuction};
use crate::emit_event;
use crate::errors::ZlError;
use crate::events::AuctionStarted;
use crate::oracle;
use crate::state::{pause, seeds, Auction, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// The admin puts `lot` of POL's collateral up for auction (the same curve,
/// bids and settlement as a borrower's). The tab is the lot's spot value;
/// proceeds go to the POL debt-asset vault; it restarts without a stage limit
/// and is never backstopped.
#[derive(Accounts)]
pub struct StartPolAuction<'info> {
    /// Signer: the admin; pays the auction's rent, refunded at settlement.
    #[account(mut)]
    pub admin: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; `admin` must be its admin.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump, has_one = admin @ ZlError::NotAdmin)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its next_auction_id seeds the new auction.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The auction to create, PDA ["auction", market, next_auction_id as u64 little-endian].
    #[account(init, payer = admin, space = Auction::SIZE,
        seeds = [seeds::AUCTION, market.key().as_ref(), &market.next_auction_id.to_le_bytes()], bump)]
    pub auction: Box<Account<'info, Auction>>,
    /// The market's POL collateral vault, which pays the lot.
    /// Must be the vault recorded on the market, PDA ["vault", market, [4]].
    #[account(mut, address = market.vault(VaultKind::PolCollateral) @ ZlError::WrongVault)]
    pub pol_collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The market's collateral vault, which holds the lot while it sells.
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
    /// The System program.
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<StartPolAuction>, lot: u64) -> Result<()> {
    let bump = ctx.bumps.auction;
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::AUCTION)?;
    let now = Clock::get()?.unix_timestamp;
    let prices = oracle::load_prices(&mut a.market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let new = NewAuction {
        market: a.market.key(),
        owner: a.market.key(),
        kicker: a.admin.key(),
        bump,
    };
    let out = auction::kick_pol(&mut a.market, &mut a.auction, &new, &prices, now, lot)?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(
                VaultKind::PolCollateral,
                a.pol_collateral_vault.to_account_info(),
            )
            .vault(VaultKind::Collateral, a.collateral_vault.to_account_info()),
        &out.moves,
    )?;
    emit_event!(AuctionStarted::of(&new, a.auction.key(), &out, now));
    Ok(())
}
