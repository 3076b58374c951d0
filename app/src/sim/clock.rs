//! The one clock every mechanism runs on, and the costs of acting on it that are the same
//! for all of them (docs/simulator.md, "Frictions" and "Fees"): each step's path price,
//! its realised volatility and drawdown, the priority fee a transaction pays at that
//! moment and how deep the venue still is. Built once per simulation from the path; the
//! engine's run and every rival's read the same ticks.

use std::collections::VecDeque;
use std::sync::LazyLock;

use serde::Serialize;
use zero_loss::controller::liquidation::MAX_BATCH;

/// Solana's base fee per signature, lamports (every transaction here has one signer).
pub const BASE_FEE_LAMPORTS: f64 = 5_000.0;
/// Seconds of history in the realised volatility.
pub const VOL_WINDOW_SECS: f64 = 3_600.0;

/// Compute units per transaction, by what it does. The engine's come from the table in
/// docs/performance.md (measured on the SBF VM by `scripts/cu-bench.sh`), read at compile
/// time so the figure lives in one place; the rivals' are documented in
/// docs/simulator.md, "Fees".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    RefreshMarket,
    LiquidatePartial,
    /// `liquidate_batch` of `MAX_BATCH` accounts (measured with eight); smaller batches
    /// are charged by [`Clock::batch_fee`].
    LiquidateBatch,
    StartAuction,
    Bid,
    RestartAuction,
    Backstop,
    SettleAuction,
    /// Kamino klend's liquidation transaction (refreshes, the liquidation and the
    /// redemption of the seized collateral).
    KaminoLiquidation,
}

/// Kamino's liquidation transaction, CU (docs/simulator.md, "Fees", for the source).
pub const KAMINO_LIQUIDATION_CU: f64 = 350_000.0;

const PERFORMANCE_MD: &str = include_str!("../../../docs/performance.md");

/// The "CU now" column of docs/performance.md's table for `instruction`.
pub fn measured_cu(instruction: &str) -> Option<f64> {
    let name = format!("`{instruction}`");
    PERFORMANCE_MD
        .lines()
        .skip_while(|l| !l.contains("cu-table:begin"))
        .take_while(|l| !l.contains("cu-table:end"))
        .map(|l| l.split('|').map(str::trim).collect::<Vec<_>>())
        .find(|cells| cells.get(1) == Some(&name.as_str()))
        .and_then(|cells| cells.get(4)?.parse().ok())
}

impl Action {
    const ALL: [Action; 9] = [
        Action::RefreshMarket,
        Action::LiquidatePartial,
        Action::LiquidateBatch,
        Action::StartAuction,
        Action::Bid,
        Action::RestartAuction,
        Action::Backstop,
        Action::SettleAuction,
        Action::KaminoLiquidation,
    ];

    /// Compute units a transaction doing this uses: read once from the table, not at every
    /// fee (a fee is asked for every offer a bidder weighs).
    pub fn cu(self) -> f64 {
        static CU: LazyLock<[f64; 9]> = LazyLock::new(|| Action::ALL.map(Action::read_cu));
        CU[self as usize]
    }

    fn read_cu(self) -> f64 {
        let engine = |name: &str| measured_cu(name).unwrap_or(60_000.0);
        match self {
            Action::RefreshMarket => engine("refresh_market"),
            Action::LiquidatePartial => engine("liquidate_partial"),
            Action::LiquidateBatch => engine("liquidate_batch"),
            Action::StartAuction => engine("start_auction"),
            Action::Bid => engine("bid"),
            Action::RestartAuction => engine("restart_auction"),
            Action::Backstop => engine("backstop"),
            Action::SettleAuction => engine("settle_auction"),
            Action::KaminoLiquidation => KAMINO_LIQUIDATION_CU,
        }
    }
}

/// What a transaction costs: the base fee per signature plus a priority fee per compute
/// unit that rises with realised volatility (congestion), in debt units.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeeModel {
    /// Priority fee in calm hours, micro-lamports per CU.
    pub calm_cu_price: f64,
    /// Priority fee in crash hours, micro-lamports per CU.
    pub stressed_cu_price: f64,
    /// Hourly realised volatility (of log returns) at or under which fees are calm.
    pub calm_vol: f64,
    /// Hourly realised volatility at or over which fees are at their crash level.
    pub stressed_vol: f64,
    /// SOL's price in USD.
    pub sol_usd: f64,
    /// USD per debt unit of the value-sized book (`--debt-unit-usd`).
    pub debt_unit_usd: f64,
}

