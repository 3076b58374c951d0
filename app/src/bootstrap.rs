//! `zl-keeper bootstrap`: creates the protocol (when absent) and a market on
//! a cluster from a TOML config (migrations/<cluster>.toml).

use std::path::Path;

use anchor_lang::prelude::Pubkey;
use serde::Deserialize;
use zero_loss::state::InitMarketArgs;
use zero_loss::state::{seeds, AuctionCurve, RiskParams};

use crate::chain::Chain;

/// The config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapConfig {
    pub market: MarketConfig,
    /// Overrides of `RiskParams::example()`, by field name.
    #[serde(default)]
    pub params: ParamsOverride,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketConfig {
    pub collateral_mint: String,
    pub debt_mint: String,
    /// Pyth feed ids, hex (with or without 0x).
    pub collateral_feed_id: String,
    pub debt_feed_id: String,
}

/// `auction_curve` in a config file: `"linear"` or `"step_exp"`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CurveName {
    Linear,
    StepExp,
}

impl From<CurveName> for AuctionCurve {
    fn from(c: CurveName) -> AuctionCurve {
        match c {
            CurveName::Linear => AuctionCurve::Linear,
            CurveName::StepExp => AuctionCurve::StepExp,
        }
    }
}

macro_rules! overrides {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// Every `RiskParams` field, optional.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct ParamsOverride { $(pub $field: Option<$ty>,)* }

        impl ParamsOverride {
            /// `base` with every given field replaced.
            pub fn apply(&self, mut base: RiskParams) -> RiskParams {
                $(if let Some(v) = self.$field { base.$field = v.into(); })*
                base
            }
        }
    };
}

overrides!(
    max_ltv_bps: u16, liq_ltv_bps: u16, full_ltv_bps: u16, target_ltv_bps: u16,
    vol_z_e4: u32, recovery_secs: u32, vol_window_secs: u32, buffer_min_bps: u16, buffer_max_bps: u16,
    oracle_max_age_secs: u32, oracle_max_conf_bps: u16, oracle_conf_k_e4: u32,
    payout_max_age_secs: u32, breach_persist_secs: u32,
    base_rate_bps: u16, slope1_bps: u16, slope2_bps: u16, kink_bps: u16, reserve_factor_bps: u16,
    collateral_cap: u64, borrow_cap: u64,
    min_bonus_bps: u16, max_bonus_bps: u16, budget_capacity: u64, budget_refill_per_sec: u64, min_position: u64,
    penalty_bps: u16, auction_buf_bps: u16, auction_curve: CurveName, auction_tau_secs: u32, auction_step_secs: u32,
    auction_cut_bps: u16, auction_tail_secs: u32, auction_cusp_bps: u16, auction_max_discount_bps: u16,
    auction_max_stages: u8, keeper_tip: u64, keeper_chip_bps: u16, keeper_reward_cap: u64,
    breaker_divergence_bps: u16, breaker_conf_bps: u16, breaker_cooldown_secs: u32,
);

/// A file holding only a `[params]` table of overrides (`zl-keeper simulate --params`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsFile {
    pub params: ParamsOverride,
}

impl ParamsFile {
    /// `RiskParams::example()` with the file's overrides, validated.
    pub fn load(path: &Path) -> anyhow::Result<RiskParams> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let file: ParamsFile = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
        let params = file.params.apply(RiskParams::example());
        params.validate().map_err(|e| {
            let msg = match e {
                anchor_lang::error::Error::AnchorError(a) => a.error_msg.clone(),
                other => other.to_string(),
            };
            anyhow::anyhow!("{}: params: {msg}", path.display())
        })?;
        Ok(params)
    }
}

pub fn parse_feed_id(hex_id: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(hex_id.trim().trim_start_matches("0x"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("a feed id is 32 bytes (64 hex digits)"))
}

impl BootstrapConfig {
    pub fn from_file(path: &Path) -> anyhow::Result<BootstrapConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(toml::from_str(&text)?)
    }

    /// The validated `init_market` arguments and mints.
    pub fn market_args(&self) -> anyhow::Result<(Pubkey, Pubkey, InitMarketArgs)> {
        let params = self.params.apply(RiskParams::example());
        params
            .validate()
            .map_err(|e| anyhow::anyhow!("params: {e}"))?;
        Ok((
            self.market.collateral_mint.parse()?,
            self.market.debt_mint.parse()?,
            InitMarketArgs {
                collateral_feed_id: parse_feed_id(&self.market.collateral_feed_id)?,
                debt_feed_id: parse_feed_id(&self.market.debt_feed_id)?,
                params,
            },
        ))
    }
}

