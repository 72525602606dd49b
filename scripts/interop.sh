#!/usr/bin/env bash
# Real clients against fastmcp: the official TypeScript SDK (npm @modelcontextprotocol/sdk) and
# the official Python SDK (PyPI mcp), over stdio (quickstart) and Streamable HTTP (fixture).
# Both SDKs are installed once into a cache folder.
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
cargo build -q -p fastmcp-examples --bin quickstart --bin conformance
cp scripts/interop/ts_client.mjs "$cache/ts-$ts_version/"
quickstart=$PWD/target/debug/quickstart
coproc FIXTURE { exec target/debug/conformance --port 0; }
trap 'kill "$FIXTURE_PID" 2>/dev/null || true' EXIT
read -r -t 60 line <&"${FIXTURE[0]}"
url=${line#listening on }
node "$cache/ts-$ts_version/ts_client.mjs" stdio "$quickstart"
node "$cache/ts-$ts_version/ts_client.mjs" http "$url"
"$cache/py-$py_version/bin/python" scripts/interop/py_client.py stdio "$quickstart"
"$cache/py-$py_version/bin/python" scripts/interop/py_client.py http "$url"
