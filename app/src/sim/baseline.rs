//! The generation-one liquidation model the simulator compares the program against. This
//! is a model inside the simulator, not the program: liquidation at the pool's spot price
//! as soon as `LTV >= liq_ltv`, a close factor (everything below a health factor of
//! `full_close_health`), a fixed bonus, and the liquidator dumping the seized collateral
//! into the same pool at once, cascading within the step.
//!
//! When the account's collateral cannot pay the repay plus its bonus, the liquidator
//! seizes all of it and repays only what that collateral covers at the bonus
//! (`collateral * price / (1 + bonus)`), as a rational liquidator would; the debt left on
//! an account with no collateral is written off as bad debt. With a full close, bad debt
//! therefore appears as soon as the collateral value falls below `debt * (1 + bonus)`.

use super::pool::Pool;
use super::report::Metrics;

/// One borrower, whole tokens.
#[derive(Clone, Copy, Debug)]
pub struct BaselineAccount {
    pub collateral: f64,
    pub debt: f64,
}

#[derive(Clone, Debug)]
pub struct BaselineParams {
    /// Liquidation threshold: liquidatable when `debt / (collateral * price) >= liq_ltv`.
    pub liq_ltv: f64,
    /// Share of the debt repaid per liquidation.
    pub close_factor: f64,
    /// Below this health factor (`liq_ltv * collateral * price / debt`) the whole debt is
    /// repaid.
    pub full_close_health: f64,
    /// Liquidation bonus, a fraction of the repaid value.
    pub bonus: f64,
    /// Cap on cascade rounds within one step.
    pub max_rounds_per_step: usize,
}

impl Default for BaselineParams {
    fn default() -> Self {
        BaselineParams {
            liq_ltv: 0.80,
            close_factor: 0.5,
            full_close_health: 0.95,
            bonus: 0.05,
            max_rounds_per_step: 50,
        }
    }
}

/// The baseline run: its accounts, its metrics, and its liquidation events.
pub struct Baseline {
    pub accounts: Vec<BaselineAccount>,
    pub params: BaselineParams,
    /// Kept finished (`Metrics::finish`) after every step.
    pub metrics: Metrics,
    /// (t_secs, spot price) of each liquidation, for the plot.
    pub events: Vec<(f64, f64)>,
    /// Rounds that liquidated something in the last step (more than one: a cascade).
    pub rounds_last_step: usize,
    liquidated: Vec<bool>,
    written_off: Vec<bool>,
}

impl Baseline {
    pub fn new(accounts: Vec<BaselineAccount>, params: BaselineParams) -> Baseline {
        let n = accounts.len();
        let metrics = Metrics {
            initial_debt: accounts.iter().map(|a| a.debt.max(0.0)).sum(),
            ..Metrics::default()
        };
        Baseline {
            accounts,
            params,
            metrics,
            events: Vec::new(),
            rounds_last_step: 0,
            liquidated: vec![false; n],
            written_off: vec![false; n],
        }
    }

    /// Debt outstanding at start, debt units.
    pub fn initial_debt(&self) -> f64 {
        self.metrics.initial_debt
    }

    /// Debt still outstanding, debt units.
    pub fn outstanding_debt(&self) -> f64 {
        self.accounts.iter().map(|a| a.debt.max(0.0)).sum()
    }

    fn write_off(&mut self, i: usize) {
        let a = &mut self.accounts[i];
        if a.debt > 0.0 && a.collateral <= 0.0 && !self.written_off[i] {
            self.written_off[i] = true;
            self.metrics.bad_debt += a.debt;
            self.metrics.lp_loss += a.debt;
            a.debt = 0.0;
        }
    }

    /// Liquidates account `i` once if it is liquidatable at the pool's spot price, dumping
    /// the seized collateral into the pool. Returns whether it did.
    fn liquidate(&mut self, i: usize, t_secs: f64, pool: &mut Pool) -> bool {
        let p = &self.params;
        let price = pool.price();
        let a = self.accounts[i];
        if a.debt <= 0.0 || a.collateral <= 0.0 || price.is_nan() || price <= 0.0 {
            return false;
        }
        let value = a.collateral * price;
        if a.debt / value < p.liq_ltv {
            return false;
        }
        let health = p.liq_ltv * value / a.debt;
        let mut repay = if health < p.full_close_health {
            a.debt
        } else {
            a.debt * p.close_factor
        };
        let mut seize = repay * (1.0 + p.bonus) / price;
        if seize >= a.collateral {
            seize = a.collateral;
            repay = repay.min(seize * price / (1.0 + p.bonus));
        }
        let acc = &mut self.accounts[i];
        acc.debt -= repay;
        if seize >= acc.collateral {
            acc.collateral = 0.0;
        } else {
            acc.collateral -= seize;
        }
        if acc.debt < 0.0 {
            acc.debt = 0.0;
        }

        let m = &mut self.metrics;
        m.debt_liquidated += repay;
        m.borrower_penalty += seize * price - repay;
        m.transactions += 1;
        if !self.liquidated[i] {
            self.liquidated[i] = true;
            m.accounts_liquidated += 1;
        }
        m.record_action(t_secs);
        let received = pool.sell_collateral(seize);
        m.record_sale(seize, received, price);
        self.events.push((t_secs, price));
        self.write_off(i);
        true
    }

