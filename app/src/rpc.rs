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
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_types::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use solana_rpc_client_types::filter::{Memcmp, RpcFilterType};
use solana_signer::Signer;
use solana_transaction::Transaction;
use zero_loss::state::MarginAccount;

use crate::chain::{custom_code_from_text, Chain, SendOutcome};

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
    pub priority_micro_lamports: u64,
    /// The compute-unit limit of a transaction the program's budget table
    /// does not cover (`zero_loss::client::cu_limit` sets the others').
    pub cu_limit: u32,
    pub retries: u32,
}

impl RpcChain {
    pub fn new(
        url: String,
        payer: Keypair,
        priority_micro_lamports: u64,
        retries: u32,
    ) -> RpcChain {
        RpcChain {
            client: RpcClient::new_with_commitment(url, CommitmentConfig::confirmed()),
            payer,
            priority_micro_lamports,
            cu_limit: 400_000,
            retries,
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

    /// As [`Chain::send`], signed also by `extra` (new accounts, users).
    pub async fn send_with(
        &mut self,
        ixs: &[Instruction],
        extra: &[&Keypair],
    ) -> anyhow::Result<SendOutcome> {
        let all = with_budget(ixs, self.cu_limit_for(ixs), self.priority_micro_lamports);
        let mut last = SendOutcome::default();
        let mut signers: Vec<&Keypair> = vec![&self.payer];
        signers.extend_from_slice(extra);
        for attempt in 0..=self.retries {
            let blockhash = self.client.get_latest_blockhash().await?;
            let tx = Transaction::new_signed_with_payer(
                &all,
                Some(&self.payer.pubkey()),
                &signers,
                blockhash,
            );
            match self.client.send_and_confirm_transaction(&tx).await {
                Ok(signature) => {
                    // The logs carry the events; a missing log only costs the report.
                    let logs = self.logs_of(&signature).await.unwrap_or_else(|e| {
                        tracing::warn!(%signature, error = %e, "no logs for a confirmed transaction");
                        vec![]
                    });
                    return Ok(SendOutcome {
                        ok: true,
                        logs,
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
                        logs: vec![],
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
}
