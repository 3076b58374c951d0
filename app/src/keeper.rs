//! The keeper core, written once and generic over [`Chain`]: refresh the
//! market, judge every margin account with the program's own health code,
//! and liquidate, kick, bid, restart, backstop and settle. Lost races are
//! logged and skipped.

use std::collections::{BTreeMap, HashMap};

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::AccountDeserialize;
use solana_account::Account;
use zero_loss::client::{decode_events, MarketKeys};
use zero_loss::controller::{auction as rules, liquidation};
use zero_loss::engine::fixed::Fp;
use zero_loss::engine::health::Zone;
use zero_loss::errors::ZlError;
use zero_loss::events::{
    AuctionBackstopped, AuctionBid, AuctionRestarted, AuctionSettled, AuctionStarted,
    PartialLiquidated,
};
use zero_loss::oracle::{self, MarketPrices};
use zero_loss::state::{seeds, Auction, MarginAccount, Market, OwnerKind};

use crate::chain::{Chain, SendOutcome};
use crate::histogram::Histogram;

/// What the keeper is configured with.
#[derive(Clone, Debug)]
pub struct KeeperConfig {
    pub market: Pubkey,
    /// The Pyth `PriceUpdateV2` accounts of the market's two feeds.
    pub collateral_oracle: Pubkey,
    pub debt_oracle: Pubkey,
    /// The keeper's token accounts (debt asset pays, collateral receives).
    pub debt_account: Pubkey,
    pub collateral_account: Pubkey,
    /// Bid only when the auction price is this far under the reference, bps.
    pub edge_bps: u64,
    /// What one transaction costs the keeper (base and priority fee), debt native units: a
    /// take must return it on top of the edge.
    pub tx_cost: u64,
    /// What each account past the first adds to a batch's fee, debt native units.
    pub tx_cost_per_account: u64,
    /// Refresh the market when its last refresh is older than this, seconds (the
    /// heartbeat: reserves swept, a quiet market's volatility sampled).
    pub refresh_secs: i64,
    /// Refresh sooner when the volatility buffer a refresh would write is wider than the
    /// one in force by at least this, bps (`u64::MAX`: never). The buffer sets the borrow
    /// limit and the partial zone's top: a wider one protects lenders at once; a narrower
    /// one (more room to borrow) waits for the heartbeat.
    pub buffer_move_bps: u64,
    /// While some account is past the threshold on spot but not yet on the market's held
    /// price (a breach the held price has not seen last `breach_persist_secs`), refresh at
    /// least this often, so the market sees the readings that make it hold. Seconds; at
    /// most `refresh_secs` to matter. Only while the keeper's own looks come at most
    /// `breach_persist_secs` apart: a longer silence starts the held window again, so
    /// such refreshes could never make a breach hold.
    pub watch_secs: i64,
    /// Kick an account past the partial zone that liquidators may still take
    /// (`partial_open`: distressed, or an emergency solvent at the trigger) only once it has
    /// been offered this long at the keeper's looks, seconds; one they cannot take at once.
    pub kick_after_secs: i64,
    /// What this keeper does.
    pub role: Role,
}

/// What a keeper does: maintenance (refresh, kick, restart, backstop, settle), taking
/// (partial liquidations and bids, for its own account), or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Role {
    pub maintain: bool,
    pub take: bool,
    /// Debt native units committed to takes per tick at most.
    pub capital: u64,
    /// Takes per tick at most.
    pub max_takes: usize,
}

impl Role {
    /// Everything, limited only by the keeper's balance.
    pub const FULL: Role = Role {
        maintain: true,
        take: true,
        capital: u64::MAX,
        max_takes: usize::MAX,
    };
    /// Maintenance only: the simulator's keeper, beside its bidders.
    pub const MAINTAIN: Role = Role {
        maintain: true,
        take: false,
        capital: 0,
        max_takes: 0,
    };

    /// Taking only, with `capital` per tick and at most `max_takes` takes.
    pub const fn taker(capital: u64, max_takes: usize) -> Role {
        Role {
            maintain: false,
            take: true,
            capital,
            max_takes,
        }
    }
}

/// Where the keeper would sell collateral: the price it can get for an
/// amount (debt native units per collateral native unit, averaged over the
/// sale). Over RPC this is the oracle's spot; in the simulator, the pool.
pub trait Venue {
    fn sell_price(&self, collateral: u64) -> Option<Fp>;
}

/// The oracle's spot price as the reference, whatever the size.
pub struct OracleVenue(pub Fp);

impl Venue for OracleVenue {
    fn sell_price(&self, _collateral: u64) -> Option<Fp> {
        Some(self.0)
    }
}

/// An event the keeper's own transactions produced.
#[derive(Clone, Debug)]
pub enum KeeperEvent {
    Partial(PartialLiquidated),
    Kick(AuctionStarted),
    Bid(AuctionBid),
    Restart(AuctionRestarted),
    Backstop(AuctionBackstopped),
    Settle(AuctionSettled),
}

