//! The manifest of a server: every component it serves, as `*/list` shows them, for generated
//! documentation. Serialises to the shape of the MCP list results ([`Manifest::to_mcp_json`])
//! and to the JSON of Python FastMCP's `fastmcp inspect --format fastmcp`
//! ([`Manifest::to_fastmcp_json`]), so existing tooling reads it; [`Manifest::to_markdown`]
//! (in `markdown.rs`) renders a human reference.
//!
//! Any binary can print its own: with `FASTMCP_MANIFEST=json|fastmcp|markdown` in the
//! environment, `run_stdio` / `run_http` print the manifest to stdout and return without serving.

use super::*;
use crate::protocol::Implementation;
use serde_json::{Value, json};

/// The environment variable that makes `run_stdio` / `run_http` print the manifest and exit.
pub const MANIFEST_ENV: &str = "FASTMCP_MANIFEST";

/// Everything a server serves.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The server's name, version and title.
    pub server: Implementation,
    /// Instructions for the model, if any.
    pub instructions: Option<String>,
    /// The capabilities announced at `initialize`.
    pub capabilities: Value,
    /// `Tool` objects, as `tools/list` returns them.
    pub tools: Vec<Value>,
    /// `Prompt` objects, as `prompts/list` returns them.
    pub prompts: Vec<Value>,
    /// `Resource` objects, as `resources/list` returns them.
    pub resources: Vec<Value>,
    /// `ResourceTemplate` objects, as `resources/templates/list` returns them.
    pub resource_templates: Vec<Value>,
}

/// The formats `FASTMCP_MANIFEST` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestFormat {
    /// [`Manifest::to_mcp_json`].
    Json,
    /// [`Manifest::to_fastmcp_json`].
    FastMcp,
    /// [`Manifest::to_markdown`].
    Markdown,
}

impl std::str::FromStr for ManifestFormat {
    type Err = ServerError;
    fn from_str(s: &str) -> Result<Self, ServerError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" | "mcp" => Ok(ManifestFormat::Json),
            "fastmcp" => Ok(ManifestFormat::FastMcp),
            "markdown" | "md" => Ok(ManifestFormat::Markdown),
            other => {
                Err(ServerError::Config(format!("{MANIFEST_ENV}={other:?}: expected `json`, `fastmcp` or `markdown`")))
            }
        }
    }
}

impl Manifest {
    /// `{serverInfo, instructions, capabilities, tools, prompts, resources, resourceTemplates}`.
    pub fn to_mcp_json(&self) -> Value {
        json!({
            "serverInfo": self.server,
            "instructions": self.instructions,
            "capabilities": self.capabilities,
            "tools": self.tools,
            "prompts": self.prompts,
            "resources": self.resources,
            "resourceTemplates": self.resource_templates,
        })
    }

    /// The JSON of `fastmcp inspect --format fastmcp` (snake_case, tags as lists).
    pub fn to_fastmcp_json(&self) -> Value {
        let tools: Vec<Value> = self
            .tools
            .iter()
            .map(|t| {
                json!({
                    "key": t["name"], "name": t["name"], "description": t.get("description"),
                    "input_schema": t["inputSchema"], "output_schema": t.get("outputSchema"),
                    "annotations": t.get("annotations"), "tags": tags(t), "title": t.get("title"),
                    "icons": t.get("icons"), "meta": t.get("_meta"),
                })
            })
            .collect();
        let prompts: Vec<Value> = self
            .prompts
            .iter()
            .map(|p| {
                json!({
                    "key": p["name"], "name": p["name"], "description": p.get("description"), "text": null,
                    "arguments": p.get("arguments"), "tags": tags(p), "title": p.get("title"),
                    "icons": p.get("icons"), "meta": p.get("_meta"),
                })
            })
            .collect();
        let resources: Vec<Value> = self
            .resources
            .iter()
            .map(|r| {
                json!({
                    "key": r["uri"], "uri": r["uri"], "name": r.get("name"), "description": r.get("description"),
                    "mime_type": r.get("mimeType"), "annotations": r.get("annotations"), "tags": tags(r),
                    "title": r.get("title"), "icons": r.get("icons"), "meta": r.get("_meta"),
                })
            })
            .collect();
        let templates: Vec<Value> = self
            .resource_templates
            .iter()
            .map(|r| {
                json!({
                    "key": r["uriTemplate"], "uri_template": r["uriTemplate"], "name": r.get("name"),
                    "description": r.get("description"), "mime_type": r.get("mimeType"), "parameters": null,
                    "annotations": r.get("annotations"), "tags": tags(r), "title": r.get("title"),
                    "icons": r.get("icons"), "meta": r.get("_meta"),
                })
            })
            .collect();
        json!({
            "server": {
                "name": self.server.name, "instructions": self.instructions, "version": self.server.version,
                "website_url": null, "icons": null, "generation": 2, "capabilities": self.capabilities,
            },
            "environment": { "fastmcp": format!("fastmcp-rs {}", env!("CARGO_PKG_VERSION")), "mcp": crate::protocol::LATEST_PROTOCOL_VERSION },
            "tools": tools,
            "prompts": prompts,
            "resources": resources,
            "templates": templates,
        })
    }
}

/// The component's tags (`_meta.fastmcp.tags`), or `null` when it has none (as FastMCP writes).
fn tags(component: &Value) -> Value {
    match component.pointer("/_meta/fastmcp/tags") {
        Some(Value::Array(tags)) if !tags.is_empty() => Value::Array(tags.clone()),
        _ => Value::Null,
    }
}

impl Server {
    /// Every component this server serves, as its `*/list` results show them.
    pub fn manifest(&self) -> Manifest {
        let components = read(&self.inner.components);
        Manifest {
            server: self.inner.info.clone(),
            instructions: self.inner.instructions.clone(),
            capabilities: self.capabilities(),
            tools: components.tools.values().map(|t| t.listing().clone()).collect(),
            prompts: components.prompts.values().map(|p| p.listing()).collect(),
            resources: components.resources.values().map(|r| r.listing()).collect(),
            resource_templates: components.templates.values().map(|r| r.listing()).collect(),
        }
    }

    /// A Markdown reference of this server (see [`Manifest::to_markdown`]).
    pub fn to_markdown(&self) -> String {
        self.manifest().to_markdown()
    }

    /// When `FASTMCP_MANIFEST` is set: prints the manifest in that format to stdout and
    /// returns `Ok(true)` (the caller then exits instead of serving).
    pub fn print_manifest_if_asked(&self) -> Result<bool, ServerError> {
        let Ok(format) = std::env::var(MANIFEST_ENV) else { return Ok(false) };
        let manifest = self.manifest();
        let text = match format.parse::<ManifestFormat>()? {
            ManifestFormat::Json => pretty(&manifest.to_mcp_json()),
            ManifestFormat::FastMcp => pretty(&manifest.to_fastmcp_json()),
            ManifestFormat::Markdown => manifest.to_markdown(),
        };
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .map_err(|e| ServerError::Config(format!("could not write the manifest to stdout: {e}")))?;
        Ok(true)
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
