//! Bridges two generations of native syscall stubs.
//!
//! Natively (not on the SBF VM), a program's syscalls go through the
//! `program_stubs` table of the `solana-sysvar` crate it was built against.
//! program-test 4.2.2 installs its stubs (clock, rent, CPI, logs, return
//! data) into `solana-sysvar` 4.x, but Anchor 1.2.2 on the `solana-v3`
//! cohort (the one the Pyth receiver SDK requires) calls through
//! `solana-sysvar` 3.x, whose default stubs answer "unsupported sysvar" and
//! refuse CPI. [`install`] takes program-test's stubs out of the 4.x table
//! and serves them to both tables. The SBF build needs none of this.

use std::sync::{Arc, Once};

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::Instruction;
use solana_sysvar_v3::program_stubs as v3;
use solana_sysvar_v4::program_stubs as v4;

struct Shared(Arc<dyn v4::SyscallStubs>);

macro_rules! forward {
    () => {
        fn sol_log(&self, message: &str) {
            self.0.sol_log(message)
        }
        fn sol_log_compute_units(&self) {
            self.0.sol_log_compute_units()
        }
        fn sol_remaining_compute_units(&self) -> u64 {
            self.0.sol_remaining_compute_units()
        }
        fn sol_invoke_signed(
            &self,
            instruction: &Instruction,
            account_infos: &[AccountInfo],
            signers_seeds: &[&[&[u8]]],
        ) -> ProgramResult {
            self.0
                .sol_invoke_signed(instruction, account_infos, signers_seeds)
        }
        fn sol_get_sysvar(&self, id: *const u8, var: *mut u8, offset: u64, length: u64) -> u64 {
            self.0.sol_get_sysvar(id, var, offset, length)
        }
        fn sol_get_clock_sysvar(&self, var: *mut u8) -> u64 {
            self.0.sol_get_clock_sysvar(var)
        }
        fn sol_get_epoch_schedule_sysvar(&self, var: *mut u8) -> u64 {
            self.0.sol_get_epoch_schedule_sysvar(var)
        }
        fn sol_get_fees_sysvar(&self, var: *mut u8) -> u64 {
            self.0.sol_get_fees_sysvar(var)
        }
        fn sol_get_rent_sysvar(&self, var: *mut u8) -> u64 {
            self.0.sol_get_rent_sysvar(var)
        }
        fn sol_get_epoch_rewards_sysvar(&self, var: *mut u8) -> u64 {
            self.0.sol_get_epoch_rewards_sysvar(var)
        }
        fn sol_get_last_restart_slot(&self, var: *mut u8) -> u64 {
            self.0.sol_get_last_restart_slot(var)
        }
        fn sol_get_epoch_stake(&self, vote_address: *const u8) -> u64 {
            self.0.sol_get_epoch_stake(vote_address)
        }
        fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
            self.0.sol_get_return_data()
        }
        fn sol_set_return_data(&self, data: &[u8]) {
            self.0.sol_set_return_data(data)
        }
        fn sol_log_data(&self, fields: &[&[u8]]) {
            log_data(&*self.0, fields)
        }
        fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
            self.0.sol_get_processed_sibling_instruction(index)
        }
        fn sol_get_stack_height(&self) -> u64 {
            self.0.sol_get_stack_height()
        }
    };
}

impl v3::SyscallStubs for Shared {
    forward!();
}

impl v4::SyscallStubs for Shared {
    forward!();
}

/// program-test's stubs lack `sol_log_data` (Anchor's `emit!`): the default
/// prints to stdout and the event never reaches the transaction's logs. It
/// is logged instead as `Program log: Program data: <base64>...`, which
/// [`crate::decode_events`] reads like the VM's `Program data:` line.
fn log_data(inner: &dyn v4::SyscallStubs, fields: &[&[u8]]) {
    use base64::Engine;
    let parts: Vec<String> = fields
        .iter()
        .map(|f| base64::engine::general_purpose::STANDARD.encode(f))
        .collect();
    inner.sol_log(&format!("Program data: {}", parts.join(" ")));
}

struct Placeholder;
impl v4::SyscallStubs for Placeholder {}

/// Serves program-test's stubs to both tables. Call after the first
/// `ProgramTest::start*` (which installs them); later calls do nothing.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let inner: Arc<dyn v4::SyscallStubs> =
            Arc::from(v4::set_syscall_stubs(Box::new(Placeholder)));
        v4::set_syscall_stubs(Box::new(Shared(inner.clone())));
        v3::set_syscall_stubs(Box::new(Shared(inner)));
    });
}
