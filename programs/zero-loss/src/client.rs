//! The program's client boundary, compiled off-chain only: a builder for
//! every instruction (from addresses), the compute-budget instructions sent
//! beside them, and the decoder of the events in a transaction's logs. The
//! keeper, bootstrap and the test harness all go through here; none of them
//! builds a zero-loss instruction or parses a log line itself.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{
    system_program, AnchorDeserialize, Discriminator, InstructionData, ToAccountMetas,
};
use anchor_spl::token::spl_token;
use base64::Engine as _;

use crate::state::InitMarketArgs;
use crate::state::{seeds, RiskParams, VaultKind};

fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

fn protocol() -> Pubkey {
    seeds::protocol_address(&crate::ID).0
}

/// `init_protocol`, signed by `admin`.
pub fn init_protocol(admin: Pubkey) -> Instruction {
    ix(
        crate::accounts::InitProtocol {
            admin,
            protocol: protocol(),
            program_data: seeds::program_data_address(&crate::ID),
            system_program: system_program::ID,
        },
        crate::instruction::InitProtocol {},
    )
}

/// `init_market` for a mint pair, signed by `admin`.
pub fn init_market(
    admin: Pubkey,
    collateral_mint: Pubkey,
    debt_mint: Pubkey,
    args: InitMarketArgs,
) -> Instruction {
    let market = seeds::market_address(&crate::ID, &collateral_mint, &debt_mint).0;
    let v = |k| seeds::vault_address(&crate::ID, &market, k).0;
    ix(
        crate::accounts::InitMarket {
            admin,
            protocol: protocol(),
            market,
            collateral_mint,
            debt_mint,
            collateral_vault: v(VaultKind::Collateral),
            liquidity_vault: v(VaultKind::Liquidity),
            insurance_vault: v(VaultKind::Insurance),
            pol_debt_vault: v(VaultKind::PolDebt),
            pol_collateral_vault: v(VaultKind::PolCollateral),
            lp_mint: seeds::lp_mint_address(&crate::ID, &market).0,
            token_program: spl_token::ID,
            system_program: system_program::ID,
        },
        crate::instruction::InitMarket { args },
    )
}

/// `propose_admin`: the current `admin` names `new_admin`, who must accept.
pub fn propose_admin(admin: Pubkey, new_admin: Pubkey) -> Instruction {
    ix(
        crate::accounts::ProposeAdmin {
            admin,
            protocol: protocol(),
        },
        crate::instruction::ProposeAdmin { new_admin },
    )
}

/// `accept_admin`, signed by the proposed `pending_admin`.
pub fn accept_admin(pending_admin: Pubkey) -> Instruction {
    ix(
        crate::accounts::AcceptAdmin {
            pending_admin,
            protocol: protocol(),
        },
        crate::instruction::AcceptAdmin {},
    )
}

/// `set_pause`: `admin` sets the protocol's pause bits (`state::pause`) to `paused`.
pub fn set_pause(admin: Pubkey, paused: u16) -> Instruction {
    ix(
        crate::accounts::SetPause {
            admin,
            protocol: protocol(),
        },
        crate::instruction::SetPause { paused },
    )
}

/// The Compute Budget program.
pub const COMPUTE_BUDGET_ID: Pubkey =
    anchor_lang::pubkey!("ComputeBudget111111111111111111111111111111");

// --- compute budgets ---
//
// Compute-unit budgets per instruction (docs/performance.md): the program-test
// harness caps every transaction of program instructions on the VM at the sum
// of their budgets, so a compute regression fails the suite, and the keeper
// requests that sum as its compute-unit limit instead of a fixed ceiling.

/// Every keeper-path instruction.
pub const KEEPER_CU: u32 = 60_000;
/// Every user and admin instruction.
pub const USER_CU: u32 = 45_000;
/// A batch of partial liquidations: this much, plus [`BATCH_ACCOUNT_CU`]
/// for each margin account it names (a batch of eight measured 136,858).
pub const BATCH_BASE_CU: u32 = 30_000;
/// What each margin account adds to a batch's budget.
pub const BATCH_ACCOUNT_CU: u32 = 20_000;
/// Market creation (a market, five vaults and a mint; one-off, admin).
pub const INIT_MARKET_CU: u32 = 100_000;

