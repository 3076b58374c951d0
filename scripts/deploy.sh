#!/usr/bin/env bash
# Deploys the zero-loss program to a cluster (docs/deploy.md):
#
#   scripts/deploy.sh keypair          the program keypair, target/deploy/zero_loss-keypair.json
#   scripts/deploy.sh sync-id          declare_id! and Anchor.toml set to the keypair's address
#   scripts/deploy.sh --cluster devnet build, deploy or upgrade (then optionally verify,
#                                      bootstrap and hand the upgrade authority to a multisig)
#   scripts/deploy.sh verify ...       the verification steps alone
#   scripts/deploy.sh set-authority .. the hand-over alone
#
# The keypairs are never printed, copied or committed (.gitignore ignores target/ and
# *-keypair.json). --dry-run prints every command instead of running it. Errors are one
# line on stderr and a non-zero exit. ZL_ROOT points the script at another checkout (the
# tests use a copy).
set -Eeuo pipefail

root=${ZL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
lib_rs=$root/programs/zero-loss/src/lib.rs
anchor_toml=$root/Anchor.toml
so=$root/target/deploy/zero_loss.so
default_program_keypair=$root/target/deploy/zero_loss-keypair.json
lib_name=zero_loss
squads_v4=SQDS4ep65T869zMMBKyuUq6aD6EgTu8psMjkvj52pCf
tested_agave=4.2

die() { echo "deploy.sh: error: $*" >&2; exit 1; }
warn() { echo "deploy.sh: warning: $*" >&2; }
trap 'echo "deploy.sh: error: unexpected failure at line $LINENO: $BASH_COMMAND" >&2' ERR

usage() {
    cat <<'EOF'
Usage:
  scripts/deploy.sh keypair [--keypair PATH]
  scripts/deploy.sh sync-id [--keypair PATH | --program-id ADDRESS]
  scripts/deploy.sh [deploy] --cluster CLUSTER [options] [-- extra `solana program deploy` args]
  scripts/deploy.sh verify --cluster CLUSTER --repo-url URL [options]
  scripts/deploy.sh set-authority --cluster CLUSTER --multisig ADDRESS [options]

Commands:
  keypair         generate the program keypair (refuses to overwrite one) and print its address
  sync-id         write the keypair's address into declare_id! (programs/zero-loss/src/lib.rs)
                  and the zero_loss entries of Anchor.toml's [programs.*] sections
  deploy          (default with --cluster) check, build, deploy or upgrade; then --verify,
                  --bootstrap and --multisig steps when given
  verify          compare the local .so with the deployed program and upload the
                  verification data (solana-verify verify-from-repo)
  set-authority   make --multisig the program's upgrade authority

CLUSTER: devnet, mainnet-beta, testnet, localnet, or an http(s) RPC URL.

Options:
  --keypair PATH            program keypair [target/deploy/zero_loss-keypair.json]
  --program-id ADDRESS      program address, for commands that need no keypair (upgrades,
                            verify, set-authority, sync-id)
  --upgrade-authority PATH  upgrade authority keypair; also pays the fees
                            [~/.config/solana/id.json]
  --skip-build              deploy target/deploy/zero_loss.so as it is
  --max-len BYTES           on a first deploy, reserve BYTES for the program data (default:
                            the .so's size; later upgrades extend it as needed)
  --compute-unit-price N    priority fee of the deploy transactions, micro-lamports per CU
  --verify                  build with `solana-verify build` (docker), deploy that build,
                            compare hashes and upload the verification data
  --repo-url URL            public git repository of this commit [git remote origin]
  --commit HASH             commit to verify [HEAD]
  --arch v0|v1|v2|v3        SBPF version for solana-verify build and verify-from-repo
  --base-image IMAGE        docker image for solana-verify (instead of its own choice)
  --bootstrap CONFIG        after deploying, run `zl-keeper bootstrap --config CONFIG` with
                            the upgrade authority (creates the protocol, then the market)
  --multisig ADDRESS        finally make ADDRESS (a Squads v4 vault) the upgrade authority
  --protocol-via-multisig   hand over even though init_protocol has not run (it must then
                            be proposed through the multisig, whose vault becomes admin)
  --yes                     do not ask for confirmation
  --dry-run                 print every command instead of running it
  -h, --help                this text

init_protocol must be signed by the program's upgrade authority: run zl-keeper bootstrap
(--bootstrap) before handing the authority to a multisig. See docs/deploy.md.
EOF
}

# ---- arguments ----------------------------------------------------------------------------

cmd=""
cluster="" program_keypair="" program_id_arg="" authority=""
skip_build=0 max_len="" cu_price="" verify=0 repo_url="" commit="" arch="" base_image=""
bootstrap_config="" multisig="" via_multisig=0 yes=0 dry=0
extra=()

case "${1:-}" in
    keypair | sync-id | deploy | verify | set-authority) cmd=$1; shift ;;
esac
while [ $# -gt 0 ]; do
    case $1 in
        --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
    esac
    case $1 in
        --cluster | --keypair | --program-id | --upgrade-authority | --max-len | \
            --compute-unit-price | --repo-url | --commit | --arch | --base-image | \
            --bootstrap | --multisig)
            if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi
            case $1 in
                --cluster) cluster=$2 ;;
                --keypair) program_keypair=$2 ;;
                --program-id) program_id_arg=$2 ;;
                --upgrade-authority) authority=$2 ;;
                --max-len) max_len=$2 ;;
                --compute-unit-price) cu_price=$2 ;;
                --repo-url) repo_url=$2 ;;
                --commit) commit=$2 ;;
                --arch) arch=$2 ;;
                --base-image) base_image=$2 ;;
                --bootstrap) bootstrap_config=$2 ;;
                --multisig) multisig=$2 ;;
            esac
            shift 2 ;;
        --skip-build) skip_build=1; shift ;;
        --verify) verify=1; shift ;;
        --protocol-via-multisig) via_multisig=1; shift ;;
        --yes | -y) yes=1; shift ;;
        --dry-run) dry=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; extra=("$@"); break ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
