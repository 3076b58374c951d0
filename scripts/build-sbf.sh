#!/usr/bin/env bash
# Builds the programs as SBPF v3 shared objects in target/deploy:
# zero_loss.so (the product) and pyth_feeder.so (localnet only: the price
# feeder loaded at the Pyth receiver's id, see docs/localnet.md).
#
# With the official Solana toolchain, `cargo build-sbf` (or `anchor build`) does
# this. Machines that cannot download the platform tools use the project's
# shared stand-in, ../shared/tools/sbf (Debian packages and crates.io only),
# whose one-time setup this script runs when it is missing.
#
# Usage: scripts/build-sbf.sh [crate dir under programs/ ...]  (default: all)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/target/deploy"
mkdir -p "$out"
crates=("$@")
[ ${#crates[@]} -gt 0 ] || crates=(zero-loss pyth-feeder)

if ! command -v cargo-build-sbf >/dev/null 2>&1; then
    tools=${SBF_TOOLS:-$root/../shared/tools/sbf}
    W=${SBF_TOOLCHAIN_HOME:-$HOME/.cache/sbf-toolchain}
    if [ ! -x "$W/tools23/sbpf-linker" ] || [ ! -f "$W/ti3.bc" ] || [ ! -d "$W/rust-src/library" ]; then
        echo "building the SBF toolchain in $W (once per machine, ~6-8 min)" >&2
        bash "$tools/setup.sh" >&2
    fi
fi

for crate in "${crates[@]}"; do
    name=${crate//-/_}
    if command -v cargo-build-sbf >/dev/null 2>&1; then
        (cd "$root/programs/$crate" && cargo build-sbf --sbf-out-dir "$out")
    else
        so=$(bash "$tools/build-prog.sh" "$root/programs/$crate" std-v3 | tail -n 1)
        cp "$so" "$out/$name.so"
    fi
    ls -l "$out/$name.so" >&2
    echo "$out/$name.so"
done
