//! Partial liquidation of a buffer-zone account.

use anchor_lang::prelude::*;

use super::{Moves, Party};
use crate::engine::fixed::Fp;
use crate::engine::health::Zone;
use crate::engine::liquidation::{self, PartialInput};
use crate::errors::ZlError;
use crate::math::SafeMath;
use crate::oracle::{Action, MarketPrices};
use crate::risk::{self, HealthReport};
use crate::state::{MarginAccount, Market, VaultKind};

/// What a partial liquidation would do, on the market as it stands.
#[derive(Clone, Copy, Debug)]
pub struct PartialPlan {
    /// Debt shares retired from the account.
    pub retired_shares: u64,
    /// Debt the liquidator pays (the retired shares' value, rounded up,
    /// never above its `max_repay`).
    pub repaid: u64,
    /// Collateral it receives, at the payout price.
    pub collateral_out: u64,
    pub bonus: Fp,
    /// The price the collateral is paid out at (`Action::PartialPayout`).
    pub payout_price: Fp,
    pub before: HealthReport,
}

/// A partial liquidation as booked.
#[derive(Clone, Copy, Debug)]
pub struct PartialOutcome {
    pub plan: PartialPlan,
    pub after: HealthReport,
    /// This draw newly tripped the breaker on the budget.
    pub budget_tripped: bool,
    pub moves: Moves,
}

/// Whether an account may be partially liquidated: in the buffer zone at the
/// EMA trigger (past `liq_ltv`, the rivals' threshold, up to `distress_ltv`),
/// or still healthy there while the held spot price already puts it past
/// `liq_ltv` (in a fall spot leads and the EMA
/// lags; waiting for the EMA lets the account reach the threshold and an
/// auction). Held, not the live reading: the breach must have lasted
/// `breach_persist_secs` on every reading the market has seen, so a wick
/// shorter than that slices no one. Never once distressed or in emergency:
/// those go to auction.
pub fn partial_open(h: &HealthReport) -> bool {
    match h.zone {
        Zone::Buffer => true,
        Zone::Healthy => h.held_ltv > h.liq_ltv,
        Zone::Distressed | Zone::Emergency => false,
    }
}

/// Plans a partial liquidation of `account` by `liquidator` for at most
/// `max_repay`, with `budget` of the liquidity budget available; the market
/// must be accrued to now. Nothing is written.
pub fn plan_partial(
    market: &Market,
    account: &MarginAccount,
    prices: &MarketPrices,
    budget: u64,
    liquidator: &Pubkey,
    max_repay: u64,
) -> Result<PartialPlan> {
    require!(max_repay > 0, ZlError::ZeroAmount);
    require_keys_neq!(*liquidator, account.owner, ZlError::SelfLiquidation);
    require!(account.open_auctions == 0, ZlError::AuctionInProgress);
    let before = risk::evaluate(market, account.collateral, account.debt_shares, prices)?;
    if !partial_open(&before) {
        return match before.zone {
            Zone::Healthy => err!(ZlError::AccountHealthy),
            _ => err!(ZlError::NotInBufferZone),
        };
    }
    let p = &market.params;
    // Paid out at the spot mid; sized on the lower of that and the trigger
    // price, so the account lands at or under the target at both. The bonus
    // rises across the zone with the LTV at that lower price (at least the
    // trigger LTV) and is capped by `1 - LTV` there, so the account's LTV
    // cannot rise at either price. A zero value is refused, not taken as an
    // infinite LTV.
    let payout_price = prices.price(Action::PartialPayout);
    let sizing_price = prices.price(Action::LiquidationTrigger).min(payout_price);
    let value = sizing_price.mul_int_floor(account.collateral as u128)?;
    require!(value > 0, ZlError::OracleNonPositive);
    let ltv_at_price = Fp::ratio_ceil(before.debt as u128, value)?.max(before.trigger_ltv);
    let sized = liquidation::partial(&PartialInput {
        debt: before.debt,
        collateral: account.collateral,
        price: sizing_price,
        ltv: ltv_at_price,
        liq_ltv: Fp::from_bps(p.liq_ltv_bps as u64),
        distress_ltv: before.distress_ltv,
        target: Fp::from_bps(p.target_ltv_bps as u64),
        min_bonus: Fp::from_bps(p.min_bonus_bps as u64),
        max_bonus: Fp::from_bps(p.max_bonus_bps as u64),
        budget,
        max_repay,
        min_position: p.min_position,
    })?;
    // Whole shares retire; the collateral follows what is charged for them.
    let (retired_shares, repaid) = market.debt_retirement(account.debt_shares, sized.repay)?;
    let collateral_out =
        liquidation::payout_collateral(repaid, sized.bonus, payout_price, account.collateral)?;
    Ok(PartialPlan {
        retired_shares,
        repaid,
        collateral_out,
        bonus: sized.bonus,
        payout_price,
        before,
    })
}

/// `liquidate_partial`: accrues interest, refills the budget, plans, and
/// books the plan on the market and the account. The liquidator pays
/// `repaid` into liquidity and receives `collateral_out`.
pub fn liquidate_partial(
    market: &mut Market,
    account: &mut MarginAccount,
    prices: &MarketPrices,
    now: i64,
    liquidator: &Pubkey,
    max_repay: u64,
) -> Result<PartialOutcome> {
    require!(
        prices.age(now) <= market.params.payout_max_age_secs as i64,
        ZlError::PayoutReadingTooOld
    );
    market.accrue_interest(now)?;
    let budget = market.refill_budget(now);
    let plan = plan_partial(market, account, prices, budget.level, liquidator, max_repay)?;

    market.book_retirement(plan.retired_shares, plan.repaid)?;
    account.debt_shares.safe_sub_assign(plan.retired_shares)?;
    account.collateral.safe_sub_assign(plan.collateral_out)?;
    market
        .total_collateral
        .safe_sub_assign(plan.collateral_out)?;
    let budget_tripped = market.draw_budget(plan.repaid, now);
    let after = risk::evaluate(market, account.collateral, account.debt_shares, prices)?;
    require!(
        after.trigger_ltv <= plan.before.trigger_ltv,
        ZlError::HealthWorsened
    );
    account.invariant()?;
    market.invariant()?;
    let moves = Moves::default()
        .with(
            Party::CallerDebt,
            Party::Vault(VaultKind::Liquidity),
            plan.repaid,
        )
        .with(
            Party::Vault(VaultKind::Collateral),
            Party::CallerCollateral,
            plan.collateral_out,
        );
    Ok(PartialOutcome {
        plan,
        after,
        budget_tripped,
        moves,
    })
}

/// What `liquidate_partial` would do now, run on copies: the keeper's plan.
pub fn preview_partial(
    market: &Market,
    account: &MarginAccount,
    prices: &MarketPrices,
    now: i64,
    liquidator: &Pubkey,
    max_repay: u64,
) -> Result<PartialOutcome> {
    let (mut market, mut account) = (market.clone(), account.clone());
    liquidate_partial(
        &mut market,
        &mut account,
        prices,
        now,
        liquidator,
        max_repay,
    )
}
