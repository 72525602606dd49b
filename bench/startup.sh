#!/usr/bin/env bash
# Spawn-to-initialize latency and idle RSS of the quickstart example (release build).
#   bench/startup.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fastmcp-examples --bin quickstart -p fastmcp-bench --bin startup
exec target/release/startup "$@" -- target/release/quickstart
