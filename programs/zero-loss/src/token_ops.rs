//! SPL-token movements, one place for the CPI plumbing.

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Burn, MintTo, Token, Transfer};

use crate::controller::{Moves, Party};
use crate::errors::ZlError;
use crate::state::{Market, VaultKind};

/// The token accounts a handler lends to [`apply`]: the market's vaults it
/// loaded (by [`VaultKind`]) and the caller's accounts, if the instruction
/// has them.
pub struct Endpoints<'a, 'info> {
    pub token_program: &'a Program<'info, Token>,
    pub market: &'a Account<'info, Market>,
    pub vaults: [Option<AccountInfo<'info>>; 5],
    /// The signer that authorises transfers from the caller's accounts.
    pub caller: Option<AccountInfo<'info>>,
    pub caller_debt: Option<AccountInfo<'info>>,
    pub caller_collateral: Option<AccountInfo<'info>>,
    pub caller_shares: Option<AccountInfo<'info>>,
    pub lp_mint: Option<AccountInfo<'info>>,
}

impl<'a, 'info> Endpoints<'a, 'info> {
    pub fn new(
        token_program: &'a Program<'info, Token>,
        market: &'a Account<'info, Market>,
    ) -> Self {
        Endpoints {
            token_program,
            market,
            vaults: Default::default(),
            caller: None,
            caller_debt: None,
            caller_collateral: None,
            caller_shares: None,
            lp_mint: None,
        }
    }

    /// The LP mint and the caller's share account, for a transition that
    /// mints or burns shares.
    pub fn shares(
        mut self,
        lp_mint: AccountInfo<'info>,
        caller_shares: AccountInfo<'info>,
    ) -> Self {
        self.lp_mint = Some(lp_mint);
        self.caller_shares = Some(caller_shares);
        self
    }

    pub fn vault(mut self, kind: VaultKind, account: AccountInfo<'info>) -> Self {
        self.vaults[kind as usize] = Some(account);
        self
    }

    pub fn caller(
        mut self,
        signer: AccountInfo<'info>,
        debt: Option<AccountInfo<'info>>,
        collateral: Option<AccountInfo<'info>>,
    ) -> Self {
        self.caller = Some(signer);
        self.caller_debt = debt;
        self.caller_collateral = collateral;
        self
    }

    fn account(&self, party: Party) -> Result<AccountInfo<'info>> {
        let acc = match party {
            Party::Vault(k) => self.vaults[k as usize].clone(),
            Party::CallerDebt => self.caller_debt.clone(),
            Party::CallerCollateral => self.caller_collateral.clone(),
            Party::CallerShares => self.caller_shares.clone(),
            Party::LpMint => self.lp_mint.clone(),
        };
        // A transition asked for an account its handler did not load.
        acc.ok_or_else(|| error!(ZlError::InvariantViolated))
    }
}

/// Performs a transition's token moves in order, skipping zero amounts: out
/// of a vault signed by the market PDA, out of the caller's account signed
/// by the caller; shares from the LP mint are minted (signed by the market
/// PDA), shares to it burned (signed by the caller). The program's only
/// token CPI path.
pub fn apply(e: &Endpoints, moves: &Moves) -> Result<()> {
    let caller = || {
        e.caller
            .clone()
            .ok_or_else(|| error!(ZlError::InvariantViolated))
    };
    for m in moves.iter().filter(|m| m.amount > 0) {
        let (from, to) = (e.account(m.from)?, e.account(m.to)?);
        match (m.from, m.to) {
            (Party::LpMint, _) => mint_shares(e.token_program, e.market, from, to, m.amount)?,
            (_, Party::LpMint) => burn_shares(e.token_program, to, from, caller()?, m.amount)?,
            (Party::Vault(_), _) => transfer_out(e.token_program, e.market, from, to, m.amount)?,
            _ => transfer_in(e.token_program, from, to, caller()?, m.amount)?,
        }
    }
    Ok(())
}

/// Moves `amount` from a user's token account, signed by `authority`.
fn transfer_in<'info>(
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
fn transfer_out<'info>(
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
fn mint_shares<'info>(
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
fn burn_shares<'info>(
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
