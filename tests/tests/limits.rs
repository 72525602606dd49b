//! Authentication (static bearer tokens, JWT with a key or a JWKS fetched over HTTP) and the
//! limits that keep bad or greedy clients from growing memory without bound.

use fastmcp::auth::JwtVerifier;
use fastmcp::prelude::*;
use fastmcp::tasks::TaskSettings;
use fastmcp::transport::http::HttpOptions;
use fastmcp_tests::http_client::McpHttp;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use std::time::Duration;

/// Who is calling.
#[tool]
fn whoami(ctx: Context) -> String {
    ctx.principal().unwrap_or_else(|| "nobody".into())
}

/// Sleeps.
#[tool(task = "optional")]
async fn nap(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "rested".into()
}

async fn serve(server: FastMcp, options: HttpOptions) -> (Server, String) {
    let server = server.build().unwrap();
    let s = server.clone();
    tokio::spawn(async move { s.run_http("127.0.0.1:0", options).await });
    server.wait_until_ready().await.unwrap();
    let url = format!("http://{}/mcp", server.local_addr().unwrap());
    (server, url)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn initialize(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn jwt_with_a_shared_secret() {
    let verifier = JwtVerifier::hs256(b"top-secret").issuer("https://issuer.example").audience("mcp");
    let (_server, url) = serve(FastMcp::new("jwt").tool(whoami), HttpOptions::default().jwt(verifier)).await;
    let key = EncodingKey::from_secret(b"top-secret");
    let token = |claims: Value| encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();
    let good = token(json!({"sub":"alice","iss":"https://issuer.example","aud":"mcp","exp": now() + 600}));
    let mcp = McpHttp::connect(&url, Some(&good)).await;
    let r = mcp.call("tools/call", json!({"name":"whoami","arguments":{}})).await.unwrap();
    assert_eq!(r["content"][0]["text"], "alice");

    let refused = [
        ("expired", token(json!({"sub":"alice","iss":"https://issuer.example","aud":"mcp","exp": now() - 3600}))),
        (
            "wrong audience",
            token(json!({"sub":"alice","iss":"https://issuer.example","aud":"other","exp": now() + 600})),
        ),
        ("wrong issuer", token(json!({"sub":"alice","iss":"https://evil.example","aud":"mcp","exp": now() + 600}))),
        ("no subject", token(json!({"iss":"https://issuer.example","aud":"mcp","exp": now() + 600}))),
        (
            "other key",
            encode(
                &Header::new(Algorithm::HS256),
                &json!({"sub":"alice","iss":"https://issuer.example","aud":"mcp","exp": now() + 600}),
                &EncodingKey::from_secret(b"guess"),
            )
            .unwrap(),
        ),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (why, token) in refused {
        let resp = initialize(&url, Some(&token)).await;
        assert_eq!(resp.status(), 401, "{why}");
        let challenge = resp.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(
            challenge.starts_with("Bearer ") && challenge.contains(r#"error="invalid_token""#),
            "{why}: {challenge}"
        );
    }
    let resp = initialize(&url, None).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], r#"Bearer realm="mcp""#);
}

/// Serves one JSON document over plain HTTP on loopback (a JWKS endpoint); counts requests.
async fn serve_json(body: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}/jwks.json"), hits)
}

#[tokio::test]
async fn jwt_against_a_jwks_fetched_over_http() {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    // An ES256 key: its public point becomes the JWK.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let raw = key.public_key_raw(); // 0x04 || x || y
    let jwks = json!({"keys": [{"kty":"EC","crv":"P-256","x": b64(&raw[1..33]),"y": b64(&raw[33..65]),"kid":"k1","alg":"ES256","use":"sig"}]});
    let (jwks_url, hits) = serve_json(jwks.to_string()).await;
    let verifier = JwtVerifier::jwks_url(jwks_url).audience("mcp");
    let (_server, url) = serve(FastMcp::new("jwks").tool(whoami), HttpOptions::default().jwt(verifier)).await;
    let signing = EncodingKey::from_ec_pem(key.serialize_pem().as_bytes()).unwrap();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("k1".into());
    let token = encode(&header, &json!({"sub":"bob","aud":"mcp","exp": now() + 600}), &signing).unwrap();
    let mcp = McpHttp::connect(&url, Some(&token)).await;
    let r = mcp.call("tools/call", json!({"name":"whoami","arguments":{}})).await.unwrap();
    assert_eq!(r["content"][0]["text"], "bob");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1, "the JWKS is fetched once and cached");
    // A token naming a key the set does not have is refused (and does not refetch in a loop).
    header.kid = Some("k2".into());
    let unknown = encode(&header, &json!({"sub":"bob","aud":"mcp","exp": now() + 600}), &signing).unwrap();
    for _ in 0..3 {
        assert_eq!(initialize(&url, Some(&unknown)).await.status(), 401);
    }
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) <= 2);
}

#[tokio::test]
async fn concurrent_requests_per_connection_are_bounded() {
    let s = FastMcp::new("limits").tool(nap).max_concurrent_requests(2).build().unwrap();
    let c = Client::connect(&s).await.unwrap();
    let call = |id: i64| {
        c.request_with_id(
            fastmcp::protocol::RequestId::Number(id),
            "tools/call",
            json!({"name":"nap","arguments":{"ms":300}}),
        )
    };
    let (a, b, third) = tokio::join!(call(101), call(102), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        call(103).await
    });
    assert!(a.is_ok() && b.is_ok());
    let err = third.unwrap_err();
    assert_eq!(err.rpc().map(|e| e.code), Some(-32000), "{err:?}");
    assert!(err.to_string().contains("limit 2"));
    // The connection recovers once the others finished.
    assert!(c.call_tool("nap", json!({"ms": 1})).await.is_ok());
}

