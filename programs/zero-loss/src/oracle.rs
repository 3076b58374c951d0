//! Pyth pull-oracle prices, validated per market, and which reading each
//! action uses.
//!
//! A market names two USD feeds, one for its collateral and one for its debt
//! asset. Each `PriceUpdateV2` account must be owned by the Pyth receiver
//! program, carry the market's feed id, be fully verified, be no older than
//! `oracle_max_age_secs`, not be published in the future, and have
//! `conf / price` (spot and EMA) within `oracle_max_conf_bps`.

use anchor_lang::prelude::*;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};

use crate::engine::fixed::Fp;
use crate::engine::held;
use crate::engine::price::{self, Reading};
use crate::errors::ZlError;
use crate::state::Market;

/// What a price is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Opening risk: `borrow`.
    Borrow,
    /// Opening risk: `withdraw_collateral`.
    WithdrawCollateral,
    /// The normal liquidation trigger: zone, partial liquidation, kick.
    LiquidationTrigger,
    /// The spot tests for an account the trigger calls healthy or only in
    /// the buffer: emergency (`LTV >= full_ltv`) and the partial pre-trigger.
    Emergency,
    /// An auction's top price, at a kick or a restart.
    AuctionPricing,
    /// The price a partial liquidation pays collateral out at.
    PartialPayout,
    /// An auction's floor (bids and the backstop clear at or above it).
    AuctionFloor,
    /// What an LP exit values collateral at (open lots, the underwater book).
    LpExit,
}

/// Which reading of the two feeds an action uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// EMA prices, collateral at `ema - k*ema_conf`, debt at `ema + k*ema_conf`.
    Trigger,
    /// Spot prices, adjusted the same way with the spot confidence.
    Spot,
    /// The lower collateral price of `Trigger` and `Spot`.
    Conservative,
    /// The spot mid price (no confidence band): what the collateral sells
    /// for now, to whoever receives it.
    SpotMid,
    /// The held spot price (`engine::held`): the highest confidence-adjusted
    /// spot reading over more than `breach_persist_secs`, or the higher of
    /// `Trigger` and `Spot` until the market has seen readings that long.
    Held,
    /// The low over the same window: the lowest confidence-adjusted spot
    /// reading, this one included (so never above `Spot`).
    Low,
}

/// The price table: every action and the reading it uses. Opening risk
/// takes the worse of spot and EMA (a wick cannot be borrowed against, nor
/// can a lagging EMA); the liquidation trigger takes the EMA so that a wick
/// does not liquidate. The spot tests (emergency, the partial pre-trigger)
/// and the auction floor take the held spot price: spot, because there the
/// EMA's lag is the danger, but only once a breach has held on every reading
/// for `breach_persist_secs`, so one reading decides nothing and a wick
/// cannot lower a floor. An auction's top takes spot (a higher top only
/// slows the sale). A partial liquidation pays out at the spot mid, so its
/// bonus measured at the market price is exactly the bonus it was sized
/// with: in a fall a lagging EMA would pay the liquidator less than the
/// collateral's worth and no one would take it; the reading it pays at may
/// be at most `payout_max_age_secs` old, which bounds the readings a
/// liquidator can choose among. An LP exit values collateral at the low of
/// the window, so an exit cannot present an older, higher reading to
/// lighten its mark-down while a lower one was recorded.
pub const PRICE_TABLE: [(Action, Basis); 8] = [
    (Action::Borrow, Basis::Conservative),
    (Action::WithdrawCollateral, Basis::Conservative),
    (Action::LiquidationTrigger, Basis::Trigger),
    (Action::Emergency, Basis::Held),
    (Action::AuctionPricing, Basis::Spot),
    (Action::PartialPayout, Basis::SpotMid),
    (Action::AuctionFloor, Basis::Held),
    (Action::LpExit, Basis::Low),
];

pub const fn basis_for(action: Action) -> Basis {
    let mut i = 0;
    while i < PRICE_TABLE.len() {
        if PRICE_TABLE[i].0 as u8 == action as u8 {
            return PRICE_TABLE[i].1;
        }
        i += 1;
    }
    // Every action is in the table (checked by a unit test).
    Basis::Conservative
}

/// How far a publish time may run ahead of the cluster clock, seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 10;

/// One feed's validated readings.
#[derive(Clone, Copy, Debug)]
pub struct FeedPrice {
    pub spot: Reading,
    pub ema: Reading,
    pub publish_time: i64,
}

