#!/usr/bin/env bash
# HTTP tools/call throughput and latency: fastmcp vs rmcp 3.11, stateless (JSON) and stateful
# (sessions) modes, same tool, same load client, same run. fastmcp answers a plain call with
# JSON even with sessions; the "(SSE)" row makes it answer every call as an SSE stream
# (HttpOptions::sse_always), as rmcp's stateful mode does; the "(SSE+log)" row uses a tool that
# logs once first (priming event, log, result on one stream).
#   bench/http.sh [--connections N] [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fastmcp-bench --bin http_server --bin http_load
cargo build --release -q --manifest-path bench/rmcp-server/Cargo.toml
rmcp_bin=bench/rmcp-server/target/release/rmcp-bench-server

run() { # name, server command..., then load flags after --
  local name=$1; shift
  local cmd=() load=()
  while [ "$1" != "--" ]; do cmd+=("$1"); shift; done; shift; load=("$@")
  coproc SRV { exec "${cmd[@]}"; }
  read -r -t 30 line <&"${SRV[0]}"
  local url=${line#listening on }
  printf '%-28s ' "$name"
  target/release/http_load "$url" "${load[@]}"
  kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true
}

extra=("$@")
run "fastmcp  stateless (JSON)" target/release/http_server --stateless -- "${extra[@]}"
run "rmcp 3.11 stateless (JSON)" "$rmcp_bin" --stateless -- "${extra[@]}"
run "fastmcp  stateful (JSON)" target/release/http_server -- --stateful "${extra[@]}"
run "fastmcp  stateful (SSE)" target/release/http_server --sse-always -- --stateful "${extra[@]}"
run "fastmcp  stateful (SSE+log)" target/release/http_server -- --stateful --tool add_logged "${extra[@]}"
run "rmcp 3.11 stateful (SSE)" "$rmcp_bin" -- --stateful "${extra[@]}"
