#!/usr/bin/env bash
# Runs the official MCP conformance suite against the conformance fixture.
#   scripts/conformance.sh                         # suite 0.1.16, active scenarios
#   scripts/conformance.sh --suite all
#   CONFORMANCE_VERSION=0.2.0-alpha.12 scripts/conformance.sh --requirements 2025-11-25
# The runner (../shared/conformance/run) installs and caches Node 22 and the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
runner=${CONFORMANCE_RUNNER:-../shared/conformance/run}
[ -x "$runner" ] || { echo "conformance runner not found at $runner (set CONFORMANCE_RUNNER)" >&2; exit 2; }
cargo build -q -p fastmcp-examples --bin conformance
# The fixture prints "listening on URL" once it accepts connections; read that line.
coproc FIXTURE { exec target/debug/conformance --port 0; }
trap 'kill "$FIXTURE_PID" 2>/dev/null || true' EXIT
read -r -t 60 line <&"${FIXTURE[0]}"
url=${line#listening on }
echo "fixture at $url"
"$runner" "$url" "$@"
