#!/usr/bin/env bash
# Spawn-to-initialize latency and idle RSS over stdio: fastmcp's quickstart (default features,
# and the same source on the minimal build, bench/startup-minimal) against its anchors, rmcp
# 3.11's stdio server (same `add` tool) and a bare process that answers one line (the floor),
# taking turns run by run; prints each median and each fastmcp build's ratio to each anchor.
#   bench/startup.sh [--runs N]        (default 200 runs each)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fastmcp-examples --bin quickstart -p fastmcp-bench --bin startup --bin bare_stdio
cargo build --release -q --manifest-path bench/rmcp-server/Cargo.toml
cargo build --release -q --manifest-path bench/startup-minimal/Cargo.toml
exec target/release/startup "$@" \
  --server "fastmcp=target/release/quickstart" \
  --server "fastmcp minimal=bench/startup-minimal/target/release/quickstart-minimal" \
  --anchor "rmcp 3.11=bench/rmcp-server/target/release/rmcp-bench-server --stdio" \
  --anchor "bare process=target/release/bare_stdio"
