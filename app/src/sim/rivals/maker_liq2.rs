//! Maker's Liquidations 2.0: the Dog barks an unsafe vault into a Clipper Dutch auction
//! whose price falls along `StairstepExponentialDecrease`, keepers `take` collateral at
//! the current price, and `redo` restarts a stale auction. Rules from makerdao/dss
//! (@fa4f6630) `src/dog.sol`, `src/clip.sol`, `src/abaci.sol` and makerdao/osm `src/osm.sol`;
//! parameters from ETH-A as in makerdao/spells-mainnet (@64ebd0aa, July 2025)
//! `src/test/config.sol:182-198` except where noted.
//!
//! - Oracle: the OSM ([`Osm`]): every price Maker uses (the Dog's `spot`, the Clipper's
//!   `top` at kick and redo) is the OSM's `cur`, read by a poke one to two hours earlier.
//! - `bark` (dog.sol:181): a vault is unsafe when `ink * spot < art * rate`, `spot = osm /
//!   mat`, i.e. `debt > collateral * osm / 1.25` (strict, as in dss). With `Hole` and
//!   `hole` large (not binding here), the whole vault goes to auction: `tab = debt * chop`,
//!   `lot = collateral`; nothing has left the borrower yet (ledger: the account is marked
//!   liquidated). A keeper (not a bidder) barks every unsafe vault at each step.
//! - `kick` (clip.sol:229-263): `top = buf * osm`; the keeper's incentive `tip + chip *
//!   tab` is `suck`ed from the vow: here [`Insurance::cover`].
//! - Price (abaci.sol `StairstepExponentialDecrease`): `price(t) = top * cut^floor((t -
//!   tic) / step)`.
//! - `redo` (clip.sol:270-305): allowed when `t - tic > tail` or `price / top < cusp`;
//!   restarts at `top = buf * osm`, `tic = t`. A keeper calls it at the start of every step
//!   it is allowed, paid `tip + chip * tab` from the vow when `tab >= chost` and `lot * osm
//!   >= chost` (covered likewise).
//! - `take` (clip.sol:327-416): a bidder that looks this step, on an auction barked in an
//!   earlier step, asks for `take_size(venue, auction price, min(lot, tab / price), fee)`
//!   (what it accepts: cash, edge, slippage on top of its inventory, the transaction fee);
//!   `owe = slice * price`, capped at `tab`; a partial take must leave `tab >= chost`
//!   (`chost = dust * chop`): otherwise it is cut to leave exactly `chost`, and when `tab <=
//!   chost` only the whole remainder can be bought. Ledger: the slice leaves the borrower
//!   at the path's price now; what `owe` pays toward the vault's debt is repaid, the rest
//!   is penalty. When `tab` reaches 0 the rest of the lot goes back to the vault's owner
//!   (never taken, never re-marked); when `lot` reaches 0 the auction ends. Each step:
//!   resets first, then barks (in account order), then each looking bidder in turn goes
//!   through the running auctions in kick order.
//! - Settlement (vow): the DAI collected repays the vault's debt (`art * rate`) first; any
//!   surplus, the collected part of the penalty, is income ([`Insurance::earn`]); a
//!   shortfall is [`Insurance::cover`]ed (the surplus buffer netted against `sin`).
//!   Penalty not collected is simply not earned.
//!
//! Not modelled, and noted: the `Hole`/`hole` limits on DAI in auctions (40M and 150M DAI:
//! kept non-binding); the `ClipperMom` circuit breaker; stability-fee accrual (`rate` fixed
//! at 1). `mat` is 1.25 (the simulator's common 80% threshold; ETH-A has 1.45). The absolute
//! amounts, `dust` (7,500 DAI) and `tip` (250 DAI), are rescaled: dust is 0.5% of the
//! barked vault's debt and tip is 0. At the simulator's default scale (`--debt-unit-usd`
//! 10) the average vault owes about $5,000, under ETH-A's dust, and a 250-DAI tip would
//! cost the vow 5% of it: the rescaling is the choice that favours Maker.

use super::{underwater, Insurance, Rival, StepCtx};
use crate::sim::clock::Action;
use crate::sim::ledger::{EndState, Position};

/// Maker's Oracle Security Module: `poke` (allowed once per `hop`, at hour boundaries)
/// moves `nxt` to `cur` and reads the market into `nxt`; Maker reads `cur`. So the price
/// in force was read one poke earlier: one to two hours old (osm `src/osm.sol`, `poke`
/// and `peek`). A keeper pokes at every boundary.
#[derive(Clone, Debug, PartialEq)]
pub struct Osm {
    pub hop_secs: f64,
    pub cur: f64,
    pub nxt: f64,
    /// The last poke, floored to a multiple of `hop_secs`.
    pub zzz: f64,
}

impl Osm {
    pub fn new(hop_secs: f64) -> Osm {
        Osm {
            hop_secs,
            cur: 0.0,
            nxt: 0.0,
            zzz: f64::NEG_INFINITY,
        }
    }

