//! rmcp 3.11 with the same `add` tool as the fastmcp bench server: the anchor of the HTTP and
//! start-up benchmarks.
//!     rmcp-bench-server [--stateless]    prints `listening on http://ADDR/mcp`
//!     rmcp-bench-server --stdio          serves over stdin/stdout
use rmcp::{
    ServerHandler, ServiceExt,
    handler::server::{router::tool::ToolRouter, wrapper::Parameters},
    model::{ServerCapabilities, ServerConfig},
    schemars, tool, tool_handler, tool_router,
    transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager},
};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct AddRequest {
    pub a: i64,
    pub b: i64,
}

#[derive(Debug, Clone)]
#[allow(dead_code)] // read through the macros
pub struct Bench {
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl Bench {
    #[tool(description = "Adds two integers")]
    fn add(&self, Parameters(AddRequest { a, b }): Parameters<AddRequest>) -> String {
        (a + b).to_string()
    }
}

#[tool_handler]
impl ServerHandler for Bench {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--stdio") {
        let service = Bench { tool_router: Bench::tool_router() }.serve(rmcp::transport::stdio()).await.unwrap();
        let _ = service.waiting().await;
        return;
    }
    let stateless = std::env::args().any(|a| a == "--stateless");
    let mut config = StreamableHttpServerConfig::default().with_sse_keep_alive(None);
    if stateless {
        config = config.with_legacy_session_mode(false).with_json_response(true);
    }
    let service: StreamableHttpService<Bench, LocalSessionManager> =
        StreamableHttpService::new(|| Ok(Bench { tool_router: Bench::tool_router() }), Default::default(), config);
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening on http://{}/mcp", listener.local_addr().unwrap());
    axum::serve(listener, router).await.unwrap();
}
