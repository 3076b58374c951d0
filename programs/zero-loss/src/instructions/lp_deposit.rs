use anchor_lang::prelude::*;

use crate::controller::lp;
use crate::emit_event;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::errors::ZlError;
use crate::events::LpDeposited;
use crate::oracle;
use crate::state::{pause, seeds, Market, Protocol, VaultKind};
use crate::token_ops::{self, Endpoints};

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

/// Deposits `amount` of the debt asset for LP shares (rounded down):
/// `controller::lp::deposit`.
pub fn handler(ctx: Context<LpLiquidity>, amount: u64) -> Result<()> {
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::LP)?;
    let now = Clock::get()?.unix_timestamp;
    let (co, dor) = (a.collateral_oracle.as_deref(), a.debt_oracle.as_deref());
    let (moves, minted) = lp::deposit(&mut a.market, amount, now, |m| {
        oracle::load_required_prices(m, co, dor, now)
    })?;
    token_ops::apply(&a.endpoints(), &moves)?;
    emit_event!(LpDeposited {
        market: a.market.key(),
        ts: now,
        lp: a.lp.key(),
        amount,
        shares: minted
    });
    Ok(())
}

impl<'info> LpLiquidity<'info> {
    /// The token accounts an LP move touches: the liquidity vault, the LP
    /// mint, and the LP's debt-asset and share accounts.
    pub(crate) fn endpoints(&self) -> Endpoints<'_, 'info> {
        Endpoints::new(&self.token_program, &self.market)
            .vault(VaultKind::Liquidity, self.liquidity_vault.to_account_info())
            .caller(
                self.lp.to_account_info(),
                Some(self.lp_token.to_account_info()),
                None,
            )
            .shares(
                self.lp_mint.to_account_info(),
                self.lp_shares.to_account_info(),
            )
    }
}
