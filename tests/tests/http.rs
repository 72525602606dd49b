//! Streamable HTTP edge cases, with a real HTTP client over loopback.

use fastmcp::prelude::*;
use fastmcp::transport::http::HttpOptions;
use futures::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;

/// Adds two integers.
#[tool]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Logs twice, then answers.
#[tool]
async fn chatty(ctx: Context) -> &'static str {
    ctx.info("first").await;
    ctx.info("second").await;
    "done"
}

/// Ends its SSE connection before answering.
#[tool]
async fn polling(ctx: Context) -> &'static str {
    ctx.info("before close").await;
    ctx.close_sse_stream().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    ctx.info("after close").await;
    "finished after reconnect"
}

/// Asks the user a question.
#[tool]
async fn ask(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let answer = ctx.elicit("Name?", json!({"type": "object", "properties": {"name": {"type": "string"}}})).await?;
    Ok(format!("hello {}", answer.content.unwrap_or_default()["name"].as_str().unwrap_or("?")))
}

/// Answers at once, and logs `ms` later from a task that kept its context.
#[tool]
async fn lingering(ctx: Context, ms: u64) -> &'static str {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ctx.info("late").await;
    });
    "answered"
}

/// Sleeps.
#[tool]
async fn slow(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("slept {ms}")
}

/// How many `hang` handlers were dropped (their request cancelled).
static HANG_DROPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Waits until its request is cancelled.
#[tool]
async fn hang() -> &'static str {
    struct Dropped;
    impl Drop for Dropped {
        fn drop(&mut self) {
            HANG_DROPPED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let _dropped = Dropped;
    std::future::pending::<()>().await;
    "never"
}

/// How many `finish_line` calls ran to their end, and how many were dropped before it.
static FINISHED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static ABANDONED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sleeps `ms`, then counts itself finished (or abandoned when dropped first).
#[tool]
async fn finish_line(ms: u64) -> &'static str {
    struct Guard(bool);
    impl Drop for Guard {
        fn drop(&mut self) {
            let counter = if self.0 { &FINISHED } else { &ABANDONED };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let mut guard = Guard(false);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    guard.0 = true;
    "finished"
}

/// What each `watched` call's watcher saw: `true` when the call's cancellation reached it.
static WATCHED: std::sync::Mutex<Vec<bool>> = std::sync::Mutex::new(Vec::new());

/// Starts a watcher of its own cancellation (for 1 s), then works for `ms`.
#[tool]
async fn watched(ctx: Context, ms: u64) -> &'static str {
    let watcher = ctx.clone();
    tokio::spawn(async move {
        let cancelled = tokio::time::timeout(Duration::from_secs(1), watcher.cancelled()).await.is_ok();
        WATCHED.lock().unwrap().push(cancelled);
    });
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "watched"
}

/// Works for `ms`, then asks the user's name (as a task when the client allows it).
#[tool(task = "optional")]
async fn long_job(ctx: Context, ms: u64) -> Result<String, fastmcp::ClientRequestError> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    let answer = ctx.elicit("Name?", json!({"type": "object", "properties": {"name": {"type": "string"}}})).await?;
    Ok(format!("done after {ms} ms for {}", answer.content.unwrap_or_default()["name"].as_str().unwrap_or("?")))
}

struct Http {
    server: Server,
    url: String,
    client: reqwest::Client,
}

const INIT: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"t","version":"0"}}}"#;

impl Http {
    async fn start(options: HttpOptions) -> Http {
        let server = FastMcp::new("http-tests").build().unwrap();
        let s = server.clone();
        tokio::spawn(async move { s.run_http("127.0.0.1:0", options).await });
        server.wait_until_ready().await.unwrap();
        let addr = server.local_addr().unwrap();
        assert_ne!(addr.port(), 0, "the real port is reported");
        Http { server, url: format!("http://{addr}/mcp"), client: reqwest::Client::new() }
    }