impl Default for FeeModel {
    fn default() -> Self {
        FeeModel {
            calm_cu_price: 100_000.0,
            stressed_cu_price: 2_276_532.0,
            calm_vol: 0.01,
            stressed_vol: 0.05,
            sol_usd: 150.0,
            debt_unit_usd: 10.0,
        }
    }
}

impl FeeModel {
    /// Micro-lamports per CU at hourly realised volatility `vol`: the calm level up to
    /// `calm_vol`, the crash level from `stressed_vol`, log-linear in between.
    pub fn cu_price(&self, vol: f64) -> f64 {
        let (lo, hi) = (self.calm_vol.max(1e-12), self.stressed_vol.max(1e-12));
        let x = if hi <= lo || !vol.is_finite() {
            if vol >= hi {
                1.0
            } else {
                0.0
            }
        } else {
            ((vol.max(1e-12) / lo).ln() / (hi / lo).ln()).clamp(0.0, 1.0)
        };
        self.calm_cu_price * (self.stressed_cu_price / self.calm_cu_price).powf(x)
    }

    /// Debt units a transaction of `cu` compute units pays at `cu_price` (micro-lamports
    /// per CU; the limit is set to what it uses).
    pub fn fee(&self, cu: f64, cu_price: f64) -> f64 {
        self.fees(1.0, cu, cu_price)
    }

    /// Debt units `txs` transactions of `cu` compute units in all pay at `cu_price`: a
    /// base fee each, and the priority fee on their CU.
    pub fn fees(&self, txs: f64, cu: f64, cu_price: f64) -> f64 {
        let lamports = txs * BASE_FEE_LAMPORTS + cu * cu_price / 1e6;
        lamports / 1e9 * self.sol_usd / self.debt_unit_usd
    }
}

/// How deep the venue stays as the market falls and swings: liquidity providers withdraw.
/// `factor = max(floor, exp(-drawdown_weight * drawdown) * min(1, (calm_vol / vol)^vol_power))`,
/// applied to the pool's starting liquidity (sources and calibration: docs/simulator.md,
/// "Frictions").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DepthModel {
    pub drawdown_weight: f64,
    pub vol_power: f64,
    pub calm_vol: f64,
    pub floor: f64,
}

impl Default for DepthModel {
    fn default() -> Self {
        DepthModel {
            drawdown_weight: 1.5,
            vol_power: 0.5,
            calm_vol: 0.01,
            floor: 0.25,
        }
    }
}

impl DepthModel {
    /// The share of its starting liquidity the venue keeps at `drawdown` (0..1 from the
    /// path's running high) and hourly realised volatility `vol`.
    pub fn factor(&self, drawdown: f64, vol: f64) -> f64 {
        let dd = drawdown.clamp(0.0, 1.0);
        let calm = if vol.is_finite() && vol > self.calm_vol && self.calm_vol > 0.0 {
            (self.calm_vol / vol).powf(self.vol_power)
        } else {
            1.0
        };
        let f = (-self.drawdown_weight * dd).exp() * calm;
        f.clamp(self.floor.clamp(0.0, 1.0), 1.0)
    }
}

/// The frictions every mechanism meets.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Frictions {
    pub fees: FeeModel,
    pub depth: DepthModel,
}

/// One step as every mechanism sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick {
    /// Step number, from 1.
    pub step: u64,
    /// Seconds from the start (keeps counting after the path ends).
    pub t: f64,
    /// The path's price (held at its last value after the end), at the simulator's level.
    pub price: f64,
    /// Hourly realised volatility of log returns over the last [`VOL_WINDOW_SECS`].
    pub vol: f64,
    /// Fall from the path's running high, 0..1.
    pub drawdown: f64,
    /// Priority fee now, micro-lamports per CU.
    pub cu_price: f64,
    /// The venue's liquidity as a share of its start.
    pub depth: f64,
    /// Whether the path is still running (false in the drain steps after it).
    pub on_path: bool,
}

