//! Auctions: kick (a margin account's slice or POL's collateral), bid,
//! backstop, restart, and settlement with the waterfall.

use anchor_lang::prelude::*;

use super::{Moves, Party};
use crate::engine::auction::{self, Fill};
use crate::engine::fixed::Fp;
use crate::engine::health::Zone;
use crate::engine::liquidation::{self, KickInput};
use crate::engine::{shares, waterfall};
use crate::errors::ZlError;
use crate::math::{to_u64, SafeMath};
use crate::oracle::{Action, MarketPrices};
use crate::risk;
use crate::state::{
    AccountStatus, Auction, MarginAccount, Market, OwnerKind, Proceeds, VaultKind, ACCOUNT_VERSION,
};

/// The identity of a new auction account (the handler knows the keys).
#[derive(Clone, Copy, Debug)]
pub struct NewAuction {
    pub market: Pubkey,
    /// The margin account (a borrower's slice) or the market (POL's lot).
    pub owner: Pubkey,
    /// Who kicked it and paid its rent.
    pub kicker: Pubkey,
    pub bump: u8,
}

/// A kick as booked.
#[derive(Clone, Copy, Debug)]
pub struct KickOutcome {
    pub id: u64,
    pub lot: u64,
    pub tab: u64,
    pub principal: u64,
    pub top: Fp,
    pub emergency: bool,
    pub whole_position: bool,
    /// Paid to the kicker from the insurance fund.
    pub keeper_reward: u64,
    pub budget_tripped: bool,
    pub moves: Moves,
}

/// Whether a stage may be restarted: older than `tail`, or its curve price
/// under `cusp * top` (the auction's own terms).
pub fn restart_due(au: &Auction, now: i64) -> Result<bool> {
    let t = &au.terms;
    Ok(auction::restart_allowed(
        au.top(),
        au.elapsed(now),
        t.curve(),
        t.tail_secs as u64,
        Fp::from_bps(t.cusp_bps as u64),
    )?)
}

/// Whether a borrower's auction is at its last stage (no restart left; the
/// backstop takes over). POL's own auctions restart without limit.
pub fn is_last_stage(au: &Auction) -> bool {
    au.owner_kind == OwnerKind::Margin && au.stage as u16 + 1 >= au.terms.max_stages as u16
}

/// Collateral POL's debt asset pays for at `floor` (rounded down): the
/// backstop needs at least one unit; the keeper asks before sending.
pub fn pol_affordable(market: &Market, floor: Fp) -> Result<u64> {
    to_u64(floor.div_int_floor(market.pol_debt_amount as u128)?)
}

/// Whether POL may buy a borrower's open auction now: at its last stage once
/// a restart would be due, or whenever the curve has reached `floor`.
pub fn backstop_allowed(au: &Auction, floor: Fp, now: i64) -> Result<bool> {
    if au.owner_kind != OwnerKind::Margin || au.is_done() {
        return Ok(false);
    }
    let last_stage_stale = is_last_stage(au) && restart_due(au, now)?;
    Ok(last_stage_stale || auction::at_floor(au.top(), au.elapsed(now), au.terms.curve(), floor)?)
}

fn open_auction(
    market: &mut Market,
    au: &mut Auction,
    new: &NewAuction,
    owner_kind: OwnerKind,
    (lot, tab, principal): (u64, u64, u64),
    top: Fp,
    now: i64,
) -> Result<u64> {
    let id = market.next_auction_id;
    market.next_auction_id.safe_add_assign(1)?;
    market.open_auctions.safe_add_assign(1)?;
    au.version = ACCOUNT_VERSION;
    au.bump = new.bump;
    au.stage = 0;
    au.owner_kind = owner_kind;
    au.id = id;
    au.market = new.market;
    au.owner = new.owner;
    au.kicker = new.kicker;
    au.lot = lot;
    au.tab = tab;
    au.principal = principal;
    au.top = top.0;
    au.stage_start = now;
    au.created_at = now;
    au.initial_lot = lot;
    au.initial_tab = tab;
    au.rewards_paid = 0;
    au.terms = market.params.auction_terms();
    au.invariant()?;
    Ok(id)
}

