//! Glue between accounts and the health engine: one place that turns a
//! market, a position and validated prices into a health report.

use anchor_lang::prelude::*;

use crate::engine::fixed::Fp;
use crate::engine::health::{self, Zone};
use crate::engine::price::divergence_ceil;
use crate::errors::ZlError;
use crate::math::SafeMath;
use crate::oracle::{Action, MarketPrices};
use crate::state::{breaker, Auction, AuctionTerms, Market};

/// A position's health at the current prices.
#[derive(Clone, Copy, Debug)]
pub struct HealthReport {
    /// Debt owed, rounded up.
    pub debt: u64,
    /// LTV on the EMA trigger price.
    pub trigger_ltv: Fp,
    /// LTV on the spot price (reported; no decision reads it).
    pub spot_ltv: Fp,
    /// LTV on the held spot price (`Action::Emergency`): a spot breach that
    /// has held on every reading for `breach_persist_secs`.
    pub held_ltv: Fp,
    /// LTV on the conservative (opening-risk) price.
    pub opening_ltv: Fp,
    pub buffer: Fp,
    /// The liquidation threshold: the partial-liquidation zone's lower edge.
    pub liq_ltv: Fp,
    /// `liq_ltv / (1 - buffer)`: the top of the partial-liquidation zone.
    pub distress_ltv: Fp,
    pub zone: Zone,
}

/// Computes the health of `collateral` against `debt_shares` in `market`.
pub fn evaluate(
    market: &Market,
    collateral: u64,
    debt_shares: u64,
    prices: &MarketPrices,
) -> Result<HealthReport> {
    evaluate_with(market, market.buffer()?, collateral, debt_shares, prices)
}

/// As [`evaluate`], with the market's volatility buffer already computed
/// (`Market::buffer`; a square root, so an instruction that judges several
/// accounts, or one account twice, computes it once).
pub fn evaluate_with(
    market: &Market,
    buffer: Fp,
    collateral: u64,
    debt_shares: u64,
    prices: &MarketPrices,
) -> Result<HealthReport> {
    let s = standing(market, buffer, collateral, debt_shares, prices)?;
    let ltv =
        |price: Fp| -> Result<Fp> { Ok(health::ltv_ceil(s.debt as u128, collateral, price)?) };
    Ok(HealthReport {
        debt: s.debt,
        trigger_ltv: s.trigger_ltv,
        spot_ltv: ltv(prices.spot)?,
        held_ltv: s.held_ltv,
        opening_ltv: ltv(prices.price(Action::Borrow))?,
        buffer,
        liq_ltv: s.liq_ltv,
        distress_ltv: s.distress_ltv,
        zone: s.zone,
    })
}

/// What a liquidation decision reads: the zone and the figures that set it
/// (the part of [`HealthReport`] a liquidation needs; each LTV is a division,
/// so the liquidation paths compute only these).
#[derive(Clone, Copy, Debug)]
pub struct Standing {
    /// Debt owed, rounded up.
    pub debt: u64,
    /// LTV on the EMA trigger price.
    pub trigger_ltv: Fp,
    /// LTV on the held spot price (`Action::Emergency`).
    pub held_ltv: Fp,
    pub liq_ltv: Fp,
    pub distress_ltv: Fp,
    pub zone: Zone,
}

/// The zone of `collateral` against `debt_shares` in `market` at the
/// market's volatility `buffer`: the one rule [`evaluate_with`] builds on.
pub fn standing(
    market: &Market,
    buffer: Fp,
    collateral: u64,
    debt_shares: u64,
    prices: &MarketPrices,
) -> Result<Standing> {
    let debt = market.debt_of(debt_shares)?;
    let ltv = |action: Action| -> Result<Fp> {
        Ok(health::ltv_ceil(
            debt as u128,
            collateral,
            prices.price(action),
        )?)
    };
    let trigger_ltv = ltv(Action::LiquidationTrigger)?;
    let held_ltv = ltv(Action::Emergency)?;
    let thresholds = market.params.thresholds(buffer);
    let zone = health::zone(trigger_ltv, held_ltv, &thresholds)?;
    Ok(Standing {
        debt,
        trigger_ltv,
        held_ltv,
        liq_ltv: thresholds.liq_ltv,
        distress_ltv: thresholds.distress_ltv()?,
        zone,
    })
}

