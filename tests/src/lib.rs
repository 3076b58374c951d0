//! A solana-program-test harness for the zero-loss program.
//!
//! - [`Env`]: the in-process bank running the program natively, with clock
//!   control, token helpers, a Pyth `PriceUpdateV2` fixture writer, event
//!   decoding, and [`Env::expect_rejected`], which proves that a refused
//!   call left every account it named exactly as it was.
//! - [`market::MarketFixture`]: a protocol and a market set up with mints,
//!   oracles and funded users, and a builder for every instruction (each
//!   delegates to `zero_loss::client`, as does the event decoder).
#![allow(clippy::result_large_err)]

pub mod budget;
pub mod fuzz;
pub mod market;
pub mod pyth;
mod stubs;

use anchor_lang::prelude::{AccountMeta, Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, AnchorDeserialize, Discriminator};
use anchor_spl::token::spl_token;
use solana_account::{Account, AccountSharedData};
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_transaction::Transaction;
use zero_loss::client::{set_compute_unit_limit, set_compute_unit_price};

pub use solana_keypair::Keypair;
pub use solana_signer::Signer;
pub use zero_loss::errors::ZlError;

/// The unix time every test starts at.
pub const T0: i64 = 1_750_000_000;

/// Anchor's native entry, adapted to program-test's builtin signature
/// (Anchor ties the accounts' lifetimes together, which `processor!`
/// cannot express; the slice is leaked for the life of the test process).
macro_rules! native_entry {
    ($name:ident, $program:path) => {
        fn $name(
            program_id: &Pubkey,
            accounts: &[anchor_lang::prelude::AccountInfo],
            data: &[u8],
        ) -> anchor_lang::solana_program::entrypoint::ProgramResult {
            let accounts: &[anchor_lang::prelude::AccountInfo] =
                Box::leak(accounts.to_vec().into_boxed_slice());
            // SAFETY: the leaked slice lives for the rest of the process, so
            // extending the lifetime that ties it to its elements is sound.
            $program(
                program_id,
                unsafe { std::mem::transmute::<&[_], &[_]>(accounts) },
                data,
            )
        }
    };
}
native_entry!(entry, zero_loss::entry);
native_entry!(feeder_entry, pyth_feeder::entry);

/// A transaction's outcome: its logs, and its error if it failed.
#[derive(Debug)]
pub struct TxResult {
    pub logs: Vec<String>,
    pub error: Option<solana_transaction::TransactionError>,
}

impl TxResult {
    pub fn ok(self) -> Self {
        assert!(
            self.error.is_none(),
            "transaction failed: {:?}\n{}",
            self.error,
            self.logs.join("\n")
        );
        self
    }

    /// The custom program error code, if the failure was one.
    pub fn custom_code(&self) -> Option<u32> {
        use solana_transaction::TransactionError as TE;
        match &self.error {
            Some(TE::InstructionError(
                _,
                anchor_lang::solana_program::instruction::error::InstructionError::Custom(c),
            )) => Some(*c),
            _ => None,
        }
    }

    /// Events of type `E` emitted by the transaction, in order.
    pub fn events<E: AnchorDeserialize + Discriminator>(&self) -> Vec<E> {
        decode_events(&self.logs)
    }
}

/// The code Anchor gives a `ZlError` variant.
pub fn zl_code(e: ZlError) -> u32 {
    anchor_lang::error::ERROR_CODE_OFFSET + e as u32
}

/// The code of one of Anchor's own errors (account validation).
pub fn anchor_code(e: anchor_lang::error::ErrorCode) -> u32 {
    e.into()
}

/// Decodes Anchor events of type `E` from logs (the client's decoder).
pub use zero_loss::client::decode_events;

/// The in-process bank.
pub struct Env {
    pub ctx: ProgramTestContext,
    /// Makes otherwise identical transactions distinct.
    nonce: u64,
    /// Running on the SBF VM (a .so from SBF_OUT_DIR/BPF_OUT_DIR).
    pub bpf: bool,
    now: i64,
}

impl Env {
    /// A bank with the program loaded (natively, or from `zero_loss.so`
    /// when `SBF_OUT_DIR`/`BPF_OUT_DIR` points at one) and the clock at [`T0`].
    pub async fn new() -> Env {
        Env::start(false).await
    }