if [ -z "$cmd" ]; then
    [ -n "$cluster" ] || die "nothing to do: give --cluster to deploy, or a command (see --help)"
    cmd=deploy
fi
program_keypair=${program_keypair:-$default_program_keypair}
authority=${authority:-$HOME/.config/solana/id.json}
# Paths are made absolute: some commands run from the repository root.
absolute() { case $1 in /* | usb://* | prompt:* | stdin | "") printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
program_keypair=$(absolute "$program_keypair")
authority=$(absolute "$authority")
bootstrap_config=$(absolute "$bootstrap_config")

is_pubkey() { [[ $1 =~ ^[1-9A-HJ-NP-Za-km-z]{32,44}$ ]]; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
[ -z "$program_id_arg" ] || is_pubkey "$program_id_arg" || die "--program-id '$program_id_arg' is not a base58 address"
[ -z "$multisig" ] || is_pubkey "$multisig" || die "--multisig '$multisig' is not a base58 address"
[ -z "$max_len" ] || is_uint "$max_len" || die "--max-len '$max_len' is not a number of bytes"
[ -z "$cu_price" ] || is_uint "$cu_price" || die "--compute-unit-price '$cu_price' is not a number"
[ -z "$arch" ] || [[ $arch =~ ^v[0-3]$ ]] || die "--arch '$arch': use v0, v1, v2 or v3"
[ -z "$commit" ] || [[ $commit =~ ^[0-9a-f]{7,40}$ ]] || die "--commit '$commit' is not a commit hash"
[ -f "$lib_rs" ] || die "$lib_rs not found (ZL_ROOT=$root)"

# ---- helpers ------------------------------------------------------------------------------

dry() { [ "$dry" = 1 ]; }
show() { printf '+'; printf ' %q' "$@"; printf '\n'; }
step() { echo; echo "== $*"; }
# Runs a command (prints it in a dry run); a failure is a one-line error.
run() {
    if dry; then show "$@"; return 0; fi
    show "$@"
    "$@" || die "'$1 ${2:-}${3:+ $3}' failed (exit $?); see its output above"
}
# Same, in a directory.
run_in() {
    local dir=$1; shift
    if dry; then printf '+ (cd %q &&' "$dir"; printf ' %q' "$@"; printf ')\n'; return 0; fi
    show "$@"
    (cd "$dir" && "$@") || die "'$1 ${2:-}${3:+ $3}' failed (exit $?); see its output above"
}
# A read-only query: run for real; in a dry run print it and answer "$1" (the assumption).
dry_query() {
    local assume=$1; shift
    printf '+'; printf ' %q' "$@"; printf '   # dry run: not queried, assuming %s\n' "$assume"
}
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if dry; then warn "$1 not found on PATH ($2); the dry run goes on"; return 0; fi
    die "$1 not found on PATH ($2); see docs/deploy.md#prerequisites"
}
have() { command -v "$1" >/dev/null 2>&1; }
rel() { printf '%s\n' "${1#"$root"/}"; }
confirm() {
    dry && return 0
    [ "$yes" = 1 ] && return 0
    [ -t 0 ] || die "$1: confirmation needed and no terminal to ask on; rerun with --yes"
    local answer
    read -r -p "$1 [y/N] " answer
    case $answer in y | Y | yes) ;; *) die "stopped at the confirmation" ;; esac
}

declared_id() {
    local ids n
    ids=$(sed -n 's/^declare_id!("\([^"]*\)");.*/\1/p' "$lib_rs")
    n=$(printf '%s' "$ids" | grep -c . || true)
    [ "$n" = 1 ] || die "expected one declare_id!(\"...\"); line in $(rel "$lib_rs"), found $n"
    printf '%s\n' "$ids"
}
# The zero_loss entry of [programs.$1] in Anchor.toml ("" when absent).
anchor_id() {
    [ -f "$anchor_toml" ] || return 0
    awk -v want="programs.$1" '
        /^[[:space:]]*\[/ { sec = $0; gsub(/^[[:space:]]*\[|\][[:space:]]*(#.*)?$/, "", sec); next }
        sec == want && $0 ~ /^[[:space:]]*zero_loss[[:space:]]*=/ {
            if (match($0, /"[^"]*"/)) print substr($0, RSTART + 1, RLENGTH - 2); exit
        }' "$anchor_toml"
}
# "section id" for every zero_loss entry of a [programs.*] section.
anchor_entries() {
    [ -f "$anchor_toml" ] || return 0
    awk '
        /^[[:space:]]*\[/ { sec = $0; gsub(/^[[:space:]]*\[|\][[:space:]]*(#.*)?$/, "", sec); next }
        sec ~ /^programs\./ && $0 ~ /^[[:space:]]*zero_loss[[:space:]]*=/ {
            if (match($0, /"[^"]*"/)) print sec, substr($0, RSTART + 1, RLENGTH - 2)
        }' "$anchor_toml"
}
# The address of a keypair (file or usb:// signer); never reads or prints the secret.
pubkey_of() {
    local out
    out=$(solana-keygen pubkey "$1" 2>/dev/null) || die "solana-keygen could not read the address of $1"
    is_pubkey "$out" || die "solana-keygen printed no address for $1"
    printf '%s\n' "$out"
}
# The program id: --program-id, else the keypair's address.
program_id() {
    if [ -n "$program_id_arg" ]; then printf '%s\n' "$program_id_arg"; return; fi
    if [ ! -f "$program_keypair" ]; then
        if dry; then
            warn "no program keypair at $(rel "$program_keypair"); the dry run assumes declare_id!'s address"
            declared_id; return
        fi
        die "no program keypair at $(rel "$program_keypair"); run scripts/deploy.sh keypair (or pass --keypair or --program-id)"
    fi
    if ! have solana-keygen; then
        dry || die "solana-keygen not found on PATH (reads the program keypair's address); see docs/deploy.md#prerequisites"
        warn "solana-keygen not found; the dry run assumes declare_id!'s address"
        declared_id; return
    fi
    pubkey_of "$program_keypair"
}
authority_pubkey() {
    case $authority in
        usb://* | prompt:* | stdin) ;;
        *)
            if [ ! -f "$authority" ]; then
                dry && { printf '<address of %s>\n' "$authority"; return; }
                die "no upgrade authority keypair at $authority (--upgrade-authority)"
            fi ;;
    esac
    if ! have solana-keygen; then
        dry && { printf '<address of %s>\n' "$authority"; return; }
        die "solana-keygen not found on PATH (reads the upgrade authority's address)"
    fi
    pubkey_of "$authority"
}

cluster_url="" cluster_kind=""
resolve_cluster() {
    [ -n "$cluster" ] || die "$cmd needs --cluster (devnet, mainnet-beta, testnet, localnet or a URL)"
    case $cluster in
        devnet | d) cluster_url=https://api.devnet.solana.com; cluster_kind=devnet ;;
        mainnet-beta | mainnet | m) cluster_url=https://api.mainnet-beta.solana.com; cluster_kind=mainnet ;;
        testnet | t) cluster_url=https://api.testnet.solana.com; cluster_kind=testnet ;;
        localnet | localhost | l) cluster_url=http://127.0.0.1:8899; cluster_kind=localnet ;;
        http://* | https://*)
            cluster_url=$cluster
            case $cluster in
                http://127.0.0.1* | http://localhost*) cluster_kind=localnet ;;
                *) kind_from_genesis ;;
            esac ;;
        *) die "unknown cluster '$cluster': devnet, mainnet-beta, testnet, localnet or an http(s) URL" ;;
    esac
}
# Sets cluster_kind from the URL's genesis hash.
kind_from_genesis() {
    cluster_kind=unknown
    if dry || ! have solana; then
        dry_query "an unknown cluster (asks for confirmation)" solana genesis-hash --url "$cluster_url"
        return
    fi
    local hash
    hash=$(solana genesis-hash --url "$cluster_url" 2>/dev/null) || die "no answer from $cluster_url (solana genesis-hash)"
    case $hash in
        5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d) cluster_kind=mainnet ;;
        EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG) cluster_kind=devnet ;;
        4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY) cluster_kind=testnet ;;
    esac
}
check_solana_version() {
    have solana || return 0
    local v
    v=$(solana --version 2>/dev/null | awk '{print $2}') || true
    case $v in
        "$tested_agave".*) ;;
        *) warn "solana-cli ${v:-of unknown version}: this project is built and tested with Agave $tested_agave.x" ;;
    esac
}
# Sets state to "present" or "absent"; dies when the cluster does not answer. A dry run
# assumes "$2".
state=""
account_state() {
    local addr=$1 assume=$2 out
    if dry; then
        dry_query "$assume" solana account --url "$cluster_url" --output json-compact "$addr"
        state=$assume; return
    fi
    if out=$(solana account --url "$cluster_url" --output json-compact "$addr" 2>&1); then
        state=present
    else
        case $out in
            *AccountNotFound* | *"not found"* | *"does not exist"*) state=absent ;;
            *) die "cannot read account $addr on $cluster_url: $(printf '%s' "$out" | head -n 1)" ;;
        esac
    fi
}
account_owner() {
    solana account --url "$cluster_url" --output json-compact "$1" 2>/dev/null |
        grep -o '"owner":"[^"]*"' | head -n 1 | cut -d'"' -f4 || true
}
# The on-chain upgrade authority of the program ("" when none or unknown).
onchain_authority() {
    solana program show --url "$cluster_url" "$1" 2>/dev/null | awk '/^Authority:/ {print $2}' || true
}
protocol_address() {
    local out
    out=$(solana find-program-derived-address "$1" string:protocol --output json-compact 2>/dev/null) ||
        die "solana find-program-derived-address failed for the protocol PDA"
    printf '%s' "$out" | grep -o '"address":"[^"]*"' | cut -d'"' -f4
}
# The repository to verify against: git remote origin (as https), else the source_code
# of the security.txt embedded in the program (lib.rs).
default_repo_url() {
    local url=""
    have git && url=$(git -C "$root" remote get-url origin 2>/dev/null || true)
    case $url in
        git@*:*) url="https://${url#git@}"; url="${url/://}" ;;
        ssh://git@*) url="https://${url#ssh://git@}" ;;
    esac
    [ -n "$url" ] || url=$(sed -n 's/^[[:space:]]*source_code:[[:space:]]*"\([^"]*\)".*/\1/p' "$lib_rs" | head -n 1)
    printf '%s\n' "${url%.git}"
}