impl HealthReport {
    /// The part of the report a liquidation decision reads.
    pub fn standing(&self) -> Standing {
        Standing {
            debt: self.debt,
            trigger_ltv: self.trigger_ltv,
            held_ltv: self.held_ltv,
            liq_ltv: self.liq_ltv,
            distress_ltv: self.distress_ltv,
            zone: self.zone,
        }
    }
}

/// What opening risk read: the debt (rounded up) and its LTV on the
/// conservative price.
#[derive(Clone, Copy, Debug)]
pub struct Opening {
    pub debt: u64,
    pub ltv: Fp,
}

/// After a borrow or withdrawal, `collateral` against `debt_shares`: within
/// `max_ltv * (1 - buffer)` on the conservative price (a volatile market
/// lends less: the volatility buffer on the borrow side, mechanism v2's
/// lever 1) and still in the healthy zone. Computes only the zone and the
/// opening LTV (each LTV is a division), not a whole [`HealthReport`].
pub fn require_opening_risk_ok(
    market: &Market,
    collateral: u64,
    debt_shares: u64,
    prices: &MarketPrices,
) -> Result<Opening> {
    let buffer = market.buffer()?;
    let s = standing(market, buffer, collateral, debt_shares, prices)?;
    let ltv = health::ltv_ceil(s.debt as u128, collateral, prices.price(Action::Borrow))?;
    require!(ltv <= max_ltv_eff(market, buffer)?, ZlError::MaxLtvExceeded);
    require!(s.zone == Zone::Healthy, ZlError::Unhealthy);
    Ok(Opening { debt: s.debt, ltv })
}

/// The borrow limit in force: `max_ltv * (1 - buffer)`, rounded down (a
/// lower limit lends less: the lenders' side).
pub fn max_ltv_eff(market: &Market, buffer: Fp) -> Result<Fp> {
    Ok(market
        .params
        .max_ltv()
        .mul_floor(Fp::ONE.checked_sub(buffer)?)?)
}

/// Reasons the current reading is abnormal for the circuit breaker, with
/// the divergence and confidence figures (bps).
pub fn abnormal_reasons(market: &Market, prices: &MarketPrices) -> Result<(u8, u64, u64)> {
    let p = &market.params;
    let divergence = divergence_ceil(prices.spot_mid, prices.ema_mid)?;
    let mut reasons = 0;
    if divergence > Fp::from_bps(p.breaker_divergence_bps as u64) {
        reasons |= breaker::DIVERGENCE;
    }
    if prices.conf_ratio > Fp::from_bps(p.breaker_conf_bps as u64) {
        reasons |= breaker::CONFIDENCE;
    }
    let bps = |f: Fp| f.to_bps_ceil().unwrap_or(u64::MAX);
    Ok((reasons, bps(divergence), bps(prices.conf_ratio)))
}

/// Refuses opening risk while the breaker is tripped or the current reading
/// would trip it (the stored flag may lag until the next refresh).
pub fn require_breaker_clear_now(market: &Market, prices: &MarketPrices) -> Result<()> {
    market.require_breaker_clear()?;
    let (reasons, _, _) = abnormal_reasons(market, prices)?;
    require!(reasons == 0, ZlError::CircuitBreakerTripped);
    Ok(())
}

/// Fits an LTV into bps for events, saturating for "worthless".
pub fn ltv_bps(ltv: Fp) -> u64 {
    ltv.to_bps_ceil().unwrap_or(u64::MAX)
}

