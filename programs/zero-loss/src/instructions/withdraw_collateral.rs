use anchor_lang::prelude::*;

use crate::controller::lending;
use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::CollateralWithdrawn;
use crate::oracle;
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// The owner takes collateral out. With debt outstanding the account must
/// end within `max_ltv` on the conservative price and in the healthy zone,
/// and the circuit breaker must be clear; a debt-free account needs neither
/// a price nor a clear breaker.
#[derive(Accounts)]
pub struct WithdrawCollateral<'info> {
    /// Signer: the margin account's owner.
    pub owner: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its total_collateral shrinks.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The owner's margin account; must belong to the market and to the signer.
    #[account(mut, has_one = market @ ZlError::WrongMarket, has_one = owner @ ZlError::NotOwner)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The market's collateral vault, which pays the withdrawal.
    /// Must be the vault recorded on the market, PDA ["vault", market, [0]].
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// Collateral account that receives the withdrawal.
    /// Must hold the market's collateral mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&destination.key()) @ ZlError::VaultAsUserAccount,
        constraint = destination.mint == market.collateral_mint @ ZlError::WrongMint)]
    pub destination: Box<Account<'info, TokenAccount>>,
    /// The collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// Read only when the margin account has debt.
    /// CHECK: validated by `oracle::load_prices` when the account has debt, unused otherwise.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// The debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// Read only when the margin account has debt.
    /// CHECK: validated by `oracle::load_prices` when the account has debt, unused otherwise.
    pub debt_oracle: UncheckedAccount<'info>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<WithdrawCollateral>, amount: u64) -> Result<()> {
    let a = ctx.accounts;
    // A debt-free account risks nothing: no pause, no price, no breaker.
    if a.margin_account.debt_shares > 0 {
        a.protocol.require_not_paused(pause::BORROW)?;
    }
    let now = Clock::get()?.unix_timestamp;
    let (co, dor) = (&a.collateral_oracle, &a.debt_oracle);
    let moves = lending::withdraw(&mut a.market, &mut a.margin_account, amount, now, |m| {
        oracle::load_prices(m, co, dor, now)
    })?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::Collateral, a.collateral_vault.to_account_info())
            .caller(
                a.owner.to_account_info(),
                None,
                Some(a.destination.to_account_info()),
            ),
        &moves,
    )?;
    emit_event!(CollateralWithdrawn {
        market: a.market.key(),
        ts: now,
        margin_account: a.margin_account.key(),
        amount,
        collateral: a.margin_account.collateral
    });
    Ok(())
}
