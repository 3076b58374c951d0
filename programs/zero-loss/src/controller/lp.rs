//! The LP half's transitions: deposits and exits (docs/design.md, section
//! 4.7), with shares minted and burned as token moves, and the one exit
//! price ([`exit_quote`]) that the handler, the keeper and the simulator can
//! all call.

use anchor_lang::prelude::*;

use super::{Moves, Party};
use crate::engine::book::Bound;
use crate::engine::fixed::Fp;
use crate::engine::shares;
use crate::errors::ZlError;
use crate::math::{to_u64, SafeMath};
use crate::oracle::MarketPrices;
use crate::risk;
use crate::state::{Market, VaultKind};

/// Whether an LP move must be priced net of a shortfall in sight: while the
/// market has debt (margin accounts' or open borrower auctions'), and then
/// on prices.
pub fn needs_prices(market: &Market) -> bool {
    market.auction_debt > 0 || market.total_debt_shares > 0
}

/// The prices an LP move reads: loaded by `load` while the market has debt
/// ([`needs_prices`]), else none.
fn prices_if_needed(
    market: &mut Market,
    load: impl FnOnce(&mut Market) -> Result<MarketPrices>,
) -> Result<Option<MarketPrices>> {
    Ok(if needs_prices(market) {
        Some(load(market)?)
    } else {
        None
    })
}

/// The LPs' assets an LP move is priced on: net of the shortfall in sight
/// (`Market::lp_assets_net`) with collateral valued by `worth` and the
/// book's `bound`, on `prices` (required while the market has debt), else
/// the plain assets. An exit takes `risk::lot_valuation` and the upper
/// bound, a deposit `risk::lot_valuation_high` and the lower: each leans
/// against the LP who moves.
fn assets(
    market: &Market,
    prices: Option<&MarketPrices>,
    worth: fn(&Market, &MarketPrices) -> Result<Fp>,
    bound: Bound,
) -> Result<u64> {
    if !needs_prices(market) {
        return market.lp_assets();
    }
    let prices = prices.ok_or_else(|| error!(ZlError::OracleRequired))?;
    market.lp_assets_net(worth(market, prices)?, bound)
}

/// What an exit of `shares_in` shares pays now, rounded down, on a market
/// accrued to now and `prices` (`None` while it has no debt): the LPs'
/// assets net of the shortfall in sight, at the exit's valuation; refused
/// beyond the free liquidity. Nothing is written.
pub fn exit_quote(market: &Market, shares_in: u64, prices: Option<&MarketPrices>) -> Result<u64> {
    let assets = assets(market, prices, risk::lot_valuation, Bound::Upper)?;
    let amount = to_u64(shares::lp_amount_for_withdraw_floor(
        shares_in as u128,
        assets as u128,
        market.lp_shares as u128,
    )?)?;
    require!(amount > 0, ZlError::AmountTooSmall);
    require!(
        amount <= market.free_liquidity(),
        ZlError::InsufficientLiquidity
    );
    Ok(amount)
}

/// Burns `shares_in` of the `held` shares the caller holds for the debt
/// asset they are worth ([`exit_quote`], on the prices `prices` loads while
/// the market has debt). Refused while the circuit breaker is tripped.
pub fn exit(
    market: &mut Market,
    shares_in: u64,
    held: u64,
    now: i64,
    prices: impl FnOnce(&mut Market) -> Result<MarketPrices>,
) -> Result<(Moves, u64)> {
    require!(shares_in > 0, ZlError::ZeroAmount);
    market.require_breaker_clear()?;
    require!(held >= shares_in, ZlError::InsufficientShares);
    market.accrue_interest(now)?;
    let prices = prices_if_needed(market, prices)?;
    let amount = exit_quote(market, shares_in, prices.as_ref())?;
    market.liquidity_amount.safe_sub_assign(amount)?;
    require!(shares_in <= market.lp_shares, ZlError::InvariantViolated);
    market.lp_shares.safe_sub_assign(shares_in)?;
    market.invariant()?;
    let moves = Moves::default()
        .with(Party::CallerShares, Party::LpMint, shares_in)
        .with(
            Party::Vault(VaultKind::Liquidity),
            Party::CallerDebt,
            amount,
        );
    Ok((moves, amount))
}

/// Deposits `amount` of the debt asset for LP shares, rounded down, at
/// least one: priced on the LPs' assets net of the shortfall in sight at the
/// deposit's valuation (collateral at the held floor, the book's lower
/// bound, on the prices `prices` loads while the market has debt), so a new
/// LP neither absorbs a loss already on the books nor buys shares cheap.
/// Refused when shares exist but the assets behind them are nothing.
pub fn deposit(
    market: &mut Market,
    amount: u64,
    now: i64,
    prices: impl FnOnce(&mut Market) -> Result<MarketPrices>,
) -> Result<(Moves, u64)> {
    require!(amount > 0, ZlError::ZeroAmount);
    market.accrue_interest(now)?;
    let prices = prices_if_needed(market, prices)?;
    // The program's own count, not the mint's supply: see Market::lp_shares.
    let supply = market.lp_shares;
    let assets = assets(
        market,
        prices.as_ref(),
        risk::lot_valuation_high,
        Bound::Lower,
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
    let moves = Moves::default()
        .with(
            Party::CallerDebt,
            Party::Vault(VaultKind::Liquidity),
            amount,
        )
        .with(Party::LpMint, Party::CallerShares, minted);
    Ok((moves, minted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::RiskParams;

    fn market() -> Market {
        let mut m: Market = AnchorDeserialize::deserialize(&mut &vec![0u8; Market::INIT_SPACE][..])
            .expect("a zeroed market");
        m.open_book();
        m.params = RiskParams::example();
        m.borrow_index = Fp::ONE.0;
        m.last_accrual_ts = 1_000;
        m
    }

    fn no_prices(_: &mut Market) -> Result<MarketPrices> {
        err!(ZlError::OracleRequired)
    }

    #[test]
    fn an_exit_pays_its_quote_and_moves_shares_through_the_mint() {
        let mut m = market();
        let (moves, minted) = deposit(&mut m, 1_000_000, 1_000, no_prices).unwrap();
        assert_eq!(minted, 1_000_000, "the first deposit mints one for one");
        let v: Vec<_> = moves.iter().copied().collect();
        assert_eq!(v[1].from, Party::LpMint);
        assert_eq!(v[1].to, Party::CallerShares);
        let quote = exit_quote(&m, 400_000, None).unwrap();
        let (moves, paid) = exit(&mut m, 400_000, minted, 1_000, no_prices).unwrap();
        assert_eq!(paid, quote);
        let v: Vec<_> = moves.iter().copied().collect();
        assert_eq!(
            (v[0].from, v[0].to, v[0].amount),
            (Party::CallerShares, Party::LpMint, 400_000)
        );
        assert_eq!(m.lp_shares, 600_000);
        // More than the caller holds, or than the free liquidity, is refused.
        assert!(exit(&mut m, 600_001, 600_001, 1_000, no_prices).is_err());
        assert!(exit(&mut m, 10, 5, 1_000, no_prices).is_err());
    }

    #[test]
    fn with_debt_an_lp_move_needs_prices() {
        let mut m = market();
        deposit(&mut m, 1_000_000, 1_000, no_prices).unwrap();
        m.total_debt_shares = 1;
        assert!(needs_prices(&m));
        assert!(exit_quote(&m, 10, None).is_err());
        assert!(exit(&mut m, 10, 10, 1_000, no_prices).is_err());
        assert!(deposit(&mut m, 10, 1_000, no_prices).is_err());
    }
}
