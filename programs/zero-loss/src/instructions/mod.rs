//! One file per instruction: its Accounts struct and its handler.

pub mod admin_transfer;
pub mod backstop;
pub mod bid;
pub mod borrow;
pub mod check_health;
pub mod close_margin_account;
pub mod deposit_collateral;
pub mod fund_insurance;
pub mod init_market;
pub mod init_protocol;
pub mod liquidate_batch;
pub mod liquidate_partial;
pub mod lp_deposit;
pub mod lp_withdraw;
pub mod open_margin_account;
pub mod pol;
pub mod refresh_market;
pub mod repay;
pub mod restart_auction;
pub mod set_pause;
pub mod settle_auction;
pub mod start_auction;
pub mod start_pol_auction;
pub mod update_market_params;
pub mod withdraw_collateral;

// Anchor's #[program] needs each Accounts type and its generated client
// module at the crate root; the per-file `handler` names collide under the
// glob and are always called by path.
#[allow(ambiguous_glob_reexports)]
pub use {
    admin_transfer::*, backstop::*, bid::*, borrow::*, check_health::*, close_margin_account::*,
    deposit_collateral::*, fund_insurance::*, init_market::*, init_protocol::*, liquidate_batch::*,
    liquidate_partial::*, lp_deposit::*, open_margin_account::*, pol::*, refresh_market::*,
    repay::*, restart_auction::*, set_pause::*, settle_auction::*, start_auction::*,
    start_pol_auction::*, update_market_params::*, withdraw_collateral::*,
};