    fn server_sessions(&self) -> usize {
        self.server.session_count()
    }

    fn post(&self, session: Option<&str>, body: impl Into<String>) -> reqwest::RequestBuilder {
        let mut r = self
            .client
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(body.into());
        if let Some(s) = session {
            r = r.header("mcp-session-id", s).header("mcp-protocol-version", "2025-11-25");
        }
        r
    }

    async fn init(&self) -> String {
        let resp = self.post(None, INIT).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let session = resp.headers()["mcp-session-id"].to_str().unwrap().to_owned();
        assert!(session.len() >= 32 && session.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{session}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["result"]["protocolVersion"], "2025-11-25");
        let r = self
            .post(Some(&session), r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        session
    }

    fn call(id: i64, tool: &str, args: Value) -> String {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}})
            .to_string()
    }

    /// A `tools/call` answered with JSON, as JSON.
    async fn call_json(&self, session: Option<&str>, id: i64, tool: &str, args: Value) -> Value {
        self.post(session, Http::call(id, tool, args)).send().await.unwrap().json().await.unwrap()
    }
}

/// (id, data) of each SSE event in a complete body.
fn sse_events(text: &str) -> Vec<(Option<String>, String)> {
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut id = None;
            let mut data = String::new();
            for line in e.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            (id, data)
        })
        .collect()
}

/// Reads an SSE response until an event satisfies `done`, returning the events seen.
async fn read_until(resp: reqwest::Response, done: impl Fn(&Value) -> bool) -> Vec<(Option<String>, String)> {
    let mut stream = resp.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let chunk = tokio::time::timeout_at(deadline, stream.next()).await.expect("timed out reading SSE");
        let Some(chunk) = chunk else { break };
        text.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        let events = sse_events(&text);
        if events.iter().any(|(_, d)| serde_json::from_str::<Value>(d).is_ok_and(|v| done(&v))) {
            return events;
        }
    }
    sse_events(&text)
}

#[tokio::test]
async fn plain_requests_get_json_and_notifications_get_202() {
    let h = Http::start(HttpOptions::default()).await;
    let s = h.init().await;
    let resp = h.post(Some(&s), Http::call(1, "add", json!({"a": 1, "b": 2}))).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["result"]["structuredContent"], json!({"result": 3}));
}

#[tokio::test]
async fn notifications_before_the_result_switch_to_sse_with_a_priming_event() {
    let h = Http::start(HttpOptions::default()).await;
    let s = h.init().await;
    let resp = h.post(Some(&s), Http::call(1, "chatty", json!({}))).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let events = sse_events(&resp.text().await.unwrap());
    assert_eq!(events[0].1, "", "priming event has empty data");
    assert!(events[0].0.is_some(), "priming event has an id");
    let messages: Vec<Value> = events[1..].iter().map(|(_, d)| serde_json::from_str(d).unwrap()).collect();
    assert_eq!(messages[0]["params"]["data"], "first");
    assert_eq!(messages[1]["params"]["data"], "second");
    assert_eq!(messages[2]["id"], 1);
    assert_eq!(messages[2]["result"]["content"][0]["text"], "done");
    let ids: Vec<_> = events.iter().filter_map(|(id, _)| id.clone()).collect();
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "event ids are unique");
}

