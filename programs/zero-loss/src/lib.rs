//! Zero-Loss Liquidation Engine: isolated margin markets on Solana that
//! unwind distressed accounts without bad debt. See docs/design.md.
#![allow(clippy::result_large_err)]

use anchor_lang::prelude::*;

#[cfg(not(target_os = "solana"))]
pub mod client;
pub mod controller;
pub mod engine;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod oracle;
pub mod risk;
pub mod state;
pub mod token_ops;

use instructions::*;
use state::RiskParams;

declare_id!("GjqhNQpeyP4vu6iFAV4pRQTyVFC9X7ixVAQQFWoBKoaz");

#[program]
pub mod zero_loss {
    use super::*;

    // --- admin ---
    pub fn init_protocol(ctx: Context<InitProtocol>) -> Result<()> {
        init_protocol::handler(ctx)
    }
    pub fn propose_admin(ctx: Context<ProposeAdmin>, new_admin: Pubkey) -> Result<()> {
        admin_transfer::propose_handler(ctx, new_admin)
    }
    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        admin_transfer::accept_handler(ctx)
    }
    pub fn set_pause(ctx: Context<SetPause>, paused: u16) -> Result<()> {
        set_pause::handler(ctx, paused)
    }
    pub fn init_market(ctx: Context<InitMarket>, args: InitMarketArgs) -> Result<()> {
        init_market::handler(ctx, args)
    }
    pub fn update_market_params(
        ctx: Context<UpdateMarketParams>,
        params: RiskParams,
    ) -> Result<()> {
        update_market_params::handler(ctx, params)
    }
    pub fn execute_market_params(ctx: Context<ExecuteMarketParams>) -> Result<()> {
        update_market_params::execute_handler(ctx)
    }

    // --- liquidity ---
    pub fn lp_deposit(ctx: Context<LpLiquidity>, amount: u64) -> Result<()> {
        lp_deposit::handler(ctx, amount)
    }
    pub fn lp_withdraw(ctx: Context<LpLiquidity>, shares: u64) -> Result<()> {
        lp_withdraw::handler(ctx, shares)
    }
    pub fn fund_insurance(ctx: Context<FundInsurance>, amount: u64) -> Result<()> {
        fund_insurance::handler(ctx, amount)
    }
    pub fn fund_pol(ctx: Context<FundPol>, amount: u64) -> Result<()> {
        pol::fund_handler(ctx, amount)
    }
    pub fn withdraw_pol(ctx: Context<WithdrawPol>, asset: PolAsset, amount: u64) -> Result<()> {
        pol::withdraw_handler(ctx, asset, amount)
    }

    // --- borrower ---
    pub fn open_margin_account(ctx: Context<OpenMarginAccount>) -> Result<()> {
        open_margin_account::handler(ctx)
    }
    pub fn deposit_collateral(ctx: Context<DepositCollateral>, amount: u64) -> Result<()> {
        deposit_collateral::handler(ctx, amount)
    }
    pub fn withdraw_collateral(ctx: Context<WithdrawCollateral>, amount: u64) -> Result<()> {
        withdraw_collateral::handler(ctx, amount)
    }
    pub fn borrow(ctx: Context<Borrow>, amount: u64) -> Result<()> {
        borrow::handler(ctx, amount)
    }
    pub fn repay(ctx: Context<Repay>, amount: u64) -> Result<()> {
        repay::handler(ctx, amount)
    }
    pub fn close_margin_account(ctx: Context<CloseMarginAccount>) -> Result<()> {
        close_margin_account::handler(ctx)
    }

    // --- permissionless ---
    pub fn refresh_market(ctx: Context<RefreshMarket>) -> Result<()> {
        refresh_market::handler(ctx)
    }
    pub fn check_health(ctx: Context<CheckHealth>) -> Result<()> {
        check_health::handler(ctx)
    }

    // --- liquidation (permissionless) ---
    pub fn liquidate_partial(ctx: Context<LiquidatePartial>, max_repay: u64) -> Result<()> {
        liquidate_partial::handler(ctx, max_repay)
    }
    pub fn start_auction(ctx: Context<StartAuction>) -> Result<()> {
        start_auction::handler(ctx)
    }
    pub fn bid(ctx: Context<Bid>, max_lot: u64, max_price: u128) -> Result<()> {
        bid::handler(ctx, max_lot, max_price)
    }
    pub fn restart_auction(ctx: Context<RestartAuction>) -> Result<()> {
        restart_auction::handler(ctx)
    }
    pub fn backstop(ctx: Context<Backstop>) -> Result<()> {
        backstop::handler(ctx)
    }
    pub fn settle_auction(ctx: Context<SettleAuction>) -> Result<()> {
        settle_auction::handler(ctx)
    }

    // --- POL ---
    pub fn start_pol_auction(ctx: Context<StartPolAuction>, lot: u64) -> Result<()> {
        start_pol_auction::handler(ctx, lot)
    }
}
