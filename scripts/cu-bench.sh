#!/usr/bin/env bash
# Compute units of every instruction on the SBF build: builds the .so, runs
# the cu-bench binary against it, prints the table (instruction, CU, budget).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/build-sbf.sh" >/dev/null
cd "$root"
SBF_OUT_DIR="$root/target/deploy" RUST_LOG="${RUST_LOG:-error}" cargo run -q -p zero-loss-tests --bin cu-bench --locked
