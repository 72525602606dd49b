//! `fastmcp::Client`, and a fastmcp proxy, against servers nobody here wrote: the official
//! TypeScript SDK's example servers, run with Node, over stdio and over Streamable HTTP.
//!
//! `scripts/interop.sh` installs the SDK and runs these tests with `TS_SDK_EXAMPLES` set to
//! its `dist/esm/examples/server` folder; elsewhere they are skipped, loudly.

use fastmcp::prelude::*;
use fastmcp::proxy::Remote;
use fastmcp::{Client, ClientBuilder, ErrorObject};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

fn examples() -> Option<PathBuf> {
    match std::env::var("TS_SDK_EXAMPLES") {
        Ok(dir) => Some(PathBuf::from(dir)),
        Err(_) => {
            eprintln!("skipped: TS_SDK_EXAMPLES is not set (scripts/interop.sh runs this test with it)");
            None
        }
    }
}

/// A client that answers sampling with a fixed text and accepts every elicitation.
fn answering() -> ClientBuilder {
    Client::builder().capabilities(json!({ "sampling": {}, "elicitation": {} })).on_request(
        |method, params| async move {
            match method.as_str() {
                "sampling/createMessage" => {
                    let asked = params["messages"][0]["content"]["text"].as_str().unwrap_or_default().to_owned();
                    Ok(json!({
                        "role": "assistant",
                        "content": { "type": "text", "text": format!("summary of {} chars", asked.len()) },
                        "model": "test-model",
                    }))
                }
                "elicitation/create" => Ok(json!({
                    "action": "accept",
                    "content": { "name": "Ferris", "email": "ferris@example.com" },
                })),
                other => Err(ErrorObject::method_not_found(other)),
            }
        },
    )
}

fn node(script: PathBuf) -> tokio::process::Command {
    let mut c = tokio::process::Command::new("node");
    c.arg(script);
    c
}

fn text(r: &fastmcp::CallToolResult) -> String {
    serde_json::to_value(r).unwrap()["content"][0]["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn typescript_sdk_stdio_servers() {
    let Some(dir) = examples() else { return };
    // Structured output.
    let c = Client::builder().spawn(node(dir.join("mcpServerOutputSchema.js"))).await.expect("spawn");
    assert_eq!(c.initialize_result()["serverInfo"]["name"], "mcp-output-schema-high-level-example");
    let tools = c.list_tools().await.unwrap();
    assert!(tools.iter().any(|t| t["name"] == "get_weather" && t["outputSchema"].is_object()), "{tools:?}");
    let r = c.call_tool("get_weather", json!({ "city": "Oslo", "country": "NO" })).await.unwrap();
    let s = r.structured_content.expect("structured content");
    assert!(s["temperature"]["celsius"].is_number(), "{s}");

    // Progress with our token; a bad argument is the SDK's own error.
    let c = Client::builder().spawn(node(dir.join("progressExample.js"))).await.expect("spawn");
    let r = c
        .request("tools/call", json!({ "name": "count", "arguments": { "n": 3 }, "_meta": { "progressToken": "t1" } }))
        .await
        .unwrap();
    assert_eq!(r["content"][0]["text"], "Counted to 3");
    let progress = fastmcp_tests::drained(&c, "notifications/progress").await;
    assert_eq!(progress.len(), 3, "{progress:?}");
    assert!(progress.iter().all(|p| p["progressToken"] == "t1"));
    let r = c.call_tool("count", json!({ "n": 0 })).await;
    assert!(r.is_err() || r.as_ref().unwrap().is_error == Some(true), "{r:?}");

    // Sampling: the server asks our client.
    let c = answering().spawn(node(dir.join("toolWithSampleServer.js"))).await.expect("spawn");
    let r = c.call_tool("summarize", json!({ "text": "0123456789" })).await.unwrap();
    assert!(text(&r).starts_with("summary of "), "{r:?}");
}

#[tokio::test]
async fn typescript_sdk_streamable_http_server() {
    let Some(dir) = examples() else { return };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = node(dir.join("simpleStreamableHttp.js"))
        .env("MCP_PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the TypeScript SDK's server");
    let url = format!("http://127.0.0.1:{port}/mcp");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let c = loop {
        match answering().connect_http(&url).await {
            Ok(c) => break c,
            Err(e) => {
                assert!(tokio::time::Instant::now() < deadline, "the server did not come up: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(c.initialize_result()["serverInfo"]["name"], "simple-streamable-http-server");
    let r = c.call_tool("greet", json!({ "name": "Ferris" })).await.unwrap();
    assert_eq!(text(&r), "Hello, Ferris!");
    // Log notifications on the call's SSE stream, then the result.
    c.drain_notifications().await;
    let r = c.call_tool("multi-greet", json!({ "name": "Ferris" })).await.unwrap();
    assert!(text(&r).contains("Ferris"), "{r:?}");
    let logs = c.drain_notifications().await.into_iter().filter(|n| n.method == "notifications/message").count();
    assert!(logs >= 1, "no log notification arrived");
    // Elicitation: the server asks our client on the call's stream.
    let r = c.call_tool("collect-user-info", json!({ "infoType": "contact" })).await.unwrap();
    assert!(text(&r).contains("Ferris") || serde_json::to_string(&r).unwrap().contains("Ferris"), "{r:?}");
    let resources = c.list_resources().await.unwrap();
    assert!(!resources.is_empty());
    let prompts = c.list_prompts().await.unwrap();
    assert!(prompts.iter().any(|p| p["name"] == "greeting-template"), "{prompts:?}");
    drop(c);
    let _ = server.kill().await;
}

#[tokio::test]
async fn a_fastmcp_proxy_in_front_of_a_typescript_sdk_server() {
    let Some(dir) = examples() else { return };
    let script = dir.join("toolWithSampleServer.js").to_string_lossy().into_owned();
    let proxy = FastMcp::proxy("proxy", Remote::stdio("node", [script])).build().unwrap();
    let c = answering().connect(&proxy).await.expect("connect to the proxy");
    let tools = c.list_tools().await.unwrap();
    assert_eq!(tools.len(), 1, "{tools:?}");
    assert_eq!(tools[0]["name"], "summarize");
    // Sampling crosses the proxy: TypeScript server -> proxy -> our client.
    let r = c.call_tool("summarize", json!({ "text": "0123456789" })).await.unwrap();
    assert!(text(&r).starts_with("summary of "), "{r:?}");
    proxy.shutdown().await;
}
