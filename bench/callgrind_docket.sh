#!/usr/bin/env bash
# Instructions per Redis docket run in the process that enqueues, claims, executes and stores it
# (producer and worker together, as in an MCP server), repeatable unlike wall-clock figures:
# docket_bench runs under valgrind's callgrind twice, with A and B runs; (Ir(B) - Ir(A)) / (B - A)
# leaves out start-up and the fresh redis-server's set-up. redis-server's own work is not
# counted here (bench/docket.sh prints its CPU and commands per run).
#   bench/callgrind_docket.sh [A B]     (default 1000 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
cargo build --release -q -p fastmcp-bench --bin docket_bench
a=${1:-1000}
b=${2:-3000}
ir() {
  local out; out=$(mktemp -d)/cg
  valgrind --tool=callgrind --callgrind-out-file="$out" target/release/docket_bench --redis-runs "$1" >/dev/null 2>&1
  callgrind_annotate "$out" 2>/dev/null | grep "PROGRAM TOTALS" | awk '{gsub(",", "", $1); print $1}'
}
ir_a=$(ir "$a")
ir_b=$(ir "$b")
printf 'redis docket: %s instructions for %s runs, %s for %s runs: %d per run\n' \
  "$ir_a" "$a" "$ir_b" "$b" $(((ir_b - ir_a) / (b - a)))