pub use zero_loss::client::{init_market as init_market_ix, init_protocol as init_protocol_ix};

/// Creates the protocol when absent, then the market; returns the market.
pub async fn bootstrap<C: Chain>(chain: &mut C, cfg: &BootstrapConfig) -> anyhow::Result<Pubkey> {
    let (collateral_mint, debt_mint, args) = cfg.market_args()?;
    let admin = chain.keeper();
    let protocol = seeds::protocol_address(&zero_loss::ID).0;
    if chain.get_accounts(&[protocol]).await?[0].is_none() {
        let r = chain.send(&[init_protocol_ix(admin)]).await?;
        anyhow::ensure!(r.ok, "init_protocol failed: {:?}", r.error);
        tracing::info!(%protocol, %admin, "protocol created");
    }
    let market = seeds::market_address(&zero_loss::ID, &collateral_mint, &debt_mint).0;
    if chain.get_accounts(&[market]).await?[0].is_some() {
        tracing::info!(%market, "market exists");
        return Ok(market);
    }
    let r = chain
        .send(&[init_market_ix(admin, collateral_mint, debt_mint, args)])
        .await?;
    anyhow::ensure!(r.ok, "init_market failed: {:?}", r.error);
    tracing::info!(%market, "market created");
    Ok(market)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_configs_parse_and_validate() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let cfg = BootstrapConfig::from_file(&dir.join("devnet.toml")).unwrap();
        let (c, d, args) = cfg.market_args().unwrap();
        assert_ne!(c, d);
        assert_ne!(args.collateral_feed_id, args.debt_feed_id);
        // The localnet templates: valid once `localnet prepare` puts in the mints it made.
        for template in ["localnet.toml", "localnet-e2e.toml"] {
            let text = std::fs::read_to_string(dir.join(template)).unwrap();
            let placeholder = "filled in by zl-keeper localnet prepare";
            assert_eq!(text.matches(placeholder).count(), 2, "{template}");
            let done = text.replacen(placeholder, &Pubkey::new_unique().to_string(), 1);
            let done = done.replacen(placeholder, &Pubkey::new_unique().to_string(), 1);
            let cfg: BootstrapConfig = toml::from_str(&done).unwrap();
            let (c, d, args) = cfg.market_args().unwrap();
            assert_ne!(c, d, "{template}");
            assert_ne!(args.collateral_feed_id, args.debt_feed_id);
        }
    }

    #[test]
    fn overrides_apply_and_bad_values_are_refused() {
        let text = r#"
            [market]
            collateral_mint = "So11111111111111111111111111111111111111112"
            debt_mint = "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU"
            collateral_feed_id = "0xef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d"
            debt_feed_id = "eaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a"
            [params]
            max_ltv_bps = 6500
            target_ltv_bps = 6500
        "#;
        let cfg: BootstrapConfig = toml::from_str(text).unwrap();
        let (_, _, args) = cfg.market_args().unwrap();
        assert_eq!(args.params.max_ltv_bps, 6_500);
        assert_eq!(args.params.liq_ltv_bps, RiskParams::example().liq_ltv_bps);
        let bad = text.replace("max_ltv_bps = 6500", "max_ltv_bps = 9000");
        let cfg: BootstrapConfig = toml::from_str(&bad).unwrap();
        assert!(cfg.market_args().is_err());
        let unknown = text.replace("max_ltv_bps = 6500", "max_ltv = 6500");
        assert!(toml::from_str::<BootstrapConfig>(&unknown).is_err());
        assert!(parse_feed_id("0x1234").is_err());
    }

    #[test]
    fn a_params_file_overrides_the_example_and_refuses_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let ok = write("ok.toml", "[params]\npenalty_bps = 200\n");
        let p = ParamsFile::load(&ok).unwrap();
        assert_eq!(p.penalty_bps, 200);
        assert_eq!(p.liq_ltv_bps, RiskParams::example().liq_ltv_bps);
        let bad = write("bad.toml", "[params]\nbuffer_min_bps = 5000\n");
        let e = ParamsFile::load(&bad).unwrap_err().to_string();
        assert!(e.contains("out of its bounds") && !e.contains('{'), "{e}");
        let unknown = write("unknown.toml", "[params]\npenalty = 200\n");
        assert!(ParamsFile::load(&unknown)
            .unwrap_err()
            .to_string()
            .contains("unknown"));
        let missing = dir.path().join("missing.toml");
        assert!(ParamsFile::load(&missing).is_err());
    }
}
