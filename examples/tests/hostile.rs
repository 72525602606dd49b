//! The hostile-client suite: one test per defect of the review "hold up against hostile and
//! careless clients, and shut down without losing work". Real server processes (the `hostile`
//! fixture), real sockets on loopback, real `redis-server`s; every loop is bounded.
//!
//! Tests that measure print a `FIGURE` line (README quotes them):
//! `cargo test -p fastmcp-examples --test hostile -- --nocapture 2>&1 | grep FIGURE`.

use fastmcp_tests::http_client::McpHttp;
use fastmcp_tests::{RedisServer, spawn_announced};
use futures::StreamExt;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const V2026: &str = "2026-07-28";

/// The fixture binary: this build's, or another build's named by `HOSTILE_FIXTURE` (to run the
/// suite against an older server).
fn fixture_bin() -> String {
    std::env::var("HOSTILE_FIXTURE").unwrap_or_else(|_| env!("CARGO_BIN_EXE_hostile").to_owned())
}

struct Fixture {
    child: Child,
    url: String,
    addr: String,
}

impl Fixture {
    fn http(args: &[&str]) -> Fixture {
        Fixture::http_with(args, &[])
    }

    fn http_with(args: &[&str], envs: &[(&str, &str)]) -> Fixture {
        let (child, line) = spawn_announced(
            Command::new(fixture_bin())
                .args(["--port", "0"])
                .args(args)
                .env_remove("FASTMCP_ENABLE_TASKS")
                .env("FASTMCP_DOCKET_NAME", "hostile")
                .envs(envs.iter().copied()),
        );
        let url = line.strip_prefix("listening on ").expect("listening line").to_owned();
        let addr = url.trim_start_matches("http://").trim_end_matches("/mcp").to_owned();
        Fixture { child, url, addr }
    }

    fn sigterm(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
    }