    /// As [`Env::new`], with the localnet price feeder (`pyth_feeder`)
    /// loaded at the Pyth receiver's program id.
    pub async fn with_price_feeder() -> Env {
        Env::start(true).await
    }

    async fn start(feeder: bool) -> Env {
        let mut pt = ProgramTest::new("zero_loss", zero_loss::ID, processor!(entry));
        let bpf =
            std::env::var_os("SBF_OUT_DIR").is_some() || std::env::var_os("BPF_OUT_DIR").is_some();
        pt.prefer_bpf(bpf);
        if feeder {
            pt.add_program("pyth_feeder", pyth_feeder::ID, processor!(feeder_entry));
        }
        let ctx = pt.start_with_context().await;
        stubs::install();
        let mut env = Env {
            ctx,
            nonce: 0,
            bpf,
            now: T0,
        };
        env.set_time(T0).await;
        env
    }

    pub fn payer(&self) -> &Keypair {
        &self.ctx.payer
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    /// Sets the bank's clock to `unix` (and moves the slot forward).
    pub async fn set_time(&mut self, unix: i64) {
        let mut clock: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock");
        clock.unix_timestamp = unix;
        self.ctx.set_sysvar(&clock);
        self.now = unix;
    }

    /// Moves the clock forward by `secs`.
    pub async fn advance(&mut self, secs: i64) {
        let t = self.now + secs;
        self.set_time(t).await;
    }

    /// `ixs` signed by the env payer (fee payer) and those of `signers` the
    /// message asks for, made unique by a nonce; on the VM, with exactly the
    /// sum of the program instructions' compute budgets.
    async fn transaction(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Transaction {
        self.nonce += 1;
        let mut all = ixs.to_vec();
        // On the VM, a transaction of program instructions gets exactly the
        // sum of their compute budgets (plus the compute-budget
        // instructions' own cost): a regression fails the suite.
        if self.bpf {
            if let Some(limit) = budget::cu_limit(ixs) {
                all.insert(0, set_compute_unit_limit(limit));
            }
        }
        // SetComputeUnitPrice(nonce): a no-op that keeps transactions unique.
        all.push(set_compute_unit_price(self.nonce));
        let blockhash = self
            .ctx
            .banks_client
            .get_latest_blockhash()
            .await
            .expect("blockhash");
        // Only the signers the message asks for (a caller may pass a keeper
        // key for a transaction that needs none but the fee payer).
        let needed = |k: &Pubkey| {
            all.iter()
                .any(|ix| ix.accounts.iter().any(|m| m.is_signer && m.pubkey == *k))
        };
        let payer = self.ctx.payer.pubkey();
        let mut keys: Vec<&Keypair> = vec![&self.ctx.payer];
        keys.extend(
            signers
                .iter()
                .copied()
                .filter(|k| k.pubkey() != payer && needed(&k.pubkey())),
        );
        Transaction::new_signed_with_payer(&all, Some(&payer), &keys, blockhash)
    }

    /// Sends `ixs` with the env payer as fee payer and `signers` besides.
    pub async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxResult {
        let tx = self.transaction(ixs, signers).await;
        match self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx)
            .await
        {
            Ok(r) => TxResult {
                logs: r.metadata.map(|m| m.log_messages).unwrap_or_default(),
                error: r.result.err(),
            },
            Err(BanksClientError::TransactionError(e)) => TxResult {
                logs: vec![],
                error: Some(e),
            },
            Err(e) => panic!("bank error: {e:?}"),
        }
    }

    /// Simulates `ixs`, signed as [`Env::send`] signs them, writing
    /// nothing; returns the transaction's error, if any.
    pub async fn simulate(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Option<solana_transaction::TransactionError> {
        let tx = self.transaction(ixs, signers).await;
        match self.ctx.banks_client.simulate_transaction(tx).await {
            Ok(r) => r.result.and_then(|r| r.err()),
            Err(BanksClientError::TransactionError(e)) => Some(e),
            Err(e) => panic!("bank error: {e:?}"),
        }
    }

    /// Sends and asserts success.
    pub async fn exec(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxResult {
        self.send(ixs, signers).await.ok()
    }

    /// Sends `ix`, asserts it fails with `expected`, and asserts that every
    /// account it names (but the fee payer) is byte-for-byte and
    /// lamport-for-lamport unchanged.
    pub async fn expect_rejected(
        &mut self,
        ix: Instruction,
        signers: &[&Keypair],
        expected: ZlError,
    ) -> TxResult {
        let r = self
            .expect_rejected_code(ix, signers, zl_code(expected))
            .await;
        r
    }

    /// As [`Env::expect_rejected`], for any custom code (e.g. SPL Token's).
    pub async fn expect_rejected_code(
        &mut self,
        ix: Instruction,
        signers: &[&Keypair],
        code: u32,
    ) -> TxResult {
        let keys = self.keys_of(&ix);
        let before = self.snapshot(&keys).await;
        let r = self.send(&[ix], signers).await;
        assert!(
            r.error.is_some(),
            "expected failure with code {code}, but it succeeded"
        );
        assert_eq!(
            r.custom_code(),
            Some(code),
            "wrong error: {:?}\n{}",
            r.error,
            r.logs.join("\n")
        );
        let after = self.snapshot(&keys).await;
        for ((k, b), a) in keys.iter().zip(before).zip(after) {
            assert_eq!(b, a, "account {k} changed by a rejected call");
        }
        r
    }

    /// As [`Env::expect_rejected`], for failures that are not custom codes
    /// (a missing signature, an account of the wrong owner at the runtime
    /// level): any error, nothing changed.
    pub async fn expect_failed(&mut self, ix: Instruction, signers: &[&Keypair]) -> TxResult {
        let keys = self.keys_of(&ix);
        let before = self.snapshot(&keys).await;
        let r = self.send(&[ix], signers).await;
        assert!(r.error.is_some(), "expected failure, but it succeeded");
        let after = self.snapshot(&keys).await;
        assert_eq!(before, after, "accounts changed by a rejected call");
        r
    }

    fn keys_of(&self, ix: &Instruction) -> Vec<Pubkey> {
        let payer = self.ctx.payer.pubkey();
        let mut keys: Vec<Pubkey> = ix
            .accounts
            .iter()
            .map(|m: &AccountMeta| m.pubkey)
            .filter(|k| *k != payer)
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Every named account as it is now (`None` where it does not exist).
    pub async fn snapshot(&mut self, keys: &[Pubkey]) -> Vec<Option<Account>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(
                self.ctx
                    .banks_client
                    .get_account(*k)
                    .await
                    .expect("get_account"),
            );
        }
        out
    }

    pub async fn account(&mut self, key: Pubkey) -> Option<Account> {
        self.ctx
            .banks_client
            .get_account(key)
            .await
            .expect("get_account")
    }

    /// Reads an Anchor account of the program.
    pub async fn read<T: AccountDeserialize>(&mut self, key: Pubkey) -> T {
        let acc = self
            .account(key)
            .await
            .unwrap_or_else(|| panic!("no account {key}"));
        T::try_deserialize(&mut acc.data.as_slice()).expect("deserialize")
    }

    /// Overwrites an existing Anchor account's data with `value` (to stage
    /// states that are reachable but slow to reach), keeping its owner and
    /// lamports.
    pub async fn write<T: anchor_lang::AccountSerialize>(&mut self, key: Pubkey, value: &T) {
        let mut acc = self
            .account(key)
            .await
            .unwrap_or_else(|| panic!("no account {key}"));
        let mut data = Vec::new();
        value.try_serialize(&mut data).expect("serialize");
        acc.data[..data.len()].copy_from_slice(&data);
        self.set_account(&key, acc);
    }

    pub fn set_account(&mut self, key: &Pubkey, account: Account) {
        self.ctx.set_account(key, &AccountSharedData::from(account));
    }

    /// Writes the zero-loss program's ProgramData account (the upgradeable
    /// loader's header, no code) naming `authority` as its upgrade authority,
    /// as a deployment with the upgradeable loader leaves it. program-test
    /// runs the program natively or loads the `.so` with the non-upgradeable
    /// loader, so nothing else lives at that address.
    pub fn set_upgrade_authority(&mut self, authority: Option<Pubkey>) {
        // UpgradeableLoaderState::ProgramData { slot, upgrade_authority_address },
        // bincode: u32 tag 3, u64 slot, Option<Pubkey>.
        let mut data = vec![3, 0, 0, 0];
        data.extend_from_slice(&0u64.to_le_bytes());
        match authority {
            Some(k) => {
                data.push(1);
                data.extend_from_slice(k.as_ref());
            }
            None => data.push(0),
        }
        let key = zero_loss::state::seeds::program_data_address(&zero_loss::ID);
        self.set_account(
            &key,
            Account {
                lamports: 1_000_000_000,
                data,
                owner: anchor_lang::solana_program::bpf_loader_upgradeable::ID,
                executable: false,
                rent_epoch: 0,
            },
        );
    }

    pub async fn rent_exempt(&mut self, len: usize) -> u64 {
        let rent = self.ctx.banks_client.get_rent().await.expect("rent");
        rent.minimum_balance(len)
    }

    pub async fn lamports(&mut self, key: Pubkey) -> u64 {
        self.account(key).await.map(|a| a.lamports).unwrap_or(0)
    }

    /// A new keypair holding `sol` SOL.
    pub async fn new_user(&mut self, sol: u64) -> Keypair {
        let k = Keypair::new();
        let ix = anchor_lang::solana_program::system_instruction::transfer(
            &self.ctx.payer.pubkey(),
            &k.pubkey(),
            sol * 1_000_000_000,
        );
        self.exec(&[ix], &[]).await;
        k
    }

    // --- SPL Token ---

    /// A new mint whose authority is the env payer.
    pub async fn create_mint(&mut self, decimals: u8) -> Pubkey {
        let mint = Keypair::new();
        let len = spl_token::state::Mint::LEN;
        let lamports = self.rent_exempt(len).await;
        let payer = self.ctx.payer.pubkey();
        let ixs = [
            anchor_lang::solana_program::system_instruction::create_account(
                &payer,
                &mint.pubkey(),
                lamports,
                len as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_mint2(
                &spl_token::ID,
                &mint.pubkey(),
                &payer,
                None,
                decimals,
            )
            .unwrap(),
        ];
        self.exec(&ixs, &[&mint]).await;
        mint.pubkey()
    }

    /// A new token account of `mint` owned by `owner`.
    pub async fn create_token_account(&mut self, mint: Pubkey, owner: Pubkey) -> Pubkey {
        let acc = Keypair::new();
        let len = spl_token::state::Account::LEN;
        let lamports = self.rent_exempt(len).await;
        let payer = self.ctx.payer.pubkey();
        let ixs = [
            anchor_lang::solana_program::system_instruction::create_account(
                &payer,
                &acc.pubkey(),
                lamports,
                len as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_account3(
                &spl_token::ID,
                &acc.pubkey(),
                &mint,
                &owner,
            )
            .unwrap(),
        ];
        self.exec(&ixs, &[&acc]).await;
        acc.pubkey()
    }

    /// Mints `amount` of `mint` (authority: the env payer) to `to`.
    pub async fn mint_to(&mut self, mint: Pubkey, to: Pubkey, amount: u64) {
        let payer = self.ctx.payer.pubkey();
        let ix = spl_token::instruction::mint_to(&spl_token::ID, &mint, &to, &payer, &[], amount)
            .unwrap();
        self.exec(&[ix], &[]).await;
    }

    pub async fn token_balance(&mut self, account: Pubkey) -> u64 {
        let acc = self
            .account(account)
            .await
            .unwrap_or_else(|| panic!("no token account {account}"));
        spl_token::state::Account::unpack(&acc.data)
            .expect("token account")
            .amount
    }

    pub async fn mint_supply(&mut self, mint: Pubkey) -> u64 {
        let acc = self.account(mint).await.expect("mint");
        spl_token::state::Mint::unpack(&acc.data)
            .expect("mint")
            .supply
    }
}

use anchor_lang::solana_program::program_pack::Pack;