/// `start_auction`: a distressed account's slice (or, in emergency, the
/// whole position) moves into `au`. The slice leaves as whole debt shares;
/// the principal is what they are worth (rounded up), and the penalty and
/// the pro-rata lot follow that principal. The kicker is rewarded from the
/// insurance fund.
pub fn kick(
    market: &mut Market,
    account: &mut MarginAccount,
    au: &mut Auction,
    new: &NewAuction,
    prices: &MarketPrices,
    now: i64,
) -> Result<KickOutcome> {
    market.accrue_interest(now)?;
    let health = risk::evaluate(market, account.collateral, account.debt_shares, prices)?;
    let emergency = health.zone == Zone::Emergency;
    require!(health.zone >= Zone::Distressed, ZlError::NotDistressed);
    require!(
        account.open_auctions == 0 || emergency,
        ZlError::AuctionInProgress
    );

    let p = market.params;
    let budget = market.refill_budget(now);
    let spot = prices.price(Action::AuctionPricing);
    let penalty_rate = Fp::from_bps(p.penalty_bps as u64);
    let size = liquidation::kick(&KickInput {
        debt: health.debt,
        collateral: account.collateral,
        price: prices.price(Action::LiquidationTrigger).min(spot),
        target: Fp::from_bps(p.target_ltv_bps as u64),
        penalty: penalty_rate,
        min_position: p.min_position,
        budget: budget.level,
        emergency,
    })?;
    let moved_shares = if size.whole {
        account.debt_shares
    } else {
        to_u64(shares::shares_for_repay_floor(
            size.debt_slice as u128,
            market.index(),
        )?)?
    };
    require!(moved_shares > 0, ZlError::AmountTooSmall);
    let principal = market.debt_of(moved_shares)?;
    // Rounded down: the rest of the account keeps at least its share, so its
    // LTV cannot rise while the slice sells.
    let lot = if size.whole {
        account.collateral
    } else {
        liquidation::pro_rata_lot(account.collateral, principal, health.debt)?
    };
    require!(lot > 0, ZlError::AmountTooSmall);
    let tab = principal.safe_add(liquidation::penalty_ceil(principal, penalty_rate)?)?;
    let top = auction::top(spot, p.auction_terms().buf())?;

    let shares_left = account.debt_shares.safe_sub(moved_shares)?;
    let collateral_left = account.collateral.safe_sub(lot)?;
    market.set_position(account, collateral_left, shares_left)?;
    account.open_auctions.safe_add_assign(1)?;
    account.status = AccountStatus::InAuction;
    market.total_debt_shares.safe_sub_assign(moved_shares)?;
    market.auction_debt.safe_add_assign(principal)?;
    market.auction_lots.safe_add_assign(lot)?;
    let budget_tripped = market.draw_budget(principal, now);
    let id = open_auction(
        market,
        au,
        new,
        OwnerKind::Margin,
        (lot, tab, principal),
        top,
        now,
    )?;
    let keeper_reward = risk::take_keeper_reward(market, au)?;
    account.invariant()?;
    market.invariant()?;
    Ok(KickOutcome {
        id,
        lot,
        tab,
        principal,
        top,
        emergency,
        whole_position: size.whole,
        keeper_reward,
        budget_tripped,
        moves: Moves::default().with(
            Party::Vault(VaultKind::Insurance),
            Party::CallerDebt,
            keeper_reward,
        ),
    })
}

