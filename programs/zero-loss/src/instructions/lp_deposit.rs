use anchor_lang::prelude::*;

use crate::emit_event;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::engine::fixed::Fp;
use crate::engine::shares;
use crate::errors::ZlError;
use crate::events::LpDeposited;
use crate::math::to_u64;
use crate::math::SafeMath;
use crate::oracle::MarketPrices;
use crate::state::{pause, seeds, Market, Protocol, VaultKind};
use crate::token_ops;
use crate::{oracle, risk};

/// The accounts of `lp_deposit` and `lp_withdraw`: an LP, its debt-asset
/// account, its LP-share account, and the market's liquidity vault and mint.
#[derive(Accounts)]
pub struct LpLiquidity<'info> {
    /// Signer: the LP; authority of lp_token on deposit and of lp_shares on withdrawal.
    pub lp: Signer<'info>,
    /// The protocol singleton, PDA ["protocol"]; read for the pause flags.
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// The market, PDA ["market", collateral_mint, debt_mint].
    /// Its liquidity and LP-share count change.
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    /// The market's liquidity vault, which receives deposits and pays withdrawals.
    /// Must be the vault recorded on the market, PDA ["vault", market, [1]].
    #[account(mut, address = market.vault(VaultKind::Liquidity) @ ZlError::WrongVault)]
    pub liquidity_vault: Box<Account<'info, TokenAccount>>,
    /// The market's LP-share mint, PDA ["lp_mint", market]; must be the market's.
    #[account(mut, address = market.lp_mint @ ZlError::WrongMint)]
    pub lp_mint: Box<Account<'info, Mint>>,
    /// The LP's debt-asset account, source on deposit and destination on withdrawal.
    /// Must hold the market's debt mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&lp_token.key()) @ ZlError::VaultAsUserAccount,
        constraint = lp_token.mint == market.debt_mint @ ZlError::WrongMint)]
    pub lp_token: Box<Account<'info, TokenAccount>>,
    /// The LP's share account, credited on deposit and burned from on withdrawal.
    /// Must hold the market's LP mint and must not be one of the market's vaults.
    #[account(mut,
        constraint = !market.is_vault(&lp_shares.key()) @ ZlError::VaultAsUserAccount,
        constraint = lp_shares.mint == market.lp_mint @ ZlError::WrongMint)]
    pub lp_shares: Box<Account<'info, TokenAccount>>,
    /// The SPL Token program.
    pub token_program: Program<'info, Token>,
    /// Optional: the collateral's Pyth PriceUpdateV2 account (the market's collateral_feed_id).
    /// Required by lp_withdraw and lp_deposit while the market has debt.
    /// CHECK: validated by `oracle::load_prices` when used.
    pub collateral_oracle: Option<UncheckedAccount<'info>>,
    /// Optional: the debt asset's Pyth PriceUpdateV2 account (the market's debt_feed_id).
    /// Required by lp_withdraw and lp_deposit while the market has debt.
    /// CHECK: validated by `oracle::load_prices` when used.
    pub debt_oracle: Option<UncheckedAccount<'info>>,
}

/// The LPs' assets an LP deposit or exit is priced on: while the market has
/// debt (margin accounts' or open borrower auctions'), net of the shortfall
/// in sight with collateral valued by `worth` (`Market::lp_assets_net`: open
/// lots and the underwater book; the price accounts are then required),
/// else the plain assets.
pub(crate) fn lp_assets_priced(
    market: &mut Market,
    collateral_oracle: Option<&AccountInfo>,
    debt_oracle: Option<&AccountInfo>,
    now: i64,
    worth: fn(&Market, &MarketPrices) -> Result<Fp>,
) -> Result<u64> {
    if market.auction_debt == 0 && market.total_debt_shares == 0 {
        return market.lp_assets();
    }
    let prices = oracle::load_required_prices(market, collateral_oracle, debt_oracle, now)?;
    market.lp_assets_net(worth(market, &prices)?)
}

/// Deposits `amount` of the debt asset for LP shares (rounded down).
pub fn handler(ctx: Context<LpLiquidity>, amount: u64) -> Result<()> {
    require!(amount > 0, ZlError::ZeroAmount);
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::LP)?;
    let market = &mut a.market;
    let now = Clock::get()?.unix_timestamp;
    market.accrue_interest(now)?;

    // The program's own count, not the mint's supply: see Market::lp_shares.
    let supply = market.lp_shares;
    // Lots at the held floor: the depositor cannot deepen the mark-down with
    // a low reading, so a new LP does not absorb a loss already on the books.
    let assets = lp_assets_priced(
        market,
        a.collateral_oracle.as_deref(),
        a.debt_oracle.as_deref(),
        now,
        risk::lot_valuation_high,
    )?;
    require!(supply == 0 || assets > 0, ZlError::PoolInsolvent);
    let minted = to_u64(shares::lp_shares_for_deposit_floor(
        amount as u128,
        assets as u128,
        supply as u128,
    )?)?;
    require!(minted > 0, ZlError::AmountTooSmall);

    market.liquidity_amount.safe_add_assign(amount)?;
    market.lp_shares.safe_add_assign(minted)?;
    market.invariant()?;

    token_ops::transfer_in(
        &a.token_program,
        a.lp_token.to_account_info(),
        a.liquidity_vault.to_account_info(),
        a.lp.to_account_info(),
        amount,
    )?;
    token_ops::mint_shares(
        &a.token_program,
        market,
        a.lp_mint.to_account_info(),
        a.lp_shares.to_account_info(),
        minted,
    )?;
    emit_event!(LpDeposited {
        market: market.key(),
        ts: now,
        lp: a.lp.key(),
        amount,
        shares: minted
    });
    Ok(())
}
