//! SPL Token and Associated Token Account instructions the keeper's tools
//! build by address.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_spl::token::spl_token;

/// The SPL Associated Token Account program.
pub fn ata_program_id() -> Pubkey {
    "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
        .parse()
        .expect("static id")
}

/// The associated token account of `owner` for `mint`.
pub fn ata(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    let token = spl_token::ID;
    Pubkey::find_program_address(
        &[owner.as_ref(), token.as_ref(), mint.as_ref()],
        &ata_program_id(),
    )
    .0
}

/// `CreateIdempotent`: the associated token account of `owner` for `mint`.
pub fn create_ata_ix(payer: Pubkey, owner: Pubkey, mint: Pubkey) -> Instruction {
    Instruction {
        program_id: ata_program_id(),
        accounts: vec![
            AccountMeta::new(payer, true),
            AccountMeta::new(ata(&owner, &mint), false),
            AccountMeta::new_readonly(owner, false),
            AccountMeta::new_readonly(mint, false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        data: vec![1],
    }
}

pub fn mint_to_ix(
    mint: Pubkey,
    to: Pubkey,
    authority: Pubkey,
    amount: u64,
) -> anyhow::Result<Instruction> {
    Ok(spl_token::instruction::mint_to(
        &spl_token::ID,
        &mint,
        &to,
        &authority,
        &[],
        amount,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ata_matches_the_associated_token_program() {
        let owner = Pubkey::new_unique();
        let mint = Pubkey::new_unique();
        let ix = create_ata_ix(owner, owner, mint);
        assert_eq!(ix.accounts[1].pubkey, ata(&owner, &mint));
        assert_eq!(ix.data, vec![1], "CreateIdempotent");
        assert!(ix.accounts[0].is_signer && ix.accounts[1].is_writable);
    }
}