/// What `start_auction` would do now, run on copies (a scratch auction
/// account): the keeper's kick decision.
pub fn preview_kick(
    market: &Market,
    account: &MarginAccount,
    account_key: Pubkey,
    prices: &MarketPrices,
    now: i64,
) -> Result<KickOutcome> {
    let (mut market, mut account) = (market.clone(), account.clone());
    let mut scratch = Auction::deserialize(&mut &[0u8; Auction::INIT_SPACE][..])?;
    let new = NewAuction {
        market: Pubkey::default(),
        owner: account_key,
        kicker: Pubkey::default(),
        bump: 0,
    };
    kick(&mut market, &mut account, &mut scratch, &new, prices, now)
}

/// `start_pol_auction`: `lot` of POL's collateral goes up for auction with a
/// tab of its spot value (rounded down) and no penalty.
pub fn kick_pol(
    market: &mut Market,
    au: &mut Auction,
    new: &NewAuction,
    prices: &MarketPrices,
    now: i64,
    lot: u64,
) -> Result<KickOutcome> {
    require!(lot > 0, ZlError::ZeroAmount);
    let spot = prices.price(Action::AuctionPricing);
    let tab = to_u64(spot.mul_int_floor(lot as u128)?)?;
    require!(tab > 0, ZlError::AmountTooSmall);
    let top = auction::top(spot, market.params.auction_terms().buf())?;
    require!(
        lot <= market.pol_collateral_amount,
        ZlError::InsufficientPol
    );
    market.pol_collateral_amount.safe_sub_assign(lot)?;
    market.total_collateral.safe_add_assign(lot)?;
    let id = open_auction(market, au, new, OwnerKind::Pol, (lot, tab, tab), top, now)?;
    market.invariant()?;
    Ok(KickOutcome {
        id,
        lot,
        tab,
        principal: tab,
        top,
        emergency: false,
        whole_position: false,
        keeper_reward: 0,
        budget_tripped: false,
        moves: Moves::default().with(
            Party::Vault(VaultKind::PolCollateral),
            Party::Vault(VaultKind::Collateral),
            lot,
        ),
    })
}

/// A fill as booked (a bid or the backstop).
#[derive(Clone, Copy, Debug)]
pub struct FillOutcome {
    /// The price paid, debt units per collateral unit.
    pub price: Fp,
    pub fill: Fill,
    pub proceeds: Proceeds,
    pub moves: Moves,
}

impl FillOutcome {
    pub fn penalty(&self) -> u64 {
        self.proceeds.penalty.1
    }
}

fn booked_fill(
    market: &mut Market,
    au: &mut Auction,
    fill: Fill,
    price: Fp,
    payer: Party,
    receiver: Party,
) -> Result<FillOutcome> {
    let proceeds = market.book_fill(au, &fill)?;
    au.invariant()?;
    market.invariant()?;
    let moves = Moves::default()
        .with(
            payer,
            Party::Vault(proceeds.principal.0),
            proceeds.principal.1,
        )
        .with(payer, Party::Vault(proceeds.penalty.0), proceeds.penalty.1)
        .with(Party::Vault(VaultKind::Collateral), receiver, fill.slice);
    Ok(FillOutcome {
        price,
        fill,
        proceeds,
        moves,
    })
}

/// What a bid on `au` pays now, on the auction's own terms: the curve's
/// price, never under the floor (`risk::auction_floor` on the held price).
/// The one quote the `bid` handler and the keeper both use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BidQuote {
    pub floor: Fp,
    pub price: Fp,
}

pub fn bid_quote(au: &Auction, prices: &MarketPrices, now: i64) -> Result<BidQuote> {
    let floor = risk::auction_floor(&au.terms, prices)?;
    let price = auction::bid_price(au.top(), au.elapsed(now), au.terms.curve(), floor)?;
    Ok(BidQuote { floor, price })
}

