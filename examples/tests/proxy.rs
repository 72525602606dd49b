//! Proxies: a downstream client, a proxy server in this process (reached in memory or over
//! Streamable HTTP), and an upstream server in another process (the conformance fixture) over
//! stdio and over Streamable HTTP. Sampling,
//! elicitation, progress and logs round-trip through the proxy; the upstream restarts and the
//! proxy recovers.

use fastmcp::prelude::*;
use fastmcp::proxy::Remote;
use fastmcp::{Client, ErrorObject};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FIXTURE: &str = env!("CARGO_BIN_EXE_conformance");

/// A downstream client that answers sampling, elicitation and roots, and records what it was
/// asked.
async fn downstream(server: &fastmcp::Server, asked: Arc<Mutex<Vec<(String, Value)>>>) -> Client {
    answering(asked).connect(server).await.expect("connect to the proxy")
}

fn answering(asked: Arc<Mutex<Vec<(String, Value)>>>) -> fastmcp::ClientBuilder {
    Client::builder().capabilities(json!({ "sampling": {}, "elicitation": {}, "roots": {} })).on_request(move |method, params| {
        asked.lock().unwrap().push((method.clone(), params));
        async move {
            match method.as_str() {
                "sampling/createMessage" => Ok(json!({
                    "role": "assistant",
                    "content": { "type": "text", "text": "from the downstream client" },
                    "model": "test-model",
                })),
                "elicitation/create" => {
                    Ok(json!({ "action": "accept", "content": { "username": "ferris", "email": "f@example.com", "name": "ferris" } }))
                }
                "roots/list" => Ok(json!({ "roots": [{ "uri": "file:///downstream", "name": "downstream" }] })),
                other => Err(ErrorObject::method_not_found(other)),
            }
        }
    })
}

fn text(r: &fastmcp::CallToolResult) -> String {
    serde_json::to_value(r).unwrap()["content"][0]["text"].as_str().unwrap_or_default().to_owned()
}

fn names(list: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = list.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    n.sort();
    n
}

