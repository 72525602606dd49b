#!/usr/bin/env bash
# Soak: 10 minutes of steady, paced MCP traffic (session churn, inline calls, background tasks,
# prompts, resources, tool errors) against the tasks fixture on the memory:// docket, sampling the
# server's RSS every 10 s; fails unless RSS stays flat after warm-up and every call succeeded.
#   bench/soak.sh [--seconds 600] [--rate 300] [--clients 8] [--sample 10] [--warmup 120]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fastmcp-examples --bin tasks
cargo build --release -q -p fastmcp-bench --bin soak
exec target/release/soak target/release/tasks "$@"
