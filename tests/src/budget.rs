//! Compute-unit budgets per instruction. On the SBF VM the harness caps
//! every transaction of program instructions at the sum of their budgets, so
//! a compute regression fails the suite (natively nothing is metered).

use anchor_lang::Discriminator;
use zero_loss::instruction as ix;

/// Every keeper-path instruction.
pub const KEEPER_CU: u32 = 60_000;
/// Every user and admin instruction.
pub const USER_CU: u32 = 45_000;
/// Market creation (a market, five vaults and a mint; one-off, admin).
pub const INIT_MARKET_CU: u32 = 100_000;

/// The budget of a zero-loss instruction, from its discriminator.
pub fn cu_budget(data: &[u8]) -> Option<u32> {
    let keeper: [&[u8]; 9] = [
        ix::RefreshMarket::DISCRIMINATOR,
        ix::CheckHealth::DISCRIMINATOR,
        ix::LiquidatePartial::DISCRIMINATOR,
        ix::StartAuction::DISCRIMINATOR,
        ix::Bid::DISCRIMINATOR,
        ix::RestartAuction::DISCRIMINATOR,
        ix::Backstop::DISCRIMINATOR,
        ix::SettleAuction::DISCRIMINATOR,
        ix::StartPolAuction::DISCRIMINATOR,
    ];
    let user: [&[u8]; 17] = [
        ix::InitProtocol::DISCRIMINATOR,
        ix::ProposeAdmin::DISCRIMINATOR,
        ix::AcceptAdmin::DISCRIMINATOR,
        ix::SetPause::DISCRIMINATOR,
        ix::UpdateMarketParams::DISCRIMINATOR,
        ix::ExecuteMarketParams::DISCRIMINATOR,
        ix::LpDeposit::DISCRIMINATOR,
        ix::LpWithdraw::DISCRIMINATOR,
        ix::FundInsurance::DISCRIMINATOR,
        ix::FundPol::DISCRIMINATOR,
        ix::WithdrawPol::DISCRIMINATOR,
        ix::OpenMarginAccount::DISCRIMINATOR,
        ix::DepositCollateral::DISCRIMINATOR,
        ix::WithdrawCollateral::DISCRIMINATOR,
        ix::Borrow::DISCRIMINATOR,
        ix::Repay::DISCRIMINATOR,
        ix::CloseMarginAccount::DISCRIMINATOR,
    ];
    let is = |d: &[u8]| data.starts_with(d);
    if keeper.iter().any(|d| is(d)) {
        Some(KEEPER_CU)
    } else if user.iter().any(|d| is(d)) {
        Some(USER_CU)
    } else if is(ix::InitMarket::DISCRIMINATOR) {
        Some(INIT_MARKET_CU)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::InstructionData;

    #[test]
    fn every_instruction_has_a_budget() {
        assert_eq!(
            cu_budget(
                &ix::Bid {
                    max_lot: 1,
                    max_price: 1
                }
                .data()
            ),
            Some(KEEPER_CU)
        );
        assert_eq!(cu_budget(&ix::Borrow { amount: 1 }.data()), Some(USER_CU));
        assert_eq!(cu_budget(&[0; 8]), None);
    }
}
