use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::auction;
use crate::emit_event;
use crate::errors::ZlError;
use crate::events::{AuctionSettled, BadDebtRecorded};
use crate::state::{seeds, Auction, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// Permissionless: closes an auction whose tab is raised or whose lot is
/// gone. Leftover collateral returns to its owner; a principal shortfall is
/// paid by the insurance fund, then POL, and what remains is recorded as bad
/// debt against the LPs. The unpaid penalty is forgiven. Rent returns to the
/// kicker.
#[derive(Accounts)]
pub struct SettleAuction<'info> {
    /// Signer: the caller (anyone).
    pub keeper: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"] (settlement is never paused).
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// The settlement and any shortfall are booked on it.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The finished auction to close; its rent goes to the kicker.
    /// Must belong to the market.
    #[account(mut, close = kicker, has_one = market @ ZlError::WrongMarket, has_one = kicker @ ZlError::WrongAuctionOwner)]
    pub auction: Box<Account<'info, Auction>>,
    /// The auction's kicker, who receives its rent; must equal auction.kicker.
    /// CHECK: only receives lamports; checked against `auction.kicker` by `has_one`.
    #[account(mut)]
    pub kicker: UncheckedAccount<'info>,
    /// The margin account that owns a borrower auction; omitted for a POL auction.
    /// Must belong to the market and be the auction's owner.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub margin_account: Option<Box<Account<'info, MarginAccount>>>,
    /// The market's liquidity vault, which receives the shortfall cover from insurance and POL.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// The market's insurance vault, which pays shortfall cover first.
    /// Must be the vault recorded on the market, PDA ["vault", market, [2]].
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// The market's POL debt-asset vault, which pays shortfall cover after insurance.
    /// Must be the vault recorded on the market, PDA ["vault", market, [3]].
    #[account(mut, address = market.vault(VaultKind::PolDebt) @ ZlError::WrongVault)]
    pub pol_debt_vault: Box<Account<'info, TokenAccount>>,
    /// The market's collateral vault, which pays a POL auction's leftover lot back to POL.
    /// Must be the vault recorded on the market, PDA ["vault", market, [0]].
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The market's POL collateral vault, which receives a POL auction's leftover lot.
    /// Must be the vault recorded on the market, PDA ["vault", market, [4]].
    #[account(mut, address = market.vault(VaultKind::PolCollateral) @ ZlError::WrongVault)]
    pub pol_collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<SettleAuction>) -> Result<()> {
    let a = ctx.accounts;
    // Never paused: settlement returns leftover collateral to its owner.
    let now = Clock::get()?.unix_timestamp;
    let market_key = a.market.key();
    let account = a.margin_account.as_mut().map(|m| {
        let key = m.key();
        (&mut ***m, key)
    });
    let out = auction::settle(&mut a.market, &market_key, &a.auction, account)?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::Liquidity, a.liquidity_vault.to_account_info())
            .vault(VaultKind::Insurance, a.insurance_vault.to_account_info())
            .vault(VaultKind::PolDebt, a.pol_debt_vault.to_account_info())
            .vault(VaultKind::Collateral, a.collateral_vault.to_account_info())
            .vault(
                VaultKind::PolCollateral,
                a.pol_collateral_vault.to_account_info(),
            ),
        &out.moves,
    )?;
    let au = &a.auction;
    if out.cover.bad_debt > 0 {
        emit_event!(BadDebtRecorded {
            market: market_key,
            ts: now,
            auction: au.key(),
            amount: out.cover.bad_debt,
            total: a.market.recorded_bad_debt,
        });
    }
    emit_event!(AuctionSettled {
        market: market_key,
        ts: now,
        auction: au.key(),
        owner: au.owner,
        raised: out.raised,
        collateral_returned: out.collateral_returned,
        insurance_paid: out.cover.insurance,
        pol_paid: out.cover.pol,
        bad_debt: out.cover.bad_debt,
        penalty_forgiven: out.penalty_forgiven,
    });
    Ok(())
}
