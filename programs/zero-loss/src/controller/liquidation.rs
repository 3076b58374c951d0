//! Partial liquidation of a buffer-zone account.

use anchor_lang::prelude::*;

use super::{Moves, Party};
use crate::engine::fixed::Fp;
use crate::engine::health::{self, Zone};
use crate::engine::liquidation::{self, PartialInput};
use crate::errors::ZlError;
use crate::math::SafeMath;
use crate::oracle::{Action, MarketPrices};
use crate::risk::{self, Standing};
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
    pub before: Standing,
}

/// A partial liquidation as booked.
#[derive(Clone, Copy, Debug)]
pub struct PartialOutcome {
    pub plan: PartialPlan,
    /// The account's LTV at the trigger price after it (never above before).
    pub ltv_after: Fp,
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
/// shorter than that slices no one. Past the zone it stays open while the
/// account is solvent at the trigger price (distressed, or an emergency
/// under 100%: mechanism v2's lever 4), at the top bonus capped by
/// `1 - LTV`; liquidators take it or a keeper kicks it into an auction. An
/// insolvent account goes to auction only.
pub fn partial_open(h: &Standing) -> bool {
    match h.zone {
        Zone::Buffer | Zone::Distressed => true,
        Zone::Healthy => h.held_ltv > h.liq_ltv,
        Zone::Emergency => h.trigger_ltv < Fp::ONE,
    }
}

/// Plans a partial liquidation of `account` by `liquidator` for at most
/// `max_repay`, with `budget` of the liquidity budget available and the
/// market's volatility `buffer` (`Market::buffer`); the market must be
/// accrued to now. Nothing is written.
pub fn plan_partial(
    market: &Market,
    account: &MarginAccount,
    prices: &MarketPrices,
    buffer: Fp,
    budget: u64,
    liquidator: &Pubkey,
    max_repay: u64,
) -> Result<PartialPlan> {
    require!(max_repay > 0, ZlError::ZeroAmount);
    require_keys_neq!(*liquidator, account.owner, ZlError::SelfLiquidation);
    require!(account.open_auctions == 0, ZlError::AuctionInProgress);
    let before = risk::standing(
        market,
        buffer,
        account.collateral,
        account.debt_shares,
        prices,
    )?;
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
    let trigger_price = prices.price(Action::LiquidationTrigger);
    let sizing_price = trigger_price.min(payout_price);
    let value = sizing_price.mul_int_floor(account.collateral as u128)?;
    require!(value > 0, ZlError::OracleNonPositive);
    // At the trigger price the LTV is the one already computed (the same
    // division of the same figures).
    let ltv_at_price = if sizing_price == trigger_price {
        before.trigger_ltv
    } else {
        Fp::ratio_ceil(before.debt as u128, value)?.max(before.trigger_ltv)
    };
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
    require_payout_fresh(market, prices, now)?;
    market.accrue_interest(now)?;
    let budget = market.refill_budget(now);
    let buffer = market.buffer()?;
    let plan = plan_partial(
        market,
        account,
        prices,
        buffer,
        budget.level,
        liquidator,
        max_repay,
    )?;
    let out = book_partial(market, account, prices, now, plan)?;
    market.invariant()?;
    Ok(out)
}

/// A partial pays out only at a reading at most `payout_max_age_secs` old.
fn require_payout_fresh(market: &Market, prices: &MarketPrices, now: i64) -> Result<()> {
    require!(
        prices.age(now) <= market.params.payout_max_age_secs as i64,
        ZlError::PayoutReadingTooOld
    );
    Ok(())
}

/// Books a plan on the market and the account (the budget drawn, the
/// account's LTV no higher after), with the token moves it needs. The
/// market's invariant is the caller's to check, once for all it books.
fn book_partial(
    market: &mut Market,
    account: &mut MarginAccount,
    prices: &MarketPrices,
    now: i64,
    plan: PartialPlan,
) -> Result<PartialOutcome> {
    market.book_retirement(plan.retired_shares, plan.repaid)?;
    let shares_left = account.debt_shares.safe_sub(plan.retired_shares)?;
    let collateral_left = account.collateral.safe_sub(plan.collateral_out)?;
    market.set_position(account, collateral_left, shares_left)?;
    market
        .total_collateral
        .safe_sub_assign(plan.collateral_out)?;
    let budget_tripped = market.draw_budget(plan.repaid, now);
    // Only the trigger LTV is needed after: the rest of the report is the
    // plan's, from before.
    let debt_after = market.debt_of(account.debt_shares)?;
    let ltv_after = health::ltv_ceil(
        debt_after as u128,
        account.collateral,
        prices.price(Action::LiquidationTrigger),
    )?;
    require!(
        ltv_after <= plan.before.trigger_ltv,
        ZlError::HealthWorsened
    );
    account.invariant()?;
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
        ltv_after,
        budget_tripped,
        moves,
    })
}

