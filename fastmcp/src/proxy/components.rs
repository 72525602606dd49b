//! Upstream listings turned into this server's components, whose handlers forward upstream.

use super::upstream::{Forwarded, Upstream};
use crate::protocol::{CallToolResult, ErrorObject};
use crate::registry::{Prompt, Resource, Tool};
use crate::server::SourceScope;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// Tags a FastMCP server puts in a listing (`_meta.fastmcp.tags`).
fn tags(listing: &Value) -> Vec<String> {
    listing["_meta"]["fastmcp"]["tags"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn text(listing: &Value, key: &str) -> Option<String> {
    listing.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn decode<T: DeserializeOwned>(upstream: &Upstream, v: Value) -> Result<T, ErrorObject> {
    serde_json::from_value(v).map_err(|e| {
        ErrorObject::internal(format!(
            "the upstream server `{}` sent an answer that does not decode: {e}",
            upstream.label()
        ))
    })
}

/// A proxied tool: listed as upstream lists it (renamed, without task support), called
/// upstream. Its arguments are checked by the upstream server, not twice.
pub(super) fn tool(upstream: &Arc<Upstream>, scope: &SourceScope, listing: &Value) -> Option<Tool> {
    let upstream_name = text(listing, "name")?;
    let tags = tags(listing);
    if !scope.keeps(&tags) {
        return None;
    }
    let name = scope.name(&upstream_name);
    let schema = listing.get("inputSchema").cloned().unwrap_or_else(|| json!({ "type": "object" }));
    let mut shown = listing.clone();
    shown["name"] = Value::from(name.clone());
    if let Some(m) = shown.as_object_mut() {
        m.remove("execution");
    }
    let up = upstream.clone();
    let mut tool = Tool::try_new(name, schema, move |args, ctx| {
        let up = up.clone();
        let upstream_name = upstream_name.clone();
        async move {
            let params = json!({ "name": upstream_name, "arguments": args });
            match up.forward(&ctx, "tools/call", params).await {
                Ok(v) => decode::<CallToolResult>(&up, v),
                // The model sees that the tool is unavailable for now, as it sees a tool error.
                Err(Forwarded::Unavailable(m)) => Ok(CallToolResult::error(m)),
                Err(e) => Err(e.into_error()),
            }
        }
    });
    if let Some(d) = text(listing, "description") {
        tool = tool.with_description(d);
    }
    if let Some(t) = text(listing, "title") {
        tool = tool.with_title(t);
    }
    tool.tags = tags;
    Some(tool.with_listing(shown))
}

/// A proxied prompt.
pub(super) fn prompt(upstream: &Arc<Upstream>, scope: &SourceScope, listing: &Value) -> Option<Prompt> {
    let upstream_name = text(listing, "name")?;
    let tags = tags(listing);
    if !scope.keeps(&tags) {
        return None;
    }
    let arguments = listing["arguments"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|arg| {
                    Some((text(arg, "name")?, text(arg, "description"), arg["required"].as_bool().unwrap_or(false)))
                })
                .collect()
        })
        .unwrap_or_default();
    let up = upstream.clone();
    let mut prompt = Prompt::new(scope.name(&upstream_name), arguments, move |args, ctx| {
        let up = up.clone();
        let upstream_name = upstream_name.clone();
        async move {
            let params = json!({ "name": upstream_name, "arguments": args });
            let v = up.forward(&ctx, "prompts/get", params).await.map_err(Forwarded::into_error)?;
            decode(&up, v)
        }
    })
    .with_listing_extra(listing.clone());
    prompt.title = text(listing, "title");
    prompt.description = text(listing, "description");
    prompt.tags = tags;
    Some(prompt)
}

/// A proxied resource, or resource template when `template`.
pub(super) fn resource(
    upstream: &Arc<Upstream>,
    scope: &SourceScope,
    listing: &Value,
    template: bool,
) -> Option<Resource> {
    let upstream_uri = text(listing, if template { "uriTemplate" } else { "uri" })?;
    let tags = tags(listing);
    if !scope.keeps(&tags) {
        return None;
    }
    let name = text(listing, "name").unwrap_or_else(|| upstream_uri.clone());
    let up = upstream.clone();
    let scope_for_reads = scope.clone();
    let mut resource = Resource::new(scope.uri(&upstream_uri), name, move |uri, ctx| {
        let up = up.clone();
        let upstream_uri = scope_for_reads.upstream_uri(&uri);
        async move {
            let upstream_uri =
                upstream_uri.ok_or_else(|| ErrorObject::internal("the URI is not one of the proxied server's"))?;
            let mut v = up
                .forward(&ctx, "resources/read", json!({ "uri": upstream_uri }))
                .await
                .map_err(Forwarded::into_error)?;
            // The contents name the URI the client read, not the upstream's.
            if let Some(contents) = v.get_mut("contents").and_then(Value::as_array_mut) {
                for c in contents.iter_mut().filter(|c| c["uri"] == upstream_uri.as_str()) {
                    c["uri"] = Value::from(uri.clone());
                }
            }
            decode(&up, v)
        }
    })
    .with_listing_extra(listing.clone());
    if resource.is_template() != template {
        tracing::warn!(upstream = upstream.label(), uri = %upstream_uri, "a proxied resource (template) was left out: its URI does not parse as one");
        return None;
    }
    resource.title = text(listing, "title");
    resource.description = text(listing, "description");
    resource.mime_type = text(listing, "mimeType");
    resource.tags = tags;
    Some(resource)
}
