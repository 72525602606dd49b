//! Revision 2026-07-28 over real HTTP against the fixtures (child processes): stateless
//! requests, discovery, errors and headers, multi round-trip input with sealed state, logging
//! opt-in, listen streams, the tasks extension (memory:// and Redis, across two instances), and
//! legacy clients that must not see any of it.

use fastmcp_tests::{RedisServer, spawn_announced};
use futures::StreamExt;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const V: &str = "2026-07-28";
const TASKS: &str = "io.modelcontextprotocol/tasks";

struct Fixture {
    child: Child,
    url: String,
}

impl Fixture {
    fn spawn(bin: &str, docket: &str, args: &[&str]) -> Fixture {
        Fixture::spawn_with(bin, docket, args, &[])
    }
    fn spawn_with(bin: &str, docket: &str, args: &[&str], envs: &[(&str, &str)]) -> Fixture {
        let (child, line) = spawn_announced(
            Command::new(bin)
                .args(["--port", "0"])
                .args(args)
                .envs(envs.iter().copied())
                .env("FASTMCP_DOCKET_URL", docket)
                .env("FASTMCP_DOCKET_NAME", "rev2026-test")
                // Instances behind one endpoint share the requestState key.
                .env("FASTMCP_REQUEST_STATE_SECRET", "test-secret")
                .env_remove("FASTMCP_ENABLE_TASKS"),
        );
        Fixture { child, url: line.strip_prefix("listening on ").expect("listening line").to_owned() }
    }
    fn conformance() -> Fixture {
        Fixture::spawn(env!("CARGO_BIN_EXE_conformance"), "memory://", &[])
    }
    fn tasks(docket: &str) -> Fixture {
        Fixture::spawn(env!("CARGO_BIN_EXE_tasks"), docket, &["--require-task", "failing_job"])
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a POST answered: status, headers, and the JSON-RPC messages (one for JSON; every
/// event for SSE).
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    messages: Vec<Value>,
}

impl Answer {
    fn last(&self) -> &Value {
        self.messages.last().expect("a message")
    }
    fn result(&self) -> &Value {
        &self.last()["result"]
    }
    fn error_code(&self) -> i64 {
        self.last()["error"]["code"].as_i64().unwrap_or_default()
    }
}

fn meta(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": V,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": { "name": "rev2026-test", "version": "0" },
    })
}

/// The `Mcp-Name` of a request, as SEP-2243 asks.
fn name_of(method: &str, params: &Value) -> Option<String> {
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        "tasks/get" | "tasks/update" | "tasks/cancel" => "taskId",
        _ => return None,
    };
    params[field].as_str().map(str::to_owned)
}

async fn post_raw(url: &str, body: Value, headers: &[(&str, &str)]) -> Answer {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let sse = headers.get("content-type").is_some_and(|c| c.to_str().unwrap().starts_with("text/event-stream"));
    let messages = if sse {
        let text = resp.text().await.unwrap();
        text.split("\n\n")
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim))
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect()
    } else if status == 202 {
        Vec::new()
    } else {
        vec![resp.json().await.unwrap()]
    };
    Answer { status, headers, messages }
}

/// A well-formed 2026-07-28 request: `_meta` merged into params, the routing headers set.
async fn call(url: &str, method: &str, mut params: Value, capabilities: Value) -> Answer {
    let mut m = meta(capabilities);
    if let Some(extra) = params.get("_meta").and_then(Value::as_object) {
        for (k, v) in extra {
            m[k] = v.clone();
        }
    }
    params["_meta"] = m;
    let name = name_of(method, &params);
    let mut headers = vec![("mcp-protocol-version", V), ("mcp-method", method)];
    if let Some(n) = &name {
        headers.push(("mcp-name", n.as_str()));
    }
    post_raw(url, json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params }), &headers).await
}