# ---- keypair ------------------------------------------------------------------------------

cmd_keypair() {
    if [ -e "$program_keypair" ]; then
        local addr=""
        if have solana-keygen; then addr=$(pubkey_of "$program_keypair" 2>/dev/null) || addr=""; fi
        die "$(rel "$program_keypair") already exists${addr:+ (program id $addr)}; refusing to overwrite it"
    fi
    need solana-keygen "generates the keypair"
    local dir abs
    dir=$(dirname "$program_keypair")
    case $dir in /*) abs=$dir ;; *) abs=$PWD/$dir ;; esac
    # Inside the repository, the file must be git-ignored: keypairs are never committed.
    if have git && git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
        case $abs/ in
            "$root"/*)
                git -C "$root" check-ignore -q --no-index "$program_keypair" ||
                    die "$(rel "$program_keypair") is inside the repository and not git-ignored; use target/deploy/ or a path outside the repository" ;;
        esac
    fi
    if dry; then
        show mkdir -p "$dir"
        show solana-keygen new --no-bip39-passphrase --silent -o "$program_keypair"
        show solana-keygen pubkey "$program_keypair"
        return
    fi
    mkdir -p "$dir"
    # --silent: the seed phrase is not printed; the file (mode 0600) is the only copy.
    (umask 077 && solana-keygen new --no-bip39-passphrase --silent -o "$program_keypair" >/dev/null) ||
        die "solana-keygen new failed for $program_keypair"
    local addr
    addr=$(pubkey_of "$program_keypair") || exit 1
    echo "program keypair: $(rel "$program_keypair") (back it up outside the repository; never commit it)"
    echo "program id: $addr"
    local declared
    declared=$(declared_id) || exit 1
    [ "$declared" = "$addr" ] ||
        echo "declare_id! and Anchor.toml still name $declared: run scripts/deploy.sh sync-id"
}

# ---- sync-id ------------------------------------------------------------------------------

tmp=""
write_file() { # path content-file: rewrite in place, keeping the file's mode
    cat "$2" >"$1"
}
show_diff() { # path new-content-file: what a real run would write
    echo "(dry run: would write $(rel "$1"))"
    diff -u --label "a/$(rel "$1")" --label "b/$(rel "$1")" "$1" "$2" | sed -n '3,$p' || true
}
cmd_sync_id() {
    local new old entries changed=0 sec val
    new=$(program_id) || exit 1
    is_pubkey "$new" || die "cannot sync to '$new': not an address"
    old=$(declared_id) || exit 1
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT

    if [ "$old" = "$new" ]; then
        echo "$(rel "$lib_rs"): declare_id! already $new"
    else
        echo "$(rel "$lib_rs"): declare_id! $old -> $new"
        sed "s/^declare_id!(\"[^\"]*\");/declare_id!(\"$new\");/" "$lib_rs" >"$tmp"
        [ "$(sed -n 's/^declare_id!("\([^"]*\)");.*/\1/p' "$tmp")" = "$new" ] || die "rewriting declare_id! failed"
        if dry; then show_diff "$lib_rs" "$tmp"; else write_file "$lib_rs" "$tmp"; fi
        changed=1
    fi

    entries=$(anchor_entries)
    if [ ! -f "$anchor_toml" ]; then
        warn "no Anchor.toml in $root"
    elif [ -z "$entries" ]; then
        warn "Anchor.toml has no zero_loss entry under [programs.*]"
    else
        local toml_changed=0
        while read -r sec val; do
            if [ "$val" = "$new" ]; then
                echo "Anchor.toml [$sec]: zero_loss already $new"
            else
                echo "Anchor.toml [$sec]: zero_loss $val -> $new"
                toml_changed=1
            fi
        done <<<"$entries"
        if [ "$toml_changed" = 1 ]; then
            awk -v id="$new" '
                /^[[:space:]]*\[/ { sec = $0; gsub(/^[[:space:]]*\[|\][[:space:]]*(#.*)?$/, "", sec) }
                sec ~ /^programs\./ && $0 ~ /^[[:space:]]*zero_loss[[:space:]]*=/ { sub(/"[^"]*"/, "\"" id "\"") }
                { print }' "$anchor_toml" >"$tmp"
            if dry; then show_diff "$anchor_toml" "$tmp"; else write_file "$anchor_toml" "$tmp"; fi
            changed=1
        fi
    fi

    if [ "$changed" = 0 ]; then
        echo "nothing to change"
        return
    fi
    dry && echo "(dry run: no file written)"
    # Other files that spell the old id out (docs, scripts) are left to the reader.
    if [ "$old" != "$new" ]; then
        local rest
        rest=$(grep -rnIF --exclude-dir=.git --exclude-dir='target*' --exclude-dir=node_modules \
            -e "$old" "$root" 2>/dev/null | grep -vF -e "$lib_rs:" -e "$anchor_toml:" || true)
        if [ -n "$rest" ]; then
            echo "still naming the old id $old (not edited):"
            printf '%s\n' "$rest" | sed "s|^$root/|  |" | cut -c1-160
        fi
    fi
    echo "next: rebuild the program and zl-keeper (both embed the id)$([ -f "$root/scripts/idl.sh" ] && printf ', regenerate the IDL and what is generated from it (scripts/idl.sh, clients/ts)'),"
    echo "      and commit lib.rs, Anchor.toml and the files listed above; never the keypair"
}

# ---- deploy -------------------------------------------------------------------------------

pid="" auth_pk="" first_deploy=0
check_ids() {
    local declared section_id section
    declared=$(declared_id) || exit 1
    [ "$declared" = "$pid" ] ||
        die "declare_id! in $(rel "$lib_rs") is $declared but the program id is $pid; run scripts/deploy.sh sync-id and rebuild"
    case $cluster_kind in
        mainnet) section=mainnet ;;
        unknown) section="" ;;
        *) section=$cluster_kind ;;
    esac
    if [ -n "$section" ]; then
        section_id=$(anchor_id "$section")
        [ -z "$section_id" ] || [ "$section_id" = "$pid" ] ||
            warn "Anchor.toml [programs.$section] names $section_id, not $pid (scripts/deploy.sh sync-id)"
    fi
}
verify_preflight() {
    need solana-verify "verifiable builds and verification; cargo install solana-verify --locked"
    need docker "solana-verify builds in a container"
    [ -n "$repo_url" ] || repo_url=$(default_repo_url)
    [ -n "$repo_url" ] || die "--verify needs --repo-url (the public repository holding this commit): no git remote origin, no source_code in security.txt"
    if [ -z "$commit" ]; then
        have git && commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || true)
        [ -n "$commit" ] || die "--verify needs --commit (no git checkout at $root)"
    fi
    if have git && [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
        if [ "$cmd" = deploy ] && [ "$skip_build" = 0 ] && ! dry; then
            die "uncommitted changes: a verified build must be built from the commit it names ($commit); commit them or drop --verify"
        fi
        warn "uncommitted changes in $root: verify-from-repo builds $commit, not the working tree"
    fi
}
# Before anything is spent: the build that will run is fit for the cluster.
build_preflight() {
    [ "$skip_build" = 0 ] && [ "$verify" = 0 ] || return 0
    have cargo-build-sbf && return 0
    case $cluster_kind in
        mainnet) die "mainnet needs the official toolchain (cargo build-sbf) or --verify; scripts/build-sbf.sh would use the test stand-in" ;;
        localnet) ;;
        *) warn "cargo build-sbf not found: scripts/build-sbf.sh uses the project's stand-in toolchain (fine for tests, not for a real deployment)" ;;
    esac
}
build_program() {
    if [ "$skip_build" = 1 ]; then
        dry || [ -f "$so" ] || die "--skip-build but no $(rel "$so"); build it first (scripts/build-sbf.sh zero-loss)"
        if [ -f "$so" ] && [ "$lib_rs" -nt "$so" ]; then
            die "$(rel "$so") is older than $(rel "$lib_rs"): rebuild it (the binary embeds the program id)"
        fi
        [ "$verify" = 1 ] || [ "$cluster_kind" != mainnet ] ||
            warn "deploying a .so built outside solana-verify: it cannot be verified against the repository"
        return
    fi
    if [ "$verify" = 1 ]; then
        step "verifiable build (solana-verify build in docker; the first run pulls the image)"
        local b=(solana-verify build --library-name "$lib_name")
        [ -z "$arch" ] || b+=(--arch "$arch")
        [ -z "$base_image" ] || b+=(--base-image "$base_image")
        run_in "$root" "${b[@]}"
    else
        step "build (scripts/build-sbf.sh)"
        run bash "$root/scripts/build-sbf.sh" zero-loss
    fi
    dry || [ -f "$so" ] || die "the build left no $(rel "$so")"
}
deploy_program() {
    step "deploy to $cluster_url"
    local d=(solana program deploy --url "$cluster_url" --keypair "$authority" --upgrade-authority "$authority")
    if [ -f "$program_keypair" ]; then
        d+=(--program-id "$program_keypair")
    elif [ "$first_deploy" = 1 ] && ! dry; then
        die "a first deploy needs the program keypair ($(rel "$program_keypair")); --program-id only serves upgrades"
    else
        d+=(--program-id "$pid")
    fi
    if [ "$first_deploy" = 1 ] && [ -n "$max_len" ]; then
        if [ -f "$so" ] && [ "$max_len" -lt "$(wc -c <"$so")" ]; then
            die "--max-len $max_len is smaller than $(rel "$so") ($(wc -c <"$so") bytes)"
        fi
        d+=(--max-len "$max_len")
    fi
    [ -z "$cu_price" ] || d+=(--with-compute-unit-price "$cu_price")
    d+=("${extra[@]}" "$so")
    run "${d[@]}"
    run solana program show --url "$cluster_url" "$pid"
}
verify_program() {
    step "verification"
    local h_local="" h_chain=""
    if [ -f "$so" ] || dry; then
        if dry; then
            show solana-verify get-executable-hash "$so"
            show solana-verify -u "$cluster_url" get-program-hash "$pid"
        else
            h_local=$(solana-verify get-executable-hash "$so" 2>/dev/null | tail -n 1) || die "solana-verify get-executable-hash failed"
            h_chain=$(solana-verify -u "$cluster_url" get-program-hash "$pid" 2>/dev/null | tail -n 1) || die "solana-verify get-program-hash failed for $pid"
            echo "local $(rel "$so"): $h_local"
            echo "on chain $pid: $h_chain"
            if [ "$h_local" != "$h_chain" ]; then
                [ "$cmd" = deploy ] && [ "$skip_build" = 0 ] && die "the deployed program's hash differs from the build just deployed"
                warn "the local .so is not what is deployed (verify-from-repo below rebuilds from $commit anyway)"
            fi
        fi
    fi
    local args=(--program-id "$pid" --library-name "$lib_name" --commit-hash "$commit")
    [ -z "$arch" ] || args+=(--arch "$arch")
    [ -z "$base_image" ] || args+=(--base-image "$base_image")
    local current=""
    if ! dry && have solana; then current=$(onchain_authority "$pid"); fi
    if [ -n "$current" ] && [ "$current" != "$auth_pk" ]; then
        # The authority is a multisig by now: the verification data is uploaded through it.
        echo "the upgrade authority is $current, not $auth_pk: upload the verification data through the multisig:"
        show solana-verify -u "$cluster_url" export-pda-tx "${args[@]}" --uploader "$current" "$repo_url"
        echo "(import the printed transaction in Squads, approve and execute it; then, on mainnet:)"
        show solana-verify -u "$cluster_url" remote submit-job --program-id "$pid" --uploader "$current"
        return
    fi
    # Rebuilds $commit of $repo_url in docker, compares with the chain, and writes the
    # verification PDA signed by the upgrade authority (the uploader the verifier trusts).
    local v=(solana-verify -u "$cluster_url" verify-from-repo "${args[@]}" --keypair "$authority")
    [ "$yes" = 0 ] || v+=(--skip-prompt)
    v+=("$repo_url")
    run "${v[@]}"
    if [ "$cluster_kind" = mainnet ]; then
        run solana-verify -u "$cluster_url" remote submit-job --program-id "$pid" --uploader "$auth_pk"
    else
        echo "(the remote verifier, whose result explorers show, serves mainnet only; on $cluster_kind the check above and the on-chain data are the result)"
    fi
}
protocol_state() { # sets state: present | absent
    if dry || ! have solana; then
        state=absent
        [ -z "$bootstrap_config" ] || state=present
        dry_query "$state" solana find-program-derived-address "$pid" string:protocol --output json-compact
        return
    fi
    local addr
    addr=$(protocol_address "$pid") || exit 1
    is_pubkey "$addr" || die "could not derive the protocol address"
    account_state "$addr" absent
}
bootstrap_protocol() {
    step "zl-keeper bootstrap (init_protocol, signed by the upgrade authority; then the market)"
    [ -f "$bootstrap_config" ] || die "no bootstrap config at $bootstrap_config"
    [ -f "$authority" ] || dry || die "--bootstrap needs the upgrade authority as a keypair file (zl-keeper -k), not $authority"
    need cargo "builds zl-keeper"
    run_in "$root" cargo run --release --locked -p zl-keeper --no-default-features -- \
        -u "$cluster_url" -k "$authority" bootstrap --config "$bootstrap_config"
}
set_authority() {
    step "hand the upgrade authority to $multisig"
    [ "$multisig" != "$auth_pk" ] || die "--multisig $multisig is already the upgrade authority"
    [ "$multisig" != "$pid" ] || die "--multisig is the program id itself"
    # A Squads v4 vault is a system-owned PDA (absent until funded); the multisig account
    # itself is owned by the Squads program and can sign nothing.
    account_state "$multisig" present
    if ! dry; then
        case $state in
            present)
                [ "$(account_owner "$multisig")" != "$squads_v4" ] ||
                    die "$multisig is a Squads multisig account, not its vault: use the vault address the Squads app shows" ;;
            absent) warn "no account at $multisig on $cluster_url (an unfunded Squads vault looks like this): check the address in the Squads app" ;;
        esac
    fi
    protocol_state
    if [ "$state" = absent ] && [ "$via_multisig" = 0 ]; then
        if dry; then
            warn "init_protocol must run before the hand-over (zl-keeper bootstrap), or pass --protocol-via-multisig"
        else
            die "the protocol is not initialized: run zl-keeper bootstrap with the upgrade authority first (--bootstrap), or pass --protocol-via-multisig"
        fi
    fi
    confirm "make $multisig the upgrade authority of $pid on $cluster_url (only the multisig can upgrade afterwards)?"
    run solana program set-upgrade-authority "$pid" --url "$cluster_url" --keypair "$authority" \
        --upgrade-authority "$authority" --new-upgrade-authority "$multisig" \
        --skip-new-upgrade-authority-signer-check
    run solana program show --url "$cluster_url" "$pid"
}
remind_bootstrap() {
    echo
    echo "init_protocol must be signed by the upgrade authority ($auth_pk), who becomes the admin:"
    echo "  cargo run -p zl-keeper --release --no-default-features -- -u $cluster_url -k $authority bootstrap --config migrations/<cluster>.toml"
    echo "Run it before handing the upgrade authority to a multisig (scripts/deploy.sh set-authority),"
    echo "or propose init_protocol through the multisig afterwards."
}

