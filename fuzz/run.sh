#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), two at a time, keeping what the corpus
# learns under fuzz/corpus/. Needs the nightly toolchain; installs cargo-fuzz when missing.
# FUZZ_PARALLEL=1 runs one target at a time (leaves a core free).
#   fuzz/run.sh            # 10 minutes per target
#   fuzz/run.sh 30         # the short CI run
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
cargo +nightly fuzz build
run() {
  cargo +nightly fuzz run "$1" "corpus/$1" -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    >"logs/$1.log" 2>&1 || { echo "fuzz target $1 FAILED"; tail -40 "logs/$1.log"; return 1; }
  echo "$1: $(grep -E 'stat::number_of_executed_units' "logs/$1.log" | awk '{print $2}') executions in ${seconds}s, no crash"
}
mkdir -p logs
status=0
targets=(jsonrpc_decode uri_template http_request redis_decode)
parallel=${FUZZ_PARALLEL:-2}
for ((i = 0; i < ${#targets[@]}; i += parallel)); do
  pids=()
  for target in "${targets[@]:i:parallel}"; do
    run "$target" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
done
exit $status