/// The budget of a zero-loss instruction, from its discriminator.
pub fn cu_budget(data: &[u8]) -> Option<u32> {
    let keeper: [&[u8]; 9] = [
        crate::instruction::RefreshMarket::DISCRIMINATOR,
        crate::instruction::CheckHealth::DISCRIMINATOR,
        crate::instruction::LiquidatePartial::DISCRIMINATOR,
        crate::instruction::StartAuction::DISCRIMINATOR,
        crate::instruction::Bid::DISCRIMINATOR,
        crate::instruction::RestartAuction::DISCRIMINATOR,
        crate::instruction::Backstop::DISCRIMINATOR,
        crate::instruction::SettleAuction::DISCRIMINATOR,
        crate::instruction::StartPolAuction::DISCRIMINATOR,
    ];
    let user: [&[u8]; 17] = [
        crate::instruction::InitProtocol::DISCRIMINATOR,
        crate::instruction::ProposeAdmin::DISCRIMINATOR,
        crate::instruction::AcceptAdmin::DISCRIMINATOR,
        crate::instruction::SetPause::DISCRIMINATOR,
        crate::instruction::UpdateMarketParams::DISCRIMINATOR,
        crate::instruction::ExecuteMarketParams::DISCRIMINATOR,
        crate::instruction::LpDeposit::DISCRIMINATOR,
        crate::instruction::LpWithdraw::DISCRIMINATOR,
        crate::instruction::FundInsurance::DISCRIMINATOR,
        crate::instruction::FundPol::DISCRIMINATOR,
        crate::instruction::WithdrawPol::DISCRIMINATOR,
        crate::instruction::OpenMarginAccount::DISCRIMINATOR,
        crate::instruction::DepositCollateral::DISCRIMINATOR,
        crate::instruction::WithdrawCollateral::DISCRIMINATOR,
        crate::instruction::Borrow::DISCRIMINATOR,
        crate::instruction::Repay::DISCRIMINATOR,
        crate::instruction::CloseMarginAccount::DISCRIMINATOR,
    ];
    let is = |d: &[u8]| data.starts_with(d);
    if keeper.iter().any(|d| is(d)) {
        Some(KEEPER_CU)
    } else if user.iter().any(|d| is(d)) {
        Some(USER_CU)
    } else if is(crate::instruction::InitMarket::DISCRIMINATOR) {
        Some(INIT_MARKET_CU)
    } else if is(crate::instruction::LiquidateBatch::DISCRIMINATOR) {
        // The accounts it names: the length of `max_repays`, after the discriminator.
        let n = data.get(8..12)?;
        let n = u32::from_le_bytes(n.try_into().ok()?);
        BATCH_ACCOUNT_CU.checked_mul(n)?.checked_add(BATCH_BASE_CU)
    } else {
        None
    }
}

/// What the compute-budget instructions of a transaction use themselves,
/// added to [`cu_limit`].
pub const COMPUTE_BUDGET_IX_CU: u32 = 300;

/// The compute-unit limit for a transaction of `ixs`: the sum of their
/// budgets ([`cu_budget`]) and [`COMPUTE_BUDGET_IX_CU`]; `None` when one of
/// them is not a program instruction with a budget.
pub fn cu_limit(ixs: &[Instruction]) -> Option<u32> {
    if ixs.is_empty() {
        return None;
    }
    ixs.iter()
        .map(|ix| {
            (ix.program_id == crate::ID)
                .then(|| cu_budget(&ix.data))
                .flatten()
        })
        .sum::<Option<u32>>()?
        .checked_add(COMPUTE_BUDGET_IX_CU)
}

/// Compute Budget `SetComputeUnitLimit(units)`: the transaction's CU cap.
pub fn set_compute_unit_limit(units: u32) -> Instruction {
    let mut data = vec![2u8];
    data.extend_from_slice(&units.to_le_bytes());
    Instruction {
        program_id: COMPUTE_BUDGET_ID,
        accounts: vec![],
        data,
    }
}

/// Compute Budget `SetComputeUnitPrice(micro_lamports)`: the priority fee,
/// micro-lamports per compute unit.
pub fn set_compute_unit_price(micro_lamports: u64) -> Instruction {
    let mut data = vec![3u8];
    data.extend_from_slice(&micro_lamports.to_le_bytes());
    Instruction {
        program_id: COMPUTE_BUDGET_ID,
        accounts: vec![],
        data,
    }
}