fn all_caps() -> Value {
    json!({ "elicitation": {}, "sampling": {}, "roots": {}, "extensions": { TASKS: {} } })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_errors_and_headers() {
    let fx = Fixture::conformance();
    let url = fx.url.as_str();
    let d = call(url, "server/discover", json!({}), json!({})).await;
    assert_eq!(d.status, 200);
    assert!(d.headers.get("mcp-session-id").is_none(), "no sessions in 2026-07-28");
    let r = d.result();
    assert_eq!(r["resultType"], "complete");
    assert_eq!(r["supportedVersions"], json!([V]));
    assert!(r["capabilities"]["tools"].is_object() && r["capabilities"]["prompts"].is_object());
    assert!(r["capabilities"].get("tasks").is_none(), "the legacy tasks slot is not advertised");
    assert_eq!(r["capabilities"]["extensions"][TASKS], json!({}));
    assert!(r["ttlMs"].as_u64().is_some() && r["cacheScope"].is_string());
    assert_eq!(r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "fastmcp-conformance-fixture");

    // _meta missing, or without capabilities: 400 / -32602.
    let h = [("mcp-protocol-version", V), ("mcp-method", "tools/list")];
    let a = post_raw(url, json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}), &h).await;
    assert_eq!((a.status, a.error_code()), (400, -32602), "{:?}", a.messages);
    let bad = json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":V}}});
    let a = post_raw(url, bad, &h).await;
    assert_eq!((a.status, a.error_code()), (400, -32602));
    assert_eq!(a.last()["id"], 1, "errors keep the request id");

    // An unknown version: 400 / -32022 naming what is supported.
    let mut m = meta(json!({}));
    m["io.modelcontextprotocol/protocolVersion"] = json!("1900-01-01");
    let body = json!({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta": m}});
    let a = post_raw(url, body.clone(), &[("mcp-protocol-version", "1900-01-01"), ("mcp-method", "tools/list")]).await;
    assert_eq!((a.status, a.error_code()), (400, -32022));
    assert_eq!(a.last()["error"]["data"], json!({"supported": [V], "requested": "1900-01-01"}));
    // Headers that disagree with the body: 400 / -32020.
    let a = post_raw(url, body, &[("mcp-protocol-version", V), ("mcp-method", "tools/list")]).await;
    assert_eq!((a.status, a.error_code()), (400, -32020));
    let list = json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta": meta(json!({}))}});
    let a = post_raw(url, list.clone(), &[("mcp-protocol-version", V)]).await;
    assert_eq!((a.status, a.error_code()), (400, -32020), "Mcp-Method is required");
    let a = post_raw(url, list.clone(), &[("mcp-protocol-version", V), ("mcp-method", "Tools/List")]).await;
    assert_eq!((a.status, a.error_code()), (400, -32020), "method values are case-sensitive");
    let a = post_raw(url, list, &[("MCP-PROTOCOL-VERSION", &format!(" {V} ")), ("MCP-METHOD", "tools/list")]).await;
    assert_eq!(a.status, 200, "header names are case-insensitive, values trimmed");
    let tool = json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"test_simple_text","_meta": meta(json!({}))}});
    let h = [("mcp-protocol-version", V), ("mcp-method", "tools/call")];
    let a = post_raw(url, tool.clone(), &h).await;
    assert_eq!((a.status, a.error_code()), (400, -32020), "Mcp-Name is required for tools/call");
    let a = post_raw(url, tool.clone(), &[h[0], h[1], ("mcp-name", "other")]).await;
    assert_eq!((a.status, a.error_code()), (400, -32020));
    // A 1 MB name in the body: the message quotes a little of it, not all.
    let huge = json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"n".repeat(1_000_000),"_meta": meta(json!({}))}});
    let a = post_raw(url, huge, &[h[0], h[1], ("mcp-name", "other")]).await;
    assert_eq!((a.status, a.error_code()), (400, -32020));
    let message = a.last()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.len() < 1000 && message.contains("bytes left out"), "{} bytes", message.len());
    // base64 form: =?base64?{b64("test_simple_text")}?=
    let a = post_raw(url, tool, &[h[0], h[1], ("mcp-name", "=?base64?dGVzdF9zaW1wbGVfdGV4dA==?=")]).await;
    assert_eq!(a.status, 200, "{:?}", a.messages);
    assert_eq!(a.result()["resultType"], "complete");

    // x-mcp-header parameters must be mirrored in Mcp-Param-* headers.
    let args = json!({"name":"test_headers","arguments":{"region":"eu-west"},"_meta": meta(json!({}))});
    let body = json!({"jsonrpc":"2.0","id":5,"method":"tools/call","params": args});
    let h = [("mcp-protocol-version", V), ("mcp-method", "tools/call"), ("mcp-name", "test_headers")];
    let a = post_raw(url, body.clone(), &h).await;
    assert_eq!((a.status, a.error_code()), (400, -32020), "the value is in the body, the header is missing");
    let a = post_raw(url, body.clone(), &[h[0], h[1], h[2], ("mcp-param-region", "us-east")]).await;
    assert_eq!((a.status, a.error_code()), (400, -32020));
    let a = post_raw(url, body.clone(), &[h[0], h[1], h[2], ("mcp-param-region", "=?base64?ZXUtd2VzdA?=")]).await;
    assert_eq!((a.status, a.error_code()), (400, -32020), "unpadded base64 is rejected");
    let a = post_raw(url, body, &[h[0], h[1], h[2], ("Mcp-Param-Region", "=?base64?ZXUtd2VzdA==?=")]).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.result()["content"][0]["text"], "region=eu-west query=");

    // Removed and unknown methods: 404 / -32601.
    for method in
        ["ping", "logging/setLevel", "resources/subscribe", "initialize", "tasks/result", "tasks/list", "nope/nope"]
    {
        let a = call(url, method, json!({}), json!({})).await;
        assert_eq!((a.status, a.error_code()), (404, -32601), "{method}");
    }
    // GET and DELETE without a session: POST only.
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let r = reqwest::Client::new().request(method, url).header("accept", "text/event-stream").send().await.unwrap();
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()["allow"], "POST");
    }
    // Resource not found is -32602 now, with the uri.
    let a = call(url, "resources/read", json!({"uri":"test://missing"}), json!({})).await;
    assert_eq!(a.error_code(), -32602);
    assert_eq!(a.last()["error"]["data"]["uri"], "test://missing");
    // Lists and reads carry cache hints; tools carry no 2025-only execution field.
    let a = call(url, "tools/list", json!({}), json!({})).await;
    assert!(a.result()["ttlMs"].is_u64() && a.result()["cacheScope"] == "private");
    assert!(a.result()["tools"].as_array().unwrap().iter().all(|t| t.get("execution").is_none()));
    let a = call(url, "resources/read", json!({"uri":"test://static-text"}), json!({})).await;
    assert_eq!(a.result()["resultType"], "complete");
    assert!(a.result()["ttlMs"].is_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_clients_see_nothing_new() {
    let fx = Fixture::conformance();
    let init = |v: &str| json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":v,"capabilities":{},"clientInfo":{"name":"old","version":"0"}}});
    let a = post_raw(&fx.url, init("2026-07-28"), &[]).await;
    assert_eq!(a.result()["protocolVersion"], "2025-11-25", "initialize never negotiates revision 2026-07-28");
    let a = post_raw(&fx.url, init("2025-11-25"), &[]).await;
    let session = a.headers["mcp-session-id"].to_str().unwrap().to_owned();
    assert!(a.result().get("resultType").is_none());
    assert!(a.result()["capabilities"]["tasks"].is_object(), "2025-11-25 tasks capability");
    let h = [("mcp-session-id", session.as_str()), ("mcp-protocol-version", "2025-11-25")];
    post_raw(&fx.url, json!({"jsonrpc":"2.0","method":"notifications/initialized"}), &h).await;
    let a = post_raw(&fx.url, json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}), &h).await;
    let r = a.result();
    assert!(r.get("resultType").is_none() && r.get("ttlMs").is_none() && r.get("cacheScope").is_none(), "{r}");
    let a = post_raw(
        &fx.url,
        json!({"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"test://missing"}}),
        &h,
    )
    .await;
    assert_eq!(a.error_code(), -32002, "legacy peers keep -32002");
    let a = post_raw(&fx.url, json!({"jsonrpc":"2.0","id":3,"method":"ping"}), &h).await;
    assert_eq!(a.result(), &json!({}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_round_input_with_sealed_state() {
    let fx = Fixture::conformance();
    let url = fx.url.as_str();
    let caps = json!({"elicitation": {}});
    let tool = |extra: Value| {
        let mut p = json!({"name": "test_input_required_result_multi_round", "arguments": {}});
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        p
    };
    let r1 = call(url, "tools/call", tool(json!({})), caps.clone()).await;
    let r1 = r1.result().clone();
    assert_eq!(r1["resultType"], "input_required");
    assert_eq!(r1["inputRequests"]["step1"]["method"], "elicitation/create");
    let state1 = r1["requestState"].as_str().unwrap().to_owned();
    let answer = |field: &str, v: &str| json!({"action": "accept", "content": { field: v }});
    let r2 = call(
        url,
        "tools/call",
        tool(json!({"inputResponses": {"step1": answer("name", "Alice")}, "requestState": state1})),
        caps.clone(),
    )
    .await;
    let r2 = r2.result().clone();
    assert_eq!(r2["resultType"], "input_required", "{r2}");
    assert!(r2["inputRequests"].get("step2").is_some() && r2["inputRequests"].get("step1").is_none());
    let state2 = r2["requestState"].as_str().unwrap().to_owned();
    assert_ne!(state1, state2);
    let r3 = call(
        url,
        "tools/call",
        tool(json!({"inputResponses": {"step2": answer("color", "blue")}, "requestState": state2.clone()})),
        caps.clone(),
    )
    .await;
    assert_eq!(r3.result()["resultType"], "complete");
    assert_eq!(r3.result()["content"][0]["text"], "Alice likes blue");

    // Tampered state, or state issued for another tool: refused.
    let tampered = call(
        url,
        "tools/call",
        tool(json!({"inputResponses": {"step2": answer("color", "red")}, "requestState": format!("{state2}x")})),
        caps.clone(),
    )
    .await;
    assert_eq!(tampered.error_code(), -32602);
    let elsewhere = json!({"name": "test_input_required_result_elicitation", "arguments": {}, "inputResponses": {}, "requestState": state2});
    assert_eq!(call(url, "tools/call", elsewhere, caps.clone()).await.error_code(), -32602);
    // Garbage inputResponses: an error, not a crash.
    let garbage = tool(json!({"inputResponses": "nope"}));
    assert_eq!(call(url, "tools/call", garbage, caps.clone()).await.error_code(), -32602);
    // Several requests at once come back together.
    let multi = json!({"name": "test_input_required_result_multiple_inputs", "arguments": {}});
    let a = call(url, "tools/call", multi, json!({"elicitation": {}, "sampling": {}, "roots": {}})).await;
    let keys: Vec<&String> = a.result()["inputRequests"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    // Only what the client declared is asked for; a needed undeclared capability is -32021.
    let a = call(
        url,
        "tools/call",
        json!({"name": "test_input_required_result_capabilities", "arguments": {}}),
        json!({"sampling": {}}),
    )
    .await;
    let requests = a.result()["inputRequests"].as_object().unwrap().clone();
    assert!(requests.values().all(|r| r["method"] == "sampling/createMessage"), "{requests:?}");
    let a = call(url, "tools/call", json!({"name": "test_missing_capability", "arguments": {}}), json!({})).await;
    assert_eq!((a.status, a.error_code()), (400, -32021));
    assert_eq!(a.last()["error"]["data"]["requiredCapabilities"], json!({"sampling": {}}));
    // Prompts too.
    let a = call(url, "prompts/get", json!({"name": "test_input_required_result_prompt"}), caps).await;
    assert_eq!(a.result()["resultType"], "input_required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_is_opt_in_per_request() {
    let fx = Fixture::conformance();
    let tool = json!({"name": "test_logging_tool", "arguments": {}});
    let a = call(&fx.url, "tools/call", tool.clone(), json!({})).await;
    assert_eq!(a.messages.len(), 1, "no notifications/message without a log level: {:?}", a.messages);
    let mut with_level = tool;
    with_level["_meta"] = json!({"io.modelcontextprotocol/logLevel": "info"});
    let a = call(&fx.url, "tools/call", with_level, json!({})).await;
    let logs: Vec<&Value> = a.messages.iter().filter(|m| m["method"] == "notifications/message").collect();
    assert_eq!(logs.len(), 3, "{:?}", a.messages);
    assert_eq!(a.result()["content"][0]["text"], "logged");
    assert!(a.headers["content-type"].to_str().unwrap().starts_with("text/event-stream"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_streams_what_was_asked_for() {
    let fx = Fixture::conformance();
    let mut params = json!({"notifications": {"toolsListChanged": true}});
    params["_meta"] = meta(json!({}));
    let body = json!({"jsonrpc":"2.0","id":"sub-1","method":"subscriptions/listen","params": params});
    let resp = reqwest::Client::new()
        .post(&fx.url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", V)
        .header("mcp-method", "subscriptions/listen")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let mut frames: Vec<Value> = Vec::new();
    let mut triggered = false;
    let deadline = Instant::now() + Duration::from_secs(10);
    while frames.len() < 2 && Instant::now() < deadline {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap().unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) {
                frames.push(serde_json::from_str(data.trim()).unwrap());
            }
        }
        if !frames.is_empty() && !triggered {
            triggered = true;
            call(&fx.url, "tools/call", json!({"name": "test_trigger_prompt_change", "arguments": {}}), json!({}))
                .await;
            call(&fx.url, "tools/call", json!({"name": "test_trigger_tool_change", "arguments": {}}), json!({})).await;
        }
    }
    assert_eq!(frames[0]["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(frames[0]["params"]["notifications"], json!({"toolsListChanged": true}));
    assert_eq!(frames[1]["method"], "notifications/tools/list_changed", "prompts were not asked for: {frames:?}");
    assert_eq!(frames[1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], "sub-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_whose_instance_dies_fails_instead_of_working_forever() {
    let redis = RedisServer::start(false);
    let lease = [("FASTMCP_TASK_LEASE_MS", "1500")];
    let a = Fixture::spawn_with(env!("CARGO_BIN_EXE_tasks"), &redis.url(), &[], &lease);
    let b = Fixture::tasks(&redis.url());
    let c = call(&a.url, "tools/call", json!({"name":"slow_compute","arguments":{"seconds":60}}), all_caps()).await;
    let id = c.result()["taskId"].as_str().expect("a task").to_owned();
    // While A lives it renews the lease: still working well past one lease.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let t = call(&b.url, "tasks/get", json!({"taskId": id}), all_caps()).await;
    assert_eq!(t.result()["status"], "working", "{}", t.result());
    drop(a); // SIGKILL
    let t = poll_task(&b.url, &id, |t| t["status"] != "working").await;
    assert_eq!(t["status"], "failed", "{t}");
    assert_eq!(t["error"]["code"], -32603, "{t}");
    assert!(t["statusMessage"].as_str().unwrap().contains("stopped"), "{t}");
}

async fn poll_task(url: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let t = call(url, "tasks/get", json!({"taskId": id}), all_caps()).await.result().clone();
        if done(&t) {
            return t;
        }
        assert!(Instant::now() < deadline, "{t}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_extension_on_memory_and_across_redis_instances() {
    let redis = RedisServer::start(false);
    for (name, a, b) in [
        ("memory", Fixture::tasks("memory://"), None),
        ("redis", Fixture::tasks(&redis.url()), Some(Fixture::tasks(&redis.url()))),
    ] {
        let (ua, ub) = (a.url.clone(), b.as_ref().map_or(a.url.clone(), |b| b.url.clone()));
        // A task-capable tool for a client with the extension: a CreateTaskResult, flat.
        let c = call(&ua, "tools/call", json!({"name":"slow_compute","arguments":{"seconds":0.3}}), all_caps()).await;
        let created = c.result().clone();
        assert_eq!(created["resultType"], "task", "{name}: {created}");
        assert_eq!(created["status"], "working");
        assert!(created["ttlMs"].is_u64() && created["pollIntervalMs"].is_u64());
        assert!(
            created.get("ttl").is_none()
                && created.get("pollInterval").is_none()
                && created.get("requestState").is_none()
        );
        let id = created["taskId"].as_str().unwrap().to_owned();
        // Read on the other instance (Redis), the result inlined, no related-task _meta.
        let done = poll_task(&ub, &id, |t| t["status"] == "completed").await;
        assert_eq!(done["resultType"], "complete");
        assert_eq!(done["result"]["content"][0]["text"], "computed result in 0.3s", "{name}: {done}");
        assert!(done["result"].get("_meta").is_none_or(|m| m.get("io.modelcontextprotocol/related-task").is_none()));
        // Without the extension: sync for optional tools, -32021 for required ones; tasks/* too.
        let sync = call(&ua, "tools/call", json!({"name":"slow_compute","arguments":{"seconds":0}}), json!({})).await;
        assert_eq!(sync.result()["resultType"], "complete");
        let req = call(&ua, "tools/call", json!({"name":"failing_job","arguments":{}}), json!({})).await;
        assert_eq!((req.status, req.error_code()), (400, -32021));
        assert_eq!(req.last()["error"]["data"]["requiredCapabilities"]["extensions"][TASKS], json!({}));
        let get = call(&ua, "tasks/get", json!({"taskId": id}), json!({})).await;
        assert_eq!(get.error_code(), -32021);
        // Mcp-Name on tasks/*: a mismatch is refused; leaving it out is tolerated (the Python SDK
        // under FastMCP 4.1 does).
        let body = |id: &str| json!({"jsonrpc":"2.0","id":9,"method":"tasks/get","params":{"taskId": id, "_meta": meta(all_caps())}});
        let h = [("mcp-protocol-version", V), ("mcp-method", "tasks/get")];
        let bare = post_raw(&ub, body(&id), &h).await;
        assert_eq!((bare.status, bare.result()["taskId"].as_str()), (200, Some(id.as_str())), "{name}");
        let wrong = post_raw(&ub, body(&id), &[h[0], h[1], ("mcp-name", "another-task")]).await;
        assert_eq!((wrong.status, wrong.error_code()), (400, -32020), "{name}");
        // A tool error completes the task (isError); a JSON-RPC error fails it.
        let f = call(&ua, "tools/call", json!({"name":"failing_job","arguments":{}}), all_caps()).await;
        let f = poll_task(&ub, f.result()["taskId"].as_str().unwrap(), |t| t["status"] != "working").await;
        assert_eq!((f["status"].as_str(), f["result"]["isError"].as_bool()), (Some("completed"), Some(true)), "{f}");
        let p = call(&ua, "tools/call", json!({"name":"protocol_error_job","arguments":{}}), all_caps()).await;
        let p = poll_task(&ub, p.result()["taskId"].as_str().unwrap(), |t| t["status"] != "working").await;
        assert_eq!(p["status"], "failed", "{p}");
        assert_eq!(p["error"]["code"], -32603);
        // Input inside a task: input_required on tasks/get, answered with tasks/update (on B).
        let m = call(&ua, "tools/call", json!({"name":"multi_input","arguments":{}}), all_caps()).await;
        let mid = m.result()["taskId"].as_str().unwrap().to_owned();
        let waiting = poll_task(&ub, &mid, |t| {
            t["status"] == "input_required" && t["inputRequests"].as_object().unwrap().len() == 2
        })
        .await;
        assert_eq!(waiting["inputRequests"]["first"]["method"], "elicitation/create");
        let yes = json!({"action":"accept","content":{"confirm":true}});
        let ack = call(
            &ub,
            "tasks/update",
            json!({"taskId": mid, "inputResponses": {"first": yes, "unknown": {}}}),
            all_caps(),
        )
        .await;
        assert_eq!(ack.result(), &json!({"resultType":"complete","_meta":ack.result()["_meta"]}));
        let partial = poll_task(&ub, &mid, |t| t["inputRequests"].as_object().is_some_and(|r| r.len() == 1)).await;
        assert_eq!(partial["status"], "input_required");
        assert!(partial["inputRequests"].get("second").is_some());
        call(&ub, "tasks/update", json!({"taskId": mid, "inputResponses": {"second": yes}}), all_caps()).await;
        let done = poll_task(&ua, &mid, |t| t["status"] == "completed").await;
        assert_eq!(done["result"]["content"][0]["text"], "first=true second=true");
        // MRTR first, then the task (test_tool_with_task).
        let r1 = call(&ua, "tools/call", json!({"name":"test_tool_with_task","arguments":{}}), all_caps()).await;
        let r1 = r1.result().clone();
        assert_eq!(r1["resultType"], "input_required");
        assert!(r1.get("taskId").is_none());
        let retry = json!({"name":"test_tool_with_task","arguments":{},"requestState": r1["requestState"],
            "inputResponses": {"user_name": {"action":"accept","content":{"name":"Ada"}}}});
        let r2 = call(&ua, "tools/call", retry, all_caps()).await;
        assert_eq!(r2.result()["resultType"], "task", "{:?}", r2.messages);
        assert!(r2.result().get("requestState").is_none());
        let done = poll_task(&ub, r2.result()["taskId"].as_str().unwrap(), |t| t["status"] == "completed").await;
        assert!(done["result"]["content"][0]["text"].as_str().unwrap().contains("Ada"));
        // Cancel: an empty ack, final, idempotent.
        let s = call(&ua, "tools/call", json!({"name":"slow_compute","arguments":{"seconds":30}}), all_caps()).await;
        let sid = s.result()["taskId"].as_str().unwrap().to_owned();
        let ack = call(&ub, "tasks/cancel", json!({"taskId": sid}), all_caps()).await;
        assert_eq!(ack.result()["resultType"], "complete");
        assert_eq!(poll_task(&ua, &sid, |t| t["status"] != "working").await["status"], "cancelled");
        assert_eq!(
            call(&ub, "tasks/cancel", json!({"taskId": sid}), all_caps()).await.result()["resultType"],
            "complete"
        );
        // Unknown ids.
        assert_eq!(call(&ua, "tasks/get", json!({"taskId": "nope"}), all_caps()).await.error_code(), -32602);
        drop(b);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_serves_both_eras_in_one_process() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let discover = json!({"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta": meta(json!({}))}});
    let no_meta = json!({"jsonrpc":"2.0","id":2,"method":"server/discover","params":{}});
    let add = json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3},"_meta": meta(json!({}))}});
    for m in [&discover, &no_meta, &add] {
        stdin.write_all(format!("{m}\n").as_bytes()).await.unwrap();
    }
    let mut by_id = std::collections::HashMap::new();
    while by_id.len() < 3 {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await.unwrap().unwrap().unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        by_id.insert(v["id"].as_i64().unwrap(), v);
    }
    assert_eq!(by_id[&1]["result"]["supportedVersions"], json!([V]));
    assert_eq!(
        by_id[&2]["error"]["code"], -32601,
        "no claim: a legacy request, and server/discover is not a 2025 method"
    );
    assert_eq!(by_id[&3]["result"]["structuredContent"]["result"], 5);
    assert_eq!(by_id[&3]["result"]["resultType"], "complete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_streams_task_status() {
    let fx = Fixture::tasks("memory://");
    let c = call(&fx.url, "tools/call", json!({"name":"slow_compute","arguments":{"seconds":0.3}}), all_caps()).await;
    let id = c.result()["taskId"].as_str().unwrap().to_owned();
    let mut params = json!({"notifications": {"taskIds": [id]}});
    params["_meta"] = meta(all_caps());
    let body = json!({"jsonrpc":"2.0","id":9,"method":"subscriptions/listen","params": params});
    let resp = reqwest::Client::new()
        .post(&fx.url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", V)
        .header("mcp-method", "subscriptions/listen")
        .json(&body)
        .send()
        .await
        .unwrap();
    let mut stream = resp.bytes_stream();
    let (mut buf, mut frames) = (String::new(), Vec::<Value>::new());
    while !frames.iter().any(|f| f["params"]["status"] == "completed") {
        let chunk =
            tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("a frame").unwrap().unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) {
                frames.push(serde_json::from_str(data.trim()).unwrap());
            }
        }
    }
    assert_eq!(frames[0]["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(frames[0]["params"]["notifications"]["taskIds"], json!([id]));
    let last = frames.last().unwrap();
    assert_eq!(last["method"], "notifications/tasks");
    assert_eq!(last["params"]["taskId"], id.as_str());
    assert_eq!(last["params"]["result"]["content"][0]["text"], "computed result in 0.3s");
    assert_eq!(last["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 9);
}

// ---------------------------------------------------------------------------------------------
// fastmcp's own Client on 2026-07-28, over HTTP, against the fixtures
// ---------------------------------------------------------------------------------------------

/// A 2026-07-28 client that answers elicitation, sampling and roots.
fn rev2026_client() -> fastmcp::ClientBuilder {
    fastmcp::Client::builder()
        .protocol_version(V)
        .capabilities(json!({ "elicitation": {}, "sampling": {}, "roots": {} }))
        .on_request(|method, params| async move {
            Ok(match method.as_str() {
                "elicitation/create" => {
                    let field = params["requestedSchema"]["properties"]
                        .as_object()
                        .and_then(|p| p.keys().next().cloned())
                        .unwrap_or_default();
                    let value = if field == "color" { "teal" } else { "Ada" };
                    json!({ "action": "accept", "content": { field: value } })
                }
                "sampling/createMessage" => {
                    json!({ "role": "assistant", "content": { "type": "text", "text": "Hello" }, "model": "m" })
                }
                "roots/list" => json!({ "roots": [{ "uri": "file:///work", "name": "work" }] }),
                other => return Err(fastmcp::ErrorObject::method_not_found(other)),
            })
        })
}

#[tokio::test]
async fn the_client_drives_multi_round_input_and_headers_on_2026_07_28() {
    let f = Fixture::conformance();
    let c = rev2026_client().connect_http(&f.url).await.expect("server/discover");
    assert_eq!(c.initialize_result()["serverInfo"]["name"], "fastmcp-conformance-fixture");
    let text = |r: fastmcp::CallToolResult| r.text_content();
    // Two rounds of input, each answered and retried with the sealed requestState.
    let r = c.call_tool("test_input_required_result_multi_round", json!({})).await.unwrap();
    assert_eq!(text(r), "Ada likes teal");
    // Three inputs in one round: elicitation, sampling and roots.
    let r = c.call_tool("test_input_required_result_multiple_inputs", json!({})).await.unwrap();
    assert_eq!(text(r), "Hello Ada! (1 roots)");
    // Input on prompts/get.
    let p = c.get_prompt("test_input_required_result_prompt", json!({})).await.unwrap();
    assert!(p.messages[0].content.as_text().unwrap().contains("Use this context: Ada"), "{p:?}");
    // `region` must also travel as `Mcp-Param-Region`: the client learns that from tools/list
    // (here: on the server's -32020, it lists once and calls again).
    let r = c.call_tool("test_headers", json!({ "region": "eu-west", "query": "q" })).await.unwrap();
    assert_eq!(text(r), "region=eu-west query=q");
    let r = c.call_tool("test_headers", json!({ "region": "naïve" })).await.unwrap();
    assert_eq!(text(r), "region=naïve query=");
}

#[tokio::test]
async fn the_client_follows_tasks_of_the_extension_on_2026_07_28() {
    let f = Fixture::tasks("memory://");
    let c = rev2026_client().connect_http(&f.url).await.unwrap();
    // A required task: the server answers with a task; `call_tool` polls it to its end.
    let r = c.call_tool("progress_job", json!({ "steps": 3, "step_ms": 30 })).await.unwrap();
    assert_eq!(r.text_content(), "done 3 steps");
    // A tool error inside a task: `completed` with `isError`, as inline.
    let r = c.call_tool("failing_job", json!({ "message": "boom" })).await.unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(r.text_content().contains("boom"));
    // The handle: status and cancel.
    let task = c.call_tool_as_task("progress_job", json!({ "steps": 100, "step_ms": 100 }), None).await.unwrap();
    assert!(!task.ran_inline());
    assert_eq!(task.status().await.unwrap().status, "working");
    assert_eq!(task.cancel().await.unwrap().status, "cancelled");
    // Without the extension the server must not create tasks: a required one is -32021.
    let plain = rev2026_client().tasks_extension(false).connect_http(&f.url).await.unwrap();
    let e = plain.call_tool("progress_job", json!({})).await.unwrap_err();
    assert_eq!(e.rpc().map(|e| e.code), Some(-32021), "{e:?}");
}
