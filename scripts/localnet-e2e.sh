#!/usr/bin/env bash
# The keeper against a local validator, end to end (docs/localnet.md):
#
#   1. solana-test-validator (installed from crates.io when missing) on
#      127.0.0.1 with zero_loss.so at the program id and the price feeder
#      (pyth_feeder.so) at the Pyth receiver's id;
#   2. keys, then for two markets mints, Pyth price accounts and keeper funding
#      (zl-keeper localnet keys / prepare) and `zl-keeper bootstrap`; the keeper's
#      config (market A: full role; market B: maintain only) and its address lookup
#      table (`zl-keeper alt`);
#   3. `zl-keeper run --config` (v0 transactions, network fees, subscriptions, metrics,
#      JSON logs) in the background while `zl-keeper localnet crash` walks a crash on
#      each market and `zl-keeper localnet load` contends for market A's accounts with
#      priority fees and checks the keeper's fee follows; then `localnet verdict`.
#
# Prints what the keeper did and the final market states; exits non-zero if on either
# market an auction is left open, an account is left past the liquidation threshold, bad
# debt is recorded or the LP share price fell; if the keeper's fee did not follow the
# network's; or if some keeper path (partial, kick, bid, restart, backstop, settlement)
# did not happen, a transaction landed as legacy, or the metrics disagree with the events.
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

# 2. Keys, mints, price accounts, two markets: A, where the keeper takes and maintains
# (partial liquidations, kicks, bids, settlements), and B, where it only maintains and
# nobody bids (kicks, restarts, POL backstops, settlements).
step "keys and airdrop"
"$zl" -u "$url" localnet keys --dir "$work" | tee "$work/keys.txt"
keeper=$(awk '/^keeper/{print $2}' "$work/keys.txt")
for m in a b; do
    mkdir -p "$work/$m"
    step "market $m: mints, Pyth price accounts (through the feeder), keeper funding"
    "$zl" -u "$url" -k "$work/admin.json" localnet prepare --keeper "$keeper" \
        --out-dir "$work/$m" | tee "$work/$m/prepare.txt"
    step "market $m: zl-keeper bootstrap"
    "$zl" -u "$url" -k "$work/admin.json" bootstrap --config "$work/$m/bootstrap.toml" \
        | tee "$work/$m/bootstrap.txt"
done
field() { awk -v k="$2" '$0 ~ "^"k {print $NF}' "$work/$1/$3"; }
market_a=$(field a market bootstrap.txt)
market_b=$(field b market bootstrap.txt)

# The keeper's own config: both markets, network fees, metrics, JSON logs.
metrics_port=$((port + 1000))
metrics="127.0.0.1:$metrics_port"
cat >"$work/keeper.toml" <<TOML
rpc_url = "$url"
keypair = "$work/keeper.json"
interval_secs = 1
metrics_addr = "$metrics"
log_json = true

[fees]
percentile = 75
floor = 1000
cap = 200000
retry_bump_pct = 50

[[market]]
address = "$market_a"
role = "full"
collateral_oracle = "$(field a "collateral oracle" prepare.txt)"
debt_oracle = "$(field a "debt oracle" prepare.txt)"
refresh_secs = 4

[[market]]
address = "$market_b"
role = "maintain"
collateral_oracle = "$(field b "collateral oracle" prepare.txt)"
debt_oracle = "$(field b "debt oracle" prepare.txt)"
refresh_secs = 4
TOML
step "zl-keeper alt: the lookup table of both markets' accounts"
"$zl" -k "$work/keeper.json" alt --config "$work/keeper.toml" | tee "$work/alt.txt"
table=$(awk '/^lookup table/{print $3}' "$work/alt.txt" | tr -d :)
sleep 2   # addresses extended in a slot are usable from the next

# 3. The keeper, the two crashes and the load.
: >"$work/keeper.log"
keeper_pid=""
if [ "${NO_KEEPER:-0}" = 1 ]; then
    step "NO_KEEPER=1: no keeper runs (the verdict must fail)"
