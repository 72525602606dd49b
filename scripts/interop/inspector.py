"""The MCP Inspector's CLI (npm @modelcontextprotocol/inspector 2.x, `--cli`) against our
servers: tools/list, tools/call, prompts/get and resources/read over Streamable HTTP (the tasks
fixture) and stdio (the quickstart), checking what it prints.

    python inspector.py INSPECTOR_BIN HTTP_URL QUICKSTART_BIN
"""
import json
import subprocess
import sys

inspector, url, quickstart = sys.argv[1:4]


def run(target, *args):
    out = subprocess.run([inspector, "--cli", target, *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return json.loads(out.stdout)


tools = run(url, "--method", "tools/list")["tools"]
names = {t["name"] for t in tools}
assert {"slow_add", "progress_job", "sync_only"} <= names, names
assert next(t for t in tools if t["name"] == "slow_add")["execution"]["taskSupport"] == "optional"
called = run(url, "--method", "tools/call", "--tool-name", "slow_add", "--tool-arg", "a=2", "b=3", "delay_ms=1")
assert called["structuredContent"] == {"result": 5}, called
prompt = run(url, "--method", "prompts/get", "--prompt-name", "task_prompt", "--prompt-args", "topic=otters")
assert "otters" in prompt["messages"][0]["content"]["text"], prompt
resource = run(url, "--method", "resources/read", "--uri", "tasks://echo/hi")
assert resource["contents"][0]["text"] == "hi", resource
stdio = run(quickstart, "--method", "tools/call", "--tool-name", "add", "--tool-arg", "a=2", "b=3")
assert stdio["structuredContent"] == {"result": 5}, stdio
print("mcp inspector cli: ok (http + stdio)")
