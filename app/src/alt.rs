//! Address lookup tables and v0 transactions (docs/keeper.md, "v0 transactions and the
//! lookup table"). A keeper transaction names the market, its five vaults, two oracles, the
//! protocol, the token program and the keeper's token accounts again and again; a table of
//! them shrinks each such key from 32 bytes to 1, so a `liquidate_batch` fits more accounts
//! and every transaction is smaller.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_message::{v0, AddressLookupTableAccount, VersionedMessage};
use zero_loss::client::MarketKeys;

/// The program that owns lookup tables.
pub fn program_id() -> Pubkey {
    "AddressLookupTab1e1111111111111111111111111"
        .parse()
        .expect("static id")
}

/// A table account's header: the state tag (u32), deactivation slot (u64), last extended slot
/// (u64) and its start index (u8), the optional authority (1 + 32), padding (u16).
pub const META_SIZE: usize = 56;

/// The addresses a table account holds (`AddressLookupTable` state: tag 1, then the header,
/// then 32-byte addresses).
pub fn parse_table(key: Pubkey, data: &[u8]) -> anyhow::Result<AddressLookupTableAccount> {
    let tag = data
        .get(..4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
    anyhow::ensure!(tag == Some(1), "{key} is not an initialized lookup table");
    let body = data
        .get(META_SIZE..)
        .ok_or_else(|| anyhow::anyhow!("{key}: short lookup table"))?;
    anyhow::ensure!(body.len() % 32 == 0, "{key}: ragged lookup table");
    let addresses = body
        .chunks_exact(32)
        .map(|c| Pubkey::new_from_array(c.try_into().expect("32 bytes")))
        .collect();
    Ok(AddressLookupTableAccount { key, addresses })
}

/// Every account a keeper's transactions on `keys` name whatever the margin account or
/// auction: read off the program's own instruction builders with placeholder accounts,
/// the keeper itself (a signer, never looked up) left out.
pub fn market_addresses(
    keys: &MarketKeys,
    keeper: Pubkey,
    debt_account: Pubkey,
    collateral_account: Pubkey,
) -> Vec<Pubkey> {
    let (margin, auction, kicker) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let ixs = [
        keys.refresh(),
        keys.liquidate_partial(keeper, margin, debt_account, collateral_account, 1),
        keys.start_auction(keeper, margin, auction, debt_account),
        keys.bid(keeper, auction, debt_account, collateral_account, 1, 1),
        keys.restart(keeper, auction, debt_account),
        keys.backstop(keeper, auction),
        keys.settle(keeper, auction, kicker, Some(margin)),
    ];
    let mut out: Vec<Pubkey> = Vec::new();
    for ix in &ixs {
        for k in ix.accounts.iter().map(|m| m.pubkey) {
            if ![keeper, margin, auction, kicker].contains(&k) && !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out
}

/// The addresses of `wanted` that `table` does not hold yet, in order.
pub fn missing(table: &AddressLookupTableAccount, wanted: &[Pubkey]) -> Vec<Pubkey> {
    wanted
        .iter()
        .filter(|k| !table.addresses.contains(k))
        .copied()
        .collect()
}

/// The message of `ixs` paid by `payer`: v0 with the tables' addresses looked up when there
/// are tables, legacy otherwise.
pub fn message(
    payer: &Pubkey,
    ixs: &[Instruction],
    tables: &[AddressLookupTableAccount],
    blockhash: solana_message::Hash,
) -> anyhow::Result<VersionedMessage> {
    if tables.is_empty() {
        return Ok(VersionedMessage::Legacy(
            solana_message::Message::new_with_blockhash(ixs, Some(payer), &blockhash),
        ));
    }
    Ok(VersionedMessage::V0(
        v0::Message::try_compile(payer, ixs, tables, blockhash)
            .map_err(|e| anyhow::anyhow!("v0 message: {e}"))?,
    ))
}

/// Extends take at most this many addresses a transaction (a transaction's 1,232 bytes).
pub const EXTEND_CHUNK: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> MarketKeys {
        MarketKeys::new(
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        )
    }

    #[test]
    fn the_table_holds_what_every_keeper_transaction_repeats() {
        let k = keys();
        let (keeper, debt, coll) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let a = market_addresses(&k, keeper, debt, coll);
        for want in [k.market, k.collateral_oracle, k.debt_oracle, debt, coll] {
            assert!(a.contains(&want), "{want} missing");
        }
        assert!(k.vaults.iter().all(|v| a.contains(v)));
        assert!(!a.contains(&keeper), "the signer is never looked up");
        // One extend transaction's worth, or two at most.
        assert!(a.len() <= 2 * EXTEND_CHUNK, "{}", a.len());
    }

    #[test]
    fn a_table_account_parses_and_a_v0_batch_is_smaller() {
        let k = keys();
        let keeper = Pubkey::new_unique();
        let (debt, coll) = (Pubkey::new_unique(), Pubkey::new_unique());
        let addresses = market_addresses(&k, keeper, debt, coll);
        // The account as the lookup-table program lays it out.
        let mut data = vec![0u8; META_SIZE];
        data[..4].copy_from_slice(&1u32.to_le_bytes());
        for a in &addresses {
            data.extend_from_slice(a.as_ref());
        }
        let table_key = Pubkey::new_unique();
        let table = parse_table(table_key, &data).unwrap();
        assert_eq!(table.addresses, addresses);
        assert!(missing(&table, &addresses).is_empty());
        let extra = Pubkey::new_unique();
        assert_eq!(missing(&table, &[k.market, extra]), vec![extra]);
        assert!(parse_table(table_key, &data[..10]).is_err());
        let mut uninit = data.clone();
        uninit[0] = 0;
        assert!(parse_table(table_key, &uninit).is_err());

        // A batch of eight: every fixed account becomes a one-byte index.
        let margins: Vec<Pubkey> = (0..8).map(|_| Pubkey::new_unique()).collect();
        let batch = k.liquidate_batch(keeper, &margins, debt, coll, vec![1; 8]);
        let ixs = crate::rpc::with_budget(&[batch], 190_300, 1_000);
        let size = |m: &VersionedMessage| m.serialize().len();
        let hash = solana_message::Hash::default();
        let legacy = message(&keeper, &ixs, &[], hash).unwrap();
        let v0 = message(&keeper, &ixs, std::slice::from_ref(&table), hash).unwrap();
        let VersionedMessage::V0(m) = &v0 else {
            panic!("not v0")
        };
        assert_eq!(m.address_table_lookups.len(), 1);
        assert_eq!(m.address_table_lookups[0].account_key, table_key);
        // The margin accounts stay static (not in the table); the market's are looked up.
        assert!(margins.iter().all(|x| m.account_keys.contains(x)));
        assert!(!m.account_keys.contains(&k.market));
        // Each looked-up key costs one byte instead of 32; the lookup itself costs the
        // version and count bytes, the table's key and two index lengths.
        let looked_up = m.address_table_lookups[0].writable_indexes.len()
            + m.address_table_lookups[0].readonly_indexes.len();
        assert!(looked_up >= 9, "{looked_up}");
        assert_eq!(size(&legacy) - size(&v0), 31 * looked_up - 36);
    }
}
