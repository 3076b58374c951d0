#!/usr/bin/env bash
# Builds the .so and runs the program-test suites against it on the SBF VM
# (program-test loads zero_loss.so from SBF_OUT_DIR instead of running the
# program natively). Extra arguments go to cargo test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/build-sbf.sh" >/dev/null
cd "$root"
# The fuzzer's quick run is 500 sequences a thread natively; on the VM 100
# (what it adds there is the compute budgets of every instruction).
SBF_OUT_DIR="$root/target/deploy" RUST_LOG="${RUST_LOG:-error}" \
    ZL_FUZZ_SEQUENCES="${ZL_FUZZ_SEQUENCES:-100}" cargo test -p zero-loss-tests --locked "$@"