#[tokio::test]
async fn a_proxy_serves_a_stdio_upstream_as_its_own() {
    let direct = Client::spawn(FIXTURE, ["--stdio"]).await.expect("the fixture over stdio");
    let proxy = FastMcp::proxy("proxy", Remote::stdio(FIXTURE, ["--stdio"])).build().unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let c = downstream(&proxy, asked.clone()).await;

    // The same lists, the same schemas; nothing of this binary's own.
    let upstream_tools = direct.list_tools().await.unwrap();
    let tools = c.list_tools().await.unwrap();
    assert_eq!(names(&tools), names(&upstream_tools));
    let schema_of =
        |list: &[Value], name: &str| list.iter().find(|t| t["name"] == name).unwrap()["inputSchema"].clone();
    assert_eq!(schema_of(&tools, "test_sampling"), schema_of(&upstream_tools, "test_sampling"));
    assert_eq!(names(&c.list_prompts().await.unwrap()), names(&direct.list_prompts().await.unwrap()));
    assert_eq!(c.list_resources().await.unwrap().len(), direct.list_resources().await.unwrap().len());
    assert_eq!(c.list_resource_templates().await.unwrap().len(), direct.list_resource_templates().await.unwrap().len());

    let r = c.call_tool("test_simple_text", json!({})).await.unwrap();
    assert_eq!(text(&r), text(&direct.call_tool("test_simple_text", json!({})).await.unwrap()));
    let r = c.call_tool("test_error_handling", json!({})).await.unwrap();
    assert_eq!(r.is_error, Some(true));

    // Sampling, elicitation and roots: the upstream asks the proxy, the proxy asks its client.
    let r = c.call_tool("test_sampling", json!({ "prompt": "hello through the proxy" })).await.unwrap();
    assert_eq!(text(&r), "LLM response: from the downstream client", "{r:?}");
    let r = c.call_tool("test_elicitation", json!({ "message": "who are you?" })).await.unwrap();
    assert!(text(&r).contains("ferris"), "{r:?}");
    let r = c.call_tool("test_input_required_result_list_roots", json!({})).await.unwrap();
    assert_eq!(text(&r), "roots: file:///downstream", "{r:?}");
    {
        let asked = asked.lock().unwrap();
        assert_eq!(asked.len(), 3, "{asked:?}");
        assert_eq!(asked[2].0, "roots/list");
        assert_eq!(asked[0].0, "sampling/createMessage");
        assert_eq!(asked[0].1["messages"][0]["content"]["text"], "hello through the proxy");
        assert_eq!(asked[1].0, "elicitation/create");
        assert_eq!(asked[1].1["message"], "who are you?");
    }

    // Progress comes back with the downstream client's own token; logs come back too.
    c.drain_notifications().await;
    c.request(
        "tools/call",
        json!({ "name": "test_tool_with_progress", "arguments": {}, "_meta": { "progressToken": 7 } }),
    )
    .await
    .unwrap();
    let progress = fastmcp_tests::drained(&c, "notifications/progress").await;
    assert_eq!(progress.len(), 3, "{progress:?}");
    assert!(progress.iter().all(|p| p["progressToken"] == 7), "{progress:?}");
    assert_eq!(progress[2]["progress"], 100.0);
    c.set_logging_level(fastmcp::protocol::LoggingLevel::Debug).await.unwrap();
    c.call_tool("test_tool_with_logging", json!({})).await.unwrap();
    let logs = c.drain_notifications().await.into_iter().filter(|n| n.method == "notifications/message").count();
    assert_eq!(logs, 3);

    // Prompts and resources.
    let p = c.get_prompt("test_prompt_with_arguments", json!({ "arg1": "a", "arg2": "b" })).await.unwrap();
    assert!(p.messages[0].content.as_text().unwrap().contains("arg1='a'"));
    let r = serde_json::to_value(c.read_resource("test://static-text").await.unwrap()).unwrap();
    assert_eq!(r["contents"][0]["text"], "This is the content of the static text resource.");
    let r = serde_json::to_value(c.read_resource("test://template/42/data").await.unwrap()).unwrap();
    assert_eq!(r["contents"][0]["uri"], "test://template/42/data");

    // Tasks are not forwarded: a task-augmented call gets the spec's error.
    let e = c
        .request("tools/call", json!({ "name": "test_simple_text", "arguments": {}, "task": { "ttl": 60000 } }))
        .await
        .unwrap_err();
    assert_eq!(e.rpc().map(|e| e.code), Some(-32601), "{e:?}");
    proxy.shutdown().await;
}

