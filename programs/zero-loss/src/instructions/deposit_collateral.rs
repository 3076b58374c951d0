use anchor_lang::prelude::*;

use crate::emit_event;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::CollateralDeposited;
use crate::math::SafeMath;
use crate::state::{pause, seeds, MarginAccount, Market, Protocol, VaultKind};
use crate::token_ops;
use crate::{oracle, risk};

/// Adds collateral to a margin account. Anyone may deposit into any
/// account: it only makes the account safer.
///
/// The market's `collateral_cap` binds only accounts that owe nothing (no
/// debt shares and no open auctions). An account with debt or an auction
/// open may always add collateral: it only lowers its LTV, and a cap that a
/// whale has filled must never stop a distressed borrower from topping up
/// (security finding 7). The market's exposure to its borrowers stays
/// bounded by `borrow_cap`.
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
    require!(amount > 0, ZlError::ZeroAmount);
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::DEPOSIT)?;
    let market = &mut a.market;
    let m = &mut a.margin_account;
    let now = Clock::get()?.unix_timestamp;
    let total = market.total_collateral.safe_add(amount)?;
    if total > market.params.collateral_cap {
        // Past the cap only an indebted account, and only by what brings it
        // back to the target LTV: a whale at the cap cannot stop a distressed
        // borrower topping up, nor can a small debt open the cap to anyone.
        require!(m.debt_shares > 0, ZlError::CollateralCapExceeded);
        market.accrue_interest(now)?;
        let prices = oracle::load_required_prices(
            market,
            a.collateral_oracle.as_deref(),
            a.debt_oracle.as_deref(),
            now,
        )?;
        let room = risk::collateral_for_target(market, m.debt_shares, &prices)?;
        require!(
            m.collateral.safe_add(amount)? <= room,
            ZlError::CollateralCapExceeded
        );
    }
    market.total_collateral = total;
    let before = m.position();
    m.collateral.safe_add_assign(amount)?;
    market.rebook(before, m.position())?;
    m.invariant()?;

    token_ops::transfer_in(
        &a.token_program,
        a.source.to_account_info(),
        a.collateral_vault.to_account_info(),
        a.depositor.to_account_info(),
        amount,
    )?;
    emit_event!(CollateralDeposited {
        market: market.key(),
        ts: now,
        margin_account: m.key(),
        amount,
        collateral: m.collateral
    });
    Ok(())
}
