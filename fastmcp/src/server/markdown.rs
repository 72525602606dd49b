//! A Markdown reference of a server, rendered from its [`Manifest`]: one section per component,
//! arguments as a table.

use super::manifest::Manifest;
use serde_json::Value;
use std::fmt::Write;

impl Manifest {
    /// The server as a human reference: tools (annotations, task mode, arguments, output),
    /// prompts (arguments), resources and resource templates.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let title = self.server.title.as_deref().unwrap_or(&self.server.name);
        let _ = writeln!(md, "# {title}\n\n`{}` version {}\n", self.server.name, self.server.version);
        if let Some(instructions) = &self.instructions {
            let _ = writeln!(md, "{instructions}\n");
        }
        if !self.tools.is_empty() {
            md.push_str("## Tools\n\n");
            for tool in &self.tools {
                tool_section(&mut md, tool);
            }
        }
        if !self.prompts.is_empty() {
            md.push_str("## Prompts\n\n");
            for prompt in &self.prompts {
                prompt_section(&mut md, prompt);
            }
        }
        for (heading, list, key) in
            [("Resources", &self.resources, "uri"), ("Resource templates", &self.resource_templates, "uriTemplate")]
        {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(md, "## {heading}\n");
            for r in list {
                let _ = writeln!(md, "### `{}`\n", text(&r[key]));
                facts(&mut md, &[("name", r.get("name")), ("MIME type", r.get("mimeType"))], &tags_of(r));
                description(&mut md, r);
            }
        }
        md.trim_end().to_owned() + "\n"
    }
}

fn text(v: &Value) -> String {
    v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())
}

/// Table cells hold one line, and a `|` would end the cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn tags_of(c: &Value) -> Vec<String> {
    c.pointer("/_meta/fastmcp/tags").and_then(Value::as_array).map(|t| t.iter().map(text).collect()).unwrap_or_default()
}

fn description(md: &mut String, c: &Value) {
    if let Some(d) = c.get("description").and_then(Value::as_str) {
        let _ = writeln!(md, "{d}\n");
    }
}

/// One italic line: `name: value · ... · tags: a, b`.
fn facts(md: &mut String, named: &[(&str, Option<&Value>)], tags: &[String]) {
    let mut parts: Vec<String> =
        named.iter().filter_map(|(k, v)| v.filter(|v| !v.is_null()).map(|v| format!("{k}: `{}`", text(v)))).collect();
    if !tags.is_empty() {
        parts.push(format!("tags: {}", tags.join(", ")));
    }
    if !parts.is_empty() {
        let _ = writeln!(md, "*{}*\n", parts.join(" · "));
    }
}

fn tool_section(md: &mut String, tool: &Value) {
    let name = text(&tool["name"]);
    match tool.get("title").and_then(Value::as_str) {
        Some(title) => {
            let _ = writeln!(md, "### `{name}` — {title}\n");
        }
        None => {
            let _ = writeln!(md, "### `{name}`\n");
        }
    }
    let mut hints = Vec::new();
    let annotations = &tool["annotations"];
    for (key, label) in [
        ("readOnlyHint", "read-only"),
        ("destructiveHint", "destructive"),
        ("idempotentHint", "idempotent"),
        ("openWorldHint", "open world"),
    ] {
        match annotations.get(key).and_then(Value::as_bool) {
            Some(true) => hints.push(label.to_owned()),
            Some(false) => hints.push(format!("not {label}")),
            None => {}
        }
    }
    if let Some(task) = tool.pointer("/execution/taskSupport").and_then(Value::as_str) {
        hints.push(format!("task: {task}"));
    }
    let tags = tags_of(tool);
    if !tags.is_empty() {
        hints.push(format!("tags: {}", tags.join(", ")));
    }
    if !hints.is_empty() {
        let _ = writeln!(md, "*{}*\n", hints.join(" · "));
    }
    description(md, tool);
    arguments_table(md, &tool["inputSchema"]);
    if let Some(output) = tool.get("outputSchema") {
        let ty = if output.get("x-fastmcp-wrap-result").is_some() {
            type_label(&output["properties"]["result"])
        } else {
            type_label(output)
        };
        let _ = writeln!(md, "Returns structured content: `{ty}`.\n");
    }
}

fn arguments_table(md: &mut String, schema: &Value) {
    let Some(props) = schema.get("properties").and_then(Value::as_object).filter(|p| !p.is_empty()) else {
        md.push_str("No arguments.\n\n");
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    md.push_str("| Argument | Type | Required | Default | Description |\n|---|---|---|---|---|\n");
    for (name, prop) in props {
        let default = prop.get("default").map(|d| format!("`{d}`")).unwrap_or_default();
        let desc = prop.get("description").and_then(Value::as_str).unwrap_or("");
        let _ = writeln!(
            md,
            "| `{name}` | `{}` | {} | {} | {} |",
            cell(&type_label(prop)),
            if required.contains(&name.as_str()) { "yes" } else { "no" },
            cell(&default),
            cell(desc)
        );
    }
    md.push('\n');
}

fn prompt_section(md: &mut String, prompt: &Value) {
    let _ = writeln!(md, "### `{}`\n", text(&prompt["name"]));
    facts(md, &[("title", prompt.get("title"))], &tags_of(prompt));
    description(md, prompt);
    let args = prompt.get("arguments").and_then(Value::as_array).filter(|a| !a.is_empty());
    let Some(args) = args else {
        md.push_str("No arguments.\n\n");
        return;
    };
    md.push_str("| Argument | Required | Description |\n|---|---|---|\n");
    for a in args {
        let _ = writeln!(
            md,
            "| `{}` | {} | {} |",
            text(&a["name"]),
            if a["required"] == true { "yes" } else { "no" },
            cell(a.get("description").and_then(Value::as_str).unwrap_or(""))
        );
    }
    md.push('\n');
}

/// A short type for a schema: `integer`, `string | null`, `array of number`, `Point`.
fn type_label(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" | ");
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            return options.iter().map(type_label).collect::<Vec<_>>().join(" | ");
        }
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => match schema.get("items") {
            Some(items) => format!("array of {}", type_label(items)),
            None => "array".into(),
        },
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types.iter().map(text).collect::<Vec<_>>().join(" | "),
        _ => "any".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_labels() {
        assert_eq!(type_label(&json!({"type": "integer"})), "integer");
        assert_eq!(type_label(&json!({"type": ["string", "null"]})), "string | null");
        assert_eq!(type_label(&json!({"type": "array", "items": {"type": "number"}})), "array of number");
        assert_eq!(type_label(&json!({"$ref": "#/$defs/Point"})), "Point");
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