/// `bid`: buys up to `max_lot` at the curve's price (never below the floor
/// on the held spot price), refused above `max_price`.
pub fn bid(
    market: &mut Market,
    au: &mut Auction,
    prices: &MarketPrices,
    now: i64,
    max_lot: u64,
    max_price: u128,
) -> Result<FillOutcome> {
    require!(max_lot > 0, ZlError::ZeroAmount);
    require!(!au.is_done(), ZlError::AuctionDone);
    let quote = bid_quote(au, prices, now)?;
    let price = quote.price;
    require!(price.0 <= max_price, ZlError::TooExpensive);
    // What a bid leaves is nothing, or at least the dust limit and one
    // unit's worth at the floor (rounded up), so the last unit never sells
    // under the floor.
    let unit_at_floor = to_u64(quote.floor.mul_int_ceil(1)?)?;
    let min_left = au.terms.min_position.max(unit_at_floor);
    let fill = auction::fill(au.lot, au.tab, au.principal, max_lot, price, min_left)?;
    booked_fill(
        market,
        au,
        fill,
        price,
        Party::CallerDebt,
        Party::CallerCollateral,
    )
}

/// `backstop`: POL's debt vault buys a borrower's lot at the floor, never
/// above the live spot (`risk::backstop_price`), as far as its balance
/// allows, when [`backstop_allowed`]. No dust rule: POL is
/// the buyer of last resort and settlement follows.
pub fn backstop(
    market: &mut Market,
    au: &mut Auction,
    prices: &MarketPrices,
    now: i64,
) -> Result<FillOutcome> {
    require!(
        au.owner_kind == OwnerKind::Margin,
        ZlError::WrongAuctionKind
    );
    require!(!au.is_done(), ZlError::AuctionDone);
    let floor = risk::auction_floor(&au.terms, prices)?;
    require!(
        backstop_allowed(au, floor, now)?,
        ZlError::BackstopNotAllowed
    );
    let price = risk::backstop_price(&au.terms, prices)?;
    let affordable = pol_affordable(market, price)?;
    require!(affordable > 0, ZlError::InsufficientPol);
    let fill = auction::fill(au.lot, au.tab, au.principal, affordable, price, 0)?;
    require!(fill.owe <= market.pol_debt_amount, ZlError::InsufficientPol);
    market.pol_debt_amount.safe_sub_assign(fill.owe)?;
    market.pol_collateral_amount.safe_add_assign(fill.slice)?;
    booked_fill(
        market,
        au,
        fill,
        price,
        Party::Vault(VaultKind::PolDebt),
        Party::Vault(VaultKind::PolCollateral),
    )
}

/// What `backstop` would do now, run on copies: the keeper's backstop decision (an `Err`
/// is the handler's refusal).
pub fn preview_backstop(
    market: &Market,
    au: &Auction,
    prices: &MarketPrices,
    now: i64,
) -> Result<FillOutcome> {
    backstop(&mut market.clone(), &mut au.clone(), prices, now)
}

/// A restart as booked.
#[derive(Clone, Copy, Debug)]
pub struct RestartOutcome {
    pub stage: u8,
    pub top: Fp,
    pub keeper_reward: u64,
    pub moves: Moves,
}

/// `restart_auction`: once [`restart_due`], a new stage from a top on the
/// current spot price; the caller is rewarded from the insurance fund. A
/// borrower's auction at its last stage goes to the backstop instead.
pub fn restart(
    market: &mut Market,
    au: &mut Auction,
    prices: &MarketPrices,
    now: i64,
) -> Result<RestartOutcome> {
    require!(!au.is_done(), ZlError::AuctionDone);
    require!(restart_due(au, now)?, ZlError::RestartTooEarly);
    require!(!is_last_stage(au), ZlError::MaxStagesReached);
    let top = auction::top(prices.price(Action::AuctionPricing), au.terms.buf())?;
    au.top = top.0;
    // POL's auctions restart without limit; the counter stops at 255.
    au.stage = au.stage.saturating_add(1);
    au.stage_start = now;
    let keeper_reward = risk::take_keeper_reward(market, au)?;
    au.invariant()?;
    market.invariant()?;
    Ok(RestartOutcome {
        stage: au.stage,
        top,
        keeper_reward,
        moves: Moves::default().with(
            Party::Vault(VaultKind::Insurance),
            Party::CallerDebt,
            keeper_reward,
        ),
    })
}

