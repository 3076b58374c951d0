//! Compute-unit budgets per instruction: the program's own table
//! (`zero_loss::client::cu_budget`), which the keeper also requests. On the
//! SBF VM the harness caps every transaction of program instructions at the
//! sum of their budgets, so a compute regression fails the suite (natively
//! nothing is metered).

pub use zero_loss::client::{
    cu_budget, cu_limit, BATCH_ACCOUNT_CU, BATCH_BASE_CU, INIT_MARKET_CU, KEEPER_CU, USER_CU,
};

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::InstructionData;
    use zero_loss::instruction as ix;

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
        // A batch: the base and each account it names.
        let batch = ix::LiquidateBatch {
            max_repays: vec![1; 3],
        }
        .data();
        assert_eq!(
            cu_budget(&batch),
            Some(BATCH_BASE_CU + 3 * BATCH_ACCOUNT_CU)
        );
    }
}
