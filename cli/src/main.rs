//! `fastmcp`: list, call, read, prompt and inspect any MCP server, over stdio (a program after
//! `--`) or Streamable HTTP (`--url`).
//!
//!     fastmcp list -- target/debug/quickstart
//!     fastmcp list --url http://127.0.0.1:8000/mcp --bearer "$TOKEN"
//!     fastmcp call add a=2 b=3 -- target/debug/quickstart
//!     fastmcp call slow_add a=2 b=3 --task -- target/debug/tasks --stdio
//!     fastmcp read greeting://Ferris -- target/debug/quickstart
//!     fastmcp prompt review_code code='fn main() {}' -- target/debug/quickstart
//!     fastmcp inspect --format markdown -- python server.py
//!
//! Exit codes: 0 success; 1 the tool answered `isError`; 2 the server answered a JSON-RPC error
//! (or the arguments were wrong); 3 the server could not be started or reached.

use clap::{Parser, Subcommand, ValueEnum};
use fastmcp::protocol::Implementation;
use fastmcp::server::Manifest;
use fastmcp::{Client, ClientError};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value, json};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "fastmcp", version, about = "Talk to any MCP server, over stdio or Streamable HTTP")]
struct Cli {
    /// Print JSON (the raw results) instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

/// The server to talk to.
#[derive(clap::Args)]
struct Target {
    /// A Streamable HTTP endpoint, instead of a program (e.g. http://127.0.0.1:8000/mcp).
    #[arg(long, conflicts_with = "server")]
    url: Option<String>,
    /// A bearer token to send with every HTTP request (with --url).
    #[arg(long, requires = "url")]
    bearer: Option<String>,
    /// The protocol revision to speak: 2025-11-25 (and older, negotiated at `initialize`) by
    /// default, or 2026-07-28 (stateless: `server/discover`, no session).
    #[arg(long, value_name = "VERSION")]
    protocol_version: Option<String>,
    /// The server: a program and its arguments, after `--`.
    #[arg(last = true, required_unless_present = "url", num_args = 1..)]
    server: Vec<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Lists tools, prompts, resources and resource templates.
    List {
        /// Only this kind.
        #[arg(value_enum)]
        kind: Option<Kind>,
        #[command(flatten)]
        target: Target,
    },
    /// Calls a tool: `fastmcp call NAME key=value ...` (values are JSON where they parse, else
    /// strings; a `string` argument of the tool's schema always stays a string).
    Call {
        /// The tool.
        name: String,
        /// Arguments as key=value.
        args: Vec<String>,
        /// Run it as an MCP task (SEP-1686): the server answers at once with a task, followed to
        /// its end (progress and status on stderr); Ctrl-C cancels the task.
        #[arg(long)]
        task: bool,
        /// How long the server keeps the task, in seconds (with --task).
        #[arg(long, requires = "task")]
        ttl: Option<u64>,
        #[command(flatten)]
        target: Target,
    },
    /// Reads a resource.
    Read {
        /// Its URI.
        uri: String,
        #[command(flatten)]
        target: Target,
    },
    /// Gets a prompt: `fastmcp prompt NAME key=value ...`.
    Prompt {
        /// The prompt.
        name: String,
        /// Arguments as key=value.
        args: Vec<String>,
        #[command(flatten)]
        target: Target,
    },
    /// Prints the server's manifest (every component as the list results show it).
    Inspect {
        /// JSON in the MCP list shapes, FastMCP's `inspect` JSON, or Markdown.
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Tools,
    Prompts,
    Resources,
    Templates,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Fastmcp,
    Markdown,
}

/// Why the command failed, and its exit code.
enum Failure {
    /// The tool answered `isError`.
    ToolError(String),
    /// A JSON-RPC error, a bad argument or an undecodable answer.
    Protocol(String),
    /// The server could not be started or went away.
    Connection(String),
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Rpc(e) => {
                Failure::Protocol(format!("the server answered an error: {} (code {})", e.message, e.code))
            }
            ClientError::Decode(why) => Failure::Protocol(format!("the answer could not be decoded: {why}")),
            other => Failure::Connection(other.to_string()),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("FASTMCP_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::ToolError(text)) => {
            eprintln!("{text}");
            ExitCode::from(1)
        }
        Err(Failure::Protocol(why)) => {
            eprintln!("error: {why}");
            ExitCode::from(2)
        }
        Err(Failure::Connection(why)) => {
            eprintln!("error: {why}");
            ExitCode::from(3)
        }
    }
}

async fn run(cli: &Cli) -> Result<(), Failure> {
    let target = match &cli.command {
        Command::List { target, .. }
        | Command::Call { target, .. }
        | Command::Read { target, .. }
        | Command::Prompt { target, .. }
        | Command::Inspect { target, .. } => target,
    };
    let mut builder = Client::builder();
    if let Some(version) = &target.protocol_version {
        builder = builder.protocol_version(version);
    }
    let client = match &target.url {
        Some(url) => {
            if let Some(token) = &target.bearer {
                builder = builder.bearer_token(token);
            }
            builder.connect_http(url).await?
        }
        None => {
            let (program, args) =
                target.server.split_first().ok_or_else(|| Failure::Protocol("no server command".into()))?;
            let mut command = tokio::process::Command::new(program);
            command.args(args);
            builder.spawn(command).await?
        }
    };
    match &cli.command {
        Command::List { kind, .. } => list(&client, *kind, cli.json).await,
        Command::Call { name, args, task: false, .. } => call(&client, name, args, cli.json).await,
        Command::Call { name, args, task: true, ttl, .. } => {
            call_as_task(&client, name, args, ttl.map(std::time::Duration::from_secs), cli.json).await
        }
        Command::Read { uri, .. } => {
            let result = client.request("resources/read", json!({ "uri": uri })).await?;
            if cli.json {
                print_json(&result);
            } else {
                for c in result["contents"].as_array().into_iter().flatten() {
                    match c.get("text").and_then(Value::as_str) {
                        Some(text) => println!("{text}"),
                        None => println!(
                            "<{} bytes of {}>",
                            c["blob"].as_str().map_or(0, |b| b.len() * 3 / 4),
                            c["mimeType"]
                        ),
                    }
                }
            }
            Ok(())
        }
        Command::Prompt { name, args, .. } => {
            let arguments: Map<String, Value> =
                parse_pairs(args, None)?.into_iter().map(|(k, v)| (k, Value::String(as_text(&v)))).collect();
            let result = client.request("prompts/get", json!({ "name": name, "arguments": arguments })).await?;
            if cli.json {
                print_json(&result);
            } else {
                for m in result["messages"].as_array().into_iter().flatten() {
                    let content = &m["content"];
                    println!(
                        "[{}] {}",
                        m["role"].as_str().unwrap_or("?"),
                        content["text"].as_str().map_or_else(|| content.to_string(), str::to_owned)
                    );
                }
            }
            Ok(())
        }
        Command::Inspect { format, .. } => {
            let manifest = manifest(&client).await?;
            match format {
                Format::Json => print_json(&manifest.to_mcp_json()),
                Format::Fastmcp => print_json(&manifest.to_fastmcp_json()),
                Format::Markdown => print!("{}", manifest.to_markdown()),
            }
            Ok(())
        }
    }
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()));
}