    /// One step at time `t_secs`: liquidate every account with
    /// `debt / (collateral * pool.price()) >= liq_ltv` at the pool's spot price, dumping each
    /// seizure into `pool` at once, and repeat rounds within the step while anything was
    /// liquidated (cascade), at most `max_rounds_per_step` rounds. Metrics are finished.
    pub fn step(&mut self, t_secs: f64, pool: &mut Pool) {
        for i in 0..self.accounts.len() {
            self.write_off(i);
        }
        self.rounds_last_step = 0;
        for _ in 0..self.params.max_rounds_per_step {
            let mut any = false;
            for i in 0..self.accounts.len() {
                any |= self.liquidate(i, t_secs, pool);
            }
            if !any {
                break;
            }
            self.rounds_last_step += 1;
        }
        self.metrics.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    /// A pool so deep that a liquidation barely moves it.
    fn deep(price: f64) -> Pool {
        Pool::with_depth(price, 1e15)
    }

    fn one(collateral: f64, debt: f64) -> Baseline {
        Baseline::new(
            vec![BaselineAccount { collateral, debt }],
            BaselineParams::default(),
        )
    }

    #[test]
    fn defaults() {
        let p = BaselineParams::default();
        assert_eq!(
            (
                p.liq_ltv,
                p.close_factor,
                p.full_close_health,
                p.bonus,
                p.max_rounds_per_step
            ),
            (0.80, 0.5, 0.95, 0.05, 50)
        );
    }

    #[test]
    fn no_liquidation_above_threshold() {
        // LTV 0.7999 at price 100.
        let mut b = one(1.0, 79.99);
        let mut pool = deep(100.0);
        b.step(0.0, &mut pool);
        assert_eq!(b.metrics.transactions, 0);
        assert_eq!(b.accounts[0].debt, 79.99);
        assert_eq!(pool.price(), 100.0);
        assert!(b.events.is_empty());
        // Exactly at the threshold it is liquidated.
        let mut b = one(1.0, 80.0);
        b.step(0.0, &mut deep(100.0));
        assert_eq!(b.metrics.transactions, 1);
    }

    #[test]
    fn close_factor_half_then_full_below_health_095() {
        // LTV 0.82: health 0.8 / 0.82 = 0.976 >= 0.95 -> half.
        let mut b = one(1.0, 82.0);
        let mut pool = deep(100.0);
        b.step(10.0, &mut pool);
        assert_eq!(b.metrics.accounts_liquidated, 1);
        assert!(close(b.metrics.debt_liquidated, 41.0));
        assert!(close(b.accounts[0].debt, 41.0));
        assert!(close(b.accounts[0].collateral, 1.0 - 41.0 * 1.05 / 100.0));
        assert_eq!(b.rounds_last_step, 1, "healthy after one half close");
        // LTV 0.86: health 0.930 < 0.95 -> all of it.
        let mut b = one(1.0, 86.0);
        b.step(10.0, &mut deep(100.0));
        assert!(close(b.metrics.debt_liquidated, 86.0));
        assert_eq!(b.accounts[0].debt, 0.0);
        assert!(close(b.accounts[0].collateral, 1.0 - 86.0 * 1.05 / 100.0));
        assert_eq!(b.metrics.bad_debt, 0.0);
        assert_eq!(b.events, vec![(10.0, 100.0)]);
    }

    #[test]
    fn bonus_is_capped_by_collateral() {
        // Value 100 vs debt 98: repay 98 would need 102.9 of collateral value.
        let mut b = one(1.0, 98.0);
        let mut pool = deep(100.0);
        b.step(0.0, &mut pool);
        let m = &b.metrics;
        assert_eq!(b.accounts[0].collateral, 0.0);
        assert!(close(m.collateral_sold, 1.0));
        assert!(close(m.debt_liquidated, 100.0 / 1.05));
        assert!(close(m.borrower_penalty, 100.0 - 100.0 / 1.05));
        assert!(m.borrower_penalty < 98.0 * 0.05);
        assert!(close(m.bad_debt, 98.0 - 100.0 / 1.05));
        assert_eq!(b.accounts[0].debt, 0.0);
    }

    #[test]
    fn bad_debt_when_price_gaps_below_debt_times_one_plus_bonus() {
        // Debt 80 on 1 collateral; full close at any price below ~84.2 (health < 0.95).
        // Collateral value 84.1 > 80 * 1.05 = 84: no bad debt.
        let mut b = one(1.0, 80.0);
        b.step(0.0, &mut deep(84.1));
        assert_eq!(b.metrics.bad_debt, 0.0);
        assert_eq!(b.accounts[0].debt, 0.0);
        assert!(b.accounts[0].collateral > 0.0);
        // Gap to 76 (< 84): bad debt = debt - value / 1.05, counted once.
        let mut b = one(1.0, 80.0);
        let mut pool = deep(76.0);
        b.step(0.0, &mut pool);
        let expected = 80.0 - 76.0 / 1.05;
        assert!(
            close(b.metrics.bad_debt, expected),
            "{}",
            b.metrics.bad_debt
        );
        assert!(close(b.metrics.lp_loss, expected));
        assert!(close(b.metrics.bad_debt_pct, expected / 80.0 * 100.0));
        b.step(60.0, &mut pool);
        b.step(120.0, &mut pool);
        assert!(close(b.metrics.bad_debt, expected), "counted once");
        assert_eq!(b.metrics.transactions, 1);
        // An account that starts with debt and no collateral is written off once.
        let mut b = one(0.0, 10.0);
        b.step(0.0, &mut pool);
        b.step(1.0, &mut pool);
        assert_eq!(b.metrics.bad_debt, 10.0);
        assert_eq!(b.metrics.transactions, 0);
    }

    /// Two accounts of 10 collateral: LTV 0.78 (healthy at 100) and 0.81
    /// (just past the 0.8 threshold).
    fn two_accounts() -> Vec<BaselineAccount> {
        [780.0, 810.0]
            .map(|debt| BaselineAccount {
                collateral: 10.0,
                debt,
            })
            .to_vec()
    }

    #[test]
    fn cascade_within_one_step_on_a_thin_pool() {
        // Account 0 is healthy at 100 (LTV 0.78); account 1 is just past the threshold.
        // Dumping account 1's seizure into a thin pool drags the price below account 0's
        // liquidation price (0.78 * 100 / 0.8 = 97.5), so round 2 liquidates account 0.
        let mut b = Baseline::new(two_accounts(), BaselineParams::default());
        let mut pool = Pool::with_depth(100.0, 10_000.0);
        b.step(0.0, &mut pool);
        assert_eq!(b.metrics.accounts_liquidated, 2);
        assert!(b.rounds_last_step >= 2, "rounds {}", b.rounds_last_step);
        assert!(pool.price() < 97.5);
        // Events are recorded at the falling spot price.
        assert!(b.events.len() >= 2);
        assert_eq!(b.events[0], (0.0, 100.0));
        assert!(b.events.windows(2).all(|w| w[1].1 < w[0].1));
        // On a deep pool, the same book liquidates only account 1.
        let mut b = Baseline::new(two_accounts(), BaselineParams::default());
        b.step(0.0, &mut deep(100.0));
        assert_eq!(b.metrics.accounts_liquidated, 1);
        assert_eq!(b.rounds_last_step, 1);
        // The round cap holds.
        let params = BaselineParams {
            max_rounds_per_step: 1,
            ..BaselineParams::default()
        };
        let mut b = Baseline::new(two_accounts(), params);
        b.step(0.0, &mut Pool::with_depth(100.0, 10_000.0));
        assert_eq!(b.rounds_last_step, 1);
        assert_eq!(b.metrics.accounts_liquidated, 1);
    }

    #[test]
    fn metrics_add_up() {
        let accounts: Vec<BaselineAccount> = (0..20)
            .map(|i| BaselineAccount {
                collateral: 10.0,
                debt: 700.0 + 10.0 * i as f64,
            })
            .collect();
        let mut b = Baseline::new(accounts.clone(), BaselineParams::default());
        assert!(close(
            b.initial_debt(),
            accounts.iter().map(|a| a.debt).sum()
        ));
        let mut pool = Pool::with_depth(100.0, 200_000.0);
        let mut received_total = 0.0;
        for (k, fundamental) in [100.0, 95.0, 90.0, 85.0, 80.0].into_iter().enumerate() {
            pool.arbitrage_toward(fundamental, 1.0);
            let debt_before_pool = pool.debt;
            b.step(k as f64 * 60.0, &mut pool);
            received_total += debt_before_pool - pool.debt;
        }
        let m = &b.metrics;
        assert!(m.accounts_liquidated > 0);
        // Collateral sold = collateral that left the accounts.
        let collateral_left: f64 = b.accounts.iter().map(|a| a.collateral).sum();
        assert!(close(m.collateral_sold, 200.0 - collateral_left));
        // Debt repaid + bad debt + debt left = initial debt.
        assert!(close(
            m.debt_liquidated + m.bad_debt + b.outstanding_debt(),
            m.initial_debt
        ));
        // Penalty = bonus on what was repaid (no seizure was capped here).
        assert_eq!(m.bad_debt, 0.0);
        assert!(close(m.borrower_penalty, m.debt_liquidated * 0.05));
        assert!(close(m.borrower_penalty_pct, 5.0));
        // Sales are averaged from what the pool paid, below the spot at each sale.
        assert!(close(m.avg_sale_price * m.collateral_sold, received_total));
        assert!(m.avg_sale_vs_oracle_pct < 0.0);
        assert_eq!(m.transactions as usize, b.events.len());
        assert_eq!(
            m.time_to_clear_secs,
            b.events.last().unwrap().0 - b.events[0].0
        );
        assert_eq!(
            m.auctions_started + m.insurance_used as u64 + m.pol_used as u64,
            0
        );
    }
}
