# Helpers for the shell-level tests. Each test sources this, gets the bin
# directory as $1, and exits 0 (pass), 1 (fail) or 77 (skipped: ctest
# reports it as skipped).
BIN=$(cd "${1:?usage: $0 BIN_DIR}" && pwd)
USNET="$BIN/usnet"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
# expect_grep PATTERN FILE WHAT
expect_grep() { if grep -Eq -- "$1" "$2"; then pass "$3"; else fail "$3 (no '$1' in output:)"; sed 's/^/    /' "$2"; fi; }
finish() { [ "$fails" -eq 0 ] && echo "all passed" && exit 0; echo "$fails failed"; exit 1; }