/// The events of type `E` in a transaction's logs, in order.
///
/// Anchor events are logged as `Program data: <base64>` (the discriminator,
/// then the Borsh body). Run natively (the test harness's bank), the same
/// line arrives as `Program log: Program data: <base64>`; both are read.
/// Lines of other types, or that do not decode, are skipped.
pub fn decode_events<E: AnchorDeserialize + Discriminator>(logs: &[String]) -> Vec<E> {
    logs.iter()
        .filter_map(|l| {
            l.strip_prefix("Program log: ")
                .unwrap_or(l)
                .strip_prefix("Program data: ")
        })
        .filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .filter(|bytes| bytes.starts_with(E::DISCRIMINATOR))
        .filter_map(|bytes| E::deserialize(&mut &bytes[E::DISCRIMINATOR.len()..]).ok())
        .collect()
}

/// A market's addresses, and the builders of its user and keeper instructions.
#[derive(Clone, Copy, Debug)]
pub struct MarketKeys {
    pub market: Pubkey,
    pub vaults: [Pubkey; 5],
    pub collateral_oracle: Pubkey,
    pub debt_oracle: Pubkey,
}

impl MarketKeys {
    /// The market's keys, its vaults derived from `market`.
    pub fn new(market: Pubkey, collateral_oracle: Pubkey, debt_oracle: Pubkey) -> MarketKeys {
        MarketKeys {
            market,
            vaults: VaultKind::ALL.map(|k| seeds::vault_address(&crate::ID, &market, k).0),
            collateral_oracle,
            debt_oracle,
        }
    }

    /// The market's vault of kind `k`.
    pub fn vault(&self, k: VaultKind) -> Pubkey {
        self.vaults[k as usize]
    }

    /// The market's LP-share mint.
    pub fn lp_mint(&self) -> Pubkey {
        seeds::lp_mint_address(&crate::ID, &self.market).0
    }

    /// The margin account of `owner` in this market.
    pub fn margin_of(&self, owner: &Pubkey) -> Pubkey {
        seeds::margin_address(&crate::ID, &self.market, owner).0
    }

    fn lp_accounts(
        &self,
        lp: Pubkey,
        lp_token: Pubkey,
        lp_shares: Pubkey,
    ) -> crate::accounts::LpLiquidity {
        crate::accounts::LpLiquidity {
            lp,
            protocol: protocol(),
            market: self.market,
            liquidity_vault: self.vault(VaultKind::Liquidity),
            lp_mint: self.lp_mint(),
            lp_token,
            lp_shares,
            token_program: spl_token::ID,
            collateral_oracle: Some(self.collateral_oracle),
            debt_oracle: Some(self.debt_oracle),
        }
    }

    /// `lp` deposits `amount` from its debt-asset account `lp_token` and
    /// receives shares into `lp_shares`.
    pub fn lp_deposit(
        &self,
        lp: Pubkey,
        lp_token: Pubkey,
        lp_shares: Pubkey,
        amount: u64,
    ) -> Instruction {
        ix(
            self.lp_accounts(lp, lp_token, lp_shares),
            crate::instruction::LpDeposit { amount },
        )
    }

    /// `lp` burns `shares` from `lp_shares` for debt tokens into `lp_token`.
    pub fn lp_withdraw(
        &self,
        lp: Pubkey,
        lp_token: Pubkey,
        lp_shares: Pubkey,
        shares: u64,
    ) -> Instruction {
        ix(
            self.lp_accounts(lp, lp_token, lp_shares),
            crate::instruction::LpWithdraw { shares },
        )
    }

    /// `funder` adds `amount` from `source` to the insurance fund.
    pub fn fund_insurance(&self, funder: Pubkey, source: Pubkey, amount: u64) -> Instruction {
        ix(
            crate::accounts::FundInsurance {
                funder,
                protocol: protocol(),
                market: self.market,
                insurance_vault: self.vault(VaultKind::Insurance),
                source,
                token_program: spl_token::ID,
            },
            crate::instruction::FundInsurance { amount },
        )
    }

    /// `admin` adds `amount` of the debt asset from `source` to POL.
    pub fn fund_pol(&self, admin: Pubkey, source: Pubkey, amount: u64) -> Instruction {
        ix(
            crate::accounts::FundPol {
                admin,
                protocol: protocol(),
                market: self.market,
                pol_debt_vault: self.vault(VaultKind::PolDebt),
                source,
                token_program: spl_token::ID,
            },
            crate::instruction::FundPol { amount },
        )
    }