#[tokio::test]
async fn sessions_are_required_checked_and_ended_by_delete() {
    let h = Http::start(HttpOptions::default()).await;
    let r = h.post(None, Http::call(1, "add", json!({"a": 1, "b": 1}))).send().await.unwrap();
    assert_eq!(r.status(), 400, "a non-initialize request needs a session");
    let r = h.post(Some("not-a-session"), Http::call(1, "add", json!({"a": 1, "b": 1}))).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let s = h.init().await;
    let r = h.post(Some(&s), INIT).send().await.unwrap();
    assert_eq!(r.status(), 400, "second initialize on a session");
    let r = h.client.delete(&h.url).header("mcp-session-id", &s).send().await.unwrap();
    assert!(r.status().is_success());
    let r = h.post(Some(&s), Http::call(2, "add", json!({"a": 1, "b": 1}))).send().await.unwrap();
    assert_eq!(r.status(), 404, "ended session");
    let r = h.client.delete(&h.url).header("mcp-session-id", &s).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn protocol_version_header_accepts_supported_versions_only() {
    let h = Http::start(HttpOptions::default()).await;
    let s = h.init().await;
    for (version, status) in [("2025-03-26", 200), ("2025-06-18", 200), ("2024-11-05", 200), ("2099-01-01", 400)] {
        let r = h
            .client
            .post(&h.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-session-id", &s)
            .header("mcp-protocol-version", version)
            .body(Http::call(1, "add", json!({"a": 1, "b": 1})))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{version}");
    }
}

#[tokio::test]
async fn dns_rebinding_protection_checks_host_and_origin() {
    let h = Http::start(HttpOptions::default()).await;
    let r = h.post(None, INIT).header("host", "evil.example.com").send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = h.post(None, INIT).header("origin", "http://evil.example.com").send().await.unwrap();
    assert_eq!(r.status(), 403);
    let port = h.server.local_addr().unwrap().port();
    let r = h.post(None, INIT).header("origin", format!("http://localhost:{port}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn bad_bodies_and_headers() {
    let h = Http::start(HttpOptions::default().max_body_bytes(1024)).await;
    let s = h.init().await;
    let big = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":"{}"}}}}"#, "a".repeat(2048));
    assert_eq!(h.post(Some(&s), big).send().await.unwrap().status(), 413);
    let r = h.post(Some(&s), "{not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], -32700);
    let r = h
        .client
        .post(&h.url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "text/plain")
        .body(INIT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = h
        .client
        .post(&h.url)
        .header("accept", "text/html")
        .header("content-type", "application/json")
        .body(INIT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 406);
    let r = h.client.put(&h.url).send().await.unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn server_requests_travel_on_the_call_stream_and_answers_are_matched_by_id() {
    let h = Http::start(HttpOptions::default()).await;
    let s = h.init().await;
    let resp = h.post(Some(&s), Http::call(5, "ask", json!({}))).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut stream = resp.bytes_stream();
    let mut text = String::new();
    let request = loop {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap().unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        if let Some(v) = sse_events(&text)
            .iter()
            .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
            .find(|v| v["method"] == "elicitation/create")
        {
            break v;
        }
    };
    let answer =
        json!({"jsonrpc": "2.0", "id": request["id"], "result": {"action": "accept", "content": {"name": "Ada"}}});
    assert_eq!(h.post(Some(&s), answer.to_string()).send().await.unwrap().status(), 202);
    let mut rest = String::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap() {
        rest.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
    }
    let result: Value = sse_events(&rest).iter().find_map(|(_, d)| serde_json::from_str(d).ok()).unwrap();
    assert_eq!(result["id"], 5);
    assert_eq!(result["result"]["content"][0]["text"], "hello Ada");
}

#[tokio::test]
async fn a_closed_stream_resumes_with_last_event_id_and_replays_only_itself() {
    let h = Http::start(HttpOptions::default().sse_retry(Duration::from_millis(10))).await;
    let s = h.init().await;
    // Another stream's events must not leak into the resumed one.
    let other = h.post(Some(&s), Http::call(1, "chatty", json!({}))).send().await.unwrap();
    let other_events = sse_events(&other.text().await.unwrap());
    let resp = h.post(Some(&s), Http::call(2, "polling", json!({}))).send().await.unwrap();
    let first = sse_events(&resp.text().await.unwrap());
    assert!(first[0].1.is_empty(), "priming event");
    let messages: Vec<Value> = first.iter().filter_map(|(_, d)| serde_json::from_str(d).ok()).collect();
    assert_eq!(messages.len(), 1, "the connection closed before the result: {messages:?}");
    let last_id = first.last().unwrap().0.clone().unwrap();
    assert_ne!(
        last_id.split('-').next(),
        other_events[0].0.as_ref().unwrap().split('-').next(),
        "ids name their stream"
    );

    let resumed = h
        .client
        .get(&h.url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &s)
        .header("last-event-id", &last_id)
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), 200);
    let events = read_until(resumed, |v| v["id"] == 2).await;
    let messages: Vec<Value> = events.iter().filter_map(|(_, d)| serde_json::from_str(d).ok()).collect();
    assert_eq!(messages.first().unwrap()["params"]["data"], "after close", "no replay of what was already seen");
    assert_eq!(messages.last().unwrap()["result"]["content"][0]["text"], "finished after reconnect");
    assert!(messages.iter().all(|m| m["params"]["data"] != "first"), "other streams are not replayed");
}

#[tokio::test]
async fn the_standalone_stream_carries_list_changes_and_is_unique() {
    let h = Http::start(HttpOptions::default()).await;
    let s = h.init().await;
    let get = || h.client.get(&h.url).header("accept", "text/event-stream").header("mcp-session-id", &s).send();
    let stream = get().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(get().await.unwrap().status(), 409, "one standalone stream per session");
    let server = h.server.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.remove_tool("slow").await;
    });
    let events = read_until(stream, |v| v["method"] == "notifications/tools/list_changed").await;
    assert!(events.iter().any(|(_, d)| d.contains("notifications/tools/list_changed")));
}

#[tokio::test]
async fn concurrent_posts_on_one_session_are_served_concurrently() {
    let h = Http::start(HttpOptions::default()).await;
    let s = h.init().await;
    let started = std::time::Instant::now();
    let calls = (0..3).map(|i| h.post(Some(&s), Http::call(i, "slow", json!({"ms": 300}))).send());
    let results = futures::future::join_all(calls).await;
    for r in results {
        let v: Value = r.unwrap().json().await.unwrap();
        assert_eq!(v["result"]["content"][0]["text"], "slept 300");
    }
    assert!(started.elapsed() < Duration::from_millis(850), "{:?}", started.elapsed());
}

#[tokio::test]
async fn stateless_mode_answers_json_without_sessions() {
    let h = Http::start(HttpOptions::default().stateless(true)).await;
    let r = h.post(None, INIT).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("mcp-session-id").is_none());
    let r = h.post(None, Http::call(1, "chatty", json!({}))).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["result"]["content"][0]["text"], "done");
    let r = h.client.get(&h.url).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(r.status(), 405);
    let r = h.client.delete(&h.url).send().await.unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn a_dropped_stateless_post_cancels_what_its_handler_started() {
    // The call's own future is dropped with its POST; what the handler spawned learns of it
    // through the call's cancellation, and a call that finishes cancels nothing.
    let h = Http::start(HttpOptions::default().stateless(true)).await;
    let post = h.post(None, Http::call(1, "watched", json!({"ms": 2000}))).send();
    assert!(tokio::time::timeout(Duration::from_millis(200), post).await.is_err(), "answered too soon");
    let v = h.call_json(None, 2, "watched", json!({"ms": 10})).await;
    assert_eq!(v["result"]["content"][0]["text"], "watched");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(*WATCHED.lock().unwrap(), [true, false]);
}

#[tokio::test]
async fn a_stateless_handler_asking_the_client_is_refused_at_once() {
    // Stateless mode answers with JSON only, so a request to the client has no stream to
    // travel on (and no initialize declared the capability): asking fails at once, as a
    // result the model reads, instead of waiting out the request timeout.
    let h = Http::start(HttpOptions::default().stateless(true)).await;
    let started = std::time::Instant::now();
    let r = h.post(None, Http::call(1, "ask", json!({}))).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let v: Value = r.json().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(v["id"], 1);
    assert_eq!(v["result"]["isError"], true, "{v}");
}

#[tokio::test]
async fn what_a_handler_sends_after_its_answer_does_not_reach_the_next_request() {
    // A session's requests reuse one answer channel, but only when nothing can still write to
    // it: the log sent by the first call's leftover task, while the second call runs, must
    // not become the start of the second call's answer.
    let h = Http::start(HttpOptions::default()).await;
    let s = h.init().await;
    let r = h.post(Some(&s), Http::call(1, "lingering", json!({"ms": 100}))).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.json::<Value>().await.unwrap()["result"]["content"][0]["text"], "answered");
    let r = h.post(Some(&s), Http::call(2, "slow", json!({"ms": 400}))).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json", "the late log opened a stream");
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["id"].as_i64(), &v["result"]["content"][0]["text"]), (Some(2), &json!("slept 400")));
    // Sequential calls that leave nothing behind are answered as before.
    for id in 3..6 {
        let v = h.call_json(Some(&s), id, "add", json!({"a": id, "b": 1})).await;
        assert_eq!((v["id"].as_i64(), &v["result"]["structuredContent"]), (Some(id), &json!({"result": id + 1})));
    }
}

