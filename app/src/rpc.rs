//! [`Chain`] over JSON-RPC: `getProgramAccounts` with filters for discovery,
//! `getMultipleAccounts` for reads, a compute-budget priority fee on every
//! transaction, and bounded retries with a fresh blockhash.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Discriminator;
use solana_account::Account;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_types::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use solana_rpc_client_types::filter::{Memcmp, RpcFilterType};
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use zero_loss::state::MarginAccount;

use std::time::Duration;

use crate::alt;
use crate::chain::{custom_code_from_text, Chain, SendOutcome};
use crate::fees::{lamports_paid, FeePolicy, MAX_FEE_ADDRESSES};

/// Offset of `market` in a MarginAccount: discriminator (8), version, bump,
/// status, last_zone (4 x u8), open_auctions (u16).
pub const MARGIN_MARKET_OFFSET: usize = 8 + 4 + 2;

/// The compute-budget instructions sent before the program's.
pub use zero_loss::client::{set_compute_unit_limit, set_compute_unit_price, COMPUTE_BUDGET_ID};

/// The `getProgramAccounts` filters for a market's margin accounts.
pub fn margin_account_filters(market: &Pubkey) -> Vec<RpcFilterType> {
    vec![
        RpcFilterType::DataSize(MarginAccount::SIZE as u64),
        RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
            0,
            MarginAccount::DISCRIMINATOR.to_vec(),
        )),
        RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
            MARGIN_MARKET_OFFSET,
            market.to_bytes().to_vec(),
        )),
    ]
}

/// The full `getProgramAccounts` config for a market's margin accounts.
pub fn margin_accounts_config(market: &Pubkey) -> RpcProgramAccountsConfig {
    RpcProgramAccountsConfig {
        filters: Some(margin_account_filters(market)),
        account_config: RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            // Discovery needs only the addresses: fetch no data.
            data_slice: Some(solana_account_decoder_client_types::UiDataSliceConfig {
                offset: 0,
                length: 0,
            }),
            commitment: Some(CommitmentConfig::confirmed()),
            min_context_slot: None,
        },
        with_context: None,
        sort_results: None,
    }
}

/// The accounts every keeper transaction on a market write-locks, as the keeper asks the
/// network about their fees: the market and its vaults.
pub fn fee_accounts(keys: &zero_loss::client::MarketKeys) -> Vec<Pubkey> {
    std::iter::once(keys.market).chain(keys.vaults).collect()
}

/// The URL of a Solana CLI moniker (mainnet-beta, testnet, devnet, localhost, or their
/// initials); anything else is a URL already.
pub fn url_for(moniker: &str) -> String {
    match moniker {
        "mainnet-beta" | "m" => "https://api.mainnet-beta.solana.com".into(),
        "testnet" | "t" => "https://api.testnet.solana.com".into(),
        "devnet" | "d" => "https://api.devnet.solana.com".into(),
        "localhost" | "l" => "http://127.0.0.1:8899".into(),
        url => url.into(),
    }
}

/// The instructions of a keeper transaction: compute budget first.
pub fn with_budget(
    ixs: &[Instruction],
    cu_limit: u32,
    priority_micro_lamports: u64,
) -> Vec<Instruction> {
    let mut all = vec![
        set_compute_unit_limit(cu_limit),
        set_compute_unit_price(priority_micro_lamports),
    ];
    all.extend_from_slice(ixs);
    all
}

pub struct RpcChain {
    pub client: RpcClient,
    pub payer: Keypair,
    /// How the priority fee is chosen ([`RpcChain::refresh_fee`]).
    pub fees: FeePolicy,
    /// The fee the next transaction bids, micro-lamports per compute unit.
    pub priority_micro_lamports: u64,
    /// The compute-unit limit of a transaction the program's budget table
    /// does not cover (`zero_loss::client::cu_limit` sets the others').
    pub cu_limit: u32,
    pub retries: u32,
    /// Simulate every transaction instead of sending it.
    pub dry_run: bool,
    /// The first resend waits this long; each next one twice as long.
    pub backoff: Duration,
    /// Lookup tables: with any, transactions are v0 and look their addresses up.
    pub lookup_tables: Vec<AddressLookupTableAccount>,
    /// Transactions landed, and of them v0 ones.
    pub landed: u64,
    pub landed_v0: u64,
    /// Submit through a block engine as one-transaction bundles (off: `None`).
    pub bundles: Option<Bundles>,
}

