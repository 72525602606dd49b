//! The `fastmcp` command against the quickstart server over stdio (output, `--json`, exit
//! codes) and against the conformance fixture over Streamable HTTP.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The quickstart binary, built once by cargo (it lives in another package of the workspace).
fn quickstart() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let status = Command::new(cargo)
            .args(["build", "-q", "-p", "fastmcp-examples", "--bin", "quickstart"])
            .current_dir(&root)
            .status()
            .expect("run cargo");
        assert!(status.success(), "building the quickstart failed");
        let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target"));
        target.join("debug").join("quickstart")
    })
}

fn fastmcp(args: &[&str]) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    let server = quickstart().to_str().unwrap().to_owned();
    all.push("--");
    all.push(&server);
    Command::new(env!("CARGO_BIN_EXE_fastmcp")).args(&all).output().expect("run fastmcp")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn list_call_read_prompt_and_inspect() {
    let o = fastmcp(&["list"]);
    assert!(o.status.success(), "{o:?}");
    let text = stdout(&o);
    assert!(text.contains("add") && text.contains("greeting://{name}") && text.contains("review_code"), "{text}");

    let o = fastmcp(&["call", "add", "a=2", "b=3"]);
    assert_eq!((o.status.code(), stdout(&o).trim()), (Some(0), "5"));

    let o = fastmcp(&["--json", "call", "stats", "values=[1,2,3]"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["structuredContent"]["mean"], 2.0);

    let o = fastmcp(&["read", "greeting://Ferris"]);
    assert_eq!(stdout(&o).trim(), "Hello, Ferris!");

    let o = fastmcp(&["prompt", "review_code", "code=fn main() {}", "language=rust"]);
    assert!(stdout(&o).contains("Please review this rust code"), "{o:?}");

    let o = fastmcp(&["inspect", "--format", "markdown"]);
    assert!(stdout(&o).contains("### `add`"), "{o:?}");
    let o = fastmcp(&["inspect"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["serverInfo"]["name"], "quickstart");
}

#[test]
fn exit_codes_tell_tool_errors_protocol_errors_and_connection_failures_apart() {
    let o = fastmcp(&["call", "stats", "values=[]"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("must not be empty"));

    let o = fastmcp(&["call", "nope"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let o = fastmcp(&["call", "add", "not-a-pair"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");

    let o = Command::new(env!("CARGO_BIN_EXE_fastmcp")).args(["list", "--", "/nonexistent/server"]).output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{o:?}");
}

/// An example binary, built once by cargo.
fn example(bin: &'static str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(cargo)
        .args(["build", "-q", "-p", "fastmcp-examples", "--bin", bin])
        .current_dir(&root)
        .status()
        .expect("run cargo");
    assert!(status.success(), "building {bin} failed");
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target"));
    target.join("debug").join(bin)
}

#[test]
fn over_streamable_http() {
    use std::io::BufRead;
    let mut server = Command::new(example("conformance"))
        .args(["--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the conformance fixture");
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").expect("listening line").to_owned();
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_fastmcp")).args(args).output().expect("run fastmcp");

    let o = run(&["list", "tools", "--url", &url]);
    assert!(o.status.success() && stdout(&o).contains("test_simple_text"), "{o:?}");
    let o = run(&["call", "test_simple_text", "--url", &url]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(!stdout(&o).trim().is_empty(), "{o:?}");
    let o = run(&["--json", "inspect", "--url", &url]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["tools"].as_array().is_some_and(|t| !t.is_empty()), "{v}");
    // Nothing listens there: a connection failure (3).
    let o = run(&["list", "--url", "http://127.0.0.1:9/mcp"]);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn a_call_as_a_task_is_followed_to_its_end() {
    let tasks = example("tasks");
    let tasks = tasks.to_str().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_fastmcp"))
            .args(args)
            .args(["--", tasks, "--stdio"])
            .env("FASTMCP_DOCKET_URL", "memory://")
            .output()
            .expect("run fastmcp")
    };
    let o = run(&["call", "progress_job", "steps=3", "step_ms=30", "--task", "--ttl", "60"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(stdout(&o).trim(), "done 3 steps");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("working"), "{err}");
    assert!(err.starts_with("task "), "{err}");
    // A tool error inside the task is exit code 1, as inline.
    let o = run(&["call", "failing_job", "message=boom", "--task"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("boom"), "{o:?}");
    // A tool that never runs as a task: the server's error (2).
    let o = run(&["call", "sync_only", "x=2", "--task"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    // The same task on 2026-07-28 (the tasks extension: the server decides, the client polls).
    let o = run(&["call", "progress_job", "steps=2", "step_ms=30", "--task", "--protocol-version", "2026-07-28"]);
    assert_eq!((o.status.code(), stdout(&o).trim()), (Some(0), "done 2 steps"), "{o:?}");
}