/// The most margin accounts one `liquidate_batch` liquidates.
pub const MAX_BATCH: usize = 8;

/// One account of a batch: its address, the account, and the most the
/// liquidator repays of its debt.
pub struct BatchEntry<'a> {
    pub key: Pubkey,
    pub account: &'a mut MarginAccount,
    pub max_repay: u64,
}

/// A batch as booked: the outcome of each account liquidated (by its index
/// in the batch; the others were skipped), and the batch's token moves
/// (one repayment, one payout).
pub struct BatchOutcome {
    pub liquidated: Vec<(usize, PartialOutcome)>,
    pub budget_tripped: bool,
    pub moves: Moves,
}

/// `liquidate_batch`: the partial liquidation of each account in turn, on the
/// market as the previous ones left it, with one rule for each: the plan and
/// booking of `liquidate_partial`. 1 to [`MAX_BATCH`] accounts, none twice
/// (refused, nothing written). An account that cannot be liquidated now
/// (its plan is refused: healthy, out of the zone, the budget spent, a zero
/// `max_repay`) is skipped before anything of it is booked; a batch that
/// liquidates none is refused.
pub fn liquidate_batch(
    market: &mut Market,
    entries: &mut [BatchEntry],
    prices: &MarketPrices,
    now: i64,
    liquidator: &Pubkey,
) -> Result<BatchOutcome> {
    require!((1..=MAX_BATCH).contains(&entries.len()), ZlError::BatchSize);
    for (i, e) in entries.iter().enumerate() {
        require!(
            entries[..i].iter().all(|o| o.key != e.key),
            ZlError::BatchDuplicate
        );
    }
    require_payout_fresh(market, prices, now)?;
    market.accrue_interest(now)?;
    let (mut repaid, mut paid_out) = (0u64, 0u64);
    let mut liquidated = Vec::with_capacity(entries.len());
    let mut budget_tripped = false;
    let buffer = market.buffer()?;
    for (i, e) in entries.iter_mut().enumerate() {
        let budget = market.refill_budget(now);
        let Ok(plan) = plan_partial(
            market,
            e.account,
            prices,
            buffer,
            budget.level,
            liquidator,
            e.max_repay,
        ) else {
            continue;
        };
        let out = book_partial(market, e.account, prices, now, plan)?;
        repaid.safe_add_assign(out.plan.repaid)?;
        paid_out.safe_add_assign(out.plan.collateral_out)?;
        budget_tripped |= out.budget_tripped;
        liquidated.push((i, out));
    }
    require!(!liquidated.is_empty(), ZlError::NothingLiquidated);
    market.invariant()?;
    let moves = Moves::default()
        .with(
            Party::CallerDebt,
            Party::Vault(VaultKind::Liquidity),
            repaid,
        )
        .with(
            Party::Vault(VaultKind::Collateral),
            Party::CallerCollateral,
            paid_out,
        );
    Ok(BatchOutcome {
        liquidated,
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
