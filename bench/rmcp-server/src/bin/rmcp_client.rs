//! rmcp 3.11 as a client of an MCP server (interoperability): over stdio (it spawns the server)
//! or Streamable HTTP, it starts a session, lists the tools, calls one and checks its text, then
//! closes. Exit code 0 and `ok` on success.
//!     rmcp-client stdio PROGRAM [ARGS...]            # calls add(a=2, b=3), expects "5"
//!     rmcp-client http URL [TOOL EXPECTED_TEXT]      # default: add, "5"
//!     rmcp-client stdio2026 PROGRAM [ARGS...]        # the same on 2026-07-28 (server/discover)
//!     rmcp-client http2026 URL [TOOL EXPECTED_TEXT]
//!     rmcp-client task2026 URL                       # rmcp's task API (SEP-2663) against the
//!                                                    # tasks fixture: slow_add becomes a task,
//!                                                    # polled with tasks/get until "5"
use rmcp::model::{CallToolRequestParams, CallToolResponse, ClientConfig, GetTaskParams, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RoleClient, RunningService};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::ServiceExt;
use serde_json::json;
use std::time::{Duration, Instant};

/// A client that declares the tasks extension (so a 2026-07-28 server may answer with a task).
fn config() -> ClientConfig {
    serde_json::from_value(json!({
        "protocolVersion": "2026-07-28",
        "capabilities": { "extensions": { "io.modelcontextprotocol/tasks": {} } },
        "clientInfo": { "name": "rmcp-client", "version": "3.11.0" },
    }))
    .expect("a client config")
}

fn discover() -> ClientLifecycleMode {
    ClientLifecycleMode::Discover { preferred_versions: vec![ProtocolVersion::V_2026_07_28] }
}

async fn connect(mode: &str, target: &[String]) -> Result<RunningService<RoleClient, ClientConfig>, Box<dyn std::error::Error>> {
    let spawn = || {
        let mut command = tokio::process::Command::new(&target[0]);
        command.args(&target[1..]);
        TokioChildProcess::new(command)
    };
    Ok(match mode {
        "stdio" => config().serve(spawn()?).await?,
        "http" => config().serve(StreamableHttpClientTransport::from_uri(target[0].clone())).await?,
        "stdio2026" => config().serve_with_lifecycle(spawn()?, discover()).await?,
        "http2026" | "task2026" => {
            config().serve_with_lifecycle(StreamableHttpClientTransport::from_uri(target[0].clone()), discover()).await?
        }
        _ => return Err("usage: rmcp-client stdio|stdio2026 PROGRAM [ARGS...] | http|http2026|task2026 URL".into()),
    })
}

fn text_of(result: &rmcp::model::CallToolResult) -> Option<String> {
    result.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().cloned().unwrap_or_default();
    let client = connect(&mode, &args[1..]).await?;
    if mode == "task2026" {
        let arguments = json!({ "a": 2, "b": 3, "delay_ms": 300 }).as_object().cloned().unwrap_or_default();
        let params = CallToolRequestParams::new("slow_add").with_arguments(arguments);
        let CallToolResponse::Task(created) = client.call_tool_once(params).await? else {
            return Err("slow_add was not answered with a task".into());
        };
        let task_id = created.task.task_id.clone();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let task = serde_json::to_value(client.get_task(GetTaskParams::new(task_id.clone())).await?)?;
            match task["status"].as_str() {
                Some("completed") => {
                    let text = task["result"]["content"][0]["text"].as_str().unwrap_or_default().to_owned();
                    if text != "5" {
                        return Err(format!("the task's result is {task}, expected 5").into());
                    }
                    break;
                }
                Some("working") if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
                _ => return Err(format!("unexpected task state: {task}").into()),
            }
        }
        client.cancel().await?;
        println!("ok");
        return Ok(());
    }
    let (tool, expected) = match (args.get(2), args.get(3)) {
        (Some(tool), Some(expected)) if mode.starts_with("http") => (tool.clone(), expected.clone()),
        _ => ("add".to_owned(), "5".to_owned()),
    };
    let tools = client.list_all_tools().await?;
    if !tools.iter().any(|t| t.name == tool.as_str()) {
        return Err(format!("no `{tool}` among {:?}", tools.iter().map(|t| t.name.clone()).collect::<Vec<_>>()).into());
    }
    let arguments = if tool == "add" {
        json!({ "a": 2, "b": 3 }).as_object().cloned().unwrap_or_default()
    } else {
        Default::default()
    };
    let result = client.call_tool(CallToolRequestParams::new(tool.clone()).with_arguments(arguments)).await?;
    if text_of(&result).as_deref() != Some(expected.as_str()) {
        return Err(format!("{tool} answered {result:?}, expected {expected:?}").into());
    }
    client.cancel().await?;
    println!("ok");
    Ok(())
}
