//! fastmcp with the same `add` tool as the rmcp bench server, for the HTTP benchmark.
//!     http_server [--stateless] [--sse-always]    prints `listening on http://ADDR/mcp`
use fastmcp::prelude::*;
use fastmcp::transport::http::HttpOptions;

/// Adds two integers.
#[tool]
fn add(a: i64, b: i64) -> String {
    (a + b).to_string()
}

/// Adds two integers, logging once first (so the answer travels as SSE).
#[tool]
async fn add_logged(a: i64, b: i64, ctx: Context) -> String {
    ctx.info("adding").await;
    (a + b).to_string()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stateless = std::env::args().any(|a| a == "--stateless");
    let sse_always = std::env::args().any(|a| a == "--sse-always");
    let server = FastMcp::new("bench").build()?;
    let s = server.clone();
    let serve = tokio::spawn(async move {
        s.run_http("127.0.0.1:0", HttpOptions::default().stateless(stateless).sse_always(sse_always)).await
    });
    server.wait_until_ready().await?;
    println!("listening on http://{}/mcp", server.local_addr().expect("bound"));
    serve.await??;
    Ok(())
}