#[tokio::test]
async fn a_call_cancelled_in_a_session_ends_its_post() {
    // notifications/cancelled stops the handler. The call gets no response, and its POST
    // ends instead of waiting for one; the session goes on.
    let h = Http::start(HttpOptions::default()).await;
    let s = h.init().await;
    let post = tokio::spawn(h.post(Some(&s), Http::call(9, "hang", json!({}))).send());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}});
    assert_eq!(h.post(Some(&s), cancel.to_string()).send().await.unwrap().status(), 202);
    let body =
        tokio::time::timeout(Duration::from_secs(5), async { post.await.unwrap().unwrap().text().await.unwrap() })
            .await
            .expect("the cancelled call's POST ended");
    assert!(!body.contains("\"result\""), "{body}");
    let v = h.call_json(Some(&s), 10, "add", json!({"a": 1, "b": 2})).await;
    assert_eq!(v["result"]["structuredContent"], json!({"result": 3}));
}

#[tokio::test]
async fn shutdown_closes_the_listener() {
    let h = Http::start(HttpOptions::default()).await;
    let s = h.init().await;
    let _stream =
        h.client.get(&h.url).header("accept", "text/event-stream").header("mcp-session-id", &s).send().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), h.server.shutdown())
        .await
        .expect("shutdown is not held up by open streams");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(h.post(None, INIT).send().await.is_err(), "no longer accepting");
}

