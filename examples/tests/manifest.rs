//! The generated documentation of a server: `FASTMCP_MANIFEST` makes any fastmcp binary print
//! its manifest, and the manifest says exactly what `tools/list`, `prompts/list`,
//! `resources/list` and `resources/templates/list` return over stdio.

use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

/// Runs the notes example with `FASTMCP_MANIFEST=format` and returns its stdout.
async fn printed(format: &str) -> String {
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        Command::new(env!("CARGO_BIN_EXE_notes")).env("FASTMCP_MANIFEST", format).stdin(Stdio::null()).output(),
    )
    .await
    .expect("the manifest is printed without serving")
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The four list results of the notes example, over stdio.
async fn listed() -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_notes"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut out = json!({});
    let requests = [
        (
            1,
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}),
        ),
        (2, "tools/list", json!({})),
        (3, "prompts/list", json!({})),
        (4, "resources/list", json!({})),
        (5, "resources/templates/list", json!({})),
    ];
    for (id, method, params) in requests {
        let line = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string() + "\n";
        stdin.write_all(line.as_bytes()).await.unwrap();
        if id == 1 {
            stdin.write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n").await.unwrap();
        }
        let reply = tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await.unwrap().unwrap().unwrap();
        let reply: Value = serde_json::from_str(&reply).unwrap();
        assert_eq!(reply["id"], id, "{reply}");
        out[method] = reply["result"].clone();
    }
    out
}

#[tokio::test]
async fn the_manifest_is_what_the_lists_return_over_a_real_transport() {
    let manifest: Value = serde_json::from_str(&printed("json").await).unwrap();
    let listed = listed().await;
    assert_eq!(manifest["serverInfo"], listed["initialize"]["serverInfo"]);
    assert_eq!(manifest["capabilities"], listed["initialize"]["capabilities"]);
    assert_eq!(manifest["instructions"], listed["initialize"]["instructions"]);
    assert_eq!(manifest["tools"], listed["tools/list"]["tools"]);
    assert_eq!(manifest["prompts"], listed["prompts/list"]["prompts"]);
    assert_eq!(manifest["resources"], listed["resources/list"]["resources"]);
    assert_eq!(manifest["resourceTemplates"], listed["resources/templates/list"]["resourceTemplates"]);
    assert_eq!(manifest["tools"].as_array().unwrap().len(), 2);
    assert_eq!(manifest["resourceTemplates"][0]["uriTemplate"], "notes://{id}");
}

#[tokio::test]
async fn the_fastmcp_inspect_format_and_markdown() {
    let inspect: Value = serde_json::from_str(&printed("fastmcp").await).unwrap();
    assert_eq!(inspect["server"]["name"], "notes");
    assert_eq!(inspect["server"]["version"], "1.0.0");
    let list = inspect["tools"].as_array().unwrap().iter().find(|t| t["key"] == "list_notes").unwrap();
    assert_eq!(list["tags"], json!(["read"]));
    assert_eq!(list["input_schema"]["properties"]["limit"]["default"], 10);
    assert_eq!(list["annotations"]["readOnlyHint"], true);
    assert_eq!(inspect["templates"][0]["uri_template"], "notes://{id}");
    assert_eq!(inspect["prompts"][0]["arguments"][0]["name"], "tone");

    let md = printed("markdown").await;
    for expected in [
        "# notes",
        "## Tools",
        "### `list_notes`",
        "| `limit` | `integer` | no | `10` | How many notes, at most. |",
        "## Prompts",
        "| `tone` | no | The tone of the summary. |",
        "### `notes://{id}`",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in:\n{md}");
    }
}

#[tokio::test]
async fn an_unknown_manifest_format_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_notes")).env("FASTMCP_MANIFEST", "yaml").output().await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected `json`, `fastmcp` or `markdown`"));
}
