//! The quickstart server: two tools, a resource template, a static resource and a prompt,
//! served over stdio.
//!
//!     cargo run -p fastmcp-examples --bin quickstart -- --demo   # a client session, printed
//!     cargo run -p fastmcp-examples --bin quickstart             # serve MCP on stdin/stdout
//!
//! then paste, line by line:
//!     {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sh","version":"0"}}}
//!     {"jsonrpc":"2.0","method":"notifications/initialized"}
//!     {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}

use fastmcp::prelude::*;
use serde::Serialize;

/// Adds two integers.
#[tool(read_only, idempotent, tags("math"))]
fn add(
    /// The first addend.
    a: i64,
    /// The second addend.
    b: i64,
) -> i64 {
    a + b
}

#[derive(Serialize, schemars::JsonSchema)]
struct Stats {
    count: usize,
    mean: f64,
}

/// Count and mean of a list of numbers, reporting progress as it goes.
#[tool(title = "Statistics")]
async fn stats(
    /// The numbers to summarise.
    values: Vec<f64>,
    progress: Progress,
) -> Result<Stats, String> {
    if values.is_empty() {
        return Err("`values` must not be empty".into());
    }
    progress.report(1.0, Some(1.0), Some("summed")).await;
    Ok(Stats { count: values.len(), mean: values.iter().sum::<f64>() / values.len() as f64 })
}

/// A greeting for someone.
#[resource("greeting://{name}", mime_type = "text/plain")]
fn greeting(name: String) -> String {
    format!("Hello, {name}!")
}

/// What this server is.
#[resource("info://server")]
fn server_info() -> serde_json::Value {
    serde_json::json!({ "name": "quickstart", "transport": "stdio" })
}

/// Asks the model to review a piece of code.
#[prompt(complete(language = complete_language))]
fn review_code(
    /// The code to review.
    code: String,
    /// The language it is written in.
    language: Option<String>,
) -> String {
    let language = language.unwrap_or_else(|| "unknown".into());
    format!("Please review this {language} code:\n\n{code}")
}

fn complete_language(prefix: &str) -> Vec<String> {
    ["rust", "python", "typescript", "go"].iter().filter(|l| l.starts_with(prefix)).map(|l| l.to_string()).collect()
}

fn server() -> FastMcp {
    FastMcp::new("quickstart").instructions("Arithmetic, statistics, greetings and a code-review prompt.")
}

/// Connects an in-memory client to the server and prints what it sees.
async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    let server = server().build()?;
    let client = Client::connect(&server).await?;
    println!("server: {}", client.initialize_result()["serverInfo"]);
    for tool in client.list_tools().await? {
        println!("tool {}: {}", tool["name"], tool["description"]);
    }
    let sum = client.call_tool("add", serde_json::json!({"a": 2, "b": 3})).await?;
    println!("add(2, 3) -> {}", serde_json::to_string(&sum)?);
    let stats = client.call_tool("stats", serde_json::json!({"values": [1.0, 2.0, 6.0]})).await?;
    println!("stats([1, 2, 6]) -> {}", serde_json::to_string(&stats.structured_content)?);
    let greeting = client.read_resource("greeting://Ferris").await?;
    println!("greeting://Ferris -> {}", serde_json::to_string(&greeting.contents[0])?);
    let prompt =
        client.get_prompt("review_code", serde_json::json!({"code": "fn main() {}", "language": "rust"})).await?;
    println!("review_code -> {:?}", prompt.messages[0].content.as_text().unwrap_or_default());
    server.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    fastmcp::logging::init();
    if std::env::args().any(|a| a == "--demo") {
        return demo().await;
    }
    server().run_stdio().await?;
    Ok(())
}
