#!/usr/bin/env bash
# Builds the .so and runs the program-test suites against it on the SBF VM
# (program-test loads zero_loss.so from SBF_OUT_DIR instead of running the
# program natively). Extra arguments go to cargo test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/build-sbf.sh" >/dev/null
cd "$root"
SBF_OUT_DIR="$root/target/deploy" RUST_LOG="${RUST_LOG:-error}" cargo test -p zero-loss-tests --locked "$@"
