//! Revision 2026-07-28 over HTTP: the routing headers (SEP-2243) must agree with the body,
//! and errors carry their HTTP status.

#![allow(clippy::result_large_err)]

use super::*;
use crate::protocol::quoted;

/// Decodes a header value: trimmed; `=?base64?...?=` is base64 (standard, padded) of UTF-8.
pub(super) fn decode_header_value(raw: &str) -> Option<String> {
    use base64::Engine;
    let v = raw.trim();
    match v.strip_prefix("=?base64?").and_then(|r| r.strip_suffix("?=")) {
        Some(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            String::from_utf8(bytes).ok()
        }
        None => Some(v.to_owned()),
    }
}

pub(super) fn header_mismatch(message: String) -> ErrorObject {
    ErrorObject::new(crate::server::rev2026::HEADER_MISMATCH, message)
}

/// SEP-2243: the routing headers must agree with the body.
pub(super) fn check_rev2026_headers(
    headers: &HeaderMap,
    request: &crate::protocol::Request,
    version: &str,
    server: &Server,
) -> Result<(), ErrorObject> {
    match header_str(headers, VERSION_HEADER).map(str::trim) {
        None => return Err(header_mismatch("missing required MCP-Protocol-Version header".into())),
        Some(v) if v != version => {
            return Err(header_mismatch(format!(
                "MCP-Protocol-Version header ({}) does not match request _meta protocolVersion ({})",
                quoted(v),
                quoted(version)
            )));
        }
        _ => {}
    }
    match header_str(headers, "mcp-method").map(str::trim) {
        None => return Err(header_mismatch("missing required Mcp-Method header".into())),
        Some(m) if m != request.method => {
            return Err(header_mismatch(format!(
                "Mcp-Method header `{}` does not match body method `{}`",
                quoted(m),
                quoted(&request.method)
            )));
        }
        _ => {}
    }
    let params = request.params.as_ref();
    let name_field = match request.method.as_str() {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        "tasks/get" | "tasks/update" | "tasks/cancel" => Some("taskId"),
        _ => None,
    };
    if let Some(field) = name_field {
        let body = params.and_then(|p| p.get(field)).and_then(Value::as_str).unwrap_or_default();
        let Some(raw) = header_str(headers, "mcp-name") else {
            // On tasks/* the header is a routing aid of the tasks extension; some clients
            // (the Python SDK under FastMCP 4.1) omit it, so only a mismatch is refused there.
            if field == "taskId" {
                return Ok(());
            }
            return Err(header_mismatch(format!("missing required Mcp-Name header for `{}`", quoted(&request.method))));
        };
        let decoded =
            decode_header_value(raw).ok_or_else(|| header_mismatch("Mcp-Name header is not valid base64".into()))?;
        if decoded != body {
            return Err(header_mismatch(format!(
                "Mcp-Name header `{}` does not match body value `{}`",
                quoted(&decoded),
                quoted(body)
            )));
        }
    }
    if request.method == "tools/call"
        && let Some(name) = params.and_then(|p| p.get("name")).and_then(Value::as_str)
        && let Some(tool) = read(&server.inner.components).tools.get(name).cloned()
    {
        let schema = tool.input_schema();
        let args = params.and_then(|p| p.get("arguments"));
        if let Some(Value::Object(props)) = schema.get("properties") {
            for (prop, def) in props {
                let Some(header) = def.get("x-mcp-header").and_then(Value::as_str) else { continue };
                let value = args.and_then(|a| a.get(prop)).filter(|v| !v.is_null());
                let sent = header_str(headers, format!("mcp-param-{}", header.to_ascii_lowercase()));
                match (value, sent) {
                    (None, None) => {}
                    (None, Some(_)) => {
                        return Err(header_mismatch(format!("Mcp-Param-{header} is set but `{prop}` is absent")));
                    }
                    (Some(_), None) => {
                        return Err(header_mismatch(format!(
                            "missing required Mcp-Param-{header} header for `{prop}`"
                        )));
                    }
                    (Some(v), Some(raw)) => {
                        let decoded = decode_header_value(raw)
                            .ok_or_else(|| header_mismatch(format!("Mcp-Param-{header} is not valid base64")))?;
                        let matches = match v {
                            Value::String(s) => *s == decoded,
                            Value::Bool(b) => decoded == b.to_string(),
                            Value::Number(n) => decoded.parse::<f64>().ok() == n.as_f64(),
                            _ => false,
                        };
                        if !matches {
                            return Err(header_mismatch(format!(
                                "Mcp-Param-{header} header `{}` does not match body value {}",
                                quoted(&decoded),
                                quoted(&v.to_string())
                            )));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The HTTP status of a 2026-07-28 error.
pub(super) fn rev2026_status(error: &ErrorObject) -> StatusCode {
    match error.code {
        crate::protocol::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        crate::server::rev2026::HEADER_MISMATCH
        | crate::server::rev2026::MISSING_CAPABILITY
        | crate::server::rev2026::UNSUPPORTED_VERSION => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}
