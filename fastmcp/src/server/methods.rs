//! The handlers of the protocol's own methods (everything that is not a component call or a
//! task): `initialize`, `server/discover`, the list methods, subscriptions and completion.

use super::Session;
use super::catalog::Components;
use super::request::{CompleteParams, InitializeParams, ListKind, Revision};
use crate::Server;
use crate::extract::{Call, Context};
use crate::protocol::{
    ErrorObject, LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, decode_cursor, encode_cursor, quoted,
};
use crate::registry::{Prompt, Resource};
use crate::sync::{lock, read};
use serde_json::{Map, Value, json};

/// Most completion values one answer carries (the spec's cap).
const MAX_COMPLETION_VALUES: usize = 100;

impl Session {
    /// `initialize` (2025-11-25 and older): records what the client said about itself.
    pub(super) fn initialize(&self, p: InitializeParams) -> Result<Value, ErrorObject> {
        let version = if SUPPORTED_PROTOCOL_VERSIONS.contains(&p.protocol_version.as_str()) {
            p.protocol_version
        } else {
            LATEST_PROTOCOL_VERSION.to_owned()
        };
        {
            let mut st = lock(&self.state);
            st.protocol_version = Some(version.clone());
            st.client_info = p.client_info;
            st.client_capabilities = p.capabilities;
        }
        let server = Server::from_inner(self.server.clone());
        let mut result = json!({
            "protocolVersion": version,
            "capabilities": server.capabilities(),
            "serverInfo": self.server.info,
        });
        if let Some(instructions) = &self.server.instructions {
            result["instructions"] = Value::from(instructions.clone());
        }
        Ok(result)
    }

    /// `server/discover` (2026-07-28).
    pub(super) fn discover(&self) -> Value {
        let server = Server::from_inner(self.server.clone());
        let mut result = json!({
            "supportedVersions": super::rev2026::ADVERTISED_VERSIONS,
            "capabilities": super::rev2026::capabilities(&server),
        });
        if let Some(instructions) = &self.server.instructions {
            result["instructions"] = Value::from(instructions.clone());
        }
        result
    }

    /// The list methods, one page from `cursor`.
    pub(super) fn list(&self, kind: ListKind, cursor: Option<&str>, revision: &Revision) -> Result<Value, ErrorObject> {
        let start = match cursor {
            None => 0,
            Some(c) => decode_cursor(c)
                .ok_or_else(|| ErrorObject::invalid_params(format!("invalid cursor {:?}", quoted(c))))?,
        };
        let all = {
            let c: &Components = &read(&self.server.components);
            match kind {
                ListKind::Tools => c.tools.values().map(|t| t.listing().clone()).collect::<Vec<_>>(),
                ListKind::Prompts => c.prompts.values().map(Prompt::listing).collect(),
                ListKind::Resources => c.resources.values().map(Resource::listing).collect(),
                ListKind::ResourceTemplates => c.templates.values().map(Resource::listing).collect(),
            }
        };
        if start > all.len() {
            return Err(ErrorObject::invalid_params("cursor is past the end of the list"));
        }
        let end = (start + self.server.page_size).min(all.len());
        let mut page = all[start..end].to_vec();
        if kind == ListKind::Tools && matches!(revision, Revision::Rev2026(_)) {
            // `execution.taskSupport` is a 2025-11-25 field.
            for tool in &mut page {
                if let Value::Object(t) = tool {
                    t.remove("execution");
                }
            }
        }
        let mut result = Map::new();
        result.insert(kind.key().into(), Value::Array(page));
        if end < all.len() {
            result.insert("nextCursor".into(), Value::from(encode_cursor(end)));
        }
        Ok(Value::Object(result))
    }

    /// `resources/subscribe` (2025-11-25): only resources that exist, and a bounded number per
    /// session.
    pub(super) fn subscribe(&self, uri: String) -> Result<Value, ErrorObject> {
        if read(&self.server.components).find_resource(&uri).is_none() {
            return Err(ErrorObject::resource_not_found(&uri));
        }
        let mut subscriptions = lock(&self.subscriptions);
        let limit = super::rev2026::MAX_SUBSCRIPTIONS_PER_SESSION;
        if subscriptions.len() >= limit && !subscriptions.contains(&uri) {
            return Err(ErrorObject::new(
                -32000,
                format!("Too many resource subscriptions on this session (limit {limit})"),
            ));
        }
        subscriptions.insert(uri);
        Ok(json!({}))
    }

    /// `completion/complete`: the completer of a prompt argument or a resource template
    /// variable, given the arguments filled in so far.
    pub(super) async fn complete(&self, p: CompleteParams, ctx: Context) -> Result<Value, ErrorObject> {
        let hook = {
            let c = read(&self.server.components);
            let hooks = match p.reference.kind.as_str() {
                "ref/prompt" => {
                    let name = p.reference.name.unwrap_or_default();
                    let prompt = c
                        .prompts
                        .get(&name)
                        .ok_or_else(|| ErrorObject::invalid_params(format!("Unknown prompt: {}", quoted(&name))))?;
                    if !prompt.arguments.iter().any(|(n, _, _)| *n == p.argument.name) {
                        return Err(ErrorObject::invalid_params(format!(
                            "prompt `{name}` has no argument `{}`",
                            quoted(&p.argument.name)
                        )));
                    }
                    &prompt.completions
                }
                "ref/resource" => {
                    let uri = p.reference.uri.unwrap_or_default();
                    let r = c.templates.get(&uri).or_else(|| c.resources.get(&uri));
                    &r.ok_or_else(|| ErrorObject::invalid_params(format!("Unknown resource: {}", quoted(&uri))))?
                        .completions
                }
                other => {
                    return Err(ErrorObject::invalid_params(format!("unknown reference type {:?}", quoted(other))));
                }
            };
            hooks.iter().find(|(n, _)| *n == p.argument.name).map(|(_, f)| *f)
        };
        let mut values = match hook {
            Some(f) => {
                let given = p.context.unwrap_or_default().arguments;
                f(Call::new(given, None, ctx), p.argument.value).await
            }
            None => Vec::new(),
        };
        let total = values.len();
        values.truncate(MAX_COMPLETION_VALUES);
        Ok(json!({ "completion": { "values": values, "total": total, "hasMore": total > MAX_COMPLETION_VALUES } }))
    }
}