    /// `admin` moves `amount` of POL's `asset` out of
    /// `pol_vault` (the POL vault of that asset) into `destination`.
    pub fn withdraw_pol(
        &self,
        admin: Pubkey,
        pol_vault: Pubkey,
        destination: Pubkey,
        asset: crate::state::PolAsset,
        amount: u64,
    ) -> Instruction {
        ix(
            crate::accounts::WithdrawPol {
                admin,
                protocol: protocol(),
                market: self.market,
                pol_vault,
                destination,
                token_program: spl_token::ID,
            },
            crate::instruction::WithdrawPol { asset, amount },
        )
    }

    /// `admin` replaces the market's risk parameters with `params`.
    pub fn update_params(&self, admin: Pubkey, params: RiskParams) -> Instruction {
        ix(
            crate::accounts::UpdateMarketParams {
                admin,
                protocol: protocol(),
                market: self.market,
            },
            crate::instruction::UpdateMarketParams { params },
        )
    }

    /// Anyone puts the market's pending parameters in force once their
    /// timelock has passed.
    pub fn execute_params(&self) -> Instruction {
        ix(
            crate::accounts::ExecuteMarketParams {
                market: self.market,
            },
            crate::instruction::ExecuteMarketParams {},
        )
    }

    /// Opens `owner`'s margin account.
    pub fn open_margin(&self, owner: Pubkey) -> Instruction {
        ix(
            crate::accounts::OpenMarginAccount {
                owner,
                protocol: protocol(),
                market: self.market,
                margin_account: self.margin_of(&owner),
                system_program: system_program::ID,
            },
            crate::instruction::OpenMarginAccount {},
        )
    }

    /// `depositor` adds `amount` from `source` to the margin account `margin`.
    pub fn deposit(
        &self,
        depositor: Pubkey,
        margin: Pubkey,
        source: Pubkey,
        amount: u64,
    ) -> Instruction {
        ix(
            crate::accounts::DepositCollateral {
                depositor,
                protocol: protocol(),
                market: self.market,
                margin_account: margin,
                collateral_vault: self.vault(VaultKind::Collateral),
                source,
                token_program: spl_token::ID,
                collateral_oracle: Some(self.collateral_oracle),
                debt_oracle: Some(self.debt_oracle),
            },
            crate::instruction::DepositCollateral { amount },
        )
    }

    /// `owner` takes `amount` of collateral out of its margin account into
    /// `destination`.
    pub fn withdraw(&self, owner: Pubkey, destination: Pubkey, amount: u64) -> Instruction {
        ix(
            crate::accounts::WithdrawCollateral {
                owner,
                protocol: protocol(),
                market: self.market,
                margin_account: self.margin_of(&owner),
                collateral_vault: self.vault(VaultKind::Collateral),
                destination,
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
                token_program: spl_token::ID,
            },
            crate::instruction::WithdrawCollateral { amount },
        )
    }

    /// `owner` borrows `amount` into `destination`.
    pub fn borrow(&self, owner: Pubkey, destination: Pubkey, amount: u64) -> Instruction {
        ix(
            crate::accounts::Borrow {
                owner,
                protocol: protocol(),
                market: self.market,
                margin_account: self.margin_of(&owner),
                liquidity_vault: self.vault(VaultKind::Liquidity),
                destination,
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
                token_program: spl_token::ID,
            },
            crate::instruction::Borrow { amount },
        )
    }

    /// `payer` repays up to `amount` of the debt of the margin account
    /// `margin` from `source` (anyone may repay for anyone).
    pub fn repay(&self, payer: Pubkey, margin: Pubkey, source: Pubkey, amount: u64) -> Instruction {
        ix(
            crate::accounts::Repay {
                payer,
                market: self.market,
                margin_account: margin,
                liquidity_vault: self.vault(VaultKind::Liquidity),
                source,
                token_program: spl_token::ID,
            },
            crate::instruction::Repay { amount },
        )
    }

    /// Closes `owner`'s empty margin account; the rent goes back to `owner`.
    pub fn close_margin(&self, owner: Pubkey) -> Instruction {
        ix(
            crate::accounts::CloseMarginAccount {
                owner,
                margin_account: self.margin_of(&owner),
            },
            crate::instruction::CloseMarginAccount {},
        )
    }