/// The market's prices at this instruction (collateral in debt units).
#[derive(Clone, Copy, Debug)]
pub struct MarketPrices {
    /// EMA, confidence-adjusted.
    pub trigger: Fp,
    /// Spot, confidence-adjusted.
    pub spot: Fp,
    /// Spot, no confidence adjustment (volatility samples, divergence).
    pub spot_mid: Fp,
    /// EMA, no confidence adjustment.
    pub ema_mid: Fp,
    /// The held spot price (see [`Basis::Held`]).
    pub held: Fp,
    /// The low over the held window (see [`Basis::Low`]).
    pub low: Fp,
    /// The wider `conf / price` of the two feeds' spot readings.
    pub conf_ratio: Fp,
    /// Publish time of the collateral feed's reading, never past the clock.
    pub collateral_time: i64,
    /// Publish time of the debt feed's reading, never past the clock.
    pub debt_time: i64,
}

impl MarketPrices {
    pub fn price(&self, action: Action) -> Fp {
        match basis_for(action) {
            Basis::Trigger => self.trigger,
            Basis::Spot => self.spot,
            Basis::Conservative => self.trigger.min(self.spot),
            Basis::SpotMid => self.spot_mid,
            Basis::Held => self.held,
            Basis::Low => self.low,
        }
    }

    /// The age of the older of the two readings at `now`, seconds.
    pub fn age(&self, now: i64) -> i64 {
        now.saturating_sub(self.collateral_time.min(self.debt_time))
    }
}

/// Reads and validates one `PriceUpdateV2` account.
pub fn load_feed(
    account: &AccountInfo,
    feed_id: &[u8; 32],
    max_age_secs: u32,
    max_conf_bps: u16,
    now: i64,
) -> Result<FeedPrice> {
    require_keys_eq!(
        *account.owner,
        pyth_solana_receiver_sdk::ID,
        ZlError::OracleWrongOwner
    );
    let data = account.try_borrow_data()?;
    let update = PriceUpdateV2::try_deserialize(&mut &data[..])
        .map_err(|_| error!(ZlError::OracleInvalidAccount))?;
    let m = &update.price_message;
    require!(m.feed_id == *feed_id, ZlError::OracleWrongFeed);
    require!(
        update.verification_level == VerificationLevel::Full,
        ZlError::OracleUnverified
    );
    // The cluster clock can lag Pyth's publishers by a few seconds.
    require!(
        m.publish_time <= now.saturating_add(MAX_CLOCK_SKEW_SECS),
        ZlError::OracleFromFuture
    );
    require!(
        now.saturating_sub(m.publish_time) <= max_age_secs as i64,
        ZlError::OracleStale
    );
    let spot = Reading {
        price: m.price,
        conf: m.conf,
        expo: m.exponent,
    };
    let ema = Reading {
        price: m.ema_price,
        conf: m.ema_conf,
        expo: m.exponent,
    };
    let max_conf = Fp::from_bps(max_conf_bps as u64);
    for r in [spot, ema] {
        let ratio = price::conf_ratio_ceil(r)?;
        require!(ratio <= max_conf, ZlError::OracleConfidenceTooWide);
    }
    Ok(FeedPrice {
        spot,
        ema,
        publish_time: m.publish_time,
    })
}

/// Reads both of a market's feeds, derives its prices, and records their
/// publish times and the held-price window on the market. Every price-reading instruction goes through
/// here, so the market remembers the newest reading of each feed it has
/// used and refuses any older one (`oracle/superseded`, no tolerance): a
/// caller cannot pick, among the genuine updates still within
/// `oracle_max_age_secs`, an older one that suits it better (a stale wick
/// to kick a recovered account, a superseded high to borrow against, a
/// superseded dip to lower an auction's floor).
pub fn load_prices(
    market: &mut Market,
    collateral_oracle: &AccountInfo,
    debt_oracle: &AccountInfo,
    now: i64,
) -> Result<MarketPrices> {
    let (prices, window) = read(market, collateral_oracle, debt_oracle, now)?;
    market.collateral_publish_time = prices.collateral_time;
    market.debt_publish_time = prices.debt_time;
    market.set_held_window(window);
    market.anchor_book(prices.spot)?;
    Ok(prices)
}

/// [`load_prices`] from the price accounts an instruction takes as optional
/// accounts, when its rule needs prices: both are then required
/// (`oracle/required`).
pub fn load_required_prices(
    market: &mut Market,
    collateral_oracle: Option<&AccountInfo>,
    debt_oracle: Option<&AccountInfo>,
    now: i64,
) -> Result<MarketPrices> {
    let (Some(co), Some(dor)) = (collateral_oracle, debt_oracle) else {
        return err!(ZlError::OracleRequired);
    };
    load_prices(market, co, dor, now)
}