/// What `restart_auction` would do now, run on copies: the keeper's restart decision.
pub fn preview_restart(
    market: &Market,
    au: &Auction,
    prices: &MarketPrices,
    now: i64,
) -> Result<RestartOutcome> {
    restart(&mut market.clone(), &mut au.clone(), prices, now)
}

/// A settlement as booked.
#[derive(Clone, Copy, Debug)]
pub struct SettleOutcome {
    /// Debt raised over the auction's life.
    pub raised: u64,
    /// Leftover collateral returned to the owner.
    pub collateral_returned: u64,
    /// How the principal shortfall was covered.
    pub cover: waterfall::Cover,
    /// The unpaid penalty, forgiven.
    pub penalty_forgiven: u64,
    pub moves: Moves,
}

/// `settle_auction`: closes a done auction. A borrower's leftover collateral
/// returns to its account and the principal shortfall is covered by the
/// insurance fund, then POL, and the rest is recorded as bad debt; POL's
/// leftover lot returns to the POL collateral vault. `account` is the
/// owning margin account (`None` for POL's lots) with its key.
pub fn settle(
    market: &mut Market,
    market_key: &Pubkey,
    au: &Auction,
    account: Option<(&mut MarginAccount, Pubkey)>,
) -> Result<SettleOutcome> {
    require!(au.is_done(), ZlError::AuctionNotDone);
    let (lot, principal) = (au.lot, au.principal);
    let mut cover = waterfall::Cover::default();
    let mut moves = Moves::default();
    match (au.owner_kind, account) {
        (OwnerKind::Margin, Some((m, key))) => {
            require_keys_eq!(key, au.owner, ZlError::WrongAuctionOwner);
            // Leftover collateral stays in the collateral vault, back on the account.
            let collateral = m.collateral.safe_add(lot)?;
            market.set_position(m, collateral, m.debt_shares)?;
            market.auction_lots.safe_sub_assign(lot)?;
            m.open_auctions.safe_sub_assign(1)?;
            if m.open_auctions == 0 {
                m.status = AccountStatus::Active;
            }
            m.invariant()?;
            cover = waterfall::cover(principal, market.insurance_amount, market.pol_debt_amount);
            market.insurance_amount.safe_sub_assign(cover.insurance)?;
            market.pol_debt_amount.safe_sub_assign(cover.pol)?;
            market
                .liquidity_amount
                .safe_add_assign(cover.insurance.safe_add(cover.pol)?)?;
            market.auction_debt.safe_sub_assign(principal)?;
            market.recorded_bad_debt.safe_add_assign(cover.bad_debt)?;
            let liquidity = Party::Vault(VaultKind::Liquidity);
            moves.push(
                Party::Vault(VaultKind::Insurance),
                liquidity,
                cover.insurance,
            );
            moves.push(Party::Vault(VaultKind::PolDebt), liquidity, cover.pol);
        }
        (OwnerKind::Pol, None) => {
            require_keys_eq!(au.owner, *market_key, ZlError::WrongAuctionOwner);
            market.total_collateral.safe_sub_assign(lot)?;
            market.pol_collateral_amount.safe_add_assign(lot)?;
            moves.push(
                Party::Vault(VaultKind::Collateral),
                Party::Vault(VaultKind::PolCollateral),
                lot,
            );
        }
        _ => return err!(ZlError::WrongAuctionOwner),
    }
    market.open_auctions.safe_sub_assign(1)?;
    market.invariant()?;
    Ok(SettleOutcome {
        raised: au.initial_tab.safe_sub(au.tab)?,
        collateral_returned: lot,
        cover,
        penalty_forgiven: au.tab.safe_sub(au.principal)?,
        moves,
    })
}