    /// The market is at `price` at `t`: poke when a hop has passed (the first observation
    /// fills both values).
    pub fn observe(&mut self, t: f64, price: f64) {
        if self.hop_secs <= 0.0 {
            self.cur = price;
            self.nxt = price;
            return;
        }
        if self.cur <= 0.0 {
            self.cur = price;
            self.nxt = price;
            self.zzz = (t / self.hop_secs).floor() * self.hop_secs;
        } else if t >= self.zzz + self.hop_secs {
            self.cur = self.nxt;
            self.nxt = price;
            self.zzz = (t / self.hop_secs).floor() * self.hop_secs;
        }
    }

    /// The price in force (`peek`).
    pub fn price(&self) -> f64 {
        self.cur
    }
}

/// The rules; sources in the module doc.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Liquidation ratio `mat`: 1.25 (unsafe above 80% LTV, the simulator's common
    /// threshold; ETH-A has 1.45).
    pub liq_ratio: f64,
    /// Liquidation penalty `chop`: 1.13 (ETH-A `chop: 1300` bps).
    pub chop: f64,
    /// Starting-price factor `buf`: 1.10 (ETH-A `clip_buf: 11000`, spells-mainnet
    /// `src/test/config.sol:189` after the 2025-06-26 spell).
    pub buf: f64,
    /// Per-step price factor `cut`: 0.99 (ETH-A `calc_cut: 9900`).
    pub cut: f64,
    /// Seconds between price drops `step`: 90 (ETH-A `calc_step: 90`).
    pub step_secs: f64,
    /// Seconds before a reset is allowed `tail`: 7200 (ETH-A `clip_tail`, config.sol:190).
    pub tail_secs: f64,
    /// Price drop (price / top) below which a reset is allowed `cusp`: 0.45 (ETH-A
    /// `clip_cusp`, config.sol:191).
    pub cusp: f64,
    /// Keeper incentive, share of the tab `chip`: 0.001 (ETH-A `clip_chip: 10` = 0.1%).
    pub chip: f64,
    /// Flat keeper incentive `tip`, debt units: 0 (ETH-A has 300 DAI; not meaningful at the
    /// simulator's scale).
    pub tip: f64,
    /// `dust` as a share of the barked vault's debt: 0.005 (ETH-A's dust is 7,500 DAI).
    pub dust_share: f64,
    /// The OSM's `hop`: 3600 s.
    pub osm_hop_secs: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            liq_ratio: 1.25,
            chop: 1.13,
            buf: 1.10,
            cut: 0.99,
            step_secs: 90.0,
            tail_secs: 7_200.0,
            cusp: 0.45,
            chip: 0.001,
            tip: 0.0,
            dust_share: 0.005,
            osm_hop_secs: 3_600.0,
        }
    }
}

/// `StairstepExponentialDecrease.price`: `top * cut^floor(elapsed / step)` (`top` while
/// `step` is not positive).
pub fn stairstep_price(top: f64, cut: f64, step_secs: f64, elapsed_secs: f64) -> f64 {
    if step_secs <= 0.0 {
        return top;
    }
    // A hair of tolerance so that float seconds landing just under a stair still count it.
    let n = (elapsed_secs.max(0.0) / step_secs + 1e-9).floor();
    top * cut.powf(n)
}

/// One Clipper sale.
#[derive(Clone, Debug, PartialEq)]
pub struct Auction {
    /// The liquidated vault (account index).
    pub vault: usize,
    /// DAI still to raise.
    pub tab: f64,
    /// Collateral still for sale.
    pub lot: f64,
    /// Start (or last reset) time, seconds.
    pub tic: f64,
    /// Starting price.
    pub top: f64,
    /// The vault's debt when barked (`art * rate`): what the vow must recover.
    pub due: f64,
    /// DAI collected so far.
    pub collected: f64,
    /// `dust * chop`: the least tab a partial take may leave.
    pub chost: f64,
    /// When it was barked: bidders first see it then and take from the next step.
    pub kicked: f64,
}

impl Auction {
    /// The auction's price at `t`.
    pub fn price(&self, p: &Params, t: f64) -> f64 {
        stairstep_price(self.top, p.cut, p.step_secs, t - self.tic)
    }

    /// Whether the auction needs a reset at `t` (clip.sol `status`).
    pub fn needs_redo(&self, p: &Params, t: f64) -> bool {
        t - self.tic > p.tail_secs || self.price(p, t) / self.top < p.cusp
    }
}

/// A Maker ilk's vaults, its Clipper's auctions, and the vow's surplus as the fund.
#[derive(Clone, Debug)]
pub struct MakerLiq2 {
    pub positions: Vec<Position>,
    pub params: Params,
    pub insurance: Insurance,
    /// Running auctions in kick order.
    pub auctions: Vec<Auction>,
    pub osm: Osm,
    pub barks: u64,
    pub redos: u64,
    pub takes: u64,
}

impl MakerLiq2 {
    pub fn new(book: &[Position], insurance: f64) -> Self {
        MakerLiq2::with_params(book, insurance, Params::default())
    }

