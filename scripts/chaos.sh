#!/usr/bin/env bash
# Chaos run (see bench/src/bin/chaos.rs): HTTP load and task submissions against the tasks
# fixture on a Redis docket while workers are SIGKILLed and Redis restarts at random; fails unless
# every accepted task completed with its exact result and no process leaked.
#   scripts/chaos.sh [--seconds 60] [--clients 8] [--seed 7]
# CHAOS_PROFILE=debug skips the release build (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${CHAOS_PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release -q -p fastmcp-examples --bin tasks
  cargo build --release -q -p fastmcp-bench --bin chaos
else
  cargo build -q -p fastmcp-examples --bin tasks
  cargo build -q -p fastmcp-bench --bin chaos
fi
exec "target/$profile/chaos" "$@"
