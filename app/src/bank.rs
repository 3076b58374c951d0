//! [`Chain`] over the in-process bank: solana-program-test running the
//! program natively, with the harness's syscall bridge.
//!
//! The bank cannot scan program accounts (no `getProgramAccounts`), so the
//! margin accounts are the ones the caller registered (the simulator
//! registers every account it opens).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_account::Account;
use zero_loss_tests::{Env, Keypair, Signer};

use crate::chain::{Chain, SendOutcome};

pub struct BankChain<'a> {
    pub env: &'a mut Env,
    pub keeper: &'a Keypair,
    pub margins: &'a [Pubkey],
}

impl Chain for BankChain<'_> {
    fn keeper(&self) -> Pubkey {
        self.keeper.pubkey()
    }

    async fn now(&mut self) -> anyhow::Result<i64> {
        Ok(self.env.now())
    }

    async fn get_accounts(&mut self, keys: &[Pubkey]) -> anyhow::Result<Vec<Option<Account>>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.env.account(*k).await);
        }
        Ok(out)
    }

    async fn margin_accounts(&mut self, _market: &Pubkey) -> anyhow::Result<Vec<Pubkey>> {
        Ok(self.margins.to_vec())
    }

    async fn send(&mut self, ixs: &[Instruction]) -> anyhow::Result<SendOutcome> {
        let r = self.env.send(ixs, &[self.keeper]).await;
        Ok(SendOutcome {
            ok: r.error.is_none(),
            code: r.custom_code(),
            error: r.error.as_ref().map(|e| format!("{e:?}")),
            logs: r.logs,
            // The bank's base fee, one signature; no priority fee is set here.
            fee_lamports: if r.error.is_none() { 5_000 } else { 0 },
        })
    }
}
