//! SPL-token movements, one place for the CPI plumbing.

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Burn, MintTo, Token, Transfer};

use crate::state::Market;

/// Moves `amount` from a user's token account, signed by `authority`.
pub fn transfer_in<'info>(
    token_program: &Program<'info, Token>,
    from: AccountInfo<'info>,
    to: AccountInfo<'info>,
    authority: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let accounts = Transfer {
        from,
        to,
        authority,
    };
    token::transfer(CpiContext::new(token_program.key(), accounts), amount)
}

/// Moves `amount` out of a market vault, signed by the market PDA.
pub fn transfer_out<'info>(
    token_program: &Program<'info, Token>,
    market: &Account<'info, Market>,
    from_vault: AccountInfo<'info>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let signer = market.signer();
    let seeds = signer.seeds();
    let signer_seeds: &[&[&[u8]]] = &[&seeds];
    let accounts = Transfer {
        from: from_vault,
        to,
        authority: market.to_account_info(),
    };
    token::transfer(
        CpiContext::new_with_signer(token_program.key(), accounts, signer_seeds),
        amount,
    )
}

/// Mints LP shares, signed by the market PDA.
pub fn mint_shares<'info>(
    token_program: &Program<'info, Token>,
    market: &Account<'info, Market>,
    mint: AccountInfo<'info>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let signer = market.signer();
    let seeds = signer.seeds();
    let signer_seeds: &[&[&[u8]]] = &[&seeds];
    let accounts = MintTo {
        mint,
        to,
        authority: market.to_account_info(),
    };
    token::mint_to(
        CpiContext::new_with_signer(token_program.key(), accounts, signer_seeds),
        amount,
    )
}

/// Burns LP shares from a holder's account, signed by the holder.
pub fn burn_shares<'info>(
    token_program: &Program<'info, Token>,
    mint: AccountInfo<'info>,
    from: AccountInfo<'info>,
    authority: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let accounts = Burn {
        mint,
        from,
        authority,
    };
    token::burn(CpiContext::new(token_program.key(), accounts), amount)
}