impl KeeperEvent {
    /// One line for the operator's log (amounts in native units).
    pub fn summary(&self) -> String {
        match self {
            KeeperEvent::Partial(e) => format!(
                "partial liquidation of {}: repaid {}, collateral {} (bonus {} bps), LTV {} -> {} bps",
                e.margin_account, e.repaid, e.collateral_out, e.bonus_bps, e.ltv_before_bps, e.ltv_after_bps
            ),
            KeeperEvent::Kick(e) => format!(
                "auction {} (id {}) started for {}: lot {}, tab {}{}, reward {}",
                e.auction,
                e.id,
                e.owner,
                e.lot,
                e.tab,
                if e.emergency { " (emergency)" } else { "" },
                e.keeper_reward
            ),
            KeeperEvent::Bid(e) => format!(
                "bid on {}: bought {} for {}, lot left {}, tab left {}",
                e.auction, e.collateral, e.paid, e.lot_left, e.tab_left
            ),
            KeeperEvent::Restart(e) => format!("auction {} restarted at stage {}", e.auction, e.stage),
            KeeperEvent::Backstop(e) => format!(
                "POL backstop on {}: bought {} for {}, tab left {}",
                e.auction, e.collateral, e.paid, e.tab_left
            ),
            KeeperEvent::Settle(e) => format!(
                "auction {} settled: raised {}, collateral returned {}, insurance {}, POL {}, bad debt {}",
                e.auction, e.raised, e.collateral_returned, e.insurance_paid, e.pol_paid, e.bad_debt
            ),
        }
    }
}

/// Counters of one kind of transaction (`refresh_market`, `liquidate_partial` ...).
#[derive(Clone, Debug, Default)]
pub struct ActionStats {
    pub sent: u64,
    pub landed: u64,
    /// Refusals that mean another keeper got there first ([`is_race`]).
    pub races: u64,
    /// Every refusal by reason ([`refusal_reason`]), races included.
    pub refused: BTreeMap<String, u64>,
    /// Seconds from send to outcome.
    pub latency: Histogram,
}

/// Counters over the keeper's life.
#[derive(Clone, Debug, Default)]
pub struct KeeperStats {
    /// By action, for the metrics.
    pub actions: BTreeMap<String, ActionStats>,
    /// Lamports paid for landed transactions (signatures and priority fee), as the
    /// chain reports them.
    pub fees_lamports: u64,
    pub transactions: u64,
    pub failed: u64,
    pub races_lost: u64,
    pub refreshes: u64,
    /// `liquidate_partial` transactions (one account each).
    pub partials: u64,
    /// `liquidate_batch` transactions, and the accounts they liquidated.
    pub batches: u64,
    pub batched: u64,
    pub kicks: u64,
    pub bids: u64,
    pub restarts: u64,
    pub backstops: u64,
    pub settlements: u64,
    /// Times an account or auction was set aside after repeated refusals.
    pub skipped: u64,
}

/// Why the keeper refreshes the market (`Keeper::refresh_due`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefreshDue {
    Heartbeat,
    Watch,
    Breaker,
    Widens,
}

/// What [`Keeper::look`] leaves for the rest of the tick.
struct Look {
    now: i64,
    /// The market as read (after this tick's refresh, if any); its next auction id moves
    /// with this tick's kicks.
    market: Market,
    prices: MarketPrices,
    keys: MarketKeys,
    keeper: Pubkey,
    /// The keeper's debt account exists: kicks and restarts pay their reward there.
    tips_payable: bool,
}

/// Partial liquidations gathered for one transaction, and the market as the program
/// would leave it after them (the next plans are made on it).
#[derive(Default)]
struct Batch {
    market: Option<Market>,
    keys: Vec<Pubkey>,
    repays: Vec<u64>,
    repaid: u64,
    collateral_out: u64,
}

impl Batch {
    fn add(&mut self, key: Pubkey, max_repay: u64, plan: &liquidation::PartialPlan) {
        self.keys.push(key);
        self.repays.push(max_repay);
        self.repaid = self.repaid.saturating_add(plan.repaid);
        self.collateral_out = self.collateral_out.saturating_add(plan.collateral_out);
    }
}

/// Accounts counted by zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZoneCounts {
    pub healthy: usize,
    pub buffer: usize,
    pub distressed: usize,
    pub emergency: usize,
}

impl ZoneCounts {
    pub fn add(&mut self, zone: Zone) {
        *match zone {
            Zone::Healthy => &mut self.healthy,
            Zone::Buffer => &mut self.buffer,
            Zone::Distressed => &mut self.distressed,
            Zone::Emergency => &mut self.emergency,
        } += 1;
    }

    /// Accounts past the liquidation threshold (distressed or emergency).
    pub fn past_threshold(&self) -> usize {
        self.distressed + self.emergency
    }
}

/// What one tick saw and did.
#[derive(Clone, Debug, Default)]
pub struct TickReport {
    pub accounts_checked: usize,
    pub zones: ZoneCounts,
    pub open_auctions: usize,
    /// Margin accounts open to a partial liquidation (`partial_open`).
    pub buffer: Vec<Pubkey>,
    pub events: Vec<KeeperEvent>,
    /// The prices read valid (stale or abnormal readings are reported, not acted on).
    pub prices_ok: bool,
    /// Seconds since the older of the two readings, when they were valid.
    pub oracle_age_secs: Option<i64>,
    /// The keeper's token balances, native units (`None`: the account is missing).
    pub debt_balance: Option<u64>,
    pub collateral_balance: Option<u64>,
    /// What stopped this keeper's work (a missing token account).
    pub missing: Vec<String>,
    /// The cluster's time the tick read.
    pub now: i64,
}

/// Program errors that mean another keeper (or the market) got there first:
/// logged and skipped, never retried.
pub const RACE_ERRORS: [ZlError; 10] = [
    ZlError::AccountHealthy,
    ZlError::NotInBufferZone,
    ZlError::NotDistressed,
    ZlError::AuctionInProgress,
    ZlError::AuctionDone,
    ZlError::AuctionNotDone,
    ZlError::RestartTooEarly,
    ZlError::TooExpensive,
    ZlError::BudgetExhausted,
    ZlError::NothingLiquidated,
];