#[tokio::test]
async fn a_remote_mount_sits_next_to_local_tools_and_survives_a_restarted_child() {
    // A unique argument names this test's upstream process, so the test can kill it.
    let tag = format!("proxy-test-{}", std::process::id());
    let remote = Remote::stdio(FIXTURE, ["--stdio".to_owned(), "--tag".to_owned(), tag.clone()]);
    let local = fastmcp::Tool::new("local_echo", json!({ "type": "object" }), |_, _| async {
        fastmcp::CallToolResult::text("local")
    });
    let server = FastMcp::new("app").dynamic_tool(local).mount_remote("up", remote).build().unwrap();
    let c = downstream(&server, Arc::default()).await;
    let tools = names(&c.list_tools().await.unwrap());
    assert!(tools.contains(&"local_echo".to_owned()) && tools.contains(&"up_test_simple_text".to_owned()), "{tools:?}");
    assert!(!tools.contains(&"test_simple_text".to_owned()), "{tools:?}");
    let r = serde_json::to_value(c.read_resource("test://up/template/7/data").await.unwrap()).unwrap();
    assert_eq!(r["contents"][0]["uri"], "test://up/template/7/data", "{r}");
    assert!(r["contents"][0]["text"].as_str().unwrap().contains("Data for ID: 7"), "{r}");

    // The upstream dies: calls say so at once, and the proxy spawns it again.
    let pid = |tag: &str| {
        String::from_utf8(std::process::Command::new("pgrep").args(["-f", tag]).output().unwrap().stdout).unwrap()
    };
    let first = pid(&tag);
    assert!(!first.trim().is_empty());
    // SIGKILL, a crash: no graceful drain answers one more call.
    let killed = std::process::Command::new("pkill").args(["-KILL", "-f", &tag]).status().unwrap();
    assert!(killed.success());
    while pid(&tag) == first {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut saw_unavailable = false;
    loop {
        let r = c.call_tool("up_test_simple_text", json!({})).await.unwrap();
        if r.is_error != Some(true) {
            break;
        }
        assert!(text(&r).contains("unavailable"), "{r:?}");
        saw_unavailable = true;
        assert!(tokio::time::Instant::now() < deadline, "the proxy did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = pid(&tag);
    assert!(!second.trim().is_empty() && second != first, "not a new upstream process: {first} / {second}");
    eprintln!("calls answered `unavailable` while reconnecting: {saw_unavailable}");
    assert_eq!(c.call_tool("local_echo", json!({})).await.unwrap().is_error, None);
    server.shutdown().await;
    // Shutdown closes the connection: the child is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let left = std::process::Command::new("pgrep").args(["-f", &tag]).output().unwrap();
    assert!(left.stdout.is_empty(), "the upstream outlived the proxy");
}

/// Starts the fixture over HTTP on `port` (0: any) and returns it with its URL.
fn start_http(port: u16) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(FIXTURE)
        .args(["--port", &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the fixture");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (child, line.trim().strip_prefix("listening on ").expect("listening line").to_owned())
}

#[tokio::test]
async fn the_proxy_recovers_when_its_http_upstream_restarts() {
    let (mut upstream, url) = start_http(0);
    let port: u16 = url.rsplit(':').next().unwrap().trim_end_matches("/mcp").parse().unwrap();
    // The proxy serves Streamable HTTP too: HTTP on both sides.
    let proxy = FastMcp::proxy("proxy", Remote::http(url.clone())).build().unwrap();
    let serving = {
        let proxy = proxy.clone();
        tokio::spawn(async move { proxy.run_http(("127.0.0.1", 0), HttpOptions::default()).await })
    };
    proxy.wait_until_ready().await.unwrap();
    let proxy_url = format!("http://{}/mcp", proxy.local_addr().unwrap());
    let asked = Arc::new(Mutex::new(Vec::new()));
    let c = answering(asked.clone()).connect_http(&proxy_url).await.expect("connect to the proxy over HTTP");
    let r = c.call_tool("test_sampling", json!({ "prompt": "over http" })).await.unwrap();
    assert_eq!(text(&r), "LLM response: from the downstream client", "{r:?}");

    upstream.kill().unwrap();
    upstream.wait().unwrap();
    let r = c.call_tool("test_simple_text", json!({})).await.unwrap();
    assert_eq!(r.is_error, Some(true), "{r:?}");
    assert!(text(&r).contains("unavailable"), "{r:?}");

    // The same address again: a new process, which knows nothing of the old session.
    let (mut upstream, _) = start_http(port);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let r = c.call_tool("test_sampling", json!({ "prompt": "after the restart" })).await.unwrap();
        if r.is_error != Some(true) {
            assert_eq!(text(&r), "LLM response: from the downstream client", "{r:?}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the proxy did not recover: {r:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(asked.lock().unwrap().last().unwrap().1["messages"][0]["content"]["text"], "after the restart");
    proxy.shutdown().await;
    let _ = serving.await;
    let _ = upstream.kill();
    let _ = upstream.wait();
}

#[tokio::test]
async fn an_unreachable_upstream_fails_the_start_with_its_name() {
    let proxy = FastMcp::proxy("proxy", Remote::stdio("/nonexistent/mcp-server", [] as [&str; 0])).build().unwrap();
    let e = proxy.start().await.unwrap_err().to_string();
    assert!(e.contains("/nonexistent/mcp-server"), "{e}");
}

#[tokio::test]
async fn list_changes_and_cancellation_cross_the_proxy() {
    // The upstream handler's future is dropped when its request is cancelled.
    struct OnDrop(tokio::sync::mpsc::Sender<()>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            let _ = self.0.try_send(());
        }
    }
    let (cancelled_tx, mut cancelled_rx) = tokio::sync::mpsc::channel::<()>(1);
    let slow = fastmcp::Tool::new("slow", json!({ "type": "object" }), move |_, _| {
        let guard = OnDrop(cancelled_tx.clone());
        async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(guard);
            fastmcp::CallToolResult::text("done")
        }
    });
    let upstream = FastMcp::new("upstream").dynamic_tool(slow).build().unwrap();
    let proxy = FastMcp::proxy("proxy", Remote::in_memory(upstream.clone())).build().unwrap();
    let c = downstream(&proxy, Arc::default()).await;
    assert_eq!(names(&c.list_tools().await.unwrap()), ["slow"]);

    // A tool added upstream: the downstream client is told, and sees it.
    c.drain_notifications().await;
    upstream
        .add_tool(fastmcp::Tool::new("added", json!({ "type": "object" }), |_, _| async {
            fastmcp::CallToolResult::text("new")
        }))
        .await;
    let n = tokio::time::timeout(Duration::from_secs(5), c.next_notification()).await.unwrap().unwrap();
    assert_eq!(n.method, "notifications/tools/list_changed");
    assert_eq!(names(&c.list_tools().await.unwrap()), ["added", "slow"]);
    assert_eq!(text(&c.call_tool("added", json!({})).await.unwrap()), "new");
    assert!(upstream.remove_tool("added").await);
    let n = tokio::time::timeout(Duration::from_secs(5), c.next_notification()).await.unwrap().unwrap();
    assert_eq!(n.method, "notifications/tools/list_changed");
    assert_eq!(names(&c.list_tools().await.unwrap()), ["slow"]);

    // The downstream client gives up on a call: the upstream handler is cancelled.
    let gave_up = tokio::time::timeout(Duration::from_millis(200), c.call_tool("slow", json!({}))).await;
    assert!(gave_up.is_err());
    tokio::time::timeout(Duration::from_secs(5), cancelled_rx.recv()).await.expect("cancelled upstream").unwrap();
    proxy.shutdown().await;
}

#[tokio::test]
async fn a_2025_client_through_a_proxy_to_a_2026_07_28_upstream() {
    let (mut upstream, url) = start_http(0);
    let remote = Remote::custom("fixture-2026", move |b| {
        let url = url.clone();
        async move { b.protocol_version(fastmcp::rev2026::REV2026_VERSION).connect_http(&url).await }
    });
    let proxy = FastMcp::proxy("proxy", remote).build().unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let c = downstream(&proxy, asked.clone()).await;
    // The upstream's input request (an `input_required` result on 2026-07-28) becomes an
    // elicitation request to the 2025-11-25 client downstream.
    let r = c.call_tool("test_streaming_elicitation", json!({})).await.unwrap();
    assert_eq!(text(&r), "Hello, ferris!", "{r:?}");
    assert_eq!(asked.lock().unwrap()[0].0, "elicitation/create");
    let r = c.call_tool("test_simple_text", json!({})).await.unwrap();
    assert!(!text(&r).is_empty());
    proxy.shutdown().await;
    let _ = upstream.kill();
    let _ = upstream.wait();
}

#[tokio::test]
async fn an_upstream_that_stops_waiting_cancels_its_request_downstream() {
    // The upstream asks for sampling but gives up after 200 ms.
    let asks_briefly = fastmcp::Tool::new("asks_briefly", json!({ "type": "object" }), |_, ctx| async move {
        let answer = tokio::time::timeout(Duration::from_millis(200), ctx.sample("hello?", 10)).await;
        fastmcp::CallToolResult::text(if answer.is_err() { "gave up" } else { "answered" })
    });
    let upstream = FastMcp::new("upstream").dynamic_tool(asks_briefly).build().unwrap();
    let proxy = FastMcp::proxy("proxy", Remote::in_memory(upstream)).build().unwrap();
    // The downstream client never answers; its handler is dropped when it is cancelled.
    struct OnDrop(tokio::sync::mpsc::Sender<()>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            let _ = self.0.try_send(());
        }
    }
    let (dropped_tx, mut dropped_rx) = tokio::sync::mpsc::channel::<()>(1);
    let c = Client::builder()
        .capabilities(json!({ "sampling": {} }))
        .on_request(move |_, _| {
            let guard = OnDrop(dropped_tx.clone());
            async move {
                std::future::pending::<()>().await;
                drop(guard);
                Ok(json!({}))
            }
        })
        .connect(&proxy)
        .await
        .unwrap();
    let r = c.call_tool("asks_briefly", json!({})).await.unwrap();
    assert_eq!(text(&r), "gave up");
    // upstream -> proxy (notifications/cancelled) -> downstream client: the handler is stopped.
    tokio::time::timeout(Duration::from_secs(5), dropped_rx.recv()).await.expect("cancelled downstream").unwrap();
    proxy.shutdown().await;
}