/// Every step of one simulation.
#[derive(Clone, Debug)]
pub struct Clock {
    pub dt: f64,
    pub path_steps: u64,
    pub ticks: Vec<Tick>,
    pub frictions: Frictions,
}

impl Clock {
    /// The ticks of `path` stepped every `step_secs` over `duration_secs`, then
    /// `drain_steps` more at the last price.
    pub fn new(
        path: impl Fn(f64) -> f64,
        step_secs: f64,
        duration_secs: f64,
        drain_steps: u64,
        frictions: Frictions,
    ) -> Clock {
        let dt = step_secs.max(1.0);
        let path_steps = (duration_secs / dt).ceil() as u64;
        let mut ticks = Vec::with_capacity((path_steps + drain_steps) as usize);
        let mut prev = path(0.0);
        let mut high = prev;
        let mut window: VecDeque<(f64, f64)> = VecDeque::new();
        let mut sum_sq = 0.0;
        for s in 1..=path_steps + drain_steps {
            let t = s as f64 * dt;
            let price = path(t.min(duration_secs));
            let r = if prev > 0.0 && price > 0.0 {
                (price / prev).ln()
            } else {
                0.0
            };
            window.push_back((t, r * r));
            sum_sq += r * r;
            while window
                .front()
                .is_some_and(|&(t0, _)| t0 <= t - VOL_WINDOW_SECS)
            {
                if let Some((_, q)) = window.pop_front() {
                    sum_sq -= q;
                }
            }
            let vol = sum_sq.max(0.0).sqrt();
            high = high.max(price);
            let drawdown = if high > 0.0 { 1.0 - price / high } else { 0.0 };
            ticks.push(Tick {
                step: s,
                t,
                price,
                vol,
                drawdown,
                cu_price: frictions.fees.cu_price(vol),
                depth: frictions.depth.factor(drawdown, vol),
                on_path: s <= path_steps,
            });
            prev = price;
        }
        Clock {
            dt,
            path_steps,
            ticks,
            frictions,
        }
    }

    /// Debt units a transaction doing `action` pays at `tick`.
    pub fn fee(&self, tick: &Tick, action: Action) -> f64 {
        self.frictions.fees.fee(action.cu(), tick.cu_price)
    }

    /// Debt units `batches` `liquidate_batch` transactions liquidating `accounts` in all
    /// pay at `tick`: the CU of one account (`liquidate_partial`) and of a full batch,
    /// interpolated linearly by the accounts each carries (summed, as it is linear).
    pub fn batch_fee(&self, tick: &Tick, batches: u64, accounts: u64) -> f64 {
        let cu = batches as f64 * Action::LiquidatePartial.cu()
            + accounts.saturating_sub(batches) as f64 * Self::batch_extra_cu();
        self.frictions.fees.fees(batches as f64, cu, tick.cu_price)
    }

    /// What each account past the first adds to a batch's fee at `tick` (its CU's
    /// priority fee; the base fee is the transaction's).
    pub fn batch_account_fee(&self, tick: &Tick) -> f64 {
        self.frictions
            .fees
            .fees(0.0, Self::batch_extra_cu(), tick.cu_price)
    }

