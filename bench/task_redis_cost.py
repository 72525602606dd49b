"""Redis cost of creating an MCP task: commands and redis-server CPU per task created (from INFO
around 100 task-augmented `tools/call`s), for one session that already keeps KEPT tasks.
Run by bench/task_redis_cost.sh against the tasks fixture on a Redis docket:
    python3 bench/task_redis_cost.py HTTP_PORT REDIS_PORT KEPT"""
import http.client
import json
import subprocess
import sys
import time

port, redis_port, kept = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port)
HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def post(body, session=None):
    headers = dict(HEADERS)
    if session:
        headers["Mcp-Session-Id"] = session
        headers["MCP-Protocol-Version"] = "2025-11-25"
    conn.request("POST", "/mcp", json.dumps(body), headers)
    response = conn.getresponse()
    return response, response.read()


def redis_info(section):
    out = subprocess.run(["redis-cli", "-p", str(redis_port), "INFO", section], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if ":" in line]


def usage():
    """redis-server's CPU seconds and commands executed so far."""
    cpu = dict(line.split(":", 1) for line in redis_info("cpu"))
    calls = sum(int(line.split("calls=")[1].split(",")[0]) for line in redis_info("commandstats") if line.startswith("cmdstat_"))
    return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]), calls


response, _ = post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}})
session = response.getheader("Mcp-Session-Id")
post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
task = {"name": "slow_add", "arguments": {"a": 1, "b": 2, "delay_ms": 0}, "task": {}}
for i in range(kept):
    post({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": task}, session)
time.sleep(1)
cpu0, calls0 = usage()
for i in range(100):
    post({"jsonrpc": "2.0", "id": 100_000 + i, "method": "tools/call", "params": task}, session)
time.sleep(1)
cpu1, calls1 = usage()
# The first INFO pair's commands are counted in the second reading.
print(f"{kept} tasks kept: {(calls1 - calls0 - 2) / 100:.1f} redis commands and "
      f"{(cpu1 - cpu0) * 1e6 / 100:.0f} us of redis-server CPU per task created")