/// Anchor's "account not initialized" (3012): the auction was settled.
const ACCOUNT_NOT_INITIALIZED: u32 = 3012;
/// Anchor's seeds mismatch (2006): another kick took this auction id.
const CONSTRAINT_SEEDS: u32 = 2006;

/// The name a refusal is counted under: the program error's variant, `anchor_<code>` for
/// the framework's, `other` for a failure without a program error.
pub fn refusal_reason(code: Option<u32>) -> String {
    let Some(c) = code else {
        return "other".into();
    };
    c.checked_sub(anchor_lang::error::ERROR_CODE_OFFSET)
        .and_then(|i| ZlError::ALL.get(i as usize))
        .map_or_else(|| format!("anchor_{c}"), |e| e.name())
}

pub fn is_race(code: Option<u32>) -> bool {
    let Some(c) = code else { return false };
    c == ACCOUNT_NOT_INITIALIZED
        || c == CONSTRAINT_SEEDS
        || RACE_ERRORS
            .iter()
            .any(|e| anchor_lang::error::ERROR_CODE_OFFSET + *e as u32 == c)
}

pub struct Keeper {
    pub cfg: KeeperConfig,
    pub stats: KeeperStats,
    /// The lowest auction id that may still be open.
    first_open_auction: u64,
    last_refresh: i64,
    /// When the keeper last looked.
    last_tick: i64,
    /// The widest volatility buffer this keeper's refreshes have written since its last
    /// heartbeat refresh.
    widest: Fp,
    /// When each account now past the partial zone and still offered to liquidators was
    /// first seen so.
    offered_since: HashMap<Pubkey, i64>,
    /// At the last look some account was past the threshold on spot and not on the held
    /// price (see [`KeeperConfig::watch_secs`]).
    watching: bool,
    /// Capital and takes left in the current tick.
    capital_left: u64,
    takes_left: usize,
    /// When to stop trying an account or auction that keeps being refused.
    pub skip: SkipPolicy,
    /// Refusals (not races) in a row by account or auction, and the skip they earned.
    failures: HashMap<Pubkey, Failures>,
}

/// An account or auction refused `after_failures` times in a row (lost races not counted) is
/// left alone for `for_secs`, so one bad account cannot eat every tick's sends and fees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkipPolicy {
    /// 0: never skip.
    pub after_failures: u32,
    pub for_secs: i64,
}