    /// Refreshes the market (interest, reserve sweep, volatility, breaker).
    pub fn refresh(&self) -> Instruction {
        ix(
            crate::accounts::RefreshMarket {
                market: self.market,
                liquidity_vault: self.vault(VaultKind::Liquidity),
                insurance_vault: self.vault(VaultKind::Insurance),
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
                token_program: spl_token::ID,
            },
            crate::instruction::RefreshMarket {},
        )
    }

    /// Judges `margin` and stores its health snapshot.
    pub fn check_health(&self, margin: Pubkey) -> Instruction {
        ix(
            crate::accounts::CheckHealth {
                market: self.market,
                margin_account: margin,
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
            },
            crate::instruction::CheckHealth {},
        )
    }

    /// `liquidator` pays from `debt` and receives into `collateral`.
    pub fn liquidate_partial(
        &self,
        liquidator: Pubkey,
        margin: Pubkey,
        debt: Pubkey,
        collateral: Pubkey,
        max_repay: u64,
    ) -> Instruction {
        ix(
            crate::accounts::LiquidatePartial {
                liquidator,
                protocol: protocol(),
                market: self.market,
                margin_account: margin,
                liquidity_vault: self.vault(VaultKind::Liquidity),
                collateral_vault: self.vault(VaultKind::Collateral),
                liquidator_debt: debt,
                liquidator_collateral: collateral,
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
                token_program: spl_token::ID,
            },
            crate::instruction::LiquidatePartial { max_repay },
        )
    }

    /// The partial liquidation of each of `margins` for at most its entry of
    /// `max_repays` (the margin accounts go as writable remaining accounts).
    pub fn liquidate_batch(
        &self,
        liquidator: Pubkey,
        margins: &[Pubkey],
        debt: Pubkey,
        collateral: Pubkey,
        max_repays: Vec<u64>,
    ) -> Instruction {
        let mut i = ix(
            crate::accounts::LiquidateBatch {
                liquidator,
                protocol: protocol(),
                market: self.market,
                liquidity_vault: self.vault(VaultKind::Liquidity),
                collateral_vault: self.vault(VaultKind::Collateral),
                liquidator_debt: debt,
                liquidator_collateral: collateral,
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
                token_program: spl_token::ID,
            },
            crate::instruction::LiquidateBatch { max_repays },
        );
        i.accounts
            .extend(margins.iter().map(|m| AccountMeta::new(*m, false)));
        i
    }

    /// Kicks `margin` into the auction at `auction` (the market's next id);
    /// the reward goes to `kicker_debt`.
    pub fn start_auction(
        &self,
        kicker: Pubkey,
        margin: Pubkey,
        auction: Pubkey,
        kicker_debt: Pubkey,
    ) -> Instruction {
        ix(
            crate::accounts::StartAuction {
                kicker,
                protocol: protocol(),
                market: self.market,
                margin_account: margin,
                auction,
                insurance_vault: self.vault(VaultKind::Insurance),
                kicker_debt,
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
                token_program: spl_token::ID,
                system_program: system_program::ID,
            },
            crate::instruction::StartAuction {},
        )
    }

    /// `bidder` pays from `debt` and receives into `collateral`.
    #[allow(clippy::too_many_arguments)]
    pub fn bid(
        &self,
        bidder: Pubkey,
        auction: Pubkey,
        debt: Pubkey,
        collateral: Pubkey,
        max_lot: u64,
        max_price: u128,
    ) -> Instruction {
        ix(
            crate::accounts::Bid {
                bidder,
                protocol: protocol(),
                market: self.market,
                auction,
                liquidity_vault: self.vault(VaultKind::Liquidity),
                insurance_vault: self.vault(VaultKind::Insurance),
                pol_debt_vault: self.vault(VaultKind::PolDebt),
                collateral_vault: self.vault(VaultKind::Collateral),
                bidder_debt: debt,
                bidder_collateral: collateral,
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
                token_program: spl_token::ID,
            },
            crate::instruction::Bid { max_lot, max_price },
        )
    }

    /// Restarts the stale `auction`; the reward goes to `keeper_debt`.
    pub fn restart(&self, keeper: Pubkey, auction: Pubkey, keeper_debt: Pubkey) -> Instruction {
        ix(
            crate::accounts::RestartAuction {
                keeper,
                protocol: protocol(),
                market: self.market,
                auction,
                insurance_vault: self.vault(VaultKind::Insurance),
                keeper_debt,
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
                token_program: spl_token::ID,
            },
            crate::instruction::RestartAuction {},
        )
    }

