//! The server's [`Executor`]: how the docket's worker runs the server's components. A function
//! name is `NAME` (a tool), `prompt:NAME`, or `resource:URI` (a static resource or a template's
//! URI template; the concrete URI is the `uri` argument).

use super::Components;
use super::ServerInner;
use crate::docket::{Execution, Executor, RunContext, RunInfo};
use crate::extract::{Call, Context, NoPeer, Peer, RequestCtx, RunHandle};
use crate::protocol::{CallToolResult, ErrorObject};
use crate::registry::{Prompt, Resource, Tool};
use crate::sync::{BoxFuture, read};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, RwLock, Weak};

/// Runs components of a server on its worker. Holds the server weakly: the server owns it.
pub(crate) struct ComponentExecutor {
    pub(crate) server: Weak<ServerInner>,
    /// The server's catalog, held directly: `knows` runs on every add.
    pub(crate) components: Arc<RwLock<Components>>,
}

/// What a docket function name resolves to.
enum Component {
    Tool(Arc<Tool>),
    Prompt(Prompt),
    Resource(Resource, String, Map<String, Value>),
}

fn json_of<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A failed run: its result holds the error.
fn failed(e: ErrorObject) -> Execution {
    Execution { result: serde_json::json!({ "error": e }), error: Some(e.message) }
}

/// A handler's result as the run's result, within `bounded_json`'s depth (or the run fails).
fn finished<T: Serialize>(result: &T, error: Option<String>) -> Execution {
    match crate::server::dispatch::result_json(result) {
        Ok(result) => Execution { result, error },
        Err(e) => failed(e),
    }
}

impl Component {
    fn resolve(server: &ServerInner, function: &str, args: &Map<String, Value>) -> Option<Component> {
        let c = read(&server.components);
        if let Some(name) = function.strip_prefix("prompt:") {
            return c.prompts.get(name).cloned().map(Component::Prompt);
        }
        if function.starts_with("resource:") {
            let uri = args.get("uri")?.as_str()?.to_owned();
            let (resource, vars) = c.find_resource(&uri)?;
            return Some(Component::Resource(resource, uri, vars));
        }
        c.tools.get(function).cloned().map(Component::Tool)
    }

    /// Runs it: the result JSON, and the error message if it failed.
    async fn call(self, args: Map<String, Value>, ctx: Context) -> Execution {
        match self {
            Component::Tool(tool) => match tool.call(Call::new(args, None, ctx)).await {
                Ok(r) => finished(&r, r.is_error().then(|| r.text_content())),
                Err(e) => failed(e),
            },
            Component::Prompt(prompt) => match prompt.call(Call::new(args, None, ctx)).await {
                Ok(r) => finished(&r, None),
                Err(e) => failed(e),
            },
            Component::Resource(resource, uri, vars) => match resource.call(Call::new(vars, Some(uri), ctx)).await {
                Ok(r) => finished(&r, None),
                Err(e) => failed(e),
            },
        }
    }
}

impl Executor for ComponentExecutor {
    fn knows(&self, function: &str) -> bool {
        let c = read(&self.components);
        if let Some(name) = function.strip_prefix("prompt:") {
            return c.prompts.contains_key(name);
        }
        if let Some(uri) = function.strip_prefix("resource:") {
            return c.resources.contains_key(uri) || c.templates.contains_key(uri);
        }
        c.tools.contains_key(function)
    }

    fn execute(&self, run: RunContext) -> Option<BoxFuture<Execution>> {
        // A server that is gone hands its runs back.
        let server = self.server.upgrade()?;
        Some(Box::pin(async move {
            let Some(component) = Component::resolve(&server, &run.function, &run.args) else {
                let error = format!("no component named `{}` on this worker", run.function);
                return Execution { result: json_of(&CallToolResult::error(error.clone())), error: Some(error) };
            };
            // A task's handler reaches its requester through the task record.
            let task = if run.linked_record {
                crate::tasks::TaskLink::open(&run.docket, &run.key, |id| {
                    server.session(id).map(|s| s as crate::tasks::RequesterRef)
                })
                .await
            } else {
                None
            };
            let peer: Arc<dyn Peer> = match task {
                Some(task) => Arc::new(task),
                None => Arc::new(NoPeer),
            };
            let ctx = Context::new(RequestCtx {
                services: server,
                peer,
                request_id: None,
                progress_token: None,
                meta: None,
                cancel: run.cancel.clone(),
                progress: Mutex::default(),
                run: Some(RunHandle { docket: run.docket.clone(), key: run.key.clone(), generation: run.generation }),
            });
            component.call(run.args, ctx).await
        }))
    }

    fn failure_result(&self, _function: &str, error: &str) -> Value {
        json_of(&CallToolResult::error(error))
    }
}

impl RunInfo {
    /// The result of a tool run (the server's executor stores a `CallToolResult`).
    pub fn tool_result(&self) -> Option<CallToolResult> {
        self.result_as()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_nested_too_deeply_fails_the_run_with_the_reason() {
        let mut deep = Value::from(0);
        for _ in 0..=crate::bounded_json::MAX_DEPTH {
            deep = Value::Array(vec![deep]);
        }
        let result = CallToolResult { structured_content: Some(deep), ..CallToolResult::text("deep") };
        let run = finished(&result, None);
        let error = run.error.expect("the run fails");
        assert!(error.contains("nested deeper than 512 levels"), "{error}");
        assert_eq!(run.result["error"]["code"], -32603);
        let shallow = CallToolResult::text("fine");
        let run = finished(&shallow, None);
        assert!(run.error.is_none());
        assert_eq!(run.result["content"][0]["text"], "fine");
    }
}
