#!/usr/bin/env bash
# Instructions per tools/call in an HTTP server (repeatable, unlike wall-clock figures): the
# server runs under valgrind's callgrind, its counters are zeroed once it listens, one client
# connection calls `add` for 1 s (warm-up), the counters are zeroed, it calls for 5 s more, then
# the counters are dumped: Ir / calls, for the whole process and for the connection's task.
#   bench/callgrind_http.sh                    # fastmcp stateless, and the floor server
#   bench/callgrind_http.sh BIN [SERVER_FLAG] [LABEL] [LOAD_FLAGS]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
cargo build --release -q -p fastmcp-bench --bin http_server --bin http_load --bin floor_http
measure() { # bin, server flag, label, load flags...
  local bin=$1 flag=$2 label=$3; shift 3
  local out; out=$(mktemp -d)/cg
  coproc SRV { exec valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" $flag 2>/dev/null; }
  read -r -t 120 line <&"${SRV[0]}"
  local url=${line#listening on }
  # Warm up first: what a server does once (fastmcp compiles a tool's argument validator, and
  # jsonschema its meta-schema, on the first call: ~30M instructions) is not a per-call cost.
  target/release/http_load "$url" --connections 1 --seconds 1 "$@" >/dev/null
  callgrind_control -z >/dev/null 2>&1
  local res; res=$(target/release/http_load "$url" --connections 1 --seconds 5 "$@")
  callgrind_control -d >/dev/null 2>&1
  sleep 1
  kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true
  local calls ir conn annotated
  calls=$(grep -o "([0-9]* ok" <<<"$res" | tr -dc "0-9")
  annotated=$(callgrind_annotate --inclusive=yes "$out.1" 2>/dev/null)
  ir=$(grep "PROGRAM TOTALS" <<<"$annotated" | awk '{gsub(",", "", $1); print $1}')
  # The connection's own task (hyper's dispatcher, inclusive): the same work without the
  # runtime's parking and waking, which varies with how fast the client calls again.
  conn=$(grep -m1 "Dispatcher<D,Bs,I,T>::poll_catch" <<<"$annotated" | awk '{gsub(",", "", $1); print $1}')
  printf '%-24s %12s instructions / %6s calls = %6d per call; %6d in the connection task\n' \
    "$label" "$ir" "$calls" $((ir / calls)) $((${conn:-0} / calls))
}
if [ $# -gt 0 ]; then
  bin=$1; flag=${2:-}; label=${3:-$1}; shift $(($# < 3 ? $# : 3))
  measure "$bin" "$flag" "$label" "$@"
else
  measure target/release/http_server --stateless "fastmcp stateless"
  measure target/release/http_server "" "fastmcp stateful" --stateful
  measure target/release/floor_http "" "floor"
fi