    /// POL buys what is left of `auction` at its floor.
    pub fn backstop(&self, keeper: Pubkey, auction: Pubkey) -> Instruction {
        ix(
            crate::accounts::Backstop {
                keeper,
                protocol: protocol(),
                market: self.market,
                auction,
                pol_debt_vault: self.vault(VaultKind::PolDebt),
                pol_collateral_vault: self.vault(VaultKind::PolCollateral),
                liquidity_vault: self.vault(VaultKind::Liquidity),
                insurance_vault: self.vault(VaultKind::Insurance),
                collateral_vault: self.vault(VaultKind::Collateral),
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
                token_program: spl_token::ID,
            },
            crate::instruction::Backstop {},
        )
    }

    /// Settles `auction`; `margin` is its owning account (None for POL's).
    pub fn settle(
        &self,
        keeper: Pubkey,
        auction: Pubkey,
        kicker: Pubkey,
        margin: Option<Pubkey>,
    ) -> Instruction {
        ix(
            crate::accounts::SettleAuction {
                keeper,
                protocol: protocol(),
                market: self.market,
                auction,
                kicker,
                margin_account: margin,
                liquidity_vault: self.vault(VaultKind::Liquidity),
                insurance_vault: self.vault(VaultKind::Insurance),
                pol_debt_vault: self.vault(VaultKind::PolDebt),
                collateral_vault: self.vault(VaultKind::Collateral),
                pol_collateral_vault: self.vault(VaultKind::PolCollateral),
                token_program: spl_token::ID,
            },
            crate::instruction::SettleAuction {},
        )
    }

    /// `admin` puts `lot` of POL's collateral up for auction at `auction`
    /// (the market's next id).
    pub fn start_pol_auction(&self, admin: Pubkey, auction: Pubkey, lot: u64) -> Instruction {
        ix(
            crate::accounts::StartPolAuction {
                admin,
                protocol: protocol(),
                market: self.market,
                auction,
                pol_collateral_vault: self.vault(VaultKind::PolCollateral),
                collateral_vault: self.vault(VaultKind::Collateral),
                collateral_oracle: self.collateral_oracle,
                debt_oracle: self.debt_oracle,
                token_program: spl_token::ID,
                system_program: system_program::ID,
            },
            crate::instruction::StartPolAuction { lot },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{MarginAccountClosed, Repaid};
    use anchor_lang::Event;

    fn data_line(prefix: &str, event: &impl Event) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(event.data());
        format!("{prefix}{b64}")
    }

    #[test]
    fn events_are_decoded_from_both_log_forms_by_type_in_order() {
        let repaid = |amount| Repaid {
            market: Pubkey::new_unique(),
            ts: 1_700_000_000,
            margin_account: Pubkey::new_unique(),
            payer: Pubkey::new_unique(),
            amount,
            debt: 0,
        };
        let closed = MarginAccountClosed {
            market: Pubkey::new_unique(),
            ts: 1_700_000_000,
            margin_account: Pubkey::new_unique(),
        };
        let logs = vec![
            "Program log: Instruction: Repay".to_string(),
            data_line("Program data: ", &repaid(1)),
            data_line("Program data: ", &closed),
            data_line("Program log: Program data: ", &repaid(2)),
            "Program data: not base64".to_string(),
            "Program data: AAAA".to_string(),
        ];
        let amounts: Vec<u64> = decode_events::<Repaid>(&logs)
            .iter()
            .map(|e| e.amount)
            .collect();
        assert_eq!(amounts, [1, 2]);
        let found = decode_events::<MarginAccountClosed>(&logs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].margin_account, closed.margin_account);
    }

    #[test]
    fn compute_budget_instructions_carry_their_tag_and_little_endian_value() {
        let limit = set_compute_unit_limit(200_000);
        assert_eq!(limit.program_id, COMPUTE_BUDGET_ID);
        assert_eq!(limit.data[0], 2);
        assert_eq!(limit.data[1..], 200_000u32.to_le_bytes());
        let price = set_compute_unit_price(7);
        assert_eq!(price.data[0], 3);
        assert_eq!(price.data[1..], 7u64.to_le_bytes());
        assert!(limit.accounts.is_empty() && price.accounts.is_empty());
    }
}