else
    step "zl-keeper run --config (keeper $keeper, v0 with $table) in the background; log in $work/keeper.log"
    "$zl" run --config "$work/keeper.toml" --lookup-table "$table" \
        >"$work/keeper.log" 2>&1 &
    keeper_pid=$!
    pids+=("$keeper_pid")
fi
step "zl-keeper localnet crash on both markets $*; a fee load on market A"
# Market B: nobody bids, and POL starts nearly empty, so its auctions restart (a stage's
# tail is 60 s real, 30 scenario minutes); POL is topped up at scenario minute 250, 35
# minutes after the path ends (while the last price holds) and buys what is left.
"$zl" -u "$url" -k "$work/admin.json" localnet crash --setup "$work/b/setup.json" \
    --pol 100 --insurance 20000 --pol-top-up 60000 --pol-top-up-at-min 250 \
    "$@" >"$work/crash-b.log" 2>&1 &
crash_b=$!
pids+=("$crash_b")
# The load contends for market A's accounts at 50,000 micro-lamports a unit during the
# slide; after 60 s it checks the keeper's fee against the policy's pick from the network.
load_rc=0
if [ -n "$keeper_pid" ]; then
    "$zl" -u "$url" -k "$work/admin.json" localnet load --setup "$work/a/setup.json" \
        --fee 50000 --per-sec 8 --secs 90 --check-after-secs 60 \
        --metrics-addr "$metrics" --config "$work/keeper.toml" >"$work/load.log" 2>&1 &
    load_pid=$!
    pids+=("$load_pid")
fi
rc=0
"$zl" -u "$url" -k "$work/admin.json" localnet crash --setup "$work/a/setup.json" "$@" || rc=$?
rc_b=0
wait "$crash_b" || rc_b=$?
step "market B's crash"
cat "$work/crash-b.log" | grep -v '"level"' | tail -n 25 || true
[ "$rc_b" -eq 0 ] || { echo "market B: FAILED (exit $rc_b)"; rc=1; }
if [ -n "$keeper_pid" ]; then
    wait "$load_pid" || load_rc=$?
    step "the fee load"
    cat "$work/load.log" | grep -E "^load:|^fee check|error" || true
    [ "$load_rc" -eq 0 ] || { echo "fee check FAILED (exit $load_rc)"; rc=1; }
    step "the keeper's metrics and its verdict"
    curl -s "http://$metrics/metrics" >"$work/metrics.txt" || true
    grep -E '^zl_keeper_(actions_landed_total|transactions_landed_total|priority_fee|fees_paid|feed_|races_lost|skipped)' \
        "$work/metrics.txt" || true
    curl -s "http://$metrics/readyz" || true
    "$zl" localnet verdict --metrics-addr "$metrics" --keeper-log "$work/keeper.log" || rc=1
    # The keeper logs its counters on SIGINT.
    kill -INT "$keeper_pid" 2>/dev/null || true
    wait "$keeper_pid" 2>/dev/null || true
fi

step "what the keeper did"
grep -o '"message":"[^"]*"' "$work/keeper.log" | sed 's/"message":"//; s/"$//' \
    | grep -E "partial liquidation|started for|bid on|restarted|POL backstop|settled:|lost a race|refused|tick failed|feed" | head -n 40 || true
echo
echo "by kind:"
for kind in "partial liquidation" "started for" "bid on" "restarted at" "POL backstop" "settled:" "lost a race" "refused"; do
    printf '  %-20s %s\n' "$kind" "$(grep -c "$kind" "$work/keeper.log" || true)"
done
grep "shutting down" "$work/keeper.log" || true

step "done"
if [ "$rc" -eq 0 ]; then
    echo "localnet e2e PASSED"
else
    echo "localnet e2e FAILED (exit $rc)"
fi
exit "$rc"