/// The most collateral an indebted account may hold once a deposit takes the
/// market past `collateral_cap`: what brings `debt_shares`' debt (rounded
/// up) to the target LTV on the conservative price (`Action::Borrow`),
/// `ceil(debt / (target * price))`, rounded up so the account can reach the
/// target.
pub fn collateral_for_target(
    market: &Market,
    debt_shares: u64,
    prices: &MarketPrices,
) -> Result<u64> {
    let debt = market.debt_of(debt_shares)?;
    let per_unit = prices
        .price(Action::Borrow)
        .mul_floor(Fp::from_bps(market.params.target_ltv_bps as u64))?;
    require!(per_unit > Fp::ZERO, ZlError::OracleNonPositive);
    crate::math::to_u64(per_unit.div_int_ceil(debt as u128)?)
}

/// The floor of an auction on `terms` (its own, fixed at the kick) on the
/// held spot price: `held * (1 - max_discount)`, rounded up (the least a
/// bidder may pay). Held, not the live reading, so a wick cannot lower it.
pub fn auction_floor(terms: &AuctionTerms, prices: &MarketPrices) -> Result<Fp> {
    Ok(prices
        .price(Action::AuctionFloor)
        .mul_ceil(terms.floor_keep()?)?)
}

/// What POL pays in a backstop: the floor, but never more than the live
/// spot (`AuctionPricing`). In a fall the held floor can stand above the
/// market; POL, the buyer of last resort, buys at the market then, not
/// above it (a borrower who kicked its own account would otherwise sell to
/// POL over the market).
pub fn backstop_price(terms: &AuctionTerms, prices: &MarketPrices) -> Result<Fp> {
    Ok(auction_floor(terms, prices)?.min(prices.price(Action::AuctionPricing)))
}

/// What collateral (an open auction's lot, an account in the underwater
/// book) is worth to an LP leaving: the low of the held window less the
/// discount, rounded down (`low <= spot <= held`, so never more than the
/// floor): an LP who leaves in a fall does not push an understated
/// shortfall onto those who stay, and cannot lighten it by presenting an
/// older, higher reading.
pub fn lot_valuation(market: &Market, prices: &MarketPrices) -> Result<Fp> {
    Ok(prices
        .price(Action::LpExit)
        .mul_floor(market.params.auction_terms().floor_keep()?)?)
}

/// What an open auction's lot is worth to an LP depositing during it: the
/// auction floor on the market's current terms, the held spot price less the
/// discount, rounded up (`held >= spot`, and a wick cannot lower the held
/// price): a depositor cannot present a low reading to deepen the mark-down
/// and buy shares cheap.
pub fn lot_valuation_high(market: &Market, prices: &MarketPrices) -> Result<Fp> {
    auction_floor(&market.params.auction_terms(), prices)
}

/// The keeper reward for a kick or restart of auction `au`: `tip + chip *
/// tab`, capped by `keeper_reward_cap`, by what the fund holds, and by the
/// penalty still to be raised less the rewards this auction has already
/// paid: all the rewards of one auction together (its kick and every
/// restart) never exceed its penalty, so no dust position or unsellable lot
/// can drain the fund, however often it restarts. Deducted from the
/// market's accounting and added to `au.rewards_paid`; the caller transfers
/// it.
pub fn take_keeper_reward(market: &mut Market, au: &mut Auction) -> Result<u64> {
    let p = &market.params;
    let penalty_left = au.tab.saturating_sub(au.principal);
    let reward = crate::engine::liquidation::keeper_reward(
        au.tab,
        p.keeper_tip,
        Fp::from_bps(p.keeper_chip_bps as u64),
        p.keeper_reward_cap,
    )?
    .min(penalty_left.saturating_sub(au.rewards_paid))
    .min(market.insurance_amount);
    market.insurance_amount.safe_sub_assign(reward)?;
    au.rewards_paid.safe_add_assign(reward)?;
    Ok(reward)
}
