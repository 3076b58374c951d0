//! Instruction builders for off-chain clients: the keeper, bootstrap and the
//! test harness all build the program's instructions here, from addresses.
//! Compiled off-chain only.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;

use crate::instructions::InitMarketArgs;
use crate::state::{seeds, VaultKind};

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

/// A market's addresses, and the builders of its user and keeper instructions.
#[derive(Clone, Copy, Debug)]
pub struct MarketKeys {
    pub market: Pubkey,
    pub vaults: [Pubkey; 5],
    pub collateral_oracle: Pubkey,
    pub debt_oracle: Pubkey,
}

impl MarketKeys {
    pub fn new(market: Pubkey, collateral_oracle: Pubkey, debt_oracle: Pubkey) -> MarketKeys {
        MarketKeys {
            market,
            vaults: VaultKind::ALL.map(|k| seeds::vault_address(&crate::ID, &market, k).0),
            collateral_oracle,
            debt_oracle,
        }
    }

    pub fn vault(&self, k: VaultKind) -> Pubkey {
        self.vaults[k as usize]
    }

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
            },
            crate::instruction::DepositCollateral { amount },
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
}