    pub fn with_params(book: &[Position], insurance: f64, params: Params) -> Self {
        let osm = Osm::new(params.osm_hop_secs);
        MakerLiq2 {
            osm,
            positions: book.to_vec(),
            params,
            insurance: Insurance::new(insurance),
            auctions: Vec::new(),
            barks: 0,
            redos: 0,
            takes: 0,
        }
    }

    /// `ink * spot < art * rate` with `spot = price / mat`, and something to auction.
    fn unsafe_vault(&self, v: Position, price: f64) -> bool {
        v.collateral > 0.0
            && v.debt > 0.0
            && price > 0.0
            && v.collateral * price / self.params.liq_ratio < v.debt
    }

    fn incentive(&self, tab: f64) -> f64 {
        if self.params.tip > 0.0 || self.params.chip > 0.0 {
            self.params.tip + self.params.chip * tab
        } else {
            0.0
        }
    }

    fn redo_all(&mut self, cx: &mut StepCtx) {
        for j in 0..self.auctions.len() {
            if !self.auctions[j].needs_redo(&self.params, cx.t) {
                continue;
            }
            let osm = self.osm.price();
            let a = &mut self.auctions[j];
            a.tic = cx.t;
            a.top = self.params.buf * osm;
            let (tab, lot, chost) = (a.tab, a.lot, a.chost);
            if tab >= chost && lot * osm >= chost {
                let coin = self.incentive(tab);
                self.insurance.cover(coin);
            }
            self.redos += 1;
            cx.ledger.action(cx.t);
            cx.pay(Action::RestartAuction, None);
        }
    }

    fn bark_all(&mut self, cx: &mut StepCtx) {
        let osm = self.osm.price();
        for i in 0..self.positions.len() {
            let v = self.positions[i];
            if !self.unsafe_vault(v, osm) {
                continue;
            }
            let p = &self.params;
            let tab = v.debt * p.chop;
            let auction = Auction {
                vault: i,
                tab,
                lot: v.collateral,
                tic: cx.t,
                top: p.buf * osm,
                due: v.debt,
                collected: 0.0,
                chost: p.dust_share * v.debt * p.chop,
                kicked: cx.t,
            };
            self.positions[i] = Position::default();
            let coin = self.incentive(tab);
            self.insurance.cover(coin);
            cx.ledger.liquidated(i, cx.t, v);
            cx.pay(Action::StartAuction, None);
            self.auctions.push(auction);
            self.barks += 1;
        }
    }

    /// Bidder `k` takes from auction `j` what it accepts. Returns whether the auction ended.
    fn take(&mut self, j: usize, k: usize, cx: &mut StepCtx) -> bool {
        let a = &self.auctions[j];
        if a.needs_redo(&self.params, cx.t) || a.kicked >= cx.t {
            return false;
        }
        let price = a.price(&self.params, cx.t);
        if price.is_nan() || price <= 0.0 {
            return false;
        }
        let whole = a.lot.min(a.tab / price);
        let fee = cx.fee(Action::Bid);
        let q = cx.bidders[k].take_size(cx.venue, price, whole, fee);
        if q <= 0.0 {
            return false;
        }
        // (slice, owe, lot left, tab left), exact at the boundaries.
        let (slice, owe, lot, tab) = if q >= whole * (1.0 - 1e-12) {
            if a.lot * price <= a.tab {
                (a.lot, a.lot * price, 0.0, a.tab - a.lot * price)
            } else {
                (a.tab / price, a.tab, (a.lot - a.tab / price).max(0.0), 0.0)
            }
        } else {
            // A partial take (owe < tab, slice < lot) must leave at least chost.
            let owe = q * price;
            if a.tab - owe < a.chost {
                if a.tab <= a.chost * (1.0 + 1e-12) {
                    return false;
                }
                let owe = a.tab - a.chost;
                (owe / price, owe, a.lot - owe / price, a.chost)
            } else {
                (q, owe, a.lot - q, a.tab - owe)
            }
        };
        let a = &mut self.auctions[j];
        // What the take pays toward the vault's debt; beyond it, penalty.
        let toward_debt = owe.min((a.due - a.collected).max(0.0));
        a.lot = lot;
        a.tab = tab;
        a.collected += owe;
        let vault = a.vault;
        self.takes += 1;
        cx.ledger.take(vault, slice, cx.price);
        cx.ledger.repaid(vault, toward_debt);
        cx.ledger.action(cx.t);
        cx.pay(Action::Bid, Some(k));
        cx.bidders[k].buy(slice, owe);
        let a = &self.auctions[j];
        if a.lot <= 0.0 || a.tab <= 0.0 {
            let a = a.clone();
            if a.tab <= 0.0 && a.lot > 0.0 {
                self.positions[a.vault].collateral += a.lot;
            }
            let surplus = a.collected - a.due;
            if surplus >= 0.0 {
                self.insurance.earn(surplus);
            } else {
                self.insurance.cover(-surplus);
            }
            return true;
        }
        false
    }
}

