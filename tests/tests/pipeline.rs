//! One request pipeline: every request, on every transport and in both revisions, is parsed
//! once and passes through the one dispatcher. The dispatcher opens exactly one `mcp.request`
//! span per request; this test records those spans while the same `tools/call` arrives over
//! the in-memory client, stdio, stateful HTTP, stateless HTTP and 2026-07-28 HTTP (and a
//! 2026-07-28 request over memory and stdio), and checks that each produced one span with the
//! right revision, and the same answer.

use fastmcp::prelude::*;
use fastmcp::transport::http::HttpOptions;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Adds two integers.
#[tool]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// (method, revision) of every `mcp.request` span opened.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

struct Recorder(Seen);

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: LayerContext<'_, S>) {
        if attrs.metadata().name() != "mcp.request" {
            return;
        }
        #[derive(Default)]
        struct Fields(String, String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                match field.name() {
                    "method" => self.0 = format!("{value:?}"),
                    "revision" => self.1 = format!("{value:?}").trim_matches('"').to_owned(),
                    _ => {}
                }
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.record_debug(field, &format_args!("{value}"))
            }
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        self.0.lock().unwrap().push((fields.0, fields.1));
    }
}

const V2026: &str = "2026-07-28";

fn envelope() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": V2026,
        "io.modelcontextprotocol/clientCapabilities": {},
    })
}

fn call_params(rev2026: bool) -> Value {
    let mut params = json!({ "name": "add", "arguments": { "a": 2, "b": 3 } });
    if rev2026 {
        params["_meta"] = envelope();
    }
    params
}

/// The text of a `tools/call` result.
fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_else(|| panic!("no text in {result}"))
}

async fn take(seen: &Seen) -> Vec<(String, String)> {
    // Spans open when the dispatch starts; the answer arrives after, so nothing is pending.
    std::mem::take(&mut *seen.lock().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transport_and_revision_passes_through_one_dispatch() {
    let seen: Seen = Arc::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::DEBUG)
        .with(Recorder(seen.clone()));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let server = FastMcp::new("pipeline").tool(add).build().unwrap();
    server.start().await.unwrap();
    let one = |method: &str, revision: &str| vec![(method.to_owned(), revision.to_owned())];

    // In memory, both revisions on one connection.
    let client = Client::connect(&server).await.unwrap();
    take(&seen).await; // initialize
    let r = client.request("tools/call", call_params(false)).await.unwrap();
    assert_eq!(text(&r), "5");
    assert_eq!(take(&seen).await, one("tools/call", "2025-11-25"), "memory, 2025-11-25");
    let r = client.request("tools/call", call_params(true)).await.unwrap();
    assert_eq!(text(&r), "5");
    assert_eq!(r["resultType"], "complete", "shaped for 2026-07-28");
    assert_eq!(take(&seen).await, one("tools/call", V2026), "memory, 2026-07-28");

    // stdio (the same code as `run_stdio`, over a pipe).
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    let (their_read, their_write) = tokio::io::split(theirs);
    let stdio_server = server.clone();
    tokio::spawn(async move {
        fastmcp::transport::stdio::serve(&stdio_server, BufReader::new(their_read), their_write).await
    });
    let (read, mut write) = tokio::io::split(ours);
    let mut lines = BufReader::new(read).lines();
    for (id, rev2026) in [(1, false), (2, true)] {
        let request = json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": call_params(rev2026) });
        write.write_all(format!("{request}\n").as_bytes()).await.unwrap();
        let answer: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
        assert_eq!(text(&answer["result"]), "5");
        let revision = if rev2026 { V2026 } else { "2025-11-25" };
        assert_eq!(take(&seen).await, one("tools/call", revision), "stdio, {revision}");
    }

    // HTTP: a 2025-11-25 session, stateless 2025-11-25, and 2026-07-28 (no session).
    for stateless in [false, true] {
        let http = FastMcp::new("pipeline-http").tool(add).build().unwrap();
        let h = http.clone();
        tokio::spawn(async move { h.run_http("127.0.0.1:0", HttpOptions::default().stateless(stateless)).await });
        http.wait_until_ready().await.unwrap();
        let url = format!("http://{}/mcp", http.local_addr().unwrap());
        let web = reqwest::Client::new();
        let post = |body: Value, session: Option<&str>| {
            let mut r = web
                .post(&url)
                .header("accept", "application/json, text/event-stream")
                .header("content-type", "application/json")
                .body(body.to_string());
            if let Some(s) = session {
                r = r.header("mcp-session-id", s).header("mcp-protocol-version", "2025-11-25");
            }
            r
        };
        let mut session = None;
        if !stateless {
            let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
            let resp = post(init, None).send().await.unwrap();
            session = Some(resp.headers()["mcp-session-id"].to_str().unwrap().to_owned());
            take(&seen).await;
        }
        let request = json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": call_params(false) });
        let answer: Value = post(request, session.as_deref()).send().await.unwrap().json().await.unwrap();
        assert_eq!(text(&answer["result"]), "5");
        assert_eq!(take(&seen).await, one("tools/call", "2025-11-25"), "HTTP, stateless {stateless}");

        let request = json!({ "jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": call_params(true) });
        let answer: Value = web
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", V2026)
            .header("mcp-method", "tools/call")
            .header("mcp-name", "add")
            .body(request.to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(text(&answer["result"]), "5", "{answer}");
        assert_eq!(take(&seen).await, one("tools/call", V2026), "HTTP 2026-07-28, stateless {stateless}");
        http.shutdown().await;
    }

    // A request that does not parse never reaches the dispatcher, on any revision.
    let bad = client.request("tools/call", json!({ "arguments": {} })).await.unwrap_err();
    assert_eq!(bad.rpc().map(|e| e.code), Some(-32602));
    let bad = client.request("server/discover", json!({})).await.unwrap_err();
    assert_eq!(bad.rpc().map(|e| e.code), Some(-32601), "2026-07-28 methods need the 2026 envelope");
    let bad = client.request("resources/subscribe", json!({ "uri": "x://y", "_meta": envelope() })).await.unwrap_err();
    assert_eq!(bad.rpc().map(|e| e.code), Some(-32601), "2025-11-25 methods are not in 2026-07-28");
    assert_eq!(take(&seen).await, vec![], "nothing dispatched");
    server.shutdown().await;
}
