//! The bad-input matrix: malformed JSON, wrong types, unknown methods, huge ids, invalid UTF-8,
//! truncated stdio lines, duplicate ids, responses to unknown requests. Every case is answered
//! as the JSON-RPC / MCP specs say, over a real stdio child process and real HTTP, and the
//! server still answers afterwards.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

const INIT: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;

/// One case: its name, the bytes sent, and the (id, error code) expected in the answer
/// (`None` = no answer is due).
type Case = (&'static str, Vec<u8>, Option<(Value, i64)>);

fn matrix() -> Vec<Case> {
    let huge_string_id = format!(r#"{{"jsonrpc":"2.0","id":"{}","method":"ping"}}"#, "x".repeat(100_000));
    vec![
        ("malformed JSON", br#"{"jsonrpc":"2.0","id":1,"method":"#.to_vec(), Some((Value::Null, -32700))),
        ("not an object", b"42".to_vec(), Some((Value::Null, -32600))),
        ("a batch", br#"[{"jsonrpc":"2.0","id":2,"method":"ping"}]"#.to_vec(), Some((Value::Null, -32600))),
        ("no jsonrpc", br#"{"id":3,"method":"ping"}"#.to_vec(), Some((json!(3), -32600))),
        ("method not a string", br#"{"jsonrpc":"2.0","id":4,"method":5}"#.to_vec(), Some((json!(4), -32600))),
        ("unknown method", br#"{"jsonrpc":"2.0","id":5,"method":"no/such"}"#.to_vec(), Some((json!(5), -32601))),
        (
            "params of the wrong type",
            br#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":[1,2]}"#.to_vec(),
            Some((json!(6), -32602)),
        ),
        (
            "name of the wrong type",
            br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":7}}"#.to_vec(),
            Some((json!(7), -32602)),
        ),
        (
            "unknown tool",
            br#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"nope"}}"#.to_vec(),
            Some((json!(8), -32602)),
        ),
        (
            "id beyond 64 bits",
            br#"{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"ping"}"#.to_vec(),
            Some((Value::Null, -32600)),
        ),
        ("fractional id", br#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#.to_vec(), Some((Value::Null, -32600))),
        ("null id", br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#.to_vec(), Some((Value::Null, -32600))),
        (
            "invalid UTF-8",
            b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"\xff\xfe\"}".to_vec(),
            Some((Value::Null, -32700)),
        ),
        ("response to an unknown request", br#"{"jsonrpc":"2.0","id":999,"result":{}}"#.to_vec(), None),
        (
            "error response to an unknown request",
            br#"{"jsonrpc":"2.0","id":998,"error":{"code":1,"message":"x"}}"#.to_vec(),
            None,
        ),
        ("unknown notification", br#"{"jsonrpc":"2.0","method":"notifications/whatever"}"#.to_vec(), None),
        ("huge string id", huge_string_id.into_bytes(), None),
        // Error messages quote what was sent, elided: checked below to stay short.
        (
            "huge unknown method",
            format!(r#"{{"jsonrpc":"2.0","id":10,"method":"{}"}}"#, "m".repeat(1_000_000)).into_bytes(),
            Some((json!(10), -32601)),
        ),
        (
            "huge unknown tool name",
            format!(
                r#"{{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{{"name":"{}"}}}}"#,
                "t".repeat(1_000_000)
            )
            .into_bytes(),
            Some((json!(11), -32602)),
        ),
        (
            "huge unknown resource",
            format!(
                r#"{{"jsonrpc":"2.0","id":12,"method":"resources/read","params":{{"uri":"x://{}"}}}}"#,
                "r".repeat(1_000_000)
            )
            .into_bytes(),
            Some((json!(12), -32002)),
        ),
    ]
}

/// An error message quotes at most a few hundred characters of what the client sent.
fn assert_short_message(case: &str, answer: &Value) {
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.len() < 1000, "{case}: a {} byte message", message.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_answers_every_bad_input_and_stays_up() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = async || -> Value {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("an answer")
            .unwrap()
            .unwrap();
        serde_json::from_str(&line).expect("stdout carries only JSON-RPC")
    };
    stdin.write_all(format!("{INIT}\n").as_bytes()).await.unwrap();
    assert!(next().await["result"]["protocolVersion"].is_string());
    for (case, bytes, expected) in matrix() {
        stdin.write_all(&bytes).await.unwrap();
        stdin.write_all(b"\n").await.unwrap();
        // A ping after each case: its answer proves the server is alive. Requests run
        // concurrently, so answers are matched by id, not by order.
        stdin.write_all(b"{\"jsonrpc\":\"2.0\",\"id\":\"alive\",\"method\":\"ping\"}\n").await.unwrap();
        let answers = if expected.is_some() || case == "huge string id" { 2 } else { 1 };
        let mut got = Vec::new();
        for _ in 0..answers {
            got.push(next().await);
        }
        assert!(got.iter().any(|m| m["id"] == "alive" && m["result"] == json!({})), "{case}: {got:?}");
        if let Some((id, code)) = expected {
            let answer = got.iter().find(|m| m["id"] != "alive").unwrap_or_else(|| panic!("{case}: {got:?}"));
            assert_eq!(answer["error"]["code"], code, "{case}: {answer}");
            assert_eq!(answer["id"], id, "{case}");
            assert_short_message(case, answer);
        }
    }
    // An argument value of 1 MB of the wrong type: an isError that says why, quoting a little.
    let huge_arg = format!(
        r#"{{"jsonrpc":"2.0","id":"arg","method":"tools/call","params":{{"name":"add","arguments":{{"a":"{}","b":1}}}}}}"#,
        "z".repeat(1_000_000)
    );
    stdin.write_all(format!("{huge_arg}\n").as_bytes()).await.unwrap();
    let answer = next().await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let text = answer["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.len() < 1000 && text.contains("argument `a`") && text.contains("bytes left out"), "{text}");
    // Duplicate ids in flight: the second is refused, the first still answers.
    let slow =
        r#"{"jsonrpc":"2.0","id":"dup","method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}"#;
    stdin.write_all(format!("{slow}\n{slow}\n").as_bytes()).await.unwrap();
    let (a, b) = (next().await, next().await);
    assert!(a["id"] == "dup" && b["id"] == "dup");
    // A truncated last line (no newline, then EOF) is answered with a parse error, and the
    // server exits cleanly.
    stdin.write_all(br#"{"jsonrpc":"2.0","id":77,"meth"#).await.unwrap();
    drop(stdin);
    let last = next().await;
    assert_eq!(last["error"]["code"], -32700, "{last}");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_answers_every_bad_input_and_stays_up() {
    let mut fixture = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(fixture.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").unwrap().to_owned();
    let client = reqwest::Client::new();
    let post = |session: Option<String>, body: Vec<u8>| {
        let mut r = client
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = session {
            r = r.header("mcp-session-id", s).header("mcp-protocol-version", "2025-11-25");
        }
        r.send()
    };
    let init = post(None, INIT.as_bytes().to_vec()).await.unwrap();
    let session = init.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    for (case, bytes, expected) in matrix() {
        let resp = post(Some(session.clone()), bytes).await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        match expected {
            Some((id, code)) => {
                let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{case}: {text}"));
                assert_eq!(body["error"]["code"], code, "{case}: {body}");
                assert_eq!(body["id"], id, "{case}");
                assert_short_message(case, &body);
                if code == -32700 || (code == -32600 && id.is_null()) {
                    assert_eq!(status, 400, "{case}: undecodable messages are a bad request");
                }
            }
            None if case == "huge string id" => assert_eq!(status, 200, "{case}"),
            None => assert_eq!(status, 202, "{case}: {text}"),
        }
        let alive =
            post(Some(session.clone()), br#"{"jsonrpc":"2.0","id":"alive","method":"ping"}"#.to_vec()).await.unwrap();
        assert_eq!(alive.status(), 200, "{case}: the server is still up");
    }
    // Bodies that are not JSON at all, or empty.
    for body in [b"".to_vec(), b"\x00\x01".to_vec()] {
        let resp = post(Some(session.clone()), body).await.unwrap();
        assert_eq!(resp.status(), 400);
    }
    let _ = fixture.kill();
    let _ = fixture.wait();
}
