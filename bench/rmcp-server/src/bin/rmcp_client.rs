//! rmcp 3.11 as a client of an MCP server (interoperability): over stdio (it spawns the server)
//! or Streamable HTTP, it initializes, lists the tools, calls one and checks its text, then
//! closes. Exit code 0 and `ok` on success.
//!     rmcp-client stdio PROGRAM [ARGS...]            # calls add(a=2, b=3), expects "5"
//!     rmcp-client http URL [TOOL EXPECTED_TEXT]      # default: add, "5"
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (tool, expected) = match (args.first().map(String::as_str), args.get(2), args.get(3)) {
        (Some("http"), Some(tool), Some(expected)) => (tool.clone(), expected.clone()),
        _ => ("add".to_owned(), "5".to_owned()),
    };
    let client = match args.first().map(String::as_str) {
        Some("stdio") => {
            let mut command = tokio::process::Command::new(&args[1]);
            command.args(&args[2..]);
            ().serve(TokioChildProcess::new(command)?).await?
        }
        Some("http") => ().serve(StreamableHttpClientTransport::from_uri(args[1].clone())).await?,
        _ => return Err("usage: rmcp-client stdio PROGRAM [ARGS...] | rmcp-client http URL".into()),
    };
    let tools = client.list_all_tools().await?;
    if !tools.iter().any(|t| t.name == tool.as_str()) {
        return Err(format!("no `{tool}` among {:?}", tools.iter().map(|t| t.name.clone()).collect::<Vec<_>>()).into());
    }
    let arguments = if tool == "add" {
        serde_json::json!({ "a": 2, "b": 3 }).as_object().cloned().unwrap_or_default()
    } else {
        Default::default()
    };
    let result = client.call_tool(CallToolRequestParams::new(tool.clone()).with_arguments(arguments)).await?;
    let text = result.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone());
    if text.as_deref() != Some(expected.as_str()) {
        return Err(format!("{tool} answered {result:?}, expected {expected:?}").into());
    }
    client.cancel().await?;
    println!("ok");
    Ok(())
}