#[tokio::test]
async fn working_tasks_per_requester_are_bounded() {
    let settings = TaskSettings { max_active_per_requester: 2, ..TaskSettings::default() };
    let s = FastMcp::new("quota").tool(nap).task_settings(settings).build().unwrap();
    let c = Client::connect(&s).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let created = c.request("tools/call", json!({"name":"nap","arguments":{"ms":300},"task":{}})).await.unwrap();
        ids.push(created["task"]["taskId"].clone());
    }
    let err = c.request("tools/call", json!({"name":"nap","arguments":{"ms":1},"task":{}})).await.unwrap_err();
    assert_eq!(err.rpc().map(|e| e.code), Some(-32000), "{err:?}");
    assert!(err.to_string().contains("Too many tasks"));
    // Inline calls are not tasks and still work.
    assert!(c.call_tool("nap", json!({"ms": 1})).await.is_ok());
    // Finished tasks stop counting (their records remain until their TTL).
    for id in &ids {
        c.request("tasks/result", json!({"taskId": id})).await.unwrap();
    }
    for _ in 0..2 {
        c.request("tools/call", json!({"name":"nap","arguments":{"ms":2000},"task":{}})).await.unwrap();
    }
    let err = c.request("tools/call", json!({"name":"nap","arguments":{"ms":1},"task":{}})).await.unwrap_err();
    assert_eq!(err.rpc().map(|e| e.code), Some(-32000), "{err:?}");
}

#[tokio::test]
async fn kept_tasks_per_requester_are_bounded() {
    // Finished tasks count too: their records are kept until their TTL ends.
    let settings = TaskSettings { max_kept_per_requester: 3, ..TaskSettings::default() };
    let s = FastMcp::new("kept").tool(nap).task_settings(settings).build().unwrap();
    let c = Client::connect(&s).await.unwrap();
    let create = || c.request("tools/call", json!({"name":"nap","arguments":{"ms":1},"task":{"ttl":1000}}));
    for _ in 0..3 {
        let created = create().await.unwrap();
        c.request("tasks/result", json!({"taskId": created["task"]["taskId"]})).await.unwrap();
    }
    let err = create().await.unwrap_err();
    assert_eq!(err.rpc().map(|e| e.code), Some(-32000), "{err:?}");
    assert!(err.to_string().contains("Too many tasks kept") && err.to_string().contains("limit 3"), "{err}");
    // Inline calls are not tasks and still work.
    assert!(c.call_tool("nap", json!({"ms": 1})).await.is_ok());
    // Once the records expire, there is room again.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(create().await.is_ok());
}

#[tokio::test]
async fn deeply_nested_json_is_refused_cleanly() {
    let s = FastMcp::new("depth").tool(nap).build().unwrap();
    let (server, url) = (s.clone(), {
        let s2 = s.clone();
        tokio::spawn(async move { s2.run_http("127.0.0.1:0", HttpOptions::default()).await });
        s.wait_until_ready().await.unwrap();
        format!("http://{}/mcp", s.local_addr().unwrap())
    });
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let resp = reqwest::Client::new()
        .post(&url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32700);
    assert!(body["error"]["message"].as_str().unwrap().contains("recursion limit"), "{body}");
    // Still serving.
    assert_eq!(initialize(&url, None).await.status(), 200);
    drop(server);
}

#[tokio::test]
async fn a_stdio_client_that_stops_reading_stops_being_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = FastMcp::new("backpressure").build().unwrap();
    let (mut client_in, server_in) = tokio::io::duplex(64 * 1024);
    let (server_out, mut client_out) = tokio::io::duplex(4 * 1024);
    let s = server.clone();
    tokio::spawn(async move {
        fastmcp::transport::stdio::serve(&s, tokio::io::BufReader::new(server_in), server_out).await
    });
    let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;
    client_in.write_all(format!("{init}\n").as_bytes()).await.unwrap();
    // 100k pings, their answers not read for now: the server must stop taking them in (the
    // write stays blocked) rather than queue 100k answers.
    let pings: String =
        (1..=100_000).map(|i| format!("{{\"jsonrpc\":\"2.0\",\"id\":{i},\"method\":\"ping\"}}\n")).collect();
    let writer = tokio::spawn(async move { client_in.write_all(pings.as_bytes()).await.map(|_| client_in) });
    // (Without backpressure a debug build swallows all of them in about a second.)
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!writer.is_finished(), "the server kept reading although nobody read its answers");
    // Once the client reads again, every request is answered.
    let (mut lines, mut results) = (0, 0);
    let mut pending = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while lines < 100_001 {
        let n = tokio::time::timeout(Duration::from_secs(10), client_out.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "the server closed its output");
        pending.extend_from_slice(&buf[..n]);
        while let Some(i) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=i).collect();
            lines += 1;
            results += usize::from(line.windows(8).any(|w| w == b"\"result\""));
        }
    }
    assert_eq!(results, 100_001);
    writer.await.unwrap().unwrap();
}
