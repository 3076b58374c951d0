use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::emit_event;
use crate::engine::fixed::{to_u64, Fp};
use crate::engine::health::Zone;
use crate::engine::{liquidation, shares};
use crate::errors::{zl, ZlError};
use crate::events::AuctionStarted;
use crate::oracle::{self, Action};
use crate::risk;
use crate::state::{
    owner_kind, pause, seeds, status, Auction, MarginAccount, Market, Protocol, VaultKind,
    ACCOUNT_VERSION,
};
use crate::token_ops;

/// Permissionless kick: a distressed account's slice (or, in emergency, the
/// whole position) moves into a new Auction. The kicker pays the auction's
/// rent (returned at settlement) and is rewarded from the insurance fund.
#[derive(Accounts)]
pub struct StartAuction<'info> {
    #[account(mut)]
    pub kicker: Signer<'info>,
    #[account(seeds = [seeds::PROTOCOL], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, has_one = market @ ZlError::WrongMarket)]
    pub margin_account: Box<Account<'info, MarginAccount>>,
    #[account(init, payer = kicker, space = Auction::SIZE,
        seeds = [seeds::AUCTION, market.key().as_ref(), &market.next_auction_id.to_le_bytes()], bump)]
    pub auction: Box<Account<'info, Auction>>,
    #[account(mut, address = market.vault(VaultKind::Insurance) @ ZlError::WrongVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// Where the keeper reward goes (debt asset).
    #[account(mut, constraint = kicker_debt.mint == market.debt_mint @ ZlError::WrongMint)]
    pub kicker_debt: Box<Account<'info, TokenAccount>>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: a Pyth PriceUpdateV2, validated by `oracle::load_prices`.
    pub debt_oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<StartAuction>) -> Result<()> {
    let bump = ctx.bumps.auction;
    let a = ctx.accounts;
    a.protocol.require_not_paused(pause::LIQUIDATION)?;
    let market = &mut a.market;
    let m = &mut a.margin_account;
    let now = Clock::get()?.unix_timestamp;
    market.accrue_interest(now)?;
    let prices = oracle::load_prices(market, &a.collateral_oracle, &a.debt_oracle, now)?;
    let health = risk::evaluate(market, m.collateral, m.debt_shares, &prices)?;
    let emergency = health.zone == Zone::Emergency;
    require!(health.zone >= Zone::Distressed, ZlError::NotDistressed);
    require!(
        m.open_auctions == 0 || emergency,
        ZlError::AuctionInProgress
    );

    let p = market.params;
    let budget = market.refill_budget(now);
    let spot = prices.price(Action::AuctionPricing);
    let sized = liquidation::kick(&liquidation::KickInput {
        debt: health.debt,
        collateral: m.collateral,
        price: prices.price(Action::LiquidationTrigger).min(spot),
        spot,
        target: Fp::from_bps(p.target_ltv_bps as u64),
        penalty: Fp::from_bps(p.penalty_bps as u64),
        max_discount: Fp::from_bps(p.auction_max_discount_bps as u64),
        buf: Fp::from_bps(p.auction_buf_bps as u64),
        min_position: p.min_position,
        budget: budget.level,
        emergency,
    })
    .map_err(zl)?;

    // The slice's debt leaves as whole shares; the auction's principal is
    // what they are worth (rounded up).
    let moved_shares = if sized.whole {
        m.debt_shares
    } else {
        shares::shares_for_repay_floor(sized.debt_slice as u128, market.index())
            .and_then(to_u64)
            .map_err(zl)?
    };
    require!(moved_shares > 0, ZlError::AmountTooSmall);
    let principal = market.debt_of(moved_shares)?;
    let penalty = Fp::from_bps(p.penalty_bps as u64)
        .mul_int_ceil(principal as u128)
        .and_then(to_u64)
        .map_err(zl)?;
    let tab = principal
        .checked_add(penalty)
        .ok_or(ZlError::MathOverflow)?;

    // The lot follows the principal actually moved (pro rata, rounded down),
    // so the rest of the account keeps at least its share of collateral.
    let lot = if sized.whole {
        sized.lot
    } else {
        liquidation::pro_rata_lot(m.collateral, principal, health.debt).map_err(zl)?
    };
    require!(lot > 0, ZlError::AmountTooSmall);
    m.debt_shares -= moved_shares;
    m.collateral -= lot;
    m.open_auctions = m
        .open_auctions
        .checked_add(1)
        .ok_or(ZlError::MathOverflow)?;
    m.status = status::IN_AUCTION;
    market.total_debt_shares = market
        .total_debt_shares
        .checked_sub(moved_shares)
        .ok_or(ZlError::MathUnderflow)?;
    market.auction_debt = market
        .auction_debt
        .checked_add(principal)
        .ok_or(ZlError::MathOverflow)?;
    let tripped = market.draw_budget(principal, now);
    let id = market.next_auction_id;
    market.next_auction_id = id.checked_add(1).ok_or(ZlError::MathOverflow)?;
    market.open_auctions = market
        .open_auctions
        .checked_add(1)
        .ok_or(ZlError::MathOverflow)?;
    let reward = risk::take_keeper_reward(market, tab, principal)?;

    let auction = &mut a.auction;
    auction.version = ACCOUNT_VERSION;
    auction.bump = bump;
    auction.stage = 0;
    auction.owner_kind = owner_kind::MARGIN;
    auction.id = id;
    auction.market = market.key();
    auction.owner = m.key();
    auction.kicker = a.kicker.key();
    auction.lot = lot;
    auction.tab = tab;
    auction.principal = principal;
    auction.top = sized.top.0;
    auction.stage_start = now;
    auction.created_at = now;
    auction.initial_lot = lot;
    auction.initial_tab = tab;
    auction.invariant()?;
    m.invariant()?;
    market.invariant()?;

    if reward > 0 {
        token_ops::transfer_out(
            &a.token_program,
            market,
            a.insurance_vault.to_account_info(),
            a.kicker_debt.to_account_info(),
            reward,
        )?;
    }
    if tripped {
        crate::events::emit_budget_tripped(market.key());
    }
    emit_event!(AuctionStarted {
        market: market.key(),
        auction: auction.key(),
        id,
        owner: m.key(),
        kicker: a.kicker.key(),
        lot,
        tab,
        principal,
        top: sized.top.0,
        emergency,
        whole_position: sized.whole,
        keeper_reward: reward,
    });
    Ok(())
}