common_preflight() {
    resolve_cluster
    need solana "solana CLI (Agave $tested_agave.x)"
    need solana-keygen "reads keypair addresses"
    check_solana_version
    pid=$(program_id) || exit 1
    auth_pk=$(authority_pubkey) || exit 1
    echo "cluster: $cluster ($cluster_url, ${cluster_kind})"
    echo "program id: $pid"
    echo "upgrade authority: $auth_pk ($authority)"
    dry && echo "dry run: commands are printed, not run"
    return 0
}

cmd_deploy() {
    common_preflight
    check_ids
    [ "$verify" = 0 ] || verify_preflight
    build_preflight
    [ -z "$bootstrap_config" ] || [ -f "$bootstrap_config" ] || die "no bootstrap config at $bootstrap_config"
    account_state "$pid" absent
    case $state in
        absent) first_deploy=1; echo "first deploy of $pid" ;;
        present) first_deploy=0; echo "upgrade of $pid" ;;
    esac
    if [ "$first_deploy" = 1 ] && [ -n "$multisig" ] && [ -z "$bootstrap_config" ] && [ "$via_multisig" = 0 ]; then
        die "--multisig on a first deploy: init_protocol needs the upgrade authority; add --bootstrap CONFIG, or --protocol-via-multisig"
    fi
    case $cluster_kind in
        mainnet | unknown) confirm "deploy $pid to $cluster_url ($cluster_kind)?" ;;
    esac
    build_program
    deploy_program
    [ "$verify" = 0 ] || verify_program
    [ -z "$bootstrap_config" ] || bootstrap_protocol
    if [ -n "$multisig" ]; then
        set_authority
    elif [ -z "$bootstrap_config" ]; then
        remind_bootstrap
    else
        echo
        echo "next, to hand the upgrade authority to the multisig's vault:"
        echo "  scripts/deploy.sh set-authority --cluster $cluster --upgrade-authority $authority --multisig <SQUADS_VAULT>"
    fi
}
cmd_verify() {
    common_preflight
    verify_preflight
    verify_program
}
cmd_set_authority() {
    [ -n "$multisig" ] || die "set-authority needs --multisig ADDRESS (the Squads vault)"
    common_preflight
    set_authority
}

case $cmd in
    keypair) cmd_keypair ;;
    sync-id) cmd_sync_id ;;
    deploy) cmd_deploy ;;
    verify) cmd_verify ;;
    set-authority) cmd_set_authority ;;
esac
