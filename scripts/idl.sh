#!/usr/bin/env bash
# The program's IDL and the integration page generated from it.
#
#   scripts/idl.sh          rebuild idl/zero_loss.json (the program's idl-build
#                           feature, as `anchor idl build` runs it) and render
#                           docs/integration.md from it
#   scripts/idl.sh --check  fail if either checked-in file differs from a
#                           fresh build (CI runs this)
#
# The IDL build compiles the program with the idl-build feature in its own
# target directory (target/idl): a few minutes the first time.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
zl_idl() { cargo run --quiet --locked -p zl-idl -- "$@"; }
case "${1:-}" in
    "") zl_idl build && zl_idl docs ;;
    --check) zl_idl check && zl_idl docs --check ;;
    *) echo "usage: scripts/idl.sh [--check]" >&2; exit 2 ;;
esac
