use anchor_lang::prelude::*;

use crate::controller::lending;
use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::CollateralDeposited;
use crate::oracle;
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

/// Adds collateral to a margin account. Anyone may deposit into any
/// account: it only makes the account safer. Past the market's
/// `collateral_cap` only an indebted account may, and only by what brings it
/// back to the target LTV (`controller::lending::deposit`, security finding
/// 7): a whale at the cap cannot stop a distressed borrower topping up, nor
/// can a small debt open the cap to anyone.
#[derive(Accounts)]
pub struct DepositCollateral<'info> {
    /// Signer: the depositor (anyone); authority of the source account.
    pub depositor: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its total_collateral grows.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The margin account credited (any owner); must belong to the market.
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    /// The market's collateral vault, which receives the deposit.
    /// Must be the vault recorded on the market, PDA ["vault", market, [0]].
    #[account(mut, address = market.vault(VaultKind::Collateral) @ ZlError::WrongVault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    /// The depositor's collateral account that pays.
    /// Must hold the market's collateral mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&source.key()) @ ZlError::VaultAsUserAccount,
        constraint = source.mint == market.collateral_mint @ ZlError::WrongMint)]
    pub source: Box<Account<'info, TokenAccount>>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
    /// Optional: the collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// Required when an indebted account's deposit would take the market past collateral_cap.
    /// CHECK: validated by `oracle::load_prices` when used.
    pub collateral_oracle: Option<UncheckedAccount<'info>>,
    /// Optional: the debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// Required with collateral_oracle.
    /// CHECK: validated by `oracle::load_prices` when used.
    pub debt_oracle: Option<UncheckedAccount<'info>>,
}

pub fn handler(ctx: Context<DepositCollateral>, amount: u64) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::DEPOSIT)?;
    let now = Clock::get()?.unix_timestamp;
    let (co, dor) = (a.collateral_oracle.as_deref(), a.debt_oracle.as_deref());
    let moves = lending::deposit(&mut a.market, &mut a.margin_account, amount, now, |m| {
        oracle::load_required_prices(m, co, dor, now)
    })?;
    token_ops::apply(
        &Endpoints::new(&a.token_program, &a.market)
            .vault(VaultKind::Collateral, a.collateral_vault.to_account_info())
            .caller(
                a.depositor.to_account_info(),
                None,
                Some(a.source.to_account_info()),
            ),
        &moves,
    )?;
    emit_event!(CollateralDeposited {
        market: a.market.key(),
        ts: now,
        margin_account: a.margin_account.key(),
        amount,
        collateral: a.margin_account.collateral
    });
    Ok(())
}
