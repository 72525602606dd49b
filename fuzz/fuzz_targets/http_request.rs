//! Whole HTTP requests into the Streamable HTTP router (in process): method, path, headers and
//! body from the input. Never a panic, never a 5xx other than a capacity limit's 503; the server
//! keeps answering.
#![no_main]
use axum::body::Body;
use http::Request;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tower::ServiceExt;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap())
}

/// An echo tool, so valid calls reach a handler.
fn router() -> &'static axum::Router {
    static ROUTER: OnceLock<axum::Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        runtime().block_on(async {
            let tool = fastmcp::Tool::new("echo", serde_json::json!({"type": "object"}), |args, _| async move {
                fastmcp::CallToolResult::text(serde_json::Value::Object(args).to_string())
            });
            let server = fastmcp::FastMcp::new("fuzz").dynamic_tool(tool).build().unwrap();
            server.start().await.unwrap();
            server.http_router(fastmcp::transport::http::HttpOptions::default())
        })
    })
}

const METHODS: [&str; 5] = ["POST", "GET", "DELETE", "PUT", "OPTIONS"];

fuzz_target!(|data: &[u8]| {
    // Layout: [method byte] then header lines "name: value\n" until an empty line, then body.
    let Some((&m, rest)) = data.split_first() else { return };
    let split = rest.windows(2).position(|w| w == b"\n\n").unwrap_or(rest.len());
    let (head, body) = (&rest[..split], rest.get(split + 2..).unwrap_or_default());
    let mut request =
        Request::builder().method(METHODS[m as usize % METHODS.len()]).uri("/mcp").header("host", "127.0.0.1");
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(&line[..colon]),
            http::HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        request = request.header(name, value);
    }
    let Ok(request) = request.body(Body::from(body.to_vec())) else { return };
    let router = router().clone();
    let status = runtime().block_on(async {
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        // Drain bounded: SSE answers end with the response to the request.
        let _ = tokio::time::timeout(
            std::time::Duration::from_millis(200),
            axum::body::to_bytes(response.into_body(), 1 << 20),
        )
        .await;
        status
    });
    // 503 is a capacity limit answering as designed (sessions, SSE streams), not a failure.
    assert!(!status.is_server_error() || status == http::StatusCode::SERVICE_UNAVAILABLE, "{status}");
});