impl Default for SkipPolicy {
    fn default() -> SkipPolicy {
        SkipPolicy {
            after_failures: 3,
            for_secs: 60,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Failures {
    count: u32,
    until: i64,
}

/// The amount of an SPL token account (`None` if it is not one).
pub fn token_amount(acc: &Account) -> Option<u64> {
    if acc.owner != anchor_spl::token::ID {
        return None;
    }
    anchor_spl::token::TokenAccount::try_deserialize(&mut acc.data.as_slice())
        .ok()
        .map(|t| t.amount)
}

fn decode<T: AccountDeserialize>(acc: &Account) -> Option<T> {
    T::try_deserialize(&mut acc.data.as_slice()).ok()
}

/// Validated prices from two fetched `PriceUpdateV2` accounts, through the
/// program's own oracle code.
pub fn prices_from_accounts(
    market: &Market,
    collateral: (&Pubkey, &Account),
    debt: (&Pubkey, &Account),
    now: i64,
) -> anyhow::Result<MarketPrices> {
    let (mut cl, mut cd) = (collateral.1.lamports, collateral.1.data.clone());
    let (mut dl, mut dd) = (debt.1.lamports, debt.1.data.clone());
    let ci = AccountInfo::new(
        collateral.0,
        false,
        false,
        &mut cl,
        &mut cd,
        &collateral.1.owner,
        false,
    );
    let di = AccountInfo::new(debt.0, false, false, &mut dl, &mut dd, &debt.1.owner, false);
    oracle::read_prices(market, &ci, &di, now).map_err(|e| anyhow::anyhow!("oracle: {e}"))
}

/// The volatility buffer a refresh now would write: the program's own sample
/// (`Market::sample_volatility`) run on a copy of the market.
pub fn buffer_after_refresh(market: &Market, prices: &MarketPrices) -> Option<Fp> {
    let mut after = market.clone();
    after
        .sample_volatility(prices.spot_mid, prices.collateral_time)
        .ok()?;
    after.buffer().ok()
}

/// The market at `market`.
pub async fn fetch_market<C: Chain>(chain: &mut C, market: Pubkey) -> anyhow::Result<Market> {
    let acc = chain.get_accounts(&[market]).await?.remove(0);
    let acc = acc.ok_or_else(|| anyhow::anyhow!("market {market} not found"))?;
    decode(&acc).ok_or_else(|| anyhow::anyhow!("{market} is not a market"))
}

/// The market and its validated prices at `now`, read together.
pub async fn market_and_prices<C: Chain>(
    chain: &mut C,
    keys: &MarketKeys,
    now: i64,
) -> anyhow::Result<(Market, MarketPrices)> {
    let (co, dor) = (keys.collateral_oracle, keys.debt_oracle);
    let accs = chain.get_accounts(&[keys.market, co, dor]).await?;
    let (Some(m), Some(c), Some(d)) = (&accs[0], &accs[1], &accs[2]) else {
        anyhow::bail!("market or oracle account missing");
    };
    let market: Market = decode(m).ok_or_else(|| anyhow::anyhow!("not a market"))?;
    let prices = prices_from_accounts(&market, (&co, c), (&dor, d), now)?;
    Ok((market, prices))
}

/// The market's margin accounts that owe something.
/// What the keeper decides from for one margin account (docs/keeper.md).
#[derive(Clone, Copy, Debug)]
pub struct Judgement {
    /// The program's health report on the accrued market and the prices.
    pub health: zero_loss::risk::HealthReport,
    /// A partial liquidation is open (`liquidation::partial_open`).
    pub partial_open: bool,
    /// Past the partial zone: distressed or in an emergency.
    pub past_zone: bool,
    /// Spot is past the threshold but the held price is not yet: a breach
    /// is building, and the held window needs readings.
    pub breach_building: bool,
}

/// Judges `m` on `view` (the market accrued to now) and `prices`, with the
/// program's own health code: what each tick reads for each account.
pub fn judge(view: &Market, m: &MarginAccount, prices: &MarketPrices) -> anyhow::Result<Judgement> {
    let h = zero_loss::risk::evaluate(view, m.collateral, m.debt_shares, prices)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Judgement {
        health: h,
        partial_open: liquidation::partial_open(&h.standing()),
        past_zone: matches!(h.zone, Zone::Distressed | Zone::Emergency),
        breach_building: h.spot_ltv > h.liq_ltv && h.held_ltv < h.spot_ltv,
    })
}

pub async fn borrowers<C: Chain>(
    chain: &mut C,
    market: &Pubkey,
) -> anyhow::Result<Vec<(Pubkey, MarginAccount)>> {
    let keys = chain.margin_accounts(market).await?;
    let accounts = chain.get_accounts(&keys).await?;
    Ok(keys
        .into_iter()
        .zip(accounts)
        .filter_map(|(k, acc)| Some((k, decode::<MarginAccount>(acc.as_ref()?)?)))
        .filter(|(_, m)| m.debt_shares > 0)
        .collect())
}

impl Keeper {
    pub fn new(cfg: KeeperConfig) -> Keeper {
        Keeper {
            cfg,
            stats: KeeperStats::default(),
            first_open_auction: 0,
            last_refresh: i64::MIN,
            last_tick: i64::MIN,
            widest: Fp::ZERO,
            offered_since: HashMap::new(),
            watching: false,
            capital_left: 0,
            takes_left: 0,
            skip: SkipPolicy::default(),
            failures: HashMap::new(),
        }
    }

    /// Sends `ixs` (the action `what`, about `subjects`: margin accounts or auctions),
    /// counts the outcome and decodes the events; whether it landed. A refusal that is not a
    /// lost race counts against each subject ([`SkipPolicy`]); a landing clears them.
    async fn send<C: Chain>(
        &mut self,
        chain: &mut C,
        what: &str,
        subjects: &[Pubkey],
        ixs: &[Instruction],
        out: &mut Vec<KeeperEvent>,
    ) -> anyhow::Result<bool> {
        let r = self.send_counted(chain, what, ixs, out).await?;
        let now = self.last_tick;
        for s in subjects {
            match r {
                Some(true) => {
                    self.failures.remove(s);
                }
                Some(false) => {
                    let f = self.failures.entry(*s).or_default();
                    f.count += 1;
                    if self.skip.after_failures > 0 && f.count >= self.skip.after_failures {
                        f.until = now.saturating_add(self.skip.for_secs);
                        f.count = 0;
                        self.stats.skipped += 1;
                        tracing::warn!(subject = %s, action = what, secs = self.skip.for_secs, "refused repeatedly; skipped for a while");
                    }
                }
                None => {}
            }
        }
        Ok(r == Some(true))
    }

    /// Whether `subject` is being skipped after repeated refusals.
    fn skipped(&self, subject: &Pubkey) -> bool {
        self.failures
            .get(subject)
            .is_some_and(|f| self.last_tick < f.until)
    }

    /// [`Keeper::send`]'s counting: `Some(true)` landed, `Some(false)` refused, `None` a
    /// lost race.
    async fn send_counted<C: Chain>(
        &mut self,
        chain: &mut C,
        what: &str,
        ixs: &[Instruction],
        out: &mut Vec<KeeperEvent>,
    ) -> anyhow::Result<Option<bool>> {
        let started = std::time::Instant::now();
        let r: SendOutcome = chain.send(ixs).await?;
        let action = self.stats.actions.entry(what.to_string()).or_default();
        action.sent += 1;
        action.latency.observe(started.elapsed().as_secs_f64());
        self.stats.transactions += 1;
        if !r.ok {
            self.stats.failed += 1;
            *action.refused.entry(refusal_reason(r.code)).or_default() += 1;
            if is_race(r.code) {
                action.races += 1;
                self.stats.races_lost += 1;
                tracing::info!(action = what, code = ?r.code, "lost a race; skipped");
                return Ok(None);
            }
            tracing::warn!(action = what, error = ?r.error, "refused");
            return Ok(Some(false));
        }
        action.landed += 1;
        self.stats.fees_lamports = self.stats.fees_lamports.saturating_add(r.fee_lamports);
        for e in decode_events::<PartialLiquidated>(&r.logs) {
            out.push(KeeperEvent::Partial(e));
        }
        for e in decode_events::<AuctionStarted>(&r.logs) {
            out.push(KeeperEvent::Kick(e));
        }
        for e in decode_events::<AuctionBid>(&r.logs) {
            out.push(KeeperEvent::Bid(e));
        }
        for e in decode_events::<AuctionRestarted>(&r.logs) {
            out.push(KeeperEvent::Restart(e));
        }
        for e in decode_events::<AuctionBackstopped>(&r.logs) {
            out.push(KeeperEvent::Backstop(e));
        }
        for e in decode_events::<AuctionSettled>(&r.logs) {
            out.push(KeeperEvent::Settle(e));
        }
        tracing::debug!(action = what, "sent");
        Ok(Some(true))
    }

    /// One pass over the market. Never overlaps with another: callers await it. Three
    /// steps: [`Keeper::look`] (read, refresh when due), [`Keeper::judge_all`] (every
    /// indebted account, with the program's health code) and the work (accounts, then
    /// auctions).
    pub async fn tick<C: Chain, V: Venue>(
        &mut self,
        chain: &mut C,
        venue: &V,
    ) -> anyhow::Result<TickReport> {
        let mut report = TickReport::default();
        let Some(look) = self.look(chain, &mut report).await? else {
            return Ok(report);
        };
        self.act(chain, venue, look, &mut report).await?;
        Ok(report)
    }

    /// [`Keeper::tick`] with the oracle's spot, as this tick read it, as the venue: the
    /// keeper over RPC, which sells nowhere it could quote.
    pub async fn tick_at_oracle<C: Chain>(&mut self, chain: &mut C) -> anyhow::Result<TickReport> {
        let mut report = TickReport::default();
        let Some(look) = self.look(chain, &mut report).await? else {
            return Ok(report);
        };
        let venue = OracleVenue(look.prices.spot_mid);
        self.act(chain, &venue, look, &mut report).await?;
        Ok(report)
    }

    /// Steps 2 and 3 on what [`Keeper::look`] read.
    async fn act<C: Chain, V: Venue>(
        &mut self,
        chain: &mut C,
        venue: &V,
        mut look: Look,
        report: &mut TickReport,
    ) -> anyhow::Result<()> {
        let judged = self.judge_all(chain, &look, report).await?;
        self.work_accounts(chain, venue, &mut look, judged, report)
            .await?;
        self.work_auctions(chain, venue, &look, report).await
    }

    /// Step 1: the market, its prices, the keeper's balances (one read), and a refresh when
    /// one is due. `None` when the prices are not valid (stale, outage): nothing can be
    /// judged, and a refresh would be refused.
    async fn look<C: Chain>(
        &mut self,
        chain: &mut C,
        report: &mut TickReport,
    ) -> anyhow::Result<Option<Look>> {
        let now = chain.now().await?;
        report.now = now;
        let cfg = self.cfg.clone();
        let fetched = chain
            .get_accounts(&[
                cfg.market,
                cfg.collateral_oracle,
                cfg.debt_oracle,
                cfg.debt_account,
                cfg.collateral_account,
            ])
            .await?;
        let (Some(market_acc), Some(coll_acc), Some(debt_acc)) =
            (&fetched[0], &fetched[1], &fetched[2])
        else {
            anyhow::bail!("market or oracle account missing");
        };
        let mut market: Market =
            decode(market_acc).ok_or_else(|| anyhow::anyhow!("not a market"))?;
        // The keeper's own balances, read with the market: a tick commits no more than the
        // debt tokens it holds, and a missing account stops taking (reported as missing,
        // never as a lost race).
        report.debt_balance = fetched[3].as_ref().and_then(token_amount);
        report.collateral_balance = fetched[4].as_ref().and_then(token_amount);
        self.takes_left = cfg.role.max_takes;
        self.capital_left = cfg.role.capital.min(report.debt_balance.unwrap_or(0));
        // Every role pays or is paid in debt tokens (a kick's tip too); only takers receive
        // collateral.
        for (what, key, bal, needed) in [
            ("debt", cfg.debt_account, report.debt_balance, true),
            (
                "collateral",
                cfg.collateral_account,
                report.collateral_balance,
                cfg.role.take,
            ),
        ] {
            if needed && bal.is_none() {
                tracing::warn!(account = %key, "missing {what} token account: its work stopped");
                report
                    .missing
                    .push(format!("missing {what} token account {key}"));
            }
        }
        if !report.missing.is_empty() {
            self.takes_left = 0;
        }
        let keys = MarketKeys::new(cfg.market, cfg.collateral_oracle, cfg.debt_oracle);

        // Refresh: interest, volatility, budget, breaker, when one is due. Prices through
        // the program's own oracle code.
        let read = |market: &Market| {
            prices_from_accounts(
                market,
                (&cfg.collateral_oracle, coll_acc),
                (&cfg.debt_oracle, debt_acc),
                now,
            )
            .map_err(|e| tracing::warn!(error = %e, "no valid prices this tick"))
            .ok()
        };
        let gap = now.saturating_sub(self.last_tick);
        self.last_tick = now;
        let Some(mut prices) = read(&market) else {
            return Ok(None);
        };
        report.oracle_age_secs =
            Some(now.saturating_sub(prices.collateral_time.min(prices.debt_time)));
        report.prices_ok = true;
        // Only a maintaining keeper refreshes (and weighs whether to).
        let due = if cfg.role.maintain {
            self.refresh_due(&market, &prices, now, gap)
        } else {
            None
        };
        if let Some(due) = due {
            let refresh = keys.refresh();
            if self
                .send(chain, "refresh_market", &[], &[refresh], &mut report.events)
                .await?
            {
                self.stats.refreshes += 1;
                self.last_refresh = now;
                if let Some(Some(a)) = chain.get_accounts(&[cfg.market]).await?.first() {
                    market = decode(a).unwrap_or(market);
                }
                let written = market.buffer().unwrap_or(Fp::ZERO);
                self.widest = if due == RefreshDue::Heartbeat {
                    written
                } else {
                    self.widest.max(written)
                };
                let Some(p) = read(&market) else {
                    return Ok(None);
                };
                prices = p;
            }
        }
        Ok(Some(Look {
            now,
            market,
            prices,
            keys,
            keeper: chain.keeper(),
            tips_payable: report.debt_balance.is_some(),
        }))
    }

    /// Step 2: every indebted margin account judged on the market accrued to now
    /// ([`judge`]); counts the zones and notes whether a breach is building.
    async fn judge_all<C: Chain>(
        &mut self,
        chain: &mut C,
        look: &Look,
        report: &mut TickReport,
    ) -> anyhow::Result<Vec<(Pubkey, MarginAccount, Judgement)>> {
        let mut view = look.market.clone();
        view.accrue_interest(look.now)
            .map_err(|e| anyhow::anyhow!("accrue: {e}"))?;
        let mut watching = false;
        let mut judged = Vec::new();
        for (key, m) in borrowers(chain, &self.cfg.market).await? {
            report.accounts_checked += 1;
            match judge(&view, &m, &look.prices) {
                Ok(j) => {
                    report.zones.add(j.health.zone);
                    watching |= j.breach_building;
                    judged.push((key, m, j));
                }
                Err(e) => tracing::warn!(account = %key, error = %e, "health"),
            }
        }
        self.watching = watching;
        Ok(judged)
    }

    /// Step 3: kicks and partial liquidations, the partials gathered into batches, each
    /// planned on the market the last leaves.
    async fn work_accounts<C: Chain, V: Venue>(
        &mut self,
        chain: &mut C,
        venue: &V,
        look: &mut Look,
        judged: Vec<(Pubkey, MarginAccount, Judgement)>,
        report: &mut TickReport,
    ) -> anyhow::Result<()> {
        let cfg = self.cfg.clone();
        let (now, keeper) = (look.now, look.keeper);
        let prices = look.prices;
        let mut batch = Batch::default();
        for (key, m, j) in judged {
            if self.skipped(&key) {
                continue;
            }
            // An account past the partial zone that liquidators may still take (distressed,
            // or in an emergency while solvent at the trigger) is offered at the top bonus
            // first; the keeper kicks it once the offer has stood `kick_after_secs`. One they
            // cannot take is kicked at once.
            let (open, past_zone) = (j.partial_open, j.past_zone);
            let offered_for = if past_zone && open {
                now.saturating_sub(*self.offered_since.entry(key).or_insert(now))
            } else {
                self.offered_since.remove(&key);
                0
            };
            let kick_now = cfg.role.maintain
                && look.tips_payable
                && past_zone
                && (!open || offered_for >= cfg.kick_after_secs);
            if kick_now {
                let market = &mut look.market;
                if let Err(e) = rules::preview_kick(market, &m, key, &prices, now) {
                    tracing::debug!(account = %key, error = %e, "no kick");
                    continue;
                }
                let auction =
                    seeds::auction_address(&zero_loss::ID, &cfg.market, market.next_auction_id).0;
                let kick = look
                    .keys
                    .start_auction(keeper, key, auction, cfg.debt_account);
                if self
                    .send(chain, "start_auction", &[key], &[kick], &mut report.events)
                    .await?
                {
                    self.stats.kicks += 1;
                    look.market.next_auction_id += 1;
                }
                continue;
            }
            // The program's own rule: the buffer zone at the EMA trigger, or past liq_ltv on
            // the held spot price while the EMA lags.
            if !open {
                continue;
            }
            report.buffer.push(key);
            if !self.can_take() {
                continue;
            }
            // The program's own transition, run on the batch's copy of the market: what it
            // would repay and pay out, or why it would refuse. Taken only when the batch's
            // collateral, this account's added, sells at the venue for the batch's
            // repayments plus the edge and the fee; in a crash the EMA lags spot and a
            // partial can lose money, and selling more fetches less, so the size is cut to
            // fit.
            let keep = Fp::from_bps(10_000 - cfg.edge_bps.min(9_999));
            let (batch_repaid, batch_out) = (batch.repaid, batch.collateral_out);
            let batch_len = batch.keys.len();
            let capital = self.capital_left.saturating_sub(batch_repaid);
            let base = batch.market.get_or_insert_with(|| look.market.clone());
            let plan = |max_repay: u64| {
                liquidation::preview_partial(base, &m, &prices, now, &keeper, max_repay)
                    .ok()
                    .map(|out| out.plan)
            };
            let pays = |max_repay: u64| {
                plan(max_repay).is_some_and(|p| {
                    let out = batch_out.saturating_add(p.collateral_out);
                    let fee =
                        cfg.tx_cost as u128 + cfg.tx_cost_per_account as u128 * batch_len as u128;
                    let owed = batch_repaid as u128 + p.repaid as u128 + fee;
                    venue
                        .sell_price(out)
                        .and_then(|r| r.mul_floor(keep).ok())
                        .and_then(|r| r.mul_int_floor(out as u128).ok())
                        .is_some_and(|worth| worth >= owed)
                })
            };
            let Some(full) = plan(capital) else {
                tracing::debug!(account = %key, "no partial liquidation");
                continue;
            };
            let repay = largest_true(full.repaid, pays);
            if repay == 0 {
                tracing::debug!(account = %key, "partial liquidation unprofitable at the venue; skipped");
                continue;
            }
            let mut copy = m.clone();
            let Ok(out) =
                liquidation::liquidate_partial(base, &mut copy, &prices, now, &keeper, repay)
            else {
                continue;
            };
            batch.add(key, repay, &out.plan);
            if batch.keys.len() == liquidation::MAX_BATCH {
                self.flush(chain, &look.keys, &mut batch, &mut report.events)
                    .await?;
            }
        }
        self.flush(chain, &look.keys, &mut batch, &mut report.events)
            .await
    }

    /// Why a refresh is due, if one is, first reason first: the heartbeat (`refresh_secs`);
    /// a breach building that the held price has not seen (`watch_secs`, while the looks
    /// come within the held window); a tripped breaker whose cooldown has passed, on a
    /// normal reading (only a refresh clears it); or a buffer a refresh would widen by
    /// `buffer_move_bps` or more past the widest written since the heartbeat.
    fn refresh_due(
        &self,
        market: &Market,
        prices: &MarketPrices,
        now: i64,
        gap: i64,
    ) -> Option<RefreshDue> {
        let cfg = &self.cfg;
        let since = now.saturating_sub(self.last_refresh);
        let p = &market.params;
        // Watching: a reading only when the held window needs one: to start it, to keep it
        // alive (the next look would come more than `breach_persist_secs` after the last
        // reading: this also starts it again after such a silence), or to open its next
        // bucket (then the held price can move). Readings in between would not change what
        // the window holds of a breach that lasts.
        let persist = p.breach_persist_secs as i64;
        let w = market.held_window();
        let needs_reading = w.cur.is_empty()
            || now.saturating_add(gap).saturating_sub(w.last) > persist
            || now.saturating_sub(w.cur.start) > persist;
        // Wider than both the buffer in force and the widest this keeper has written
        // since its heartbeat: an estimate that swings with the phase of a chop (each
        // refresh's sample moves it both ways) is not refreshed at every swing.
        let widens = || {
            let after = buffer_after_refresh(market, prices)?;
            let high = market.buffer().ok()?.max(self.widest);
            let wider = after.checked_sub(high).ok()?;
            Some(zero_loss::risk::ltv_bps(wider) >= cfg.buffer_move_bps)
        };
        let due = if since >= cfg.refresh_secs {
            RefreshDue::Heartbeat
        } else if self.watching && since >= cfg.watch_secs && gap <= persist && needs_reading {
            RefreshDue::Watch
        } else if market.breaker_tripped()
            && now.saturating_sub(market.breaker_last_abnormal_ts) >= p.breaker_cooldown_secs as i64
            && zero_loss::risk::abnormal_reasons(market, prices).is_ok_and(|(r, _, _)| r == 0)
        {
            // A refresh clears the breaker only past its cooldown and on a normal reading.
            RefreshDue::Breaker
        } else if widens() == Some(true) {
            RefreshDue::Widens
        } else {
            return None;
        };
        tracing::debug!(?due, "refresh due");
        Some(due)
    }

    /// Sends the partial liquidations gathered (`liquidate_partial` for one account,
    /// `liquidate_batch` for more) and starts a new batch on the market they leave.
    async fn flush<C: Chain>(
        &mut self,
        chain: &mut C,
        keys: &MarketKeys,
        batch: &mut Batch,
        out: &mut Vec<KeeperEvent>,
    ) -> anyhow::Result<()> {
        if batch.keys.is_empty() {
            return Ok(());
        }
        let keeper = chain.keeper();
        let (debt, coll) = (self.cfg.debt_account, self.cfg.collateral_account);
        let n = batch.keys.len() as u64;
        let (what, ix) = if n == 1 {
            let ix = keys.liquidate_partial(keeper, batch.keys[0], debt, coll, batch.repays[0]);
            ("liquidate_partial", ix)
        } else {
            let ix = keys.liquidate_batch(keeper, &batch.keys, debt, coll, batch.repays.clone());
            ("liquidate_batch", ix)
        };
        let before = out.len();
        if self.send(chain, what, &batch.keys, &[ix], out).await? {
            if n == 1 {
                self.stats.partials += 1;
            } else {
                self.stats.batches += 1;
                self.stats.batched += out[before..]
                    .iter()
                    .filter(|e| matches!(e, KeeperEvent::Partial(_)))
                    .count() as u64;
            }
            self.took(&out[before..]);
        }
        // The next batch is planned on the market this one leaves.
        *batch = Batch {
            market: batch.market.take(),
            ..Batch::default()
        };
        Ok(())
    }

    /// Whether this tick may still take (partial liquidation, bid).
    fn can_take(&self) -> bool {
        self.cfg.role.take && self.takes_left > 0 && self.capital_left > 0
    }

    /// Charges a take's payment against the tick's capital.
    fn took(&mut self, events: &[KeeperEvent]) {
        let paid: u64 = events
            .iter()
            .map(|e| match e {
                KeeperEvent::Partial(p) => p.repaid,
                KeeperEvent::Bid(b) => b.paid,
                _ => 0,
            })
            .sum();
        self.capital_left = self.capital_left.saturating_sub(paid);
        self.takes_left = self.takes_left.saturating_sub(1);
    }

    async fn work_auctions<C: Chain, V: Venue>(
        &mut self,
        chain: &mut C,
        venue: &V,
        look: &Look,
        report: &mut TickReport,
    ) -> anyhow::Result<()> {
        let (market, prices, now) = (&look.market, &look.prices, look.now);
        // The backstops as this tick has left them: settlements and backstops spend them.
        let mut left = market.clone();
        let cfg = self.cfg.clone();
        let keeper = chain.keeper();
        let mk = MarketKeys::new(cfg.market, cfg.collateral_oracle, cfg.debt_oracle);
        let ids: Vec<u64> = (self.first_open_auction..market.next_auction_id).collect();
        let keys: Vec<Pubkey> = ids
            .iter()
            .map(|id| seeds::auction_address(&zero_loss::ID, &cfg.market, *id).0)
            .collect();
        let accounts = chain.get_accounts(&keys).await?;
        let mut all_closed_below = true;
        for ((id, key), acc) in ids.iter().zip(&keys).zip(accounts) {
            let Some(au) = acc.as_ref().and_then(decode::<Auction>) else {
                if all_closed_below {
                    self.first_open_auction = id + 1;
                }
                continue;
            };
            all_closed_below = false;
            report.open_auctions += 1;
            if self.skipped(key) {
                continue;
            }
            let margin = (au.owner_kind == OwnerKind::Margin).then_some(au.owner);
            if au.is_done() {
                if !cfg.role.maintain {
                    continue;
                }
                let settle = mk.settle(keeper, *key, au.kicker, margin);
                let before = report.events.len();
                if self
                    .send(
                        chain,
                        "settle_auction",
                        &[*key],
                        &[settle],
                        &mut report.events,
                    )
                    .await?
                {
                    self.stats.settlements += 1;
                    // A settlement's cover spends insurance, then POL: later previews in this
                    // tick must not count on them.
                    for e in &report.events[before..] {
                        if let KeeperEvent::Settle(st) = e {
                            left.insurance_amount =
                                left.insurance_amount.saturating_sub(st.insurance_paid);
                            left.pol_debt_amount = left.pol_debt_amount.saturating_sub(st.pol_paid);
                        }
                    }
                }
                continue;
            }
            // The program's own quote, on the auction's own terms.
            let rules::BidQuote { price, .. } =
                rules::bid_quote(&au, prices, now).map_err(|e| anyhow::anyhow!("{e}"))?;
            // Bid for the largest lot that still sells at the edge.
            let keep = Fp::from_bps(10_000 - cfg.edge_bps.min(9_999));
            let profitable = |q: u64| {
                let cost = price
                    .mul_int_ceil(q as u128)
                    .ok()
                    .and_then(|c| c.checked_add(cfg.tx_cost as u128));
                venue
                    .sell_price(q)
                    .and_then(|r| r.mul_floor(keep).ok())
                    .and_then(|r| r.mul_int_floor(q as u128).ok())
                    .zip(cost)
                    .is_some_and(|(worth, cost)| worth >= cost)
            };
            // As much as the capital left pays for.
            let afford = (self.capital_left as u128)
                .checked_mul(Fp::ONE.0)
                .map_or(u128::MAX, |n| n / price.0.max(1));
            let max_lot = au.lot.min(u64::try_from(afford).unwrap_or(u64::MAX));
            let lot = if self.can_take() {
                largest_true(max_lot, profitable)
            } else {
                0
            };
            if lot > 0 {
                let bid = mk.bid(
                    keeper,
                    *key,
                    cfg.debt_account,
                    cfg.collateral_account,
                    lot,
                    price.0,
                );
                let before = report.events.len();
                if self
                    .send(chain, "bid", &[*key], &[bid], &mut report.events)
                    .await?
                {
                    self.stats.bids += 1;
                    self.took(&report.events[before..]);
                }
                continue;
            }
            if !cfg.role.maintain {
                continue;
            }
            // The handlers' own transitions, run on copies: POL buys at the floor, never
            // above spot, when it may and can pay for at least one unit (on what this tick
            // has left of it); otherwise a stale stage restarts, unless it is the last.
            if rules::preview_backstop(&left, &au, prices, now).is_ok() {
                let bs = mk.backstop(keeper, *key);
                let before = report.events.len();
                if self
                    .send(chain, "backstop", &[*key], &[bs], &mut report.events)
                    .await?
                {
                    self.stats.backstops += 1;
                    for e in &report.events[before..] {
                        if let KeeperEvent::Backstop(b) = e {
                            left.pol_debt_amount = left.pol_debt_amount.saturating_sub(b.paid);
                        }
                    }
                }
            } else if look.tips_payable && rules::preview_restart(&left, &au, prices, now).is_ok() {
                let rs = mk.restart(keeper, *key, cfg.debt_account);
                if self
                    .send(chain, "restart_auction", &[*key], &[rs], &mut report.events)
                    .await?
                {
                    self.stats.restarts += 1;
                }
            }
        }
        if all_closed_below {
            self.first_open_auction = market.next_auction_id;
        }
        Ok(())
    }
}

/// The largest `q` in `1..=max` with `f(q)` true, assuming `f` is true on
/// some range ending at the answer and false above it (selling more never
/// gets a better price). Halves down from `max` until `f` holds, then
/// bisects, so rounding that makes the tiniest sizes fail does not hide the
/// range; zero when no halving of `max` passes.
pub fn largest_true(max: u64, f: impl Fn(u64) -> bool) -> u64 {
    if max == 0 {
        return 0;
    }
    if f(max) {
        return max;
    }
    let (mut lo, mut hi) = (max / 2, max);
    while lo > 0 && !f(lo) {
        hi = lo;
        lo /= 2;
    }
    if lo == 0 {
        return 0;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if f(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_true_finds_the_edge() {
        assert_eq!(largest_true(100, |q| q <= 37), 37);
        assert_eq!(largest_true(100, |_| true), 100);
        assert_eq!(largest_true(100, |_| false), 0);
        assert_eq!(largest_true(0, |_| true), 0);
        // Rounding makes the smallest sizes fail: the range above is still found.
        assert_eq!(largest_true(1_000, |q| (10..=400).contains(&q)), 400);
        assert_eq!(largest_true(1_000, |q| q == 1), 1);
    }

    #[test]
    fn race_errors_are_recognised() {
        let code = |e: ZlError| Some(anchor_lang::error::ERROR_CODE_OFFSET + e as u32);
        assert!(is_race(code(ZlError::AccountHealthy)));
        assert!(is_race(code(ZlError::AuctionDone)));
        assert!(is_race(Some(3012)));
        assert!(!is_race(code(ZlError::OracleStale)));
        assert!(!is_race(None));
    }
}
