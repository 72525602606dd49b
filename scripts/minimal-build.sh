#!/usr/bin/env bash
# fastmcp's minimal build (`--no-default-features`: stdio, in-memory, memory:// docket): its
# dependency count (at most 85 crates), clippy, and the tests that need no HTTP or Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
crates=$(cargo tree -p fastmcp --no-default-features -e normal --prefix none \
  | sed 's/ (\*)//; s/ (proc-macro)//' | awk '{print $1, $2}' | sort -u | wc -l)
echo "minimal build: $crates crates (fastmcp included; limit 85)"
[ "$crates" -le 85 ] || { echo "the minimal build grew past 85 crates" >&2; exit 1; }
cargo clippy -p fastmcp -p fastmcp-tests --no-default-features --all-targets -- -D warnings
cargo test -p fastmcp -p fastmcp-tests --no-default-features