impl Rival for MakerLiq2 {
    fn step(&mut self, cx: &mut StepCtx) {
        self.osm.observe(cx.t, cx.price);
        let looking: Vec<bool> = cx.bidders.iter_mut().map(|b| b.look(cx.t)).collect();
        self.redo_all(cx);
        self.bark_all(cx);
        for (k, &looks) in looking.iter().enumerate() {
            if !looks {
                continue;
            }
            let mut j = 0;
            while j < self.auctions.len() {
                if self.take(j, k, cx) {
                    self.auctions.remove(j);
                } else {
                    j += 1;
                }
            }
        }
    }

    fn busy(&self, _price: f64) -> bool {
        // The queued price counts too: it is in force at the next poke.
        let osm = self.osm.cur.min(self.osm.nxt);
        !self.auctions.is_empty() || self.positions.iter().any(|&v| self.unsafe_vault(v, osm))
    }

    /// Bad debt: what the fund could not cover, what open vaults owe beyond their
    /// collateral, and, for each running auction, the vault's debt not yet recovered beyond
    /// the lot's value (the uncollected penalty is not a loss to anyone).
    fn end_state(&self, final_price: f64) -> EndState {
        let open: f64 = self
            .auctions
            .iter()
            .map(|a| ((a.due - a.collected).max(0.0) - a.lot * final_price).max(0.0))
            .sum();
        self.insurance
            .end_state(underwater(&self.positions, final_price) + open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::bidders::Bidder;
    use crate::sim::ledger::Ledger;

    use super::super::testkit::{close, deep, pos, step};

    /// 110 * 0.99^10: the first stair under a venue at 100 (9 stairs: 100.4869).
    const A10: f64 = 99.48202825096848;

    #[test]
    fn defaults() {
        let p = Params::default();
        assert_eq!(
            (
                p.liq_ratio,
                p.chop,
                p.buf,
                p.cut,
                p.step_secs,
                p.tail_secs,
                p.cusp,
                p.chip,
                p.tip,
                p.dust_share,
                p.osm_hop_secs
            ),
            (1.25, 1.13, 1.10, 0.99, 90.0, 7_200.0, 0.45, 0.001, 0.0, 0.005, 3_600.0)
        );
        assert!(close(stairstep_price(110.0, 0.99, 90.0, 10.0 * 90.0), A10));
        assert!(stairstep_price(110.0, 0.99, 90.0, 9.0 * 90.0) > 100.0);
    }

    #[test]
    fn the_osm_reads_the_price_one_poke_earlier() {
        // First observation at 60: cur = nxt = 100, zzz = 0. At 1800 no hop has passed.
        // At 3650 (past 3600) a poke: cur = 100 (the nxt read at 60), nxt = 80, zzz 3600.
        // At 7200: cur = 80, nxt = 70.
        let mut o = Osm::new(3_600.0);
        o.observe(60.0, 100.0);
        assert_eq!((o.cur, o.nxt, o.zzz), (100.0, 100.0, 0.0));
        o.observe(1_800.0, 80.0);
        assert_eq!((o.cur, o.nxt, o.zzz), (100.0, 100.0, 0.0));
        o.observe(3_650.0, 80.0);
        assert_eq!((o.cur, o.nxt, o.zzz), (100.0, 80.0, 3_600.0));
        assert_eq!(o.price(), 100.0);
        o.observe(7_199.0, 70.0);
        assert_eq!(o.price(), 100.0);
        o.observe(7_200.0, 70.0);
        assert_eq!((o.cur, o.nxt, o.zzz), (80.0, 70.0, 7_200.0));
        // A vault (10, 700) is unsafe under 700 * 1.25 / 10 = 87.5. The path falls from
        // 100 to 80 at 1800: unsafe at the path, but the OSM says 100 until the poke at
        // 7200 puts the 80 read at 3600 in force: barked then, top 1.1 * 80 = 88, tab 700
        // * 1.13 = 791.
        let book = [pos(10.0, 700.0)];
        let mut m = MakerLiq2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(&mut m, 60.0, 100.0, &mut deep(100.0), &mut [], &mut l);
        for t in [1_800.0, 3_600.0, 7_140.0] {
            step(&mut m, t, 80.0, &mut deep(80.0), &mut [], &mut l);
        }
        assert_eq!(m.osm.price(), 100.0);
        assert!(m.auctions.is_empty());
        // Busy all the same: the queued 80 is in force at the next poke, so a run past the
        // path's end waits for it.
        assert!(m.busy(80.0));
        assert_eq!(l.transactions, 0);
        step(&mut m, 7_200.0, 80.0, &mut deep(80.0), &mut [], &mut l);
        assert_eq!(m.osm.price(), 80.0);
        assert_eq!(m.barks, 1);
        let a = &m.auctions[0];
        assert!(close(a.top, 88.0));
        assert!(close(a.tab, 791.0));
        assert_eq!((a.tic, a.kicked, a.due), (7_200.0, 7_200.0, 700.0));
    }

    #[test]
    fn bark_takes_the_whole_vault() {
        // (10, 850) at 100: 10 * 100 / 1.25 = 800 < 850, unsafe. tab = 850 * 1.13 = 960.5,
        // lot 10, top 1.1 * 100 = 110, chost 0.005 * 850 * 1.13 = 4.8025. Keeper incentive
        // 0.001 * 960.5 = 0.9605 from the fund: 50 -> 49.0395. Nothing has left the
        // borrower yet: the ledger marks the vault liquidated, nothing taken or repaid.
        let book = [pos(10.0, 850.0)];
        let mut m = MakerLiq2::new(&book, 50.0);
        let mut l = Ledger::new(&book, 50.0, 0.0);
        step(&mut m, 60.0, 100.0, &mut deep(100.0), &mut [], &mut l);
        assert_eq!(m.positions[0], pos(0.0, 0.0));
        assert_eq!(m.auctions.len(), 1);
        let a = &m.auctions[0];
        assert!(close(a.tab, 960.5));
        assert_eq!(
            (a.lot, a.tic, a.kicked, a.due, a.collected),
            (10.0, 60.0, 60.0, 850.0, 0.0)
        );
        assert!(close(a.top, 110.0));
        assert!(close(a.chost, 4.8025));
        assert!(close(m.insurance.balance, 49.0395));
        assert_eq!((m.barks, l.transactions), (1, 1));
        assert_eq!(l.debt_repaid(), 0.0);
        assert!(l.borrower_costs().is_empty());
        assert!(m.busy(100.0));
        let metrics = l.finish(|_| 100.0, 60.0, 60.0, m.end_state(100.0));
        assert_eq!(metrics.accounts_liquidated, 1);
        // The rule is strict: debt 800 on 10 at 100 (exactly 80% LTV) is safe.
        let book = [pos(10.0, 800.0)];
        let mut m = MakerLiq2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        step(&mut m, 60.0, 100.0, &mut deep(100.0), &mut [], &mut l);
        assert!(m.auctions.is_empty());
        assert!(!m.busy(100.0));
        assert_eq!(l.transactions, 0);
    }

    #[test]
    fn stairstep_price_after_90_and_180_seconds() {
        // Kicked at 60 with top 110: 110 until 149, 108.9 at 150 (one stair), 107.811 at
        // 240 (two stairs, 110 * 0.9801).
        let book = [pos(10.0, 850.0)];
        let mut m = MakerLiq2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut m, 60.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        let (a, p) = (&m.auctions[0], &m.params);
        assert!(close(a.price(p, 60.0), 110.0));
        assert!(close(a.price(p, 149.0), 110.0));
        assert!(close(a.price(p, 150.0), 108.9));
        assert!(close(a.price(p, 239.0), 108.9));
        assert!(close(a.price(p, 240.0), 107.811));
        // Above the venue's 100 nobody takes.
        step(&mut m, 240.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert_eq!((m.takes, l.transactions), (0, 1));
    }

    #[test]
    fn bidders_wait_a_step_after_the_bark() {
        // A venue at 120 above the top of 110: a zero-edge bidder would buy at once, but
        // not in the step the vault is barked (t = 0). At t = 60 (still 110) it buys the
        // whole tab: 960.5 / 110 = 8.731818, and 10 - 8.731818 = 1.268182 go back to the
        // vault. Taken at the path's 100: 873.1818 for 850 repaid, 2.72727%.
        let book = [pos(10.0, 850.0)];
        let mut m = MakerLiq2::new(&book, 50.0);
        let mut l = Ledger::new(&book, 50.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut m, 0.0, 100.0, &mut deep(120.0), &mut bidders, &mut l);
        assert_eq!((m.barks, m.takes), (1, 0));
        assert_eq!(bidders[0].available(), 1e6);
        step(&mut m, 60.0, 100.0, &mut deep(120.0), &mut bidders, &mut l);
        assert_eq!(m.takes, 1);
        assert!(m.auctions.is_empty());
        assert!(close(m.positions[0].collateral, 10.0 - 960.5 / 110.0));
        assert!(close(bidders[0].inventory(), 960.5 / 110.0));
        assert!(close(l.borrower_costs()[0], (960.5 / 1.1 - 850.0) / 8.5));
        assert!(close(l.borrower_costs()[0], 2.727272727272727));
    }

    #[test]
    fn take_at_a_price_returns_the_leftover_and_earns_the_chop() {
        // Barked at 0 (tab 960.5, lot 10, top 110; fund 50 - 0.9605). At 900 s (10
        // stairs) the price is A = 99.48203 under the venue's 100: a zero-edge bidder buys
        // tab / A = 9.655010 for the whole tab, 960.5, and holds it (the venue is untouched
        // until it sells). The tab is paid: the other 0.344990 go back to the vault (not
        // recorded). The vow gets 960.5 for a debt of 850: 110.5 of penalty earned. Fund 50
        // - 0.9605 + 110.5 = 159.5395.
        // Borrower: 9.655010 taken at the path's 100 = 965.5010 for 850 repaid: 115.5010
        // on 850 = 13.58836%.
        let book = [pos(10.0, 850.0)];
        let mut m = MakerLiq2::new(&book, 50.0);
        let mut l = Ledger::new(&book, 50.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        let mut v = deep(100.0);
        step(&mut m, 0.0, 100.0, &mut v, &mut bidders, &mut l);
        step(&mut m, 810.0, 100.0, &mut v, &mut bidders, &mut l);
        assert_eq!(m.takes, 0, "100.4869 is above the venue");
        step(&mut m, 900.0, 100.0, &mut v, &mut bidders, &mut l);
        assert_eq!(m.takes, 1);
        assert!(m.auctions.is_empty());
        assert!(close(m.positions[0].collateral, 10.0 - 960.5 / A10));
        assert!(close(m.positions[0].collateral, 0.3449897746666686));
        assert_eq!(m.positions[0].debt, 0.0);
        assert!(close(bidders[0].available(), 1e6 - 960.5));
        assert!(close(bidders[0].inventory(), 960.5 / A10));
        assert_eq!(v.pool.collateral, 1e9);
        assert!(close(m.insurance.balance, 159.5395));
        assert!(close(l.debt_repaid(), 850.0));
        assert!(close(l.borrower_costs()[0], (96_050.0 / A10 - 850.0) / 8.5));
        assert!(close(l.borrower_costs()[0], 13.588355592156844));
        assert_eq!(l.transactions, 2);
        assert!(!m.busy(100.0));
        let metrics = l.finish(|_| 100.0, 60.0, 900.0, m.end_state(100.0));
        assert_eq!(metrics.time_to_clear_secs, 900.0);
        // A 1% edge waits for the next stair: 99.48203 * 1.01 = 100.477 > 100 at 900 s,
        // 98.48721 * 1.01 = 99.472 < 100 at 990 s.
        let mut m = MakerLiq2::new(&book, 50.0);
        let mut l = Ledger::new(&book, 50.0, 0.0);
        let mut picky = vec![Bidder::new(1e6, 100.0, 0.0)];
        step(&mut m, 0.0, 100.0, &mut deep(100.0), &mut picky, &mut l);
        step(&mut m, 900.0, 100.0, &mut deep(100.0), &mut picky, &mut l);
        assert_eq!(m.takes, 0);
        step(&mut m, 990.0, 100.0, &mut deep(100.0), &mut picky, &mut l);
        assert_eq!(m.takes, 1);
    }

    #[test]
    fn shortfall_goes_to_insurance() {
        // (10, 1000) at 100: tab 1130, lot 10, incentive 1.13 (fund 5 -> 3.87). At 900 s
        // the whole lot at A costs 994.82028 < tab: the lot runs out. Collected 994.82028
        // for a debt of 1000, all of it repaid; the shortfall 5.17972 is written off (not
        // repaid): the fund pays 3.87, 1.30972 uncovered.
        let book = [pos(10.0, 1_000.0)];
        let mut m = MakerLiq2::new(&book, 5.0);
        let mut l = Ledger::new(&book, 5.0, 0.0);
        let mut bidders = vec![Bidder::new(1e6, 0.0, 0.0)];
        step(&mut m, 0.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(close(m.insurance.balance, 3.87));
        step(&mut m, 900.0, 100.0, &mut deep(100.0), &mut bidders, &mut l);
        assert!(m.auctions.is_empty());
        assert_eq!(m.positions[0], pos(0.0, 0.0));
        assert!(close(bidders[0].available(), 1e6 - 10.0 * A10));
        assert!(close(bidders[0].inventory(), 10.0));
        assert_eq!(m.insurance.balance, 0.0);
        assert!(close(m.insurance.uncovered, 1_000.0 - 10.0 * A10 - 3.87));
        assert!(close(m.insurance.uncovered, 1.3097174903151698));
        assert!(close(m.end_state(100.0).bad_debt, 1.3097174903151698));
        assert!(close(l.debt_repaid(), 10.0 * A10));
        // Borrower: 10 taken at 100 = 1000 for 994.82028 repaid: 5.17972 / 994.82028 =
        // 0.52067%.
        assert!(close(
            l.borrower_costs()[0],
            (1_000.0 / (10.0 * A10) - 1.0) * 100.0
        ));
        assert!(close(l.borrower_costs()[0], 0.5206686656255165));
    }

    #[test]
    fn partial_takes_leave_at_least_chost() {
        // (10, 850): tab 960.5, chost 4.8025. At 900 s (price A = 99.48203), in order:
        // B1 (cash 958) would pay 958, leaving 2.5 < chost: cut to owe 960.5 - 4.8025 =
        // 955.6975, slice 955.6975 / A = 9.606735. Left: tab 4.8025, lot 0.393265. Of the
        // 955.6975, 850 repays the vault's debt (the rest is penalty).
        // At 960 s (same stair), B2 (cash 3) could only buy part of a tab <= chost: not
        // allowed. B3 (rich) buys the rest: owe 4.8025 (all penalty), slice 0.048275; the
        // 0.344990 left returns.
        let book = [pos(10.0, 850.0)];
        let mut m = MakerLiq2::new(&book, 0.0);
        let mut l = Ledger::new(&book, 0.0, 0.0);
        let mut v = deep(100.0);
        let mut only_b1 = vec![Bidder::new(958.0, 0.0, 0.0)];
        step(&mut m, 0.0, 100.0, &mut v, &mut [], &mut l);
        step(&mut m, 900.0, 100.0, &mut v, &mut only_b1, &mut l);
        let a = m.auctions[0].clone();
        assert!(close(a.tab, 4.8025));
        assert!(close(a.lot, 10.0 - 955.6975 / A10));
        assert!(close(a.lot, 0.3932648257933362));
        assert!(close(only_b1[0].available(), 958.0 - 955.6975));
        assert!(close(only_b1[0].inventory(), 955.6975 / A10));
        assert!(close(l.debt_repaid(), 850.0));
        let mut b2_b3 = vec![Bidder::new(3.0, 0.0, 0.0), Bidder::new(1e6, 0.0, 0.0)];
        step(&mut m, 960.0, 100.0, &mut v, &mut b2_b3, &mut l);
        assert_eq!(b2_b3[0].available(), 3.0, "no partial purchase under chost");
        assert_eq!(b2_b3[0].inventory(), 0.0);
        assert!(close(b2_b3[1].available(), 1e6 - 4.8025));
        assert!(close(b2_b3[1].inventory(), 4.8025 / A10));
        assert!(m.auctions.is_empty());
        assert!(close(m.positions[0].collateral, 10.0 - 960.5 / A10));
        assert_eq!(m.takes, 2);
        // Repaid stays 850; taken 960.5 / A at 100, as with one take: 13.58836%.
        assert!(close(l.debt_repaid(), 850.0));
        assert!(close(l.borrower_costs()[0], 13.588355592156844));
        // The whole tab was collected: 110.5 earned (the fund had 0 and paid nothing: the
        // 0.9605 bark incentive went uncovered).
        assert!(close(m.insurance.balance, 110.5));
        assert!(close(m.insurance.uncovered, 0.9605));
    }

    #[test]
    fn redo_below_cusp() {
        // Barked at 0 (OSM 100), top 110; nobody bids; the path is at 80 from then on.
        // The poke at 3600 puts nxt = 80 in the queue, the OSM still says 100. At 7110 s
        // (79 stairs) price / top = 0.99^79 = 0.452044 >= 0.45: no reset. At 7200 s (80
        // stairs) 0.447523 < 0.45 (the tail is not passed: 7200 is not > 7200): the poke
        // puts 80 in force and the keeper resets at it: top 88, tic 7200, and is paid
        // 0.9605 again (tab 960.5 >= chost, lot * 80 = 800 >= chost). Fund 50 - 2 * 0.9605
        // = 48.079.
        let book = [pos(10.0, 850.0)];
        let mut m = MakerLiq2::new(&book, 50.0);
        let mut l = Ledger::new(&book, 50.0, 0.0);
        step(&mut m, 0.0, 100.0, &mut deep(100.0), &mut [], &mut l);
        step(&mut m, 3_600.0, 80.0, &mut deep(80.0), &mut [], &mut l);
        assert_eq!(m.osm.price(), 100.0);
        assert!(!m.auctions[0].needs_redo(&m.params, 7_110.0));
        step(&mut m, 7_110.0, 80.0, &mut deep(80.0), &mut [], &mut l);
        assert_eq!((m.redos, m.auctions[0].tic), (0, 0.0));
        assert!(m.auctions[0].needs_redo(&m.params, 7_200.0));
        step(&mut m, 7_200.0, 80.0, &mut deep(80.0), &mut [], &mut l);
        let a = &m.auctions[0];
        assert_eq!((m.redos, a.tic), (1, 7_200.0));
        assert!(close(a.top, 88.0));
        assert!(close(m.insurance.balance, 48.079));
        assert_eq!(l.transactions, 2);
        // Tab and lot are untouched by a reset.
        assert!(close(a.tab, 960.5));
        assert_eq!(a.lot, 10.0);
    }

    #[test]
    fn redo_after_tail() {
        // Cusp off (0): a reset only after tail. The path is at 90 from 3600 (the OSM has
        // 90 in force from the poke at 7200). At 7200 s elapsed = tail (not > tail): no;
        // at 7260 s: reset at the OSM's 90: top 99.
        let params = Params {
            cusp: 0.0,
            ..Params::default()
        };
        let book = [pos(10.0, 850.0)];
        let mut m = MakerLiq2::with_params(&book, 50.0, params);
        let mut l = Ledger::new(&book, 50.0, 0.0);
        step(&mut m, 0.0, 100.0, &mut deep(100.0), &mut [], &mut l);
        step(&mut m, 3_600.0, 90.0, &mut deep(90.0), &mut [], &mut l);
        step(&mut m, 7_200.0, 90.0, &mut deep(90.0), &mut [], &mut l);
        assert_eq!(m.redos, 0);
        assert_eq!(m.osm.price(), 90.0);
        step(&mut m, 7_260.0, 90.0, &mut deep(90.0), &mut [], &mut l);
        assert_eq!((m.redos, m.auctions[0].tic), (1, 7_260.0));
        assert!(close(m.auctions[0].top, 99.0));
        // 50 - 0.9605 at the bark - 0.9605 at the reset.
        assert!(close(m.insurance.balance, 48.079));
        // Without incentives nothing is paid: chip 0 and tip 0.
        let params = Params {
            cusp: 0.0,
            chip: 0.0,
            ..Params::default()
        };
        let mut m = MakerLiq2::with_params(&book, 50.0, params);
        let mut l = Ledger::new(&book, 50.0, 0.0);
        step(&mut m, 0.0, 100.0, &mut deep(100.0), &mut [], &mut l);
        step(&mut m, 7_260.0, 90.0, &mut deep(90.0), &mut [], &mut l);
        assert_eq!((m.redos, m.insurance.balance), (1, 50.0));
    }

    #[test]
    fn open_auction_in_the_end_state() {
        // Barked (10, 850), nobody bids. At a final price of 50, the lot is worth 500
        // against 850 of unrecovered debt: 350 of bad debt (the 110.5 of penalty is not a
        // loss). At 90 the lot covers it: 0.
        let book = [pos(10.0, 850.0)];
        let mut m = MakerLiq2::new(&book, 50.0);
        let mut l = Ledger::new(&book, 50.0, 0.0);
        step(&mut m, 0.0, 100.0, &mut deep(100.0), &mut [], &mut l);
        assert!(m.busy(50.0));
        let end = m.end_state(50.0);
        assert!(close(end.bad_debt, 350.0));
        assert!(close(end.insurance_end, 49.0395));
        assert_eq!(end.pol_end, 0.0);
        assert_eq!(m.end_state(90.0).bad_debt, 0.0);
    }

    /// makerdao/dss @ fa4f6630 `src/test/abaci.t.sol` test_stairstep_exp_decrease and
    /// `src/test/clip.t.sol`, as transcribed in /work/shared/data/vectors/maker-abaci.json:
    /// (top, cut, step, dur, dss price), RAY integers as decimal strings. The JSON gives
    /// dss's exact formula value (`rmul(top, rpow(cut, dur / step, RAY))`); a float model
    /// reproduces it to 1e-12 relative.
    const VECTORS: [(&str, &str, f64, f64, &str); 16] = [
        (
            "50000000000000000000000000000000000",
            "988765432110000000000000000",
            1.0,
            1.0,
            "49438271605500000000000000000000000",
        ),
        (
            "50000000000000000000000000000000000",
            "988765432110000000000000000",
            1.0,
            60.0,
            "25384375980898602842049160700000000",
        ),
        (
            "50000000000000000000000000000000000",
            "988765432110000000000000000",
            1.0,
            301.0,
            "1667422724253368371955024300000000",
        ),
        (
            "50000000000000000000000000000000000",
            "988765432110000000000000000",
            1.0,
            599.0,
            "57523009987129495047903650000000",
        ),
        (
            "50000000000000000000000000000000000",
            "978765432110000000000000000",
            1.0,
            250.0,
            "233682212147756890805359450000000",
        ),
        (
            "50000000000000000000000000000000000",
            "988765432110000000000000000",
            5.0,
            4.0,
            "50000000000000000000000000000000000",
        ),
        (
            "50000000000000000000000000000000000",
            "988765432110000000000000000",
            5.0,
            299.0,
            "25672798781738351645830941650000000",
        ),
        (
            "50000000000000000000000000000000000",
            "978765432110000000000000000",
            5.0,
            599.0,
            "3887998548850273760044491250000000",
        ),
        (
            "50000000000000000000000000000000000",
            "988765432110000000000000000",
            300.0,
            299.0,
            "50000000000000000000000000000000000",
        ),
        (
            "50000000000000000000000000000000000",
            "988765432110000000000000000",
            300.0,
            300.0,
            "49438271605500000000000000000000000",
        ),
        (
            "100000000000000000000",
            "988765432110000000000000000",
            1.0,
            100.0,
            "32309294796812832979",
        ),
        (
            "100000000000000000000",
            "978765432110000000000000000",
            1.0,
            599.0,
            "260912532087757",
        ),
        (
            "100000000000000000000",
            "988765432110000000000000000",
            5.0,
            500.0,
            "32309294796812832979",
        ),
        (
            "100000000000000000000",
            "978765432110000000000000000",
            5.0,
            60.0,
            "77293588596065176809",
        ),
        // The Clipper literals (clip.t.sol): top 5 RAY, cut 0.99, step 1 s.
        (
            "5000000000000000000000000000",
            "990000000000000000000000000",
            1.0,
            60.0,
            "2735783211953807380973706855",
        ),
        (
            "5000000000000000000000000000",
            "990000000000000000000000000",
            1.0,
            69.0,
            "2499185149495996261933827815",
        ),
    ];

    #[test]
    fn stairstep_reproduces_the_dss_vectors() {
        let ray = 1e27;
        for (top, cut, step, dur, expected) in VECTORS {
            let top: f64 = top.parse::<f64>().unwrap() / ray;
            let cut: f64 = cut.parse::<f64>().unwrap() / ray;
            let expected: f64 = expected.parse::<f64>().unwrap() / ray;
            let got = stairstep_price(top, cut, step, dur);
            assert!(
                ((got - expected) / expected).abs() < 1e-12,
                "top {top} cut {cut} step {step} dur {dur}: {got} vs {expected}"
            );
        }
    }
}