    /// Waits (bounded) for the process to exit.
    fn exited_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        wait_exit(&mut self.child, limit)
    }

    fn rss_kb(&self) -> u64 {
        rss_kb(self.child.id())
    }

    fn tcp(&self) -> TcpStream {
        let s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (bounded) for `child` to exit.
fn wait_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The fixture serving stdio (with `args` too), initialized: the child, its stdin and its
/// stdout, past the `initialize` answer.
fn stdio_fixture(args: &[&str]) -> (Child, ChildStdin, BufReader<ChildStdout>) {
    let mut child = Command::new(fixture_bin())
        .arg("--stdio")
        .args(args)
        .env_remove("FASTMCP_ENABLE_TASKS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    writeln!(stdin, r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"protocolVersion":"2025-11-25","capabilities":{{}},"clientInfo":{{"name":"t","version":"0"}}}}}}"#).unwrap();
    let mut initialized = String::new();
    stdout.read_line(&mut initialized).unwrap();
    assert!(initialized.contains("protocolVersion"), "{initialized}");
    (child, stdin, stdout)
}

fn rss_kb(pid: u32) -> u64 {
    proc_status_kb(pid, "VmRSS:")
}

/// A `/proc/PID/status` figure in kB (`VmRSS:` now, `VmHWM:` the peak so far).
fn proc_status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn teardown_file(name: &str) -> String {
    let path = std::env::temp_dir().join(format!("fastmcp-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path.to_string_lossy().into_owned()
}

/// Writes `request` on a fresh connection and reads until the server closes it or `limit`
/// passes: (what was read, whether the server closed the connection).
fn raw_exchange(fx: &Fixture, request: &[u8], limit: Duration) -> (String, bool) {
    let mut s = fx.tcp();
    s.set_read_timeout(Some(limit)).unwrap();
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

fn status_of(response: &str) -> u16 {
    response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Opens a session's standalone GET (SSE) stream.
async fn open_get_stream(url: &str, session: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap()
}

fn code(e: &Value) -> i64 {
    e["code"].as_i64().unwrap_or_default()
}

async fn task_id(mcp: &McpHttp, name: &str, arguments: Value, task: Value) -> Result<String, Value> {
    let created = mcp.call("tools/call", json!({ "name": name, "arguments": arguments, "task": task })).await?;
    Ok(created["task"]["taskId"].as_str().expect("taskId").to_owned())
}

/// Polls tasks/get until `done` holds (bounded by `limit`).
async fn wait_task(mcp: &McpHttp, id: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let task = mcp.call("tasks/get", json!({ "taskId": id })).await.expect("tasks/get");
        if done(&task) {
            return task;
        }
        assert!(start.elapsed() < limit, "task {id} did not get there in {limit:?}: {task}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

// ------------------------------------------------------------------------------- shutdown

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_answers_requests_in_flight_then_runs_the_teardown() {
    let teardown = teardown_file("http");
    let mut fx = Fixture::http(&["--teardown-file", &teardown, "--shutdown-timeout-ms", "5000"]);
    let mcp = Arc::new(McpHttp::connect(&fx.url, None).await);
    const CALLS: usize = 20;
    let calls: Vec<_> = (0..CALLS)
        .map(|_| {
            let mcp = mcp.clone();
            tokio::spawn(
                async move { mcp.call("tools/call", json!({"name": "slow", "arguments": {"ms": 1000}})).await },
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    fx.sigterm();
    let mut answered = 0;
    for call in calls {
        let result = call.await.unwrap().expect("answered with its result");
        assert_eq!(result["content"][0]["text"], "slept 1000");
        answered += 1;
    }
    // New connections are refused once shutdown began.
    let status = fx.exited_within(Duration::from_secs(5)).expect("the server exits after the drain");
    assert!(status.success(), "{status:?}");
    assert_eq!(std::fs::read_to_string(&teardown).unwrap_or_default(), "teardown done");
    println!("FIGURE shutdown: {answered}/{CALLS} requests in flight at SIGTERM answered with their result");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_still_running_at_the_deadline_get_an_error() {
    let teardown = teardown_file("deadline");
    let mut fx = Fixture::http(&["--teardown-file", &teardown, "--shutdown-timeout-ms", "500"]);
    let mcp = McpHttp::connect(&fx.url, None).await;
    let call = mcp.call("tools/call", json!({"name": "slow", "arguments": {"ms": 30000}}));
    let kill = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        fx.sigterm();
    };
    let (answer, ()) = tokio::join!(call, kill);
    let error = answer.expect_err("a JSON-RPC error, not silence");
    assert_eq!(code(&error), -32000, "{error}");
    assert!(error["message"].as_str().unwrap().contains("shutting down"), "{error}");
    assert!(fx.exited_within(Duration::from_secs(5)).is_some_and(|s| s.success()));
    assert_eq!(std::fs::read_to_string(&teardown).unwrap_or_default(), "teardown done");
}

#[test]
fn sigterm_on_stdio_shuts_down_gracefully() {
    let teardown = teardown_file("stdio");
    let (mut child, mut stdin, mut stdout) = stdio_fixture(&["--teardown-file", &teardown]);
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"slow","arguments":{{"ms":700}}}}}}"#
    )
    .unwrap();
    let mut line = String::new();
    std::thread::sleep(Duration::from_millis(200));
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    // The request in flight is still answered, then the process exits with stdin still open.
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("slept 700"), "{line}");
    let status = wait_exit(&mut child, Duration::from_secs(5)).expect("stdio server ignored SIGTERM");
    assert!(status.success());
    assert_eq!(std::fs::read_to_string(&teardown).unwrap_or_default(), "teardown done");
    drop(stdin);
}

/// A stdio client that stops reading our answers cannot keep the server alive: once its pipe
/// is full, SIGTERM still ends the process (the answers it will not read are dropped).
#[test]
fn sigterm_on_stdio_ends_a_server_whose_client_stopped_reading() {
    let (mut child, mut stdin, stdout) = stdio_fixture(&[]);
    // 40 answers of 32 KiB each: far more than a pipe holds, and nobody reads them.
    let text = "x".repeat(32 * 1024);
    for id in 2..42 {
        writeln!(
            stdin,
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"chatty_echo","arguments":{{"text":"{text}"}}}}}}"#
        )
        .unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let start = Instant::now();
    let exited = wait_exit(&mut child, Duration::from_secs(10));
    let _ = child.kill();
    let _ = child.wait();
    println!("FIGURE stdio exit after SIGTERM with a client not reading: {:?}", start.elapsed());
    assert!(exited.is_some(), "a stdio server whose client stopped reading ignored SIGTERM for 10 s");
    drop((stdin, stdout));
}

/// Deeply nested output (a tool's own value). 500 levels are written like any other: the thread
/// that serializes answers for stdout has a worker's stack, not a small one. 3,000 levels (which
/// overflowed a debug build's stack and aborted the process before `bounded_json`) are refused
/// with an `isError` naming the limit, and the server goes on.
#[test]
fn deeply_nested_output_reaches_a_stdio_client() {
    let (mut child, mut stdin, mut stdout) = stdio_fixture(&[]);
    let mut line = String::new();
    let call = |id: u32, depth: u32| {
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"nested","arguments":{{"depth":{depth}}}}}}}"#
        )
    };
    writeln!(stdin, "{}", call(2, 500)).unwrap();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with(r#"{"jsonrpc":"2.0","id":2,"result""#), "{}", &line[..line.len().min(200)]);
    assert!(line.contains(&format!("{}0{}", "[".repeat(500), "]".repeat(500))));
    writeln!(stdin, "{}", call(3, 3000)).unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    let answer: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let text = answer["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("nested deeper than 512 levels"), "{text}");
    writeln!(stdin, "{}", call(4, 3)).unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("[[[0]]]"), "{line}");
    drop(stdin);
    assert!(wait_exit(&mut child, Duration::from_secs(5)).is_some_and(|s| s.success()));
}

