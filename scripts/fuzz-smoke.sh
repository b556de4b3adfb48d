#!/usr/bin/env bash
# Short, bounded cargo-fuzz run of every fuzz target (default 30 s each), seeded
# from the committed corpora. New inputs go to a scratch directory, so the
# committed corpora stay small. Exits non-zero on the first crash; the crashing
# input is in fuzz/artifacts/<target>/.
#
#   scripts/fuzz-smoke.sh                      # all targets, 30 s each
#   SECS=300 scripts/fuzz-smoke.sh decode_response
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain works with
# RUSTC_BOOTSTRAP=1 (set here).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECS=${SECS:-30}
SCRATCH=${SCRATCH:-/tmp/vt4g-fuzz}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(webhook_header webhook_verify redirect_verify validate_json decode_response sandbox_request retry_after)
fi
export RUSTC_BOOTSTRAP=1

for t in "${targets[@]}"; do
  mkdir -p "$SCRATCH/$t" "corpus/$t"
  echo "== $t ($SECS s)"
  log="$SCRATCH/$t.log"
  if ! cargo fuzz run -O "$t" "$SCRATCH/$t" "corpus/$t" -- \
    -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "!! $t failed: the input is in fuzz/artifacts/$t/ (full log: $log)" >&2
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$log" || true
done
echo "fuzz smoke: all targets ran ${SECS}s without a crash"