fn as_text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// `key=value` pairs; a value is JSON where it parses, unless `schema` says the argument is a
/// string.
fn parse_pairs(pairs: &[String], schema: Option<&Value>) -> Result<Map<String, Value>, Failure> {
    let mut out = Map::new();
    for pair in pairs {
        let (key, raw) = pair.split_once('=').ok_or_else(|| Failure::Protocol(format!("`{pair}` is not key=value")))?;
        let is_string = schema.and_then(|s| s.pointer(&format!("/properties/{key}/type"))).is_some_and(|t| {
            t == "string" || t.as_array().is_some_and(|a| a.len() <= 2 && a.contains(&json!("string")))
        });
        let value = if is_string {
            Value::String(raw.to_owned())
        } else {
            serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
        };
        out.insert(key.to_owned(), value);
    }
    Ok(out)
}

async fn list(client: &Client, kind: Option<Kind>, as_json: bool) -> Result<(), Failure> {
    let wanted = |k: Kind| kind.is_none_or(|w| w as u8 == k as u8);
    let mut all = Map::new();
    for (k, key, items) in [
        (Kind::Tools, "tools", if wanted(Kind::Tools) { Some(client.list_tools().await?) } else { None }),
        (Kind::Prompts, "prompts", if wanted(Kind::Prompts) { Some(client.list_prompts().await?) } else { None }),
        (
            Kind::Resources,
            "resources",
            if wanted(Kind::Resources) { Some(client.list_resources().await?) } else { None },
        ),
        (
            Kind::Templates,
            "resourceTemplates",
            if wanted(Kind::Templates) { Some(client.list_resource_templates().await?) } else { None },
        ),
    ] {
        let Some(items) = items else { continue };
        if !as_json {
            if !items.is_empty() {
                println!("{key}:");
            }
            for item in &items {
                let name = match k {
                    Kind::Resources => item["uri"].clone(),
                    Kind::Templates => item["uriTemplate"].clone(),
                    _ => item["name"].clone(),
                };
                let description = item.get("description").and_then(Value::as_str).unwrap_or("");
                println!("  {:<28} {}", as_text(&name), description.lines().next().unwrap_or(""));
            }
        }
        all.insert(key.to_owned(), Value::Array(items));
    }
    if as_json {
        print_json(&Value::Object(all));
    }
    Ok(())
}