/// Where and how bundles go: each transaction carries a transfer of `tip_lamports` to
/// `tip_account` (the block engine's tip account) and is posted as a one-transaction
/// bundle (`sendBundle`) to `url`; its landing is then read from the RPC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundles {
    pub url: String,
    pub tip_account: Pubkey,
    pub tip_lamports: u64,
    /// How long to wait for a bundle to land before sending again.
    pub land_timeout: Duration,
}

/// The body of a `sendBundle` request for `txs` (base64-encoded).
pub fn send_bundle_body(txs: &[VersionedTransaction]) -> anyhow::Result<serde_json::Value> {
    use base64::Engine as _;
    let encoded = txs
        .iter()
        .map(|tx| Ok(base64::engine::general_purpose::STANDARD.encode(bincode::serialize(tx)?)))
        .collect::<anyhow::Result<Vec<String>>>()?;
    Ok(serde_json::json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "sendBundle",
        "params": [encoded, {"encoding": "base64"}],
    }))
}

impl RpcChain {
    /// A chain paying a fixed `priority_micro_lamports` (`FeePolicy::fixed`).
    pub fn new(
        url: String,
        payer: Keypair,
        priority_micro_lamports: u64,
        retries: u32,
    ) -> RpcChain {
        RpcChain::with_client(
            RpcClient::new_with_commitment(url, CommitmentConfig::confirmed()),
            payer,
            FeePolicy::fixed(priority_micro_lamports),
            retries,
        )
    }

    pub fn with_client(
        client: RpcClient,
        payer: Keypair,
        fees: FeePolicy,
        retries: u32,
    ) -> RpcChain {
        RpcChain {
            client,
            payer,
            priority_micro_lamports: fees.floor,
            fees,
            cu_limit: 400_000,
            retries,
            dry_run: false,
            backoff: Duration::from_millis(250),
            lookup_tables: Vec::new(),
            landed: 0,
            landed_v0: 0,
            bundles: None,
        }
    }
}

impl RpcChain {
    /// The compute-unit limit for `ixs`: the program's own budgets
    /// (`zero_loss::client::cu_limit`, what its test suite caps each
    /// instruction at on the VM), or the fallback for anything else. A
    /// partial liquidation asks for 60,300 CU instead of 400,000: the fee
    /// is per requested unit, and smaller requests pack into blocks sooner.
    pub fn cu_limit_for(&self, ixs: &[Instruction]) -> u32 {
        zero_loss::client::cu_limit(ixs).unwrap_or(self.cu_limit)
    }

