use anchor_lang::prelude::*;

use crate::controller::lending;
use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::Borrowed;
use crate::oracle;
use crate::risk;
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// The owner borrows the debt asset against the account's collateral.
#[derive(Accounts)]
pub struct Borrow<'info> {
    /// Signer: the margin account's owner.
    pub owner: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Interest accrues and liquidity is lent out.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The owner's margin account; must belong to the market and to the signer.
    #[account(mut, has_one = market @ ZlError::WrongMarket, has_one = owner @ ZlError::NotOwner)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The market's liquidity vault, which pays the loan.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// Debt-asset account that receives the loan.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&destination.key()) @ ZlError::VaultAsUserAccount,
        constraint = destination.mint == market.debt_mint @ ZlError::WrongMint)]
    pub destination: Box<Account<'info, TokenAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// CHECK: validated by `oracle::load_prices` (owner, feed id, verification, age, confidence).
    pub debt_oracle: UncheckedAccount<'info>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Borrow>, amount: u64) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::BORROW)?;
    let now = Clock::get()?.unix_timestamp;
    let (co, dor) = (&a.collateral_oracle, &a.debt_oracle);
    let (moves, out) = lending::borrow(&mut a.market, &mut a.margin_account, amount, now, |m| {
        oracle::load_prices(m, co, dor, now)
    })?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::Liquidity, a.liquidity_vault.to_account_info())
            .caller(
                a.owner.to_account_info(),
                Some(a.destination.to_account_info()),
                None,
            ),
        &moves,
    )?;
    emit_event!(Borrowed {
        market: a.market.key(),
        ts: now,
        margin_account: a.margin_account.key(),
        amount,
        debt: out.debt,
        ltv_bps: risk::ltv_bps(out.ltv),
    });
    Ok(())
}