/// A progress bar on stderr, drawn from the first progress notification on.
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::hidden();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Moves `bar` for a `notifications/progress` carrying `token`.
fn show_progress(bar: &ProgressBar, n: &fastmcp::protocol::Notification, token: &Value) {
    let Some(p) = n.params.as_ref().filter(|p| n.method == "notifications/progress" && &p["progressToken"] == token)
    else {
        return;
    };
    if bar.is_hidden() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
    if let Some(total) = p["total"].as_f64() {
        bar.set_length(total as u64);
    }
    bar.set_position(p["progress"].as_f64().unwrap_or(0.0) as u64);
    if let Some(m) = p["message"].as_str() {
        bar.set_message(m.to_owned());
    }
}

/// The tool's arguments from `key=value` pairs, typed by its schema.
async fn tool_arguments(client: &Client, name: &str, pairs: &[String]) -> Result<Map<String, Value>, Failure> {
    let tools = client.list_tools().await?;
    let schema = tools.iter().find(|t| t["name"] == name).map(|t| t["inputSchema"].clone());
    parse_pairs(pairs, schema.as_ref())
}

/// Calls a tool with a progress token, drawing a progress bar on stderr while it runs.
async fn call(client: &Client, name: &str, pairs: &[String], as_json: bool) -> Result<(), Failure> {
    let arguments = tool_arguments(client, name, pairs).await?;
    let token = json!("fastmcp-cli");
    let request = json!({ "name": name, "arguments": arguments, "_meta": { "progressToken": token } });
    let bar = progress_bar();
    let call = client.request("tools/call", request);
    tokio::pin!(call);
    let result = loop {
        tokio::select! {
            result = &mut call => break result?,
            Some(n) = client.next_notification() => show_progress(&bar, &n, &token),
        }
    };
    bar.finish_and_clear();
    print_tool_result(&result, as_json)
}

/// Calls a tool as a task and follows it to its end; Ctrl-C cancels it.
async fn call_as_task(
    client: &Client,
    name: &str,
    pairs: &[String],
    ttl: Option<std::time::Duration>,
    as_json: bool,
) -> Result<(), Failure> {
    let arguments = tool_arguments(client, name, pairs).await?;
    let task = client.call_tool_as_task(name, Value::Object(arguments), ttl).await?;
    eprintln!("task {} {}", task.id(), task.created().status);
    let mut last_status = task.created().status.clone();
    let bar = progress_bar();
    let result = task.result();
    tokio::pin!(result);
    let result = loop {
        tokio::select! {
            result = &mut result => break result?,
            Some(n) = client.next_notification() => {
                show_progress(&bar, &n, task.progress_token());
                if n.method == "notifications/tasks/status"
                    && let Some(status) = n.params.as_ref().filter(|p| p["taskId"] == task.id()).and_then(|p| p["status"].as_str())
                    && status != last_status
                {
                    bar.suspend(|| eprintln!("task {} {status}", task.id()));
                    last_status = status.to_owned();
                }
            }
            _ = tokio::signal::ctrl_c() => {
                bar.finish_and_clear();
                let status = task.cancel().await?;
                return Err(Failure::ToolError(format!("task {} {}", task.id(), status.status)));
            }
        }
    };
    bar.finish_and_clear();
    print_tool_result(&result, as_json)
}

/// Prints a `CallToolResult`; `isError` is exit code 1.
fn print_tool_result(result: &Value, as_json: bool) -> Result<(), Failure> {
    if as_json {
        print_json(result);
    } else {
        for c in result["content"].as_array().into_iter().flatten() {
            match c.get("text").and_then(Value::as_str) {
                Some(text) => println!("{text}"),
                None => println!("<{} content>", c["type"].as_str().unwrap_or("?")),
            }
        }
    }
    if result["isError"] == true {
        let text = result["content"][0]["text"].as_str().unwrap_or("the tool failed").to_owned();
        return Err(Failure::ToolError(text));
    }
    Ok(())
}

async fn manifest(client: &Client) -> Result<Manifest, Failure> {
    let init = client.initialize_result();
    let server: Implementation = serde_json::from_value(init["serverInfo"].clone())
        .map_err(|e| Failure::Protocol(format!("serverInfo could not be decoded: {e}")))?;
    Ok(Manifest {
        server,
        instructions: init["instructions"].as_str().map(str::to_owned),
        capabilities: init["capabilities"].clone(),
        tools: client.list_tools().await?,
        prompts: client.list_prompts().await?,
        resources: client.list_resources().await?,
        resource_templates: client.list_resource_templates().await?,
    })
}