/// The other side of the stall limit: a client that closes stdin and then reads a large answer
/// slowly (over 3 s, longer than the limit) still gets all of it.
#[test]
fn a_slow_reader_still_gets_the_last_answer_whole() {
    let (mut child, mut stdin, mut stdout) = stdio_fixture(&[]);
    let text = "y".repeat(512 * 1024);
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"chatty_echo","arguments":{{"text":"{text}"}}}}}}"#
    )
    .unwrap();
    drop(stdin);
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    // Bounded: at most 200 reads of 100 ms.
    for _ in 0..200 {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        std::thread::sleep(Duration::from_millis(100));
    }
    let elapsed = start.elapsed();
    let answer = String::from_utf8(out).unwrap().lines().find(|l| l.contains(r#""id":2"#)).map(str::to_owned);
    let answer: Value = serde_json::from_str(&answer.expect("the answer to id 2")).expect("a whole JSON answer");
    assert_eq!(answer["result"]["content"][0]["text"].as_str().map(str::len), Some(text.len()));
    assert!(elapsed > Duration::from_secs(3), "the read took {elapsed:?}: too fast to test the limit");
    let exited = wait_exit(&mut child, Duration::from_secs(5));
    let _ = child.kill();
    assert!(exited.is_some_and(|s| s.success()), "{exited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_worker_hands_its_runs_back_at_once() {
    let redis = RedisServer::start(false);
    let url = redis.url();
    let envs = [("FASTMCP_DOCKET_URL", url.as_str())];
    let mut a = Fixture::http_with(&["--token", "t=alice", "--shutdown-timeout-ms", "300"], &envs);
    let mcp_a = McpHttp::connect(&a.url, Some("t")).await;
    let id = task_id(&mcp_a, "slow", json!({"ms": 2000}), json!({})).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await; // running on A, the only worker
    let b = Fixture::http_with(&["--token", "t=alice"], &envs);
    let mcp_b = McpHttp::connect(&b.url, Some("t")).await;
    a.sigterm();
    assert!(a.exited_within(Duration::from_secs(5)).is_some(), "A exits after its drain");
    let handed_back = Instant::now();
    let done = wait_task(&mcp_b, &id, Duration::from_secs(15), |t| t["status"] != "working").await;
    assert_eq!(done["status"], "completed", "{done}");
    // The run restarted on B right away (2 s of work), not after the 30 s redelivery timeout.
    let took = handed_back.elapsed();
    assert!(took < Duration::from_secs(6), "picked up late: {took:?}");
    println!("FIGURE hand-back: a run interrupted by SIGTERM completed on another worker {took:?} after the exit");
}

// ------------------------------------------------------------------------------- panics

#[test]
fn a_panicking_handler_is_answered_and_frees_its_slot() {
    let (mut child, mut stdin, mut stdout) = stdio_fixture(&[]);
    let mut ask = |line: String| -> Value {
        writeln!(stdin, "{line}").unwrap();
        let mut answer = String::new();
        stdout.read_line(&mut answer).unwrap();
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer:?}"))
    };
    // More panics than the 64 requests a connection may have in flight, all with one id.
    for _ in 0..70 {
        let r =
            ask(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"panic_tool","arguments":{}}}"#
                .into());
        assert_eq!(r["result"]["isError"], true, "{r}");
        let text = r["result"]["content"][0]["text"].as_str().unwrap();
        assert!(text.contains("panic_tool") && text.contains("panicked") && !text.contains("unwrap"), "{text}");
    }
    let r = ask(r#"{"jsonrpc":"2.0","id":8,"method":"prompts/get","params":{"name":"panic_prompt"}}"#.into());
    assert_eq!(r["error"]["code"], -32603, "{r}");
    let r = ask(r#"{"jsonrpc":"2.0","id":9,"method":"resources/read","params":{"uri":"panic://x"}}"#.into());
    assert_eq!(r["error"]["code"], -32603, "{r}");
    let r = ask(r#"{"jsonrpc":"2.0","id":10,"method":"ping"}"#.into());
    assert_eq!(r["result"], json!({}));
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_task_fails() {
    let fx = Fixture::http(&[]);
    let mcp = McpHttp::connect(&fx.url, None).await;
    let id = task_id(&mcp, "panic_task", json!({}), json!({})).await.unwrap();
    let task = wait_task(&mcp, &id, Duration::from_secs(5), |t| t["status"] != "working").await;
    assert_eq!(task["status"], "failed", "{task}");
    let result = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap();
    assert_eq!(result["isError"], true);
}

// ------------------------------------------------------------------------- connections

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_slow_bodies_and_idle_connections_are_cut() {
    let fx = Fixture::http(&["--header-timeout-ms", "500", "--body-timeout-ms", "500"]);
    // Slowloris: headers that never end.
    let start = Instant::now();
    let (_, closed) = raw_exchange(&fx, b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", Duration::from_secs(5));
    assert!(closed && start.elapsed() < Duration::from_secs(3), "slow headers held {:?}", start.elapsed());
    // A connection that says nothing at all.
    let start = Instant::now();
    let (_, closed) = raw_exchange(&fx, b"", Duration::from_secs(5));
    assert!(closed && start.elapsed() < Duration::from_secs(3), "idle connection held {:?}", start.elapsed());
    // A body that never arrives: 408.
    let start = Instant::now();
    let request = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                   Accept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"";
    let (response, _) = raw_exchange(&fx, request.as_bytes(), Duration::from_secs(5));
    assert_eq!(status_of(&response), 408, "{response}");
    assert!(start.elapsed() < Duration::from_secs(3));
    // Keep-alive: after an answer, an idle connection is closed too.
    let start = Instant::now();
    let (response, closed) =
        raw_exchange(&fx, b"DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", Duration::from_secs(5));
    assert_eq!(status_of(&response), 405, "{response}");
    assert!(closed && start.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_refused_fast() {
    let fx = Fixture::http(&["--max-connections", "8", "--header-timeout-ms", "10000"]);
    let held: Vec<TcpStream> = (0..8).map(|_| fx.tcp()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let (response, closed) = raw_exchange(&fx, b"", Duration::from_secs(5));
    assert_eq!(status_of(&response), 503, "{response}");
    assert!(closed && start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    let (response, _) = raw_exchange(
        &fx,
        b"DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    );
    assert_eq!(status_of(&response), 405, "a slot is free again: {response}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_and_oversized_bodies_are_never_read() {
    let fx = Fixture::http(&["--token", "secret=alice"]);
    let headers = |auth: &str, length: usize| {
        format!(
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\n{auth}Content-Length: {length}\r\n\r\n"
        )
    };
    // Answered from the headers alone, while the body is still to come.
    let (response, _) = raw_exchange(&fx, headers("", 3_000_000).as_bytes(), Duration::from_secs(3));
    assert_eq!(status_of(&response), 401, "{response}");
    let (response, _) =
        raw_exchange(&fx, headers("Authorization: Bearer secret\r\n", 5_000_000).as_bytes(), Duration::from_secs(3));
    assert_eq!(status_of(&response), 413, "{response}");

    // Memory: 200 unauthenticated connections, each having sent its headers and 64 kB of a
    // 4 MB body, held open together.
    let before = fx.rss_kb();
    let chunk = vec![b'x'; 64 * 1024];
    let mut held = Vec::new();
    for _ in 0..200 {
        let mut s = fx.tcp();
        s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
        let _ = s.write_all(headers("", 4_000_000).as_bytes());
        let _ = s.write_all(&chunk);
        held.push(s);
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = fx.rss_kb();
    let per_connection = after.saturating_sub(before) * 1024 / 200;
    println!(
        "FIGURE memory per unauthenticated connection: {per_connection} bytes (RSS {before} kB -> {after} kB, 200 connections)"
    );
    assert!(per_connection <= 64 * 1024, "{per_connection} bytes per connection");
    drop(held);
}

// ------------------------------------------------------------------------- bounded state

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_capped_globally_and_per_principal() {
    let fx = Fixture::http(&["--max-sessions", "2000"]);
    let client = reqwest::Client::new();
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}});
    let before = fx.rss_kb();
    let mut refused = 0;
    let mut last_error = Value::Null;
    for _ in 0..2100 {
        let r = client
            .post(&fx.url)
            .header("accept", "application/json, text/event-stream")
            .json(&init)
            .send()
            .await
            .unwrap();
        if r.status() == 503 {
            refused += 1;
            last_error = r.json().await.unwrap();
        } else {
            assert_eq!(r.status(), 200);
        }
    }
    let after = fx.rss_kb();
    assert_eq!(refused, 100);
    assert_eq!(last_error["error"]["code"], -32000, "{last_error}");
    println!("FIGURE sessions: 2000 held, 100 refused; RSS {before} kB -> {after} kB");

    let fx = Fixture::http(&["--token", "t=alice", "--max-sessions-per-principal", "3"]);
    for _ in 0..3 {
        McpHttp::connect(&fx.url, Some("t")).await;
    }
    let r = client
        .post(&fx.url)
        .bearer_auth("t")
        .header("accept", "application/json, text/event-stream")
        .json(&init)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sse_streams_get_keep_alive_comments() {
    let fx = Fixture::http(&["--sse-keep-alive-ms", "200"]);
    let mcp = McpHttp::connect(&fx.url, None).await;
    let resp = open_get_stream(&fx.url, &mcp.session).await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(3);
    while !seen.contains(": keep-alive") && Instant::now() < deadline {
        if let Ok(Some(Ok(chunk))) = tokio::time::timeout(Duration::from_secs(1), body.next()).await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(seen.contains(": keep-alive"), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_to_known_resources_and_bounded() {
    let fx = Fixture::http(&[]);
    let mcp = McpHttp::connect(&fx.url, None).await;
    let e = mcp.call("resources/subscribe", json!({"uri": "nope://x"})).await.unwrap_err();
    assert_eq!(code(&e), -32002, "{e}");
    mcp.call("resources/subscribe", json!({"uri": "status://server"})).await.unwrap();
    // A template matches many URIs; one session still holds at most 1024.
    let mut refused = None;
    for i in 0..1030 {
        if let Err(e) = mcp.call("resources/subscribe", json!({"uri": format!("files://f{i}")})).await {
            refused = Some((i, e));
            break;
        }
    }
    let (at, e) = refused.expect("the per-session cap");
    assert_eq!(at, 1023, "status://server plus 1023 files");
    assert_eq!(code(&e), -32000, "{e}");

    // 2026-07-28 listen: unknown resources and over-long task lists are refused.
    let e = listen(&fx.url, json!({"resourceSubscriptions": ["nope://x"]})).await;
    assert_eq!(code(&e["error"]), -32602, "{e}");
    let ids: Vec<String> = (0..300).map(|i| format!("t{i}")).collect();
    let e = listen(&fx.url, json!({"taskIds": ids})).await;
    assert_eq!(code(&e["error"]), -32602, "{e}");
}

fn meta2026(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": V2026,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": { "name": "hostile-test", "version": "0" },
    })
}

fn post2026(url: &str, method: &str, name: Option<&str>, params: Value) -> reqwest::RequestBuilder {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", V2026)
        .header("mcp-method", method)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
    if let Some(name) = name {
        req = req.header("mcp-name", name);
    }
    req
}

/// A 2026-07-28 `subscriptions/listen` that is expected to be refused: its JSON answer.
async fn listen(url: &str, filter: Value) -> Value {
    let resp =
        post2026(url, "subscriptions/listen", None, json!({"notifications": filter, "_meta": meta2026(json!({}))}))
            .send()
            .await
            .unwrap();
    resp.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_listen_requests_do_not_freeze_the_server() {
    let fx = Fixture::http(&[]);
    let mcp = Arc::new(McpHttp::connect(&fx.url, None).await);
    let ids: Vec<String> = (0..40_000).map(|i| format!("{i:032x}")).collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pinger = {
        let (mcp, stop) = (mcp.clone(), stop.clone());
        tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            let mut pings = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || pings < 20 {
                let t = Instant::now();
                mcp.call("ping", json!({})).await.unwrap();
                worst = worst.max(t.elapsed());
                pings += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            worst
        })
    };
    let (a, b) =
        tokio::join!(listen(&fx.url, json!({"taskIds": ids.clone()})), listen(&fx.url, json!({"taskIds": ids})));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(code(&a["error"]), -32602);
    assert_eq!(code(&b["error"]), -32602);
    let worst = pinger.await.unwrap();
    println!("FIGURE listen: slowest concurrent ping {worst:?} during two listens of 40,000 task ids");
    assert!(worst < Duration::from_millis(250), "{worst:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_answers_are_bounded_in_bytes() {
    let fx = Fixture::http(&[]);
    let mcp = McpHttp::connect(&fx.url, None).await;
    let text = "x".repeat(2 * 1024 * 1024);
    let client = reqwest::Client::new();
    let abandon = |round: u64| {
        let (client, url, session, text) = (client.clone(), fx.url.clone(), mcp.session.clone(), text.clone());
        async move {
            for i in 0..40 {
                // The answer is an SSE stream (the tool logs first); the client reads nothing of it.
                let id = 100 * round + i;
                let resp = client
                    .post(&url)
                    .header("accept", "application/json, text/event-stream")
                    .header("mcp-session-id", &session)
                    .header("mcp-protocol-version", "2025-11-25")
                    .json(&json!({"jsonrpc":"2.0","id": id,"method":"tools/call","params":{"name":"chatty_echo","arguments":{"text": text}}}))
                    .send()
                    .await
                    .unwrap();
                drop(resp);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    let before = fx.rss_kb();
    abandon(1).await;
    let first = fx.rss_kb();
    abandon(2).await;
    let second = fx.rss_kb();
    println!("FIGURE abandoned answers: 40 then 80 x 2 MiB echoes held RSS {before} kB -> {first} kB -> {second} kB");
    // Unbounded, the logs would hold 40 more answers of 2-4 MiB each per round (80-160 MB).
    // The first round also grows the allocator's arenas, which keep what they freed (42-50 MB
    // measured); the second round finds them grown and must add little.
    let first_mb = first.saturating_sub(before) / 1024;
    let second_mb = second.saturating_sub(first) / 1024;
    assert!(first_mb < 64, "RSS grew {first_mb} MB in the first round");
    assert!(second_mb < 24, "RSS grew {second_mb} MB more in the second round");
    assert!(mcp.call("ping", json!({})).await.is_ok());
}

// ------------------------------------------------------------------------------- tasks

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_task_stops_its_run() {
    let fx = Fixture::http_with(&[], &[("FASTMCP_DOCKET_CONCURRENCY", "2")]);
    let mcp = McpHttp::connect(&fx.url, None).await;
    for _ in 0..2 {
        task_id(&mcp, "slow", json!({"ms": 3_600_000}), json!({"ttl": 1000})).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Both worker slots would still be taken by the expired tasks' runs.
    let id = task_id(&mcp, "slow", json!({"ms": 10}), json!({})).await.unwrap();
    let task = wait_task(&mcp, &id, Duration::from_secs(3), |t| t["status"] != "working").await;
    assert_eq!(task["status"], "completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_requester_cannot_starve_another() {
    let fx = Fixture::http_with(&["--token", "a=alice", "--token", "b=bob"], &[("FASTMCP_DOCKET_CONCURRENCY", "4")]);
    let alice = McpHttp::connect(&fx.url, Some("a")).await;
    let bob = McpHttp::connect(&fx.url, Some("b")).await;
    for _ in 0..30 {
        task_id(&alice, "slow", json!({"ms": 20_000}), json!({})).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let submitted = Instant::now();
    let id = task_id(&bob, "slow", json!({"ms": 10}), json!({})).await.unwrap();
    let task = wait_task(&bob, &id, Duration::from_secs(5), |t| t["status"] != "working").await;
    let took = submitted.elapsed();
    assert_eq!(task["status"], "completed");
    println!(
        "FIGURE fairness: another requester's 10 ms task completed in {took:?} while one requester had 30 tasks of 20 s queued"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// An HTTP client that connects from `ip` (a loopback address): another anonymous requester.
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(std::net::IpAddr::from(ip)).build().unwrap()
}

/// One JSON-RPC request over stateless HTTP, its answer as JSON.
async fn rpc(client: &reqwest::Client, url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response =
        client.post(url).header("accept", "application/json, text/event-stream").json(&body).send().await.unwrap();
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_requesters_do_not_share_tasks_or_quotas() {
    let fx = Fixture::http(&["--stateless", "--max-tasks", "2"]);
    let (one, two) = (client_from([127, 0, 0, 1]), client_from([127, 0, 0, 2]));
    let call = |client, method, params| rpc(client, &fx.url, method, params);
    let long = json!({"name": "slow", "arguments": {"ms": 60_000}, "task": {}});
    let mut first = String::new();
    for _ in 0..2 {
        let r: Value = call(&one, "tools/call", long.clone()).await;
        first = r["result"]["task"]["taskId"].as_str().expect("created").to_owned();
    }
    let r: Value = call(&one, "tools/call", long.clone()).await;
    assert_eq!(r["error"]["code"], -32000, "the first client's quota is full: {r}");
    // Another client (another address) has its own quota...
    let r: Value = call(&two, "tools/call", long.clone()).await;
    assert!(r["result"]["task"]["taskId"].is_string(), "{r}");
    // ...and nobody anonymous can list anyone's tasks.
    for client in [&one, &two] {
        let r: Value = call(client, "tasks/list", json!({})).await;
        assert_eq!(r["result"]["tasks"], json!([]), "{r}");
    }
    // A task stays reachable by its (unguessable) id.
    let r: Value = call(&one, "tasks/get", json!({"taskId": first})).await;
    assert_eq!(r["result"]["status"], "working", "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_creating_short_tasks_in_a_loop_is_bounded() {
    // Finished tasks are kept until their TTL ends; a loop of short tasks would otherwise grow
    // the server for as long as the TTL, and make each new task of its costlier to admit.
    let fx = Fixture::http(&["--stateless", "--max-kept", "40"]);
    let (one, two) = (client_from([127, 0, 0, 1]), client_from([127, 0, 0, 2]));
    let call = |client, params| rpc(client, &fx.url, "tools/call", params);
    let short = json!({"name": "slow", "arguments": {"ms": 1}, "task": {}});
    let (mut created, mut refused) = (0, 0);
    for _ in 0..60 {
        let r: Value = call(&one, short.clone()).await;
        if r["result"]["task"]["taskId"].is_string() {
            created += 1;
        } else {
            assert_eq!(r["error"]["code"], -32000, "{r}");
            assert!(r["error"]["message"].as_str().unwrap().contains("Too many tasks kept"), "{r}");
            refused += 1;
        }
    }
    assert_eq!((created, refused), (40, 20), "finished tasks count against the bound");
    // The same client's inline calls, and another client's tasks, are served as before.
    let r: Value = call(&one, json!({"name": "slow", "arguments": {"ms": 1}})).await;
    assert_eq!(r["result"]["content"][0]["text"], "slept 1", "{r}");
    let r: Value = call(&two, short.clone()).await;
    assert!(r["result"]["task"]["taskId"].is_string(), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_a_result_is_not_a_task_failure() {
    let fx = Fixture::http(&["--request-timeout-ms", "1500"]);
    let mcp = McpHttp::connect(&fx.url, None).await;
    let e = task_id(&mcp, "slow", json!({"ms": 10}), json!({"ttl": -5})).await.unwrap_err();
    assert_eq!(code(&e), -32602, "a negative ttl is refused: {e}");
    let id = task_id(&mcp, "slow", json!({"ms": 10_000}), json!({})).await.unwrap();
    let start = Instant::now();
    let e = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap_err();
    assert_eq!(code(&e), -32003, "{e}");
    assert_eq!(e["data"]["status"], "working", "{e}");
    assert!(start.elapsed() < Duration::from_millis(1500));
    let task = mcp.call("tasks/get", json!({"taskId": id})).await.unwrap();
    assert_eq!(task["status"], "working", "the task was left alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_progress_comes_before_the_terminal_status() {
    let fx = Fixture::http(&[]);
    let mcp = Arc::new(McpHttp::connect(&fx.url, None).await);
    mcp.open_stream().await;
    for round in 0..5 {
        let token = format!("p{round}");
        let created = mcp
            .call(
                "tools/call",
                json!({"name": "quick_progress", "arguments": {"steps": 3}, "task": {}, "_meta": {"progressToken": token}}),
            )
            .await
            .unwrap();
        let id = created["task"]["taskId"].as_str().unwrap().to_owned();
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            seen.extend(mcp.stream_messages());
            if seen.iter().any(|m| {
                m["method"] == "notifications/tasks/status"
                    && m["params"]["taskId"] == id
                    && m["params"]["status"] == "completed"
            }) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let last_progress = seen.iter().position(|m| {
            m["method"] == "notifications/progress"
                && m["params"]["progressToken"] == token.as_str()
                && m["params"]["progress"] == 3.0
        });
        let completed = seen.iter().position(|m| {
            m["method"] == "notifications/tasks/status"
                && m["params"]["taskId"] == id
                && m["params"]["status"] == "completed"
        });
        let (Some(p), Some(c)) = (last_progress, completed) else {
            panic!("round {round}: progress 3/3 {last_progress:?}, completed {completed:?}: {seen:?}");
        };
        assert!(p < c, "round {round}: progress after the terminal status");
    }
}

// ------------------------------------------------------------------- input and identity

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_variables_cannot_smuggle_separators() {
    let fx = Fixture::http(&[]);
    let mcp = McpHttp::connect(&fx.url, None).await;
    for uri in ["files://..%2F..%2Fetc%2Fpasswd", "files://a%00b", "files://a%5Cb", "files://%2E%2E"] {
        let e = mcp.call("resources/read", json!({"uri": uri})).await.unwrap_err();
        assert_eq!(code(&e), -32002, "{uri}: {e}");
    }
    let r = mcp.call("resources/read", json!({"uri": "files://notes%20v2.txt"})).await.unwrap();
    assert_eq!(r["contents"][0]["text"], "notes v2.txt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_state_is_bound_to_the_arguments() {
    let fx = Fixture::http(&[]);
    let call = |name: &str, extra: Value| {
        let mut params = json!({"name": "confirm_named", "arguments": {"name": name}, "_meta": meta2026(json!({"elicitation": {}}))});
        if let Value::Object(extra) = extra {
            params.as_object_mut().unwrap().extend(extra);
        }
        post2026(&fx.url, "tools/call", Some("confirm_named"), params).send()
    };
    let first: Value = call("a", json!({})).await.unwrap().json().await.unwrap();
    assert_eq!(first["result"]["resultType"], "input_required", "{first}");
    let state = first["result"]["requestState"].clone();
    let answers = json!({"ok": {"action": "accept", "content": {"ok": true}}});
    let other: Value =
        call("b", json!({"requestState": state, "inputResponses": answers})).await.unwrap().json().await.unwrap();
    assert_eq!(other["error"]["code"], -32602, "a state replayed with other arguments: {other}");
    let same: Value =
        call("a", json!({"requestState": state, "inputResponses": answers})).await.unwrap().json().await.unwrap();
    assert_eq!(same["result"]["content"][0]["text"], "a: Accept", "{same}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_and_origin_checks_fail_closed() {
    let fx = Fixture::http(&[]);
    let cases: [(&str, &[u8]); 4] = [
        ("duplicated Host", b"DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n"),
        ("non-UTF-8 Origin", b"DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://\xffevil\r\n\r\n"),
        ("duplicated Origin", b"DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://localhost\r\nOrigin: http://evil.example\r\n\r\n"),
        ("absolute-form target", b"DELETE http://evil.example/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    ];
    for (what, request) in cases {
        let (response, _) = raw_exchange(&fx, request, Duration::from_secs(3));
        let status = status_of(&response);
        assert!(status == 403 || status == 400, "{what}: {response}");
    }
    // The same request with a clean Host passes the check (and is a 405 for its method).
    let (response, _) = raw_exchange(&fx, b"DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", Duration::from_secs(3));
    assert_eq!(status_of(&response), 405, "{response}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_fetches_are_throttled_when_the_endpoint_fails() {
    use base64::Engine;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    {
        let fetches = fetches.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().take(50) {
                let Ok(mut conn) = conn else { continue };
                fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let _ = conn
                    .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
    }
    let jwks = format!("http://127.0.0.1:{port}/jwks");
    let fx = Fixture::http(&["--jwks-url", &jwks]);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let client = reqwest::Client::new();
    let start = Instant::now();
    for i in 0..20 {
        let header = b64.encode(json!({"alg": "RS256", "kid": format!("unknown-{i}")}).to_string());
        let claims = b64.encode(json!({"sub": "mallory"}).to_string());
        let token = format!("{header}.{claims}.c2ln");
        let r = client.post(&fx.url).bearer_auth(token).json(&json!({})).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let attempts = fetches.load(std::sync::atomic::Ordering::SeqCst);
    assert!(attempts <= 1, "{attempts} JWKS fetches for 20 tokens with unknown keys");
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}

// ------------------------------------------------------------------------------- redis

#[test]
fn a_redis_that_refuses_us_fails_startup_with_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("fastmcp-hostile-redis-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut redis = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--requirepass", "right-password"])
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10), "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let run = |url: &str| {
        let out = Command::new(fixture_bin())
            .args(["--port", "0"])
            .env("FASTMCP_DOCKET_URL", url)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (status, stdout, stderr) = run(&format!("redis://127.0.0.1:{port}/"));
    assert!(!status.success() && !stdout.contains("listening"), "{stdout}");
    assert!(stderr.contains("NOAUTH") || stderr.contains("Authentication required"), "{stderr}");
    let (status, stdout, stderr) = run(&format!("redis://:wrong-hunter2@127.0.0.1:{port}/"));
    assert!(!status.success() && !stdout.contains("listening"), "{stdout}");
    assert!(!stderr.contains("wrong-hunter2") && stderr.contains("***"), "{stderr}");
    let (status, _, stderr) = run("redis://:wrong-hunter2@127.0.0.1:notaport/");
    assert!(!status.success());
    assert!(!stderr.contains("wrong-hunter2"), "{stderr}");
    let _ = redis.kill();
    let _ = redis.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_get_streams_are_capped() {
    let fx = Fixture::http(&["--max-sse-streams", "3"]);
    let mut open = Vec::new();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let mcp = McpHttp::connect(&fx.url, None).await;
        let resp = open_get_stream(&fx.url, &mcp.session).await;
        statuses.push(resp.status().as_u16());
        open.push((mcp, resp));
    }
    assert_eq!(statuses, [200, 200, 200, 503]);
    // A closed stream frees its slot.
    let (mcp, first) = open.remove(0);
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let resp = open_get_stream(&fx.url, &mcp.session).await;
    assert_eq!(resp.status(), 200);
}

/// Redis is down this long while a client waits on `tasks/result`.
const OUTAGE_MS: u64 = 3000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_during_tasks_result_is_not_the_tasks_failure() {
    let mut redis = RedisServer::start(true);
    let url = redis.url();
    let fx = Fixture::http_with(&[], &[("FASTMCP_DOCKET_URL", url.as_str())]);
    let mcp = Arc::new(McpHttp::connect(&fx.url, None).await);
    let id = task_id(&mcp, "slow", json!({"ms": 5000}), json!({})).await.unwrap();
    let waiting = {
        let (mcp, id) = (mcp.clone(), id.clone());
        tokio::spawn(async move { mcp.call("tasks/result", json!({"taskId": id})).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Redis goes away for a moment (appendonly: nothing acknowledged is lost) and comes back.
    redis.kill();
    tokio::time::sleep(Duration::from_millis(OUTAGE_MS)).await;
    redis.restart();
    let result = tokio::time::timeout(Duration::from_secs(40), waiting).await.expect("answered").unwrap();
    let result = result.expect("the task's result, not an error for the outage");
    assert_eq!(result["content"][0]["text"], "slept 5000", "{result}");
}

/// `redis-cli -p PORT ARGS...` (as the `admin` user once it exists); its output.
fn redis_cli(port: u16, admin: bool, args: &[&str]) -> String {
    let mut cmd = Command::new("redis-cli");
    cmd.args(["-p", &port.to_string()]);
    if admin {
        cmd.args(["--user", "admin", "--pass", "admin-pw", "--no-auth-warning"]);
    }
    let out = cmd.args(args).output().expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_refusing_commands_while_tasks_result_reads_is_retried() {
    // Every command of the server fails at once (its user loses its rights) while a client
    // waits on tasks/result, which is made to read the store during the refusal; redis-rs
    // cannot hide this one by reconnecting, as it does a restart.
    let redis = RedisServer::start(false);
    let port = redis.port;
    assert_eq!(redis_cli(port, false, &["ACL", "SETUSER", "admin", "on", ">admin-pw", "~*", "&*", "+@all"]), "OK");
    let url = redis.url();
    let fx = Fixture::http_with(&[], &[("FASTMCP_DOCKET_URL", url.as_str())]);
    let mcp = Arc::new(McpHttp::connect(&fx.url, None).await);
    let id = task_id(&mcp, "slow", json!({"ms": 3000}), json!({})).await.unwrap();
    let waiting = {
        let (mcp, id) = (mcp.clone(), id.clone());
        tokio::spawn(async move { mcp.call("tasks/result", json!({"taskId": id})).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(redis_cli(port, true, &["ACL", "SETUSER", "default", "-@all"]), "OK");
    // Wake the waiting tasks/result (an event for its task on the docket's channel): it reads
    // the task while every read fails with NOPERM.
    let channels = redis_cli(port, true, &["PUBSUB", "CHANNELS", "*events*"]);
    let channel = channels.lines().next().expect("the docket's event channel").to_owned();
    redis_cli(port, true, &["PUBLISH", &channel, &json!({ "key": id }).to_string()]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!waiting.is_finished(), "tasks/result answered during the refusal: {:?}", waiting.await);
    assert_eq!(redis_cli(port, true, &["ACL", "SETUSER", "default", "+@all"]), "OK");
    let result = tokio::time::timeout(Duration::from_secs(40), waiting).await.expect("answered").unwrap();
    let result = result.expect("the task's result, not an error for the refusal");
    assert_eq!(result["content"][0]["text"], "slept 3000", "{result}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_jwks_is_refused_quickly() {
    use base64::Engine;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(20) {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            // A "key set" of 8 MB, without a Content-Length (chunk-free, close-delimited).
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"keys\":[\"",
            );
            let filler = vec![b'a'; 64 * 1024];
            for _ in 0..128 {
                if conn.write_all(&filler).is_err() {
                    break;
                }
            }
        }
    });
    let fx = Fixture::http(&["--jwks-url", &format!("http://127.0.0.1:{port}/jwks")]);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(json!({"alg": "RS256", "kid": "k1"}).to_string());
    let token = format!("{header}.{}.c2ln", b64.encode(json!({"sub": "mallory"}).to_string()));
    let peak = || proc_status_kb(fx.child.id(), "VmHWM:");
    let before = peak();
    let start = Instant::now();
    let r = reqwest::Client::new().post(&fx.url).bearer_auth(token).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    let grown = peak().saturating_sub(before);
    assert!(grown < 4 * 1024, "peak RSS grew {grown} kB reading an 8 MB key set");
}
