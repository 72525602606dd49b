//! A small closed-loop HTTP load client for MCP `tools/call`.
//!
//!     http_load URL [--stateful] [--connections N] [--seconds S] [--tool NAME]
//!
//! Stateful: one `initialize` (and `notifications/initialized`) first, then every request
//! carries the session id. Stateless: requests go straight to `tools/call`. Each connection
//! keeps one request in flight (HTTP/1.1 keep-alive); every response body is read in full and
//! must hold a JSON-RPC result. Prints requests/s and latency percentiles.

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::time::{Duration, Instant};

struct Target {
    host: String,
    path: String,
    session: Option<String>,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(target: &Target) -> Sender {
    let stream = tokio::net::TcpStream::connect(&target.host).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(conn);
    sender
}

/// Sends one POST; returns the status, the session header and the body.
async fn post(sender: &mut Sender, target: &Target, body: String) -> (u16, Option<String>, Bytes) {
    let mut req = Request::post(&target.path)
        .header("host", &target.host)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25");
    if let Some(s) = &target.session {
        req = req.header("mcp-session-id", s);
    }
    let resp = sender.send_request(req.body(Full::new(Bytes::from(body))).unwrap()).await.expect("request");
    let status = resp.status().as_u16();
    let session = resp.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, session, body)
}

fn call(tool: &str, id: u64) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{{"a":{id},"b":1}}}}}}"#
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = args.first().expect("usage: http_load URL [--stateful] [--connections N] [--seconds S]").clone();
    let value = |flag: &str| -> Option<u64> {
        args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
    };
    let connections = value("--connections").unwrap_or(16) as usize;
    let seconds = value("--seconds").unwrap_or(5);
    let stateful = args.iter().any(|a| a == "--stateful");
    let tool: &'static str = args
        .iter()
        .position(|a| a == "--tool")
        .and_then(|i| args.get(i + 1))
        .map_or("add", |t| Box::leak(t.clone().into_boxed_str()));
    let rest = url.strip_prefix("http://").expect("http:// URL");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h.to_owned(), format!("/{p}"))).expect("URL with a path");
    // One core drives the load; the server gets the rest of the machine.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let mut target = Target { host, path, session: None };
        if stateful {
            let mut s = connect(&target).await;
            let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"load","version":"0"}}}"#;
            let (status, session, body) = post(&mut s, &target, init.into()).await;
            assert_eq!(status, 200, "initialize: {}", String::from_utf8_lossy(&body));
            target.session = Some(session.expect("the server assigned no session"));
            let (status, _, _) = post(&mut s, &target, r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.into()).await;
            assert_eq!(status, 202);
        }
        let target = std::sync::Arc::new(target);
        // Warm up, then measure.
        let deadline_warm = Instant::now() + Duration::from_millis(500);
        let deadline = deadline_warm + Duration::from_secs(seconds);
        let workers: Vec<_> = (0..connections)
            .map(|c| {
                let target = target.clone();
                tokio::spawn(async move {
                    let mut sender = connect(&target).await;
                    let mut latencies = Vec::with_capacity(1 << 16);
                    let mut errors = 0u64;
                    let mut id = (c as u64) << 32;
                    loop {
                        let now = Instant::now();
                        if now >= deadline {
                            break;
                        }
                        id += 1;
                        let (status, _, body) = post(&mut sender, &target, call(tool, id)).await;
                        let ok = status == 200 && body.windows(9).any(|w| w == b"\"result\":");
                        if now >= deadline_warm {
                            if ok {
                                latencies.push(now.elapsed());
                            } else {
                                errors += 1;
                                if errors == 1 {
                                    eprintln!("bad response ({status}): {}", String::from_utf8_lossy(&body));
                                }
                            }
                        }
                    }
                    (latencies, errors)
                })
            })
            .collect();
        let mut all = Vec::new();
        let mut errors = 0;
        for w in workers {
            let (l, e) = w.await.unwrap();
            all.extend(l);
            errors += e;
        }
        all.sort();
        let pct = |p: f64| all.get(((all.len().max(1) - 1) as f64 * p) as usize).copied().unwrap_or_default();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "requests/s {:.0}  p50 {:.3} ms  p99 {:.3} ms  ({} ok, {} errors, {} connections, {} s)",
            all.len() as f64 / seconds as f64,
            ms(pct(0.5)),
            ms(pct(0.99)),
            all.len(),
            errors,
            connections,
            seconds
        );
    });
}
