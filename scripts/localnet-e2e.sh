#!/usr/bin/env bash
# The keeper against a local validator, end to end (docs/localnet.md):
#
#   1. solana-test-validator (installed from crates.io when missing) on
#      127.0.0.1 with zero_loss.so at the program id and the price feeder
#      (pyth_feeder.so) at the Pyth receiver's id;
#   2. keys, mints, Pyth price accounts and keeper funding (zl-keeper localnet
#      keys / prepare), then `zl-keeper bootstrap`;
#   3. `zl-keeper run` (the keeper, over JSON-RPC) in the background while
#      `zl-keeper localnet crash` opens borrowers and walks a crash's prices
#      through the feeder, then waits for every auction to settle.
#
# Prints what the keeper did and the final market state; exits non-zero if
# an auction is left open, an account is left past the liquidation
# threshold, bad debt is recorded or the LP share price fell.
#
# Environment: RPC_PORT (8899), SKIP_BUILD=1 (reuse target/deploy/*.so),
# NO_KEEPER=1 (no keeper: checks that the verdict fails when nobody
# liquidates). Extra arguments go to `zl-keeper localnet crash` (e.g.
# --borrowers 40).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
work="$root/target/localnet"
port=${RPC_PORT:-8899}
url="http://127.0.0.1:$port"
mkdir -p "$work"
export PATH="$HOME/.cargo/bin:$PATH"

step() { echo; echo "== $* ($(date +%T))"; }

# 1. The validator.
if ! command -v solana-test-validator >/dev/null 2>&1; then
    step "installing solana-test-validator 4.2.2 from crates.io (once; ~25-40 min on 2 cores)"
    if ! dpkg -s libclang-dev >/dev/null 2>&1; then
        as_root=""
        [ "$(id -u)" -eq 0 ] || as_root=sudo
        $as_root apt-get update -qq
        $as_root apt-get install -y libclang-dev
    fi
    cargo install agave-validator --version =4.2.2 --locked \
        --bin solana-test-validator --features agave-unstable-api
fi
if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f target/deploy/zero_loss.so ] || [ ! -f target/deploy/pyth_feeder.so ]; then
    step "building the programs (SBF)"
    bash scripts/build-sbf.sh
fi
step "building zl-keeper"
cargo build -p zl-keeper --locked --quiet
zl="$root/target/debug/zl-keeper"

program_id=$(sed -n 's/^declare_id!("\(.*\)");/\1/p' programs/zero-loss/src/lib.rs)
receiver_id=$(sed -n 's/^declare_id!("\(.*\)");/\1/p' programs/pyth-feeder/src/lib.rs)

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

health() {
    curl -s "$url" -H 'Content-Type: application/json' \
        -d '{"jsonrpc":"2.0","id":1,"method":"getHealth"}' | grep -q '"ok"'
}
if health; then
    echo "a validator already answers on $url; stop it or set RPC_PORT" >&2
    exit 1
fi
# The admin's key exists before the validator: it is the program's upgrade
# authority, the only key that can run init_protocol.
"$zl" localnet keys --dir "$work" --airdrop-sol 0 >"$work/keys0.txt"
admin=$(awk '/^admin/{print $2}' "$work/keys0.txt")
step "starting solana-test-validator on $url"
solana-test-validator --reset --quiet --ledger "$work/ledger" \
    --bind-address 127.0.0.1 --rpc-port "$port" \
    --upgradeable-program "$program_id" target/deploy/zero_loss.so "$admin" \
    --bpf-program "$receiver_id" target/deploy/pyth_feeder.so \
    >"$work/validator.log" 2>&1 &
pids+=($!)
validator_pid=$!
for _ in $(seq 1 120); do
    health && break
    kill -0 "$validator_pid" 2>/dev/null ||
        { echo "the validator exited; see $work/validator.log" >&2; exit 1; }
    sleep 1
done
health || { echo "the validator did not come up; see $work/validator.log" >&2; exit 1; }

# 2. Keys, mints, price accounts, the market.
step "keys and airdrop"
"$zl" -u "$url" localnet keys --dir "$work" | tee "$work/keys.txt"
keeper=$(awk '/^keeper/{print $2}' "$work/keys.txt")
step "mints, Pyth price accounts (through the feeder), keeper funding"
"$zl" -u "$url" -k "$work/admin.json" localnet prepare --keeper "$keeper" --out-dir "$work" | tee "$work/prepare.txt"
coll_oracle=$(awk '/^collateral oracle/{print $3}' "$work/prepare.txt")
debt_oracle=$(awk '/^debt oracle/{print $3}' "$work/prepare.txt")
step "zl-keeper bootstrap"
"$zl" -u "$url" -k "$work/admin.json" bootstrap --config "$work/bootstrap.toml" | tee "$work/bootstrap.txt"
market=$(awk '/^market/{print $2}' "$work/bootstrap.txt")

# 3. The keeper and the crash.
: >"$work/keeper.log"
keeper_pid=""
if [ "${NO_KEEPER:-0}" = 1 ]; then
    step "NO_KEEPER=1: no keeper runs (the verdict must fail)"
else
    step "zl-keeper run (keeper $keeper) in the background; log in $work/keeper.log"
    "$zl" -u "$url" -k "$work/keeper.json" run --market "$market" \
        --collateral-oracle "$coll_oracle" --debt-oracle "$debt_oracle" \
        --interval-secs 1 --refresh-secs 4 --priority-fee 0 \
        >"$work/keeper.log" 2>&1 &
    keeper_pid=$!
    pids+=("$keeper_pid")
fi
step "zl-keeper localnet crash $*"
rc=0
"$zl" -u "$url" -k "$work/admin.json" localnet crash --setup "$work/setup.json" "$@" || rc=$?

# The keeper logs its counters on Ctrl-C.
if [ -n "$keeper_pid" ]; then
    kill -INT "$keeper_pid" 2>/dev/null || true
    wait "$keeper_pid" 2>/dev/null || true
fi

step "what the keeper did"
strip() { sed -e 's/\x1b\[[0-9;]*m//g'; }
strip <"$work/keeper.log" | grep -E "partial liquidation|started for|bid on|restarted|POL backstop|settled:|lost a race|refused|tick failed" || true
echo
echo "by kind:"
for kind in "partial liquidation" "started for" "bid on" "restarted at" "POL backstop" "settled:" "lost a race" "refused"; do
    printf '  %-20s %s\n' "$kind" "$(strip <"$work/keeper.log" | grep -c "$kind" || true)"
done
strip <"$work/keeper.log" | grep "shutting down" || true

step "done"
if [ "$rc" -eq 0 ]; then
    echo "localnet e2e PASSED"
else
    echo "localnet e2e FAILED (exit $rc)"
fi
exit "$rc"
