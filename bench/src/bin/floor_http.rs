//! The floor of the HTTP benchmark: axum + serde_json answering `tools/call` with a
//! `CallToolResult`, no framework. It parses each request as fastmcp does (JSON-RPC envelope,
//! params as JSON), answers `initialize` with a session id (so the load client's stateful mode
//! works) and 202 to notifications; everything else MCP would do (validation, sessions,
//! cancellation, limits) is left out on purpose. What fastmcp reaches against it is the
//! framework's cost.
//!     floor_http    prints `listening on http://ADDR/mcp`

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    id: Option<Value>,
    method: String,
    #[serde(default)]
    params: Option<Value>,
}

fn json_body(value: &Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], serde_json::to_vec(value).unwrap_or_default()).into_response()
}

async fn mcp(body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Request>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(id) = request.id else {
        return StatusCode::ACCEPTED.into_response();
    };
    match request.method.as_str() {
        "initialize" => {
            let mut resp = json_body(&json!({"jsonrpc": "2.0", "id": id, "result": {
                "protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                "serverInfo": {"name": "floor", "version": "0"}}}));
            resp.headers_mut().insert("mcp-session-id", header::HeaderValue::from_static("floor"));
            resp
        }
        "tools/call" => {
            let args = request.params.as_ref().and_then(|p| p.get("arguments"));
            let a = args.and_then(|a| a.get("a")).and_then(Value::as_i64).unwrap_or(0);
            let b = args.and_then(|a| a.get("b")).and_then(Value::as_i64).unwrap_or(0);
            json_body(&json!({"jsonrpc": "2.0", "id": id, "result": {
                "content": [{"type": "text", "text": (a + b).to_string()}], "isError": false}}))
        }
        _ => json_body(&json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}})),
    }
}

#[tokio::main]
async fn main() {
    let app = axum::Router::new().route("/mcp", axum::routing::post(mcp));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("listening on http://{}/mcp", listener.local_addr().expect("bound"));
    axum::serve(listener, app).await.expect("serve");
}
