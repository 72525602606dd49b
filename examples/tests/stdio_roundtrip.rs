//! Spawns the quickstart binary and talks MCP to it over its stdin/stdout.

use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Peer {
    fn spawn() -> Peer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quickstart"))
            .env("FASTMCP_LOG", "debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn quickstart");
        let stdin = child.stdin.take();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Peer { child, stdin, lines }
    }

    async fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
    }

    async fn send(&mut self, message: Value) {
        self.send_raw(&format!("{message}\n")).await
    }

    /// The next line of stdout, which must be one JSON-RPC message.
    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(10), self.lines.next_line())
            .await
            .expect("timed out waiting for the server")
            .unwrap()
            .expect("stdout closed");
        let v: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("stdout carried a non-JSON line {line:?}: {e}"));
        assert_eq!(v["jsonrpc"], "2.0", "{line}");
        v
    }

    async fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        let v = self.recv().await;
        assert_eq!(v["id"], id, "{v}");
        v
    }

    async fn initialize(&mut self) -> Value {
        let init = self
            .request(1, "initialize", json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}))
            .await;
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        init
    }
}

#[tokio::test]
async fn quickstart_round_trip_tool_resource_prompt() {
    let mut peer = Peer::spawn();
    let init = peer.initialize().await;
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
    assert_eq!(init["result"]["serverInfo"]["name"], "quickstart");

    let r = peer.request(2, "tools/call", json!({"name": "add", "arguments": {"a": 2, "b": 3}})).await;
    assert_eq!(r["result"]["structuredContent"], json!({"result": 5}));
    assert_eq!(r["result"]["content"][0]["text"], "5");

    let r = peer.request(3, "resources/read", json!({"uri": "greeting://Ferris"})).await;
    assert_eq!(r["result"]["contents"][0]["text"], "Hello, Ferris!");

    let r = peer
        .request(
            4,
            "prompts/get",
            json!({"name": "review_code", "arguments": {"code": "fn main() {}", "language": "rust"}}),
        )
        .await;
    assert_eq!(r["result"]["messages"][0]["content"]["text"], "Please review this rust code:\n\nfn main() {}");

    // Closing stdin ends the server cleanly.
    drop(peer.stdin.take());
    let status = tokio::time::timeout(Duration::from_secs(10), peer.child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut peer.child.stderr.take().unwrap(), &mut stderr).await.unwrap();
    assert!(!stderr.is_empty(), "debug logs go to stderr");
}

#[tokio::test]
async fn malformed_lines_get_errors_and_the_server_stays_up() {
    let mut peer = Peer::spawn();
    peer.initialize().await;
    peer.send_raw("this is not json\n").await;
    let e = peer.recv().await;
    assert_eq!((e["error"]["code"].as_i64(), &e["id"]), (Some(-32700), &Value::Null));
    peer.send_raw("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":7}\n").await;
    let e = peer.recv().await;
    assert_eq!((e["error"]["code"].as_i64(), &e["id"]), (Some(-32600), &json!(9)));
    peer.send_raw("[1,2]\n\n\r\n").await;
    assert_eq!(peer.recv().await["error"]["code"], -32600);
    peer.send_raw(&[0xff, 0xfe, b'\n'].iter().map(|b| *b as char).collect::<String>()).await;
    assert_eq!(peer.recv().await["error"]["code"], -32700);
    let r = peer.request(10, "ping", json!({})).await;
    assert_eq!(r["result"], json!({}));
    // A last line without its newline is still read at EOF.
    peer.send_raw("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"ping\"}").await;
    drop(peer.stdin.take());
    assert_eq!(peer.recv().await["id"], 11);
    let status = tokio::time::timeout(Duration::from_secs(10), peer.child.wait()).await.unwrap().unwrap();
    assert!(status.success());
}
