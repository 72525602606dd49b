//! `fastmcp::Client` against a server in another process, over stdio: the quickstart binary,
//! and (when it is installed, as `scripts/interop.sh` does) a Python FastMCP server.

use fastmcp::Client;
use fastmcp::prelude::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn the_client_drives_a_child_process_over_stdio() {
    let c =
        tokio::time::timeout(Duration::from_secs(20), Client::spawn(env!("CARGO_BIN_EXE_quickstart"), [] as [&str; 0]))
            .await
            .expect("initialize in time")
            .expect("spawn and initialize");
    assert_eq!(c.initialize_result()["serverInfo"]["name"], "quickstart");
    c.ping().await.unwrap();
    let tools: Vec<String> =
        c.list_tools().await.unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    assert!(tools.contains(&"add".to_owned()), "{tools:?}");
    let r = c.call_tool("add", json!({"a": 2, "b": 3})).await.unwrap();
    assert_eq!(r.structured_content, Some(json!({"result": 5})));
    let r = c.read_resource("greeting://Ferris").await.unwrap();
    assert_eq!(serde_json::to_value(&r).unwrap()["contents"][0]["text"], "Hello, Ferris!");
    let p = c.get_prompt("review_code", json!({"code": "fn main() {}", "language": "rust"})).await.unwrap();
    assert!(p.messages[0].content.as_text().unwrap().contains("rust"));
    assert_eq!(c.complete_prompt_argument("review_code", "language", "ru").await.unwrap(), ["rust"]);
    let e = c.call_tool("nope", json!({})).await.unwrap_err();
    assert_eq!(e.rpc().unwrap().code, -32602);
    // Progress notifications arrive on the client's notification stream.
    let r = c
        .request(
            "tools/call",
            json!({"name": "stats", "arguments": {"values": [1.0, 3.0]}, "_meta": {"progressToken": "p1"}}),
        )
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["mean"], 2.0);
    let n = tokio::time::timeout(Duration::from_secs(5), c.next_notification()).await.unwrap().unwrap();
    assert_eq!(n.method, "notifications/progress");
}

#[tokio::test]
async fn a_child_that_exits_fails_the_call_instead_of_hanging() {
    // `true` exits at once without answering `initialize`.
    let r = tokio::time::timeout(Duration::from_secs(10), Client::spawn("true", [] as [&str; 0])).await;
    assert!(matches!(r, Ok(Err(fastmcp::ClientError::Closed))), "{:?}", r.map(|c| c.map(|_| ())));
    let missing = Client::spawn("/nonexistent/mcp-server", [] as [&str; 0]).await;
    assert!(matches!(missing, Err(fastmcp::ClientError::Spawn(_))));
}

#[tokio::test]
async fn against_python_fastmcp_over_stdio() {
    // scripts/interop.sh sets FASTMCP_PYTHON to the Python of its FastMCP venv and runs this
    // test; elsewhere it is skipped, loudly.
    let Ok(python) = std::env::var("FASTMCP_PYTHON") else {
        eprintln!("skipped: FASTMCP_PYTHON is not set (scripts/interop.sh runs this test with it)");
        return;
    };
    let server = r#"
from fastmcp import FastMCP
mcp = FastMCP("py-notes")

@mcp.tool
def shout(text: str) -> str:
    """Upper-cases."""
    return text.upper()

@mcp.resource("notes://{id}")
def note(id: str) -> str:
    return f"note {id}"

@mcp.prompt
def ask(topic: str) -> str:
    return f"Tell me about {topic}"

mcp.run(show_banner=False)
"#;
    let c = tokio::time::timeout(Duration::from_secs(60), Client::spawn(&python, ["-c", server]))
        .await
        .expect("Python FastMCP initializes in time")
        .expect("spawn Python FastMCP");
    assert_eq!(c.initialize_result()["serverInfo"]["name"], "py-notes");
    let r = c.call_tool("shout", json!({"text": "hi"})).await.unwrap();
    assert_eq!(r.text_content(), "HI");
    let r = c.read_resource("notes://7").await.unwrap();
    assert_eq!(serde_json::to_value(&r).unwrap()["contents"][0]["text"], "note 7");
    let p = c.get_prompt("ask", json!({"topic": "rust"})).await.unwrap();
    assert_eq!(p.messages[0].content.as_text(), Some("Tell me about rust"));
    assert_eq!(c.list_resource_templates().await.unwrap()[0]["uriTemplate"], "notes://{id}");
    let _ = FastMcp::new("unused"); // the prelude stays in use on machines without Python
}

#[tokio::test]
async fn against_python_fastmcp_over_streamable_http() {
    let Ok(python) = std::env::var("FASTMCP_PYTHON") else {
        eprintln!("skipped: FASTMCP_PYTHON is not set (scripts/interop.sh runs this test with it)");
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = format!(
        r#"
from fastmcp import FastMCP, Context
mcp = FastMCP("py-http")

@mcp.tool
def shout(text: str) -> str:
    """Upper-cases."""
    return text.upper()

@mcp.tool
async def count(n: int, ctx: Context) -> str:
    """Counts, reporting progress."""
    for i in range(1, n + 1):
        await ctx.report_progress(i, n)
    return f"counted {{n}}"

@mcp.tool
async def ask_model(question: str, ctx: Context) -> str:
    """Asks the client's model."""
    answer = await ctx.sample(question)
    return f"model: {{answer.text}}"

mcp.run(transport="http", host="127.0.0.1", port={port}, show_banner=False)
"#
    );
    let mut child = tokio::process::Command::new(&python)
        .args(["-c", &server])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start Python FastMCP");
    let url = format!("http://127.0.0.1:{port}/mcp");
    let progress = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let c = loop {
        let progress = progress.clone();
        let builder = Client::builder()
            .capabilities(json!({ "sampling": {} }))
            .on_progress(move |p| progress.lock().unwrap().push(p.progress))
            .on_request(|method, _| async move {
                assert_eq!(method, "sampling/createMessage");
                Ok(json!({ "role": "assistant", "content": { "type": "text", "text": "42" }, "model": "m" }))
            });
        match builder.connect_http(&url).await {
            Ok(c) => break c,
            Err(e) => {
                assert!(tokio::time::Instant::now() < deadline, "Python FastMCP did not come up: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    assert_eq!(c.initialize_result()["serverInfo"]["name"], "py-http");
    assert_eq!(c.call_tool("shout", json!({"text": "hi"})).await.unwrap().text_content(), "HI");
    let r = c
        .request("tools/call", json!({"name": "count", "arguments": {"n": 3}, "_meta": {"progressToken": "c"}}))
        .await
        .unwrap();
    assert_eq!(r["content"][0]["text"], "counted 3");
    assert_eq!(*progress.lock().unwrap(), [1.0, 2.0, 3.0]);
    assert_eq!(c.call_tool("ask_model", json!({"question": "meaning?"})).await.unwrap().text_content(), "model: 42");
    drop(c);
    let _ = child.kill().await;
}