/// [`load_prices`] without recording: what the market would accept now
/// and the prices it would derive, held price included (the keeper's view).
pub fn read_prices(
    market: &Market,
    collateral_oracle: &AccountInfo,
    debt_oracle: &AccountInfo,
    now: i64,
) -> Result<MarketPrices> {
    Ok(read(market, collateral_oracle, debt_oracle, now)?.0)
}

/// The prices and the held-price window after this reading.
fn read(
    market: &Market,
    collateral_oracle: &AccountInfo,
    debt_oracle: &AccountInfo,
    now: i64,
) -> Result<(MarketPrices, held::Window)> {
    let p = &market.params;
    let c = load_feed(
        collateral_oracle,
        &market.collateral_feed_id,
        p.oracle_max_age_secs,
        p.oracle_max_conf_bps,
        now,
    )?;
    let d = load_feed(
        debt_oracle,
        &market.debt_feed_id,
        p.oracle_max_age_secs,
        p.oracle_max_conf_bps,
        now,
    )?;
    // A reading published up to MAX_CLOCK_SKEW_SECS ahead of the cluster
    // clock is accepted, but counts as published now: the market's newest
    // time never runs ahead of the clock, so one such reading cannot make
    // every current reading look superseded (nor stretch the held window).
    let (c_time, d_time) = (c.publish_time.min(now), d.publish_time.min(now));
    require!(
        c_time >= market.collateral_publish_time && d_time >= market.debt_publish_time,
        ZlError::OracleSuperseded
    );
    let (cd, dd) = (market.collateral_decimals, market.debt_decimals);
    let k = p.conf_k();
    let quote = |cr: Reading, dr: Reading, k: Fp| -> Result<Fp> {
        Ok(price::collateral_in_debt(cr, dr, k, cd, dd)?)
    };
    let conf_ratio = price::conf_ratio_ceil(c.spot)?.max(price::conf_ratio_ceil(d.spot)?);
    let (trigger, spot) = (quote(c.ema, d.ema, k)?, quote(c.spot, d.spot, k)?);
    let window = market
        .held_window()
        .record(c_time, spot, p.breach_persist_secs);
    let prices = MarketPrices {
        trigger,
        spot,
        spot_mid: quote(c.spot, d.spot, Fp::ZERO)?,
        ema_mid: quote(c.ema, d.ema, Fp::ZERO)?,
        held: window.held().unwrap_or(trigger.max(spot)),
        low: window.low().unwrap_or(spot).min(spot),
        conf_ratio,
        collateral_time: c_time,
        debt_time: d_time,
    };
    Ok((prices, window))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_row() {
        let actions = [
            Action::Borrow,
            Action::WithdrawCollateral,
            Action::LiquidationTrigger,
            Action::Emergency,
            Action::AuctionPricing,
            Action::PartialPayout,
            Action::AuctionFloor,
            Action::LpExit,
        ];
        for a in actions {
            assert!(PRICE_TABLE.iter().any(|(x, _)| *x == a), "{a:?}");
        }
        assert_eq!(basis_for(Action::LiquidationTrigger), Basis::Trigger);
        assert_eq!(basis_for(Action::AuctionPricing), Basis::Spot);
        assert_eq!(basis_for(Action::Borrow), Basis::Conservative);
        assert_eq!(basis_for(Action::PartialPayout), Basis::SpotMid);
        assert_eq!(basis_for(Action::Emergency), Basis::Held);
        assert_eq!(basis_for(Action::AuctionFloor), Basis::Held);
        assert_eq!(basis_for(Action::LpExit), Basis::Low);
    }

    #[test]
    fn conservative_takes_the_lower_price() {
        let p = MarketPrices {
            trigger: Fp::from_int(3).unwrap(),
            spot: Fp::from_int(2).unwrap(),
            spot_mid: Fp::ZERO,
            ema_mid: Fp::ZERO,
            held: Fp::ZERO,
            low: Fp::ZERO,
            conf_ratio: Fp::ZERO,
            collateral_time: 0,
            debt_time: 0,
        };
        assert_eq!(p.price(Action::Borrow), Fp::from_int(2).unwrap());
        assert_eq!(
            p.price(Action::LiquidationTrigger),
            Fp::from_int(3).unwrap()
        );
    }
}
