#!/usr/bin/env bash
# Docket throughput, enqueue -> result stored, trivial task: memory:// and redis:// (a
# redis-server started on a free port), and Python Docket on the same Redis when pydocket is
# installed (pip install pydocket); then the scale-out figure (1, 2 and 4 worker processes on one
# Redis).
#   bench/docket.sh [--runs N]      (default 200000; Redis uses N/4)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fastmcp-bench --bin docket_bench
runs=200000
[ "${1:-}" = "--runs" ] && runs=$2
ours=$(mktemp)
trap 'rm -f "$ours"' EXIT
target/release/docket_bench --runs "$runs" | tee "$ours"
# 1, 2 and 4 worker processes sharing one redis-server.
target/release/docket_bench --scale-out --runs $((runs / 5))
if python3 -c "import docket" 2>/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  dir=$(mktemp -d)
  coproc REDIS { exec redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir"; }
  trap 'kill "$REDIS_PID" 2>/dev/null || true; rm -rf "$dir" "$ours"' EXIT
  while read -r line <&"${REDIS[0]}"; do [[ $line == *"Ready to accept connections"* ]] && break; done
  python3 bench/pydocket_bench.py "redis://127.0.0.1:$port/" $((runs / 40)) | tee -a "$ours"
  # The anchor in the same run: redis-server CPU and commands per run, fastmcp against Python
  # Docket tuned (the Redis CPU per run is what bounds a deployment's throughput).
  awk '/^redis / {r=1} r && /redis-server per run:/ && !f {f=1; split($0, a, "per run: "); split(a[2], b, " "); cpu=b[1]; cmd=b[7]}
       /^pydocket tuned/ {split($0, a, "per run: "); split(a[2], b, " "); pcpu=b[1]; pcmd=b[4]}
       END {if (cpu && pcpu) printf "fastmcp / Python Docket (tuned), redis-server per run: %.2fx the CPU (%s us against %s us), %.2fx the commands (%s against %s)\n", cpu/pcpu, cpu, pcpu, cmd/pcmd, cmd, pcmd}' "$ours"
else
  echo "pydocket not installed: pip install pydocket to print Python Docket's figures here"
fi
