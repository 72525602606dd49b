"""A client creating short tasks in a loop over one session: prints, every 2,000 tasks, how long
they took, the server's RSS and how many were refused. Against the tasks fixture:
    target/release/tasks --port 8787 &
    python3 bench/task_flood.py 8787 20000 $!
(PORT, TASKS, SERVER_PID). Finished tasks are kept until their TTL ends; since
TaskSettings::max_kept_per_requester (1,000) the ones over it are refused and the RSS stays flat."""
import http.client, json, sys, time
port = int(sys.argv[1]); total = int(sys.argv[2]); pid = int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
H = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
def post(body, sid=None):
    h = dict(H)
    if sid: h["Mcp-Session-Id"] = sid; h["MCP-Protocol-Version"] = "2025-11-25"
    c.request("POST", "/mcp", json.dumps(body), h)
    r = c.getresponse(); data = r.read()
    return r, data
r, d = post({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"flood","version":"0"}}})
sid = r.getheader("Mcp-Session-Id")
post({"jsonrpc":"2.0","method":"notifications/initialized"}, sid)
def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"): return l.split()[1]
t0 = time.time(); t = t0; errors = 0
for i in range(1, total + 1):
    r, d = post({"jsonrpc":"2.0","id":i,"method":"tools/call","params":{"name":"slow_add","arguments":{"a":1,"b":2,"delay_ms":0},"task":{"ttl":900000}}}, sid)
    if b'"error"' in d[:200]:
        errors += 1
        if errors < 2: print("refused:", d[:300])
    if i % 2000 == 0:
        now = time.time()
        print(f"{i} tasks: last 2000 in {now - t:.2f} s, RSS {rss()} kB, errors {errors}", flush=True)
        t = now