#[tokio::test]
async fn sse_always_answers_plain_calls_as_a_complete_stream() {
    let h = Http::start(HttpOptions::default().sse_always(true)).await;
    let s = h.init().await;
    let resp = h.post(Some(&s), Http::call(7, "add", json!({"a": 2, "b": 2}))).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let events = sse_events(&resp.text().await.unwrap());
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].1, "", "priming event first");
    let result: Value = serde_json::from_str(&events[1].1).unwrap();
    assert_eq!((result["id"].as_i64(), &result["result"]["structuredContent"]), (Some(7), &json!({"result": 4})));
    assert_ne!(events[0].0, events[1].0);
}

#[tokio::test]
async fn idle_sessions_are_ended() {
    let h = Http::start(HttpOptions::default().session_idle_timeout(Duration::from_millis(200))).await;
    let active = h.init().await;
    let idle = h.init().await;
    // Keep one session busy while the other sits idle past the timeout.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(75)).await;
        let r = h.post(Some(&active), Http::call(1, "add", json!({"a": 1, "b": 1}))).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = h.post(Some(&idle), Http::call(1, "add", json!({"a": 1, "b": 1}))).send().await.unwrap();
    assert_eq!(r.status(), 404, "the idle session was ended");
}

// ---------------------------------------------------------------------------------------------
// fastmcp's own Client over Streamable HTTP
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_client_over_http_calls_streams_logs_answers_elicitation_and_ends_its_session() {
    let h = Http::start(HttpOptions::default()).await;
    let c = fastmcp::Client::builder()
        .capabilities(json!({"elicitation": {}}))
        .on_request(|method, _| async move {
            assert_eq!(method, "elicitation/create");
            Ok(json!({"action": "accept", "content": {"name": "Ada"}}))
        })
        .connect_http(&h.url)
        .await
        .unwrap();
    assert_eq!(c.initialize_result()["serverInfo"]["name"], "http-tests");
    assert_eq!(h.server_sessions(), 1);
    let r = c.call_tool("add", json!({"a": 2, "b": 40})).await.unwrap();
    assert_eq!(r.structured_content, Some(json!({"result": 42})));
    // Logs arrive on the call's SSE stream, before the result.
    c.set_logging_level(fastmcp::protocol::LoggingLevel::Debug).await.unwrap();
    let r = c.call_tool("chatty", json!({})).await.unwrap();
    assert_eq!(r.text_content(), "done");
    let logs: Vec<String> = c.drain_notifications().await.into_iter().map(|n| n.method).collect();
    assert!(logs.iter().filter(|m| *m == "notifications/message").count() >= 2, "{logs:?}");
    // A server-to-client request travels on the call stream and is answered by POST.
    assert_eq!(c.call_tool("ask", json!({})).await.unwrap().text_content(), "hello Ada");
    // Concurrent calls.
    let (a, b) = tokio::join!(c.call_tool("slow", json!({"ms": 100})), c.call_tool("add", json!({"a": 1, "b": 1})));
    assert_eq!(
        (a.unwrap().text_content(), b.unwrap().structured_content),
        ("slept 100".into(), Some(json!({"result": 2})))
    );
    let e = c.call_tool("nope", json!({})).await.unwrap_err();
    assert_eq!(e.rpc().unwrap().code, -32602);
    drop(c);
    // Dropping the client DELETEs its session.
    for _ in 0..50 {
        if h.server_sessions() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(h.server_sessions(), 0, "the session was not ended");
}

#[tokio::test]
async fn the_client_over_http_sends_its_bearer_token_and_reports_refusals() {
    let options = HttpOptions::default().bearer_token("s3cret", "ci");
    let h = Http::start(options).await;
    let refused = fastmcp::Client::connect_http(&h.url).await.err().expect("no token, no session");
    assert!(refused.rpc().is_some_and(|e| e.message.contains("401")), "{refused}");
    let c = fastmcp::Client::builder().bearer_token("s3cret").connect_http(&h.url).await.unwrap();
    c.ping().await.unwrap();
    let unreachable =
        fastmcp::Client::connect_http("http://127.0.0.1:9/mcp").await.err().expect("nothing listens there");
    assert!(
        matches!(&unreachable, fastmcp::ClientError::Unreachable(why) if why.contains("could not be reached")),
        "not a server's answer but a failure to reach it: {unreachable:?}"
    );
}

#[tokio::test]
async fn the_client_speaks_2026_07_28_over_http_and_in_memory() {
    let h = Http::start(HttpOptions::default()).await;
    let builder = || {
        fastmcp::Client::builder()
            .protocol_version(fastmcp::rev2026::REV2026_VERSION)
            .capabilities(json!({"elicitation": {}}))
            .on_request(|method, _| async move {
                assert_eq!(method, "elicitation/create");
                Ok(json!({"action": "accept", "content": {"name": "Ada"}}))
            })
    };
    let over_http = builder().connect_http(&h.url).await.unwrap();
    let in_memory = builder().connect(&h.server).await.unwrap();
    assert_eq!(h.server_sessions(), 1, "only the in-memory connection: no HTTP session");
    for c in [&over_http, &in_memory] {
        assert!(c.is_rev2026());
        assert_eq!(c.initialize_result()["serverInfo"]["name"], "http-tests");
        assert_eq!(c.initialize_result()["protocolVersion"], "2026-07-28");
        c.ping().await.unwrap();
        let r = c.call_tool("add", json!({"a": 2, "b": 40})).await.unwrap();
        assert_eq!(r.structured_content, Some(json!({"result": 42})));
        // Elicitation is an `input_required` result, answered and retried (SEP-2322).
        assert_eq!(c.call_tool("ask", json!({})).await.unwrap().text_content(), "hello Ada");
        // The server turns a long call into a task (the tasks extension); `call_tool` follows
        // it, answering its input request with tasks/update.
        let r = c.call_tool("long_job", json!({"ms": 100})).await.unwrap();
        assert_eq!(r.text_content(), "done after 100 ms for Ada");
        let task = c.call_tool_as_task("long_job", json!({"ms": 50}), None).await.unwrap();
        assert!(!task.ran_inline() && !task.id().is_empty(), "{task:?}");
        assert_eq!(task.tool_result().await.unwrap().text_content(), "done after 50 ms for Ada");
        assert_eq!(task.status().await.unwrap().status, "completed");
        let inline = c.call_tool_as_task("add", json!({"a": 1, "b": 1}), None).await.unwrap();
        assert!(inline.ran_inline());
        assert_eq!(inline.tool_result().await.unwrap().structured_content, Some(json!({"result": 2})));
        let e = c.call_tool("nope", json!({})).await.unwrap_err();
        assert_eq!(e.rpc().unwrap().code, -32602);
        // Giving up on a call cancels it: on HTTP by closing its stream, in memory by
        // notifications/cancelled.
        let before = HANG_DROPPED.load(std::sync::atomic::Ordering::SeqCst);
        assert!(tokio::time::timeout(Duration::from_millis(200), c.call_tool("hang", json!({}))).await.is_err());
        for _ in 0..100 {
            if HANG_DROPPED.load(std::sync::atomic::Ordering::SeqCst) > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(HANG_DROPPED.load(std::sync::atomic::Ordering::SeqCst) > before, "the handler was not cancelled");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_post_ends_a_stateless_call_but_not_a_sessions() {
    use std::sync::atomic::Ordering::SeqCst;
    // Stateful: the client's connection goes away mid-call; a disconnection is not a
    // cancellation (2025-11-25 transports), so the call runs to its end.
    let h = Http::start(HttpOptions::default()).await;
    let session = h.init().await;
    let (finished, abandoned) = (FINISHED.load(SeqCst), ABANDONED.load(SeqCst));
    let post = h.post(Some(&session), Http::call(1, "finish_line", json!({"ms": 300}))).send();
    assert!(tokio::time::timeout(Duration::from_millis(100), post).await.is_err(), "answered too soon");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!((FINISHED.load(SeqCst) - finished, ABANDONED.load(SeqCst) - abandoned), (1, 0));
    // Stateless: nothing can follow the call once its POST is gone, so it stops with it.
    let h = Http::start(HttpOptions { stateless: true, ..Default::default() }).await;
    let (finished, abandoned) = (FINISHED.load(SeqCst), ABANDONED.load(SeqCst));
    let post = h.post(None, Http::call(1, "finish_line", json!({"ms": 300}))).send();
    assert!(tokio::time::timeout(Duration::from_millis(100), post).await.is_err(), "answered too soon");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!((FINISHED.load(SeqCst) - finished, ABANDONED.load(SeqCst) - abandoned), (0, 1));
    // And a call whose client stays gets its answer, on either.
    let v: Value =
        h.post(None, Http::call(2, "finish_line", json!({"ms": 10}))).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["result"]["content"][0]["text"], "finished");
}
