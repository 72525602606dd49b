#!/usr/bin/env bash
# Redis cost of creating an MCP task (commands, redis-server CPU), for a session keeping 0 and
# 500 tasks: the tasks fixture on a Redis docket (a redis-server on a free port).
#   bench/task_redis_cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fastmcp-examples --bin tasks
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for kept in 0 500; do
  redis_port=$(free_port) http_port=$(free_port) dir=$(mktemp -d)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize yes >/dev/null
  while ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done
  FASTMCP_DOCKET_URL="redis://127.0.0.1:$redis_port/" target/release/tasks --port "$http_port" >/dev/null 2>&1 &
  server=$!
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null; do sleep 0.1; done
  python3 bench/task_redis_cost.py "$http_port" "$redis_port" "$kept"
  kill "$server"; wait "$server" 2>/dev/null || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
done
