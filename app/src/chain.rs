//! Where the chain is: the keeper core talks to this trait only. Two
//! implementations: the in-process bank (`bank.rs`) and JSON-RPC (`rpc.rs`).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_account::Account;

/// What became of a transaction.
#[derive(Clone, Debug, Default)]
pub struct SendOutcome {
    /// Whether it landed and succeeded.
    pub ok: bool,
    /// The custom program error code, when it failed with one.
    pub code: Option<u32>,
    /// A description of the failure.
    pub error: Option<String>,
    /// The program logs (events are decoded from them).
    pub logs: Vec<String>,
    /// Lamports the fee payer paid for it (0 where the chain does not say).
    pub fee_lamports: u64,
}

/// The keeper's view of a cluster.
#[allow(async_fn_in_trait)]
pub trait Chain {
    /// The keeper's signing key (fee payer and actor).
    fn keeper(&self) -> Pubkey;
    /// The cluster's unix time.
    async fn now(&mut self) -> anyhow::Result<i64>;
    /// Accounts by address, in order (`None` where absent).
    async fn get_accounts(&mut self, keys: &[Pubkey]) -> anyhow::Result<Vec<Option<Account>>>;
    /// The margin accounts of `market`.
    async fn margin_accounts(&mut self, market: &Pubkey) -> anyhow::Result<Vec<Pubkey>>;
    /// Signs with the keeper key and sends. An `Err` is a transport failure;
    /// a refused transaction is `Ok` with `ok == false`.
    async fn send(&mut self, ixs: &[Instruction]) -> anyhow::Result<SendOutcome>;
}

/// The custom error code of an Anchor error in a failed transaction's
/// description (`custom program error: 0x1775`).
pub fn custom_code_from_text(text: &str) -> Option<u32> {
    let i = text.find("custom program error: 0x")? + "custom program error: 0x".len();
    let hex: String = text[i..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    u32::from_str_radix(&hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_custom_codes() {
        assert_eq!(
            custom_code_from_text("Error processing Instruction 0: custom program error: 0x1775"),
            Some(6005)
        );
        assert_eq!(
            custom_code_from_text("InstructionError(0, Custom(6005))"),
            None
        );
        assert_eq!(custom_code_from_text("custom program error: 0x"), None);
    }
}
