#!/usr/bin/env bash
# Builds target/deploy/zero_loss.so, the program as an SBPF v3 shared object.
#
# With the official Solana toolchain, `cargo build-sbf` (or `anchor build`) does
# this. Machines that cannot download the platform tools use the project's
# shared stand-in, ../shared/tools/sbf (Debian packages and crates.io only),
# whose one-time setup this script runs when it is missing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/target/deploy"
mkdir -p "$out"

if command -v cargo-build-sbf >/dev/null 2>&1; then
    (cd "$root/programs/zero-loss" && cargo build-sbf --sbf-out-dir "$out")
else
    tools=${SBF_TOOLS:-$root/../shared/tools/sbf}
    W=${SBF_TOOLCHAIN_HOME:-$HOME/.cache/sbf-toolchain}
    if [ ! -x "$W/tools23/sbpf-linker" ] || [ ! -f "$W/ti3.bc" ] || [ ! -d "$W/rust-src/library" ]; then
        echo "building the SBF toolchain in $W (once per machine, ~6-8 min)" >&2
        bash "$tools/setup.sh" >&2
    fi
    so=$(bash "$tools/build-prog.sh" "$root/programs/zero-loss" std-v3 | tail -n 1)
    cp "$so" "$out/zero_loss.so"
fi
ls -l "$out/zero_loss.so" >&2
echo "$out/zero_loss.so"