    /// The CU each account past the first adds to a batch, linear between the measured
    /// one-account and full-batch figures.
    fn batch_extra_cu() -> f64 {
        (Action::LiquidateBatch.cu() - Action::LiquidatePartial.cu()) / (MAX_BATCH as f64 - 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::close;

    #[test]
    fn engine_cu_come_from_the_performance_table() {
        assert_eq!(measured_cu("liquidate_partial"), Some(46_215.0));
        assert_eq!(measured_cu("bid"), Some(42_006.0));
        assert_eq!(measured_cu("no_such_instruction"), None);
        for a in [
            Action::RefreshMarket,
            Action::LiquidatePartial,
            Action::StartAuction,
            Action::Bid,
            Action::RestartAuction,
            Action::Backstop,
            Action::SettleAuction,
        ] {
            let cu = a.cu();
            assert!(cu > 10_000.0 && cu <= 60_000.0, "{a:?}: {cu}");
        }
        assert_eq!(Action::KaminoLiquidation.cu(), 350_000.0);
        // A full batch: more than one account's CU, less than as many single liquidations.
        let batch = Action::LiquidateBatch.cu();
        let single = Action::LiquidatePartial.cu();
        assert!(batch > single && batch < single * MAX_BATCH as f64);
        for (k, a) in Action::ALL.into_iter().enumerate() {
            assert_eq!(a as usize, k, "{a:?}");
            assert_eq!(a.cu(), a.read_cu());
        }
    }

    #[test]
    fn fee_by_hand() {
        let m = FeeModel::default();
        // Calm: 5,000 + 46,188 * 100,000 / 1e6 = 9,618.8 lamports = 9.6188e-6 SOL =
        // $0.00144282 at $150 = 0.000144282 debt units at $10.
        assert!(close(
            m.fee(46_188.0, m.cu_price(0.001)),
            9_618.8e-9 * 150.0 / 10.0
        ));
        // Crash: 5,000 + 46,188 * 2.276532 = 110,148.46 lamports.
        assert!(close(
            m.fee(46_188.0, m.cu_price(0.2)),
            (5_000.0 + 46_188.0 * 2.276_532) * 1e-9 * 150.0 / 10.0
        ));
        // Halfway in log-volatility: the geometric mean of the two levels.
        let mid = (0.01f64 * 0.05).sqrt();
        assert!(close(m.cu_price(mid), (100_000.0f64 * 2_276_532.0).sqrt()));
    }

    #[test]
    fn depth_thins_with_drawdown_and_volatility() {
        let d = DepthModel::default();
        assert_eq!(d.factor(0.0, 0.001), 1.0);
        assert!(close(d.factor(0.2, 0.01), (-0.3f64).exp()));
        // Volatility 4x calm: sqrt(1/4) = 0.5.
        assert!(close(d.factor(0.0, 0.04), 0.5));
        assert!(close(d.factor(0.1, 0.04), 0.5 * (-0.15f64).exp()));
        assert_eq!(d.factor(0.95, 0.5), 0.25);
    }

    #[test]
    fn a_batch_is_charged_between_one_account_and_a_full_batch() {
        let path = |t: f64| if t < 3_600.0 { 100.0 } else { 90.0 };
        let c = Clock::new(path, 60.0, 7_200.0, 2, Frictions::default());
        let tick = &c.ticks[59];
        let one = c.fee(tick, Action::LiquidatePartial);
        let full = c.fee(tick, Action::LiquidateBatch);
        assert!(close(c.batch_fee(tick, 1, 1), one));
        assert!(close(c.batch_fee(tick, 1, MAX_BATCH as u64), full));
        // Linear in the accounts; each transaction pays its base fee.
        let four = c.batch_fee(tick, 1, 4);
        assert!(one < four && four < full);
        assert!(close(
            c.batch_fee(tick, 2, 5),
            c.batch_fee(tick, 1, 1) + four
        ));
        assert_eq!(c.batch_fee(tick, 0, 0), 0.0);
        // Each account past the first adds the same.
        assert!(close(
            c.batch_fee(tick, 1, 2) - one,
            c.batch_account_fee(tick)
        ));
    }

    #[test]
    fn the_clock_measures_volatility_and_drawdown_from_the_path() {
        // 100 for an hour, then -10% in one 60-s step, then flat.
        let path = |t: f64| if t < 3_600.0 { 100.0 } else { 90.0 };
        let c = Clock::new(path, 60.0, 7_200.0, 2, Frictions::default());
        assert_eq!(c.path_steps, 120);
        assert_eq!(c.ticks.len(), 122);
        let at = |s: usize| c.ticks[s - 1];
        assert_eq!(at(59).vol, 0.0);
        assert!(close(at(60).vol, (0.9f64).ln().abs()));
        assert!(close(at(60).drawdown, 0.1));
        // The jump leaves the window an hour later.
        assert!(close(at(119).vol, (0.9f64).ln().abs()));
        assert_eq!(at(120).vol, 0.0);
        assert!(at(121).t > 7_200.0 && !at(121).on_path && at(120).on_path);
        assert_eq!(at(122).price, 90.0);
        assert!(at(60).cu_price > at(59).cu_price);
        assert!(at(60).depth < 1.0);
    }
}
