#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR/bin (the *_fuzz binaries that
# -DUSNET_FUZZ=ON builds) for SECONDS each, starting from a copy of its seed
# corpus tests/fuzz/corpus/<name without _fuzz>/ so the repository is never
# written. Builds nothing. Prints one summary line per target and fails if
# any target crashed, timed out, leaked or hit a sanitizer report; the input
# that did it is kept in BUILD_DIR/fuzz-artifacts/<target>/ with the log.
#
#   tools/run-fuzzers.sh build-fuzz 60
#   FUZZ_MAX_LEN=8192 FUZZ_FLAGS="-len_control=0" tools/run-fuzzers.sh build-fuzz 300
#
# Reproduce a finding:  BUILD_DIR/bin/<target> BUILD_DIR/fuzz-artifacts/<target>/crash-...
# Minimize it:          BUILD_DIR/bin/<target> -minimize_crash=1 -runs=100000 <crash file>
set -uo pipefail

if [[ $# -ne 2 || ! "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || { echo "no build directory $1" >&2; exit 2; }
seconds=$2
src=$(cd "$(dirname "$0")/.." && pwd)
max_len=${FUZZ_MAX_LEN:-4096}

shopt -s nullglob
targets=("$build"/bin/*_fuzz)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "run-fuzzers: no *_fuzz binaries in $build/bin (configure with -DUSNET_FUZZ=ON" \
       "-DCMAKE_CXX_COMPILER=clang++ and build the usnet_fuzzers target)" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/usnet-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Sanitizer reports must end the run (the build makes UB fatal as well).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

failed=0
for bin in "${targets[@]}"; do
  [[ -x "$bin" ]] || continue
  name=$(basename "$bin")
  corpus="$work/$name"
  mkdir -p "$corpus"
  seeds="$src/tests/fuzz/corpus/${name%_fuzz}"
  nseeds=0
  if [[ -d "$seeds" ]]; then
    cp -r "$seeds"/. "$corpus"/
    nseeds=$(find "$seeds" -type f | wc -l)
  fi
  artifacts="$build/fuzz-artifacts/$name"
  mkdir -p "$artifacts"
  log="$artifacts/last-run.log"
  # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
  "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=30 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} "$corpus" >"$log" 2>&1
  rc=$?

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  report=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant failed|check failed' "$log")
  if [[ $rc -ne 0 || -n "$report" ]]; then
    failed=1
    found=("$artifacts"/{crash,leak,timeout,oom,slow-unit}-*)
    crash=""
    for f in "${found[@]}"; do [[ -z "$crash" || "$f" -nt "$crash" ]] && crash=$f; done
    printf 'FAIL %-16s exit %d after %s execs: %s\n' "$name" "$rc" "${execs:-?}" "${report:-see log}"
    printf '     input: %s\n     log:   %s\n' "${crash:-none saved}" "$log"
  else
    printf 'ok   %-16s %ss: %s execs (%s/s), cov %s, ft %s, corpus %s (from %d seeds), rss %s MB\n' \
      "$name" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
      "$nseeds" "${rss:-?}"
  fi
done
exit $failed
