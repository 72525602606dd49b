#!/usr/bin/env bash
# HTTP tools/call throughput: fastmcp against its anchors in one run, servers taking turns:
#   - floor: axum + serde_json answering a CallToolResult, no framework (bench/src/bin/floor_http.rs)
#   - rmcp 3.11 with the same `add` tool (bench/rmcp-server)
# Rows: stateless (JSON), stateful (sessions; JSON answers), stateful answering every call as
# SSE (HttpOptions::sse_always, as rmcp's stateful mode does), and SSE with one log first.
# Each row runs ROUNDS times (alternating); the median requests/s is printed, then the ratios.
#   bench/http.sh [--rounds N] [--connections N] [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fastmcp-bench --bin http_server --bin http_load --bin floor_http
cargo build --release -q --manifest-path bench/rmcp-server/Cargo.toml
rmcp_bin=bench/rmcp-server/target/release/rmcp-bench-server
rounds=3
if [ "${1:-}" = "--rounds" ]; then rounds=$2; shift 2; fi
extra=("$@")
declare -A results

run() { # key, server command..., then load flags after --
  local key=$1; shift
  local cmd=() load=()
  while [ "$1" != "--" ]; do cmd+=("$1"); shift; done; shift; load=("$@")
  coproc SRV { exec "${cmd[@]}"; }
  read -r -t 30 line <&"${SRV[0]}"
  local url=${line#listening on }
  local out
  out=$(target/release/http_load "$url" "${load[@]}")
  kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true
  printf '  %-30s %s\n' "$key" "$out"
  results[$key]="${results[$key]:-} $(awk '{print $2}' <<<"$out")"
}

rows=("floor stateless" "fastmcp stateless" "rmcp stateless" "floor stateful" "fastmcp stateful" \
  "fastmcp stateful (SSE)" "fastmcp stateful (SSE+log)" "rmcp stateful (SSE)")
for round in $(seq "$rounds"); do
  echo "round $round/$rounds"
  run "floor stateless" target/release/floor_http -- "${extra[@]}"
  run "fastmcp stateless" target/release/http_server --stateless -- "${extra[@]}"
  run "rmcp stateless" "$rmcp_bin" --stateless -- "${extra[@]}"
  run "floor stateful" target/release/floor_http -- --stateful "${extra[@]}"
  run "fastmcp stateful" target/release/http_server -- --stateful "${extra[@]}"
  run "fastmcp stateful (SSE)" target/release/http_server --sse-always -- --stateful "${extra[@]}"
  run "fastmcp stateful (SSE+log)" target/release/http_server -- --stateful --tool add_logged "${extra[@]}"
  run "rmcp stateful (SSE)" "$rmcp_bin" -- --stateful "${extra[@]}"
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
declare -A med
echo
echo "median requests/s over $rounds rounds:"
for row in "${rows[@]}"; do
  med[$row]=$(median "${results[$row]}")
  printf '  %-30s %8.0f   (runs:%s)\n' "$row" "${med[$row]}" "${results[$row]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }
echo
echo "ratios (medians):"
echo "  fastmcp stateless / floor stateless:   $(ratio "${med[fastmcp stateless]}" "${med[floor stateless]}")   (target >= 0.90)"
echo "  fastmcp stateless / rmcp stateless:    $(ratio "${med[fastmcp stateless]}" "${med[rmcp stateless]}")"
echo "  fastmcp stateful / fastmcp stateless:  $(ratio "${med[fastmcp stateful]}" "${med[fastmcp stateless]}")   (target >= 0.95)"
echo "  fastmcp stateful / floor stateful:     $(ratio "${med[fastmcp stateful]}" "${med[floor stateful]}")"
echo "  fastmcp stateful (SSE) / rmcp stateful (SSE): $(ratio "${med[fastmcp stateful (SSE)]}" "${med[rmcp stateful (SSE)]}")"