    /// Sets the fee the next transactions bid from `getRecentPrioritizationFees` over
    /// `writable` (the market's accounts every keeper transaction locks; at most 128 are
    /// asked), by the policy. An RPC that fails or refuses the method leaves the floor.
    pub async fn refresh_fee(&mut self, writable: &[Pubkey]) -> u64 {
        let asked = &writable[..writable.len().min(MAX_FEE_ADDRESSES)];
        let samples = match self.client.get_recent_prioritization_fees(asked).await {
            Ok(fees) => fees.into_iter().map(|f| f.prioritization_fee).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "getRecentPrioritizationFees failed; paying the floor");
                vec![]
            }
        };
        self.priority_micro_lamports = self.fees.pick(&samples);
        self.priority_micro_lamports
    }

    /// Loads the lookup table at `key`; the next transactions are v0 and use it.
    pub async fn use_lookup_table(&mut self, key: Pubkey) -> anyhow::Result<usize> {
        let acc = self
            .client
            .get_account(&key)
            .await
            .map_err(|e| anyhow::anyhow!("lookup table {key}: {e}"))?;
        anyhow::ensure!(
            acc.owner == alt::program_id(),
            "{key} is not owned by the address lookup table program"
        );
        let table = alt::parse_table(key, &acc.data)?;
        let n = table.addresses.len();
        self.lookup_tables.retain(|t| t.key != key);
        self.lookup_tables.push(table);
        Ok(n)
    }

    /// Creates a lookup table owned by the keeper (or extends `existing`) so that it holds
    /// `wanted`; returns its address and how many addresses were added.
    pub async fn ensure_lookup_table(
        &mut self,
        existing: Option<Pubkey>,
        wanted: &[Pubkey],
    ) -> anyhow::Result<(Pubkey, usize)> {
        use solana_address_lookup_table_interface::instruction as alt_ix;
        let me = self.payer.pubkey();
        let (key, have) = match existing {
            Some(key) => {
                self.use_lookup_table(key).await?;
                let t = self.lookup_tables.pop().expect("just loaded");
                (key, t)
            }
            None => {
                let slot = self
                    .client
                    .get_slot_with_commitment(CommitmentConfig::finalized())
                    .await?;
                let (create, key) = alt_ix::create_lookup_table(me, me, slot);
                let out = self.send_legacy(&[create]).await?;
                anyhow::ensure!(
                    out.ok,
                    "creating the lookup table: {}",
                    out.error.unwrap_or_default()
                );
                (
                    key,
                    AddressLookupTableAccount {
                        key,
                        addresses: vec![],
                    },
                )
            }
        };
        let add = alt::missing(&have, wanted);
        for chunk in add.chunks(alt::EXTEND_CHUNK) {
            let extend = alt_ix::extend_lookup_table(key, me, Some(me), chunk.to_vec());
            let out = self.send_legacy(&[extend]).await?;
            anyhow::ensure!(
                out.ok,
                "extending the lookup table: {}",
                out.error.unwrap_or_default()
            );
        }
        Ok((key, add.len()))
    }

    /// Sends without the lookup tables (the table's own transactions).
    async fn send_legacy(&mut self, ixs: &[Instruction]) -> anyhow::Result<SendOutcome> {
        let tables = std::mem::take(&mut self.lookup_tables);
        let out = self.send_with(ixs, &[]).await;
        self.lookup_tables = tables;
        out
    }

    /// The keeper's SOL, lamports.
    pub async fn sol_balance(&self) -> anyhow::Result<u64> {
        Ok(self.client.get_balance(&self.payer.pubkey()).await?)
    }

    /// As [`Chain::send`], signed also by `extra` (new accounts, users). A program refusal
    /// is final; a transport failure is resent with a fresh blockhash after a doubling
    /// backoff, bidding `retry_bump_pct` more each time.
    pub async fn send_with(
        &mut self,
        ixs: &[Instruction],
        extra: &[&Keypair],
    ) -> anyhow::Result<SendOutcome> {
        let cu_limit = self.cu_limit_for(ixs);
        let mut last = SendOutcome::default();
        let mut signers: Vec<&Keypair> = vec![&self.payer];
        signers.extend_from_slice(extra);
        for attempt in 0..=self.retries {
            if attempt > 0 {
                tokio::time::sleep(self.backoff.saturating_mul(1 << (attempt - 1).min(16))).await;
            }
            let fee = self.fees.bumped(self.priority_micro_lamports, attempt);
            let mut all = with_budget(ixs, cu_limit, fee);
            let bundle = self.bundles.clone().filter(|_| !self.dry_run);
            if let Some(b) = &bundle {
                // The tip's transfer runs in the same transaction: 150 more units.
                all[0] = set_compute_unit_limit(cu_limit.saturating_add(150));
                all.push(anchor_lang::solana_program::system_instruction::transfer(
                    &self.payer.pubkey(),
                    &b.tip_account,
                    b.tip_lamports,
                ));
            }
            let blockhash = self.client.get_latest_blockhash().await?;
            let message = alt::message(&self.payer.pubkey(), &all, &self.lookup_tables, blockhash)?;
            let v0 = matches!(message, solana_message::VersionedMessage::V0(_));
            let tx = VersionedTransaction::try_new(message, &signers)?;
            if self.dry_run {
                return self.simulate(&tx).await;
            }
            let sent = match &bundle {
                Some(b) => self.send_bundle(b, &tx).await,
                None => self
                    .client
                    .send_and_confirm_transaction(&tx)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}")),
            };
            match sent {
                Ok(signature) => {
                    self.landed += 1;
                    self.landed_v0 += u64::from(v0);
                    // The logs carry the events; a missing log only costs the report.
                    let logs = self.logs_of(&signature).await.unwrap_or_else(|e| {
                        tracing::warn!(%signature, error = %e, "no logs for a confirmed transaction");
                        vec![]
                    });
                    let tip = bundle.as_ref().map_or(0, |b| b.tip_lamports);
                    return Ok(SendOutcome {
                        ok: true,
                        logs,
                        fee_lamports: lamports_paid(signers.len() as u64, cu_limit, fee)
                            .saturating_add(tip),
                        ..Default::default()
                    });
                }
                Err(e) => {
                    let text = e.to_string();
                    let code = custom_code_from_text(&text);
                    last = SendOutcome {
                        ok: false,
                        code,
                        error: Some(text),
                        ..Default::default()
                    };
                    // A program refusal is final; only transport trouble is retried.
                    if code.is_some() {
                        break;
                    }
                    tracing::warn!(attempt, error = ?last.error, "send failed; retrying");
                }
            }
        }
        Ok(last)
    }

    /// Posts `tx` as a one-transaction bundle and waits for it to land (read from the RPC):
    /// its signature, or why not (a program refusal carries its code in the text).
    async fn send_bundle(
        &self,
        b: &Bundles,
        tx: &VersionedTransaction,
    ) -> anyhow::Result<solana_transaction::Signature> {
        let body = send_bundle_body(std::slice::from_ref(tx))?;
        let reply: serde_json::Value = reqwest::Client::new()
            .post(&b.url)
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        if let Some(e) = reply.get("error") {
            anyhow::bail!("the block engine refused the bundle: {e}");
        }
        let signature = tx.signatures[0];
        let deadline = tokio::time::Instant::now() + b.land_timeout;
        while tokio::time::Instant::now() < deadline {
            let statuses = self.client.get_signature_statuses(&[signature]).await?;
            if let Some(Some(status)) = statuses.value.first() {
                if let Some(err) = &status.err {
                    anyhow::bail!("{err}");
                }
                if status.satisfies_commitment(CommitmentConfig::confirmed()) {
                    return Ok(signature);
                }
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        anyhow::bail!("the bundle did not land within {:?}", b.land_timeout)
    }

    /// A dry run's outcome: the simulation's verdict and logs; nothing is paid.
    async fn simulate(&self, tx: &VersionedTransaction) -> anyhow::Result<SendOutcome> {
        let sim = self.client.simulate_transaction(tx).await?.value;
        let error = sim.err.map(|e| e.to_string());
        Ok(SendOutcome {
            ok: error.is_none(),
            code: error.as_deref().and_then(custom_code_from_text),
            error,
            logs: sim.logs.unwrap_or_default(),
            fee_lamports: 0,
        })
    }

    /// The program logs of a confirmed transaction.
    async fn logs_of(
        &self,
        signature: &solana_transaction::Signature,
    ) -> anyhow::Result<Vec<String>> {
        use solana_transaction_status_client_types::option_serializer::OptionSerializer;
        use solana_transaction_status_client_types::UiTransactionEncoding;
        let config = solana_rpc_client_types::config::RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        let tx = self
            .client
            .get_transaction_with_config(signature, config)
            .await?;
        Ok(match tx.transaction.meta.map(|m| m.log_messages) {
            Some(OptionSerializer::Some(logs)) => logs,
            _ => vec![],
        })
    }
}

impl Chain for RpcChain {
    fn keeper(&self) -> Pubkey {
        self.payer.pubkey()
    }

    async fn now(&mut self) -> anyhow::Result<i64> {
        // Clock sysvar: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp.
        let clock: Pubkey = "SysvarC1ock11111111111111111111111111111111".parse()?;
        let acc = self.client.get_account(&clock).await?;
        let b: [u8; 8] = acc
            .data
            .get(32..40)
            .ok_or_else(|| anyhow::anyhow!("short clock"))?
            .try_into()?;
        Ok(i64::from_le_bytes(b))
    }

    async fn get_accounts(&mut self, keys: &[Pubkey]) -> anyhow::Result<Vec<Option<Account>>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            out.extend(self.client.get_multiple_accounts(chunk).await?);
        }
        Ok(out)
    }

    async fn margin_accounts(&mut self, market: &Pubkey) -> anyhow::Result<Vec<Pubkey>> {
        let found = self
            .client
            .get_program_ui_accounts_with_config(&zero_loss::ID, margin_accounts_config(market))
            .await?;
        Ok(found.into_iter().map(|(k, _)| k).collect())
    }

    async fn send(&mut self, ixs: &[Instruction]) -> anyhow::Result<SendOutcome> {
        self.send_with(ixs, &[]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_filters_select_this_markets_accounts() {
        let market = Pubkey::new_unique();
        let f = margin_account_filters(&market);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0], RpcFilterType::DataSize(176));
        // The market field sits where the filter looks: check against a real layout.
        let m = MarginAccount {
            version: 1,
            bump: 2,
            status: zero_loss::state::AccountStatus::Active,
            last_zone: zero_loss::state::Zone::Healthy,
            open_auctions: 0,
            market,
            owner: Pubkey::new_unique(),
            collateral: 0,
            debt_shares: 0,
            last_ltv_bps: 0,
            last_health_ts: 0,
            reserved: [0; 70],
        };
        let mut data = Vec::new();
        anchor_lang::AccountSerialize::try_serialize(&m, &mut data).unwrap();
        assert_eq!(
            &data[MARGIN_MARKET_OFFSET..MARGIN_MARKET_OFFSET + 32],
            market.as_ref()
        );
        assert_eq!(&data[..8], MarginAccount::DISCRIMINATOR);
        for filter in &f[1..] {
            let RpcFilterType::Memcmp(mc) = filter else {
                panic!("memcmp expected")
            };
            assert!(mc.bytes_match(&data), "{mc:?}");
        }
        // The request body is what the RPC method documents.
        let json = serde_json::to_value(margin_accounts_config(&market)).unwrap();
        assert_eq!(json["encoding"], "base64");
        assert_eq!(json["dataSlice"]["length"], 0);
        assert_eq!(json["filters"][2]["memcmp"]["offset"], MARGIN_MARKET_OFFSET);
    }

    #[test]
    fn the_cu_limit_is_the_programs_budgets_or_the_fallback() {
        use anchor_lang::InstructionData;
        use zero_loss::client::{BATCH_ACCOUNT_CU, BATCH_BASE_CU, KEEPER_CU};
        let chain = RpcChain::new("http://127.0.0.1:1".into(), Keypair::new(), 0, 0);
        let program = |data: Vec<u8>| Instruction {
            program_id: zero_loss::ID,
            accounts: vec![],
            data,
        };
        let partial = program(zero_loss::instruction::LiquidatePartial { max_repay: 1 }.data());
        assert_eq!(
            chain.cu_limit_for(std::slice::from_ref(&partial)),
            KEEPER_CU + 300
        );
        let batch = program(
            zero_loss::instruction::LiquidateBatch {
                max_repays: vec![1; 8],
            }
            .data(),
        );
        assert_eq!(
            chain.cu_limit_for(&[batch]),
            BATCH_BASE_CU + 8 * BATCH_ACCOUNT_CU + 300
        );
        // Anything not the program's: the fallback.
        assert_eq!(
            chain.cu_limit_for(&[partial, set_compute_unit_limit(1)]),
            400_000
        );
    }

    #[test]
    fn transactions_carry_a_compute_budget_and_priority_fee() {
        let ixs = with_budget(&[set_compute_unit_limit(1)], 300_000, 5_000);
        assert_eq!(ixs[0].program_id, COMPUTE_BUDGET_ID);
        assert_eq!(
            ixs[0].data,
            [&[2u8][..], &300_000u32.to_le_bytes()].concat()
        );
        assert_eq!(ixs[1].data, [&[3u8][..], &5_000u64.to_le_bytes()].concat());
        assert_eq!(ixs.len(), 3);
    }

    fn fixture(name: &str) -> serde_json::Value {
        let path = format!(
            "{}/tests/fixtures/priority-fees/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn mock(
        mocks: Vec<(
            solana_rpc_client_api::request::RpcRequest,
            serde_json::Value,
        )>,
    ) -> RpcChain {
        let client = RpcClient::new_mock_with_mocks("succeeds".into(), mocks.into_iter().collect());
        RpcChain::with_client(client, Keypair::new(), FeePolicy::default(), 0)
    }

    #[tokio::test]
    async fn the_fee_follows_the_recorded_responses() {
        use solana_rpc_client_api::request::RpcRequest::GetRecentPrioritizationFees as Fees;
        let writable = [Pubkey::new_unique(); 3];
        // solana.com's example at the 75th percentile: 1,000, the floor.
        let mut chain = mock(vec![(
            Fees,
            fixture("solana-docs-example.json")["result"].clone(),
        )]);
        assert_eq!(chain.refresh_fee(&writable).await, 1_000);
        // The contested window: what the policy picks from the same samples.
        let contested = fixture("contested-150-slots.json")["result"].clone();
        let samples: Vec<u64> = contested
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["prioritizationFee"].as_u64().unwrap())
            .collect();
        let mut chain = mock(vec![(Fees, contested)]);
        let fee = chain.refresh_fee(&writable).await;
        assert_eq!(fee, FeePolicy::default().pick(&samples));
        assert!(fee > FeePolicy::default().floor, "{fee}");
        assert_eq!(chain.priority_micro_lamports, fee);
        // An RPC that answers nothing usable: the floor.
        let client = RpcClient::new_mock("fails".to_string());
        let mut chain = RpcChain::with_client(client, Keypair::new(), FeePolicy::default(), 0);
        assert_eq!(
            chain.refresh_fee(&writable).await,
            FeePolicy::default().floor
        );
    }

    #[tokio::test]
    async fn a_dry_run_simulates_and_reads_the_refusal() {
        use solana_rpc_client_api::request::RpcRequest::SimulateTransaction as Sim;
        let refused = serde_json::json!({
            "context": { "slot": 1 },
            "value": {
                "err": { "InstructionError": [2, { "Custom": 6005 }] },
                "logs": ["Program log: AnchorError occurred."],
                "accounts": null,
                "unitsConsumed": 1234,
                "returnData": null
            }
        });
        let mut chain = mock(vec![(Sim, refused)]);
        chain.dry_run = true;
        let out = chain.send(&[set_compute_unit_limit(1)]).await.unwrap();
        assert!(!out.ok);
        assert_eq!(out.code, Some(6005), "{:?}", out.error);
        assert_eq!(
            out.logs,
            vec!["Program log: AnchorError occurred.".to_string()]
        );
        assert_eq!(out.fee_lamports, 0, "a simulation pays nothing");
    }

    #[tokio::test]
    async fn a_bundle_carries_its_tip_and_lands_through_the_block_engine() {
        use tokio::io::AsyncWriteExt;
        // A stand-in block engine that keeps what it was sent.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/v1/bundles", listener.local_addr().unwrap());
        let (got, mut seen) = tokio::sync::mpsc::unbounded_channel::<serde_json::Value>();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                let (_, body) = crate::metrics::read_request(&mut s, 1 << 20).await;
                got.send(serde_json::from_slice(&body).unwrap()).unwrap();
                let reply = r#"{"jsonrpc":"2.0","result":"bundle-id","id":1}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    reply.len()
                );
                s.write_all(head.as_bytes()).await.unwrap();
                s.write_all(reply.as_bytes()).await.unwrap();
            }
        });
        let mut chain = mock(vec![]);
        let tip_account = Pubkey::new_unique();
        chain.bundles = Some(Bundles {
            url,
            tip_account,
            tip_lamports: 10_000,
            land_timeout: Duration::from_secs(5),
        });
        let out = chain.send(&[set_compute_unit_limit(1)]).await.unwrap();
        assert!(out.ok, "{:?}", out.error);
        assert!(
            out.fee_lamports >= 15_000,
            "the tip is paid: {}",
            out.fee_lamports
        );
        let body = seen.recv().await.unwrap();
        assert_eq!(body["method"], "sendBundle");
        assert_eq!(body["params"][1]["encoding"], "base64");
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(body["params"][0][0].as_str().unwrap())
            .unwrap();
        let tx: VersionedTransaction = bincode::deserialize(&raw).unwrap();
        let keys = tx.message.static_account_keys();
        let last = tx.message.instructions().last().unwrap();
        assert_eq!(
            keys[last.program_id_index as usize],
            anchor_lang::system_program::ID
        );
        assert_eq!(keys[last.accounts[1] as usize], tip_account);
        // System transfer: tag 2, then the lamports.
        assert_eq!(last.data[..4], 2u32.to_le_bytes());
        assert_eq!(last.data[4..12], 10_000u64.to_le_bytes());
        assert_eq!(chain.landed, 1);
    }
}
