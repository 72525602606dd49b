//! How annotated functions become components: which parameters are extractors (by type, not by
//! name), what the schemas say, and what a call gets.

use fastmcp::extract::Call;
use fastmcp::prelude::*;
use fastmcp::{ExtractError, FromCall};
use serde_json::{Value, json};

/// A user-defined extractor: the tenant named in the request's `_meta`, or a refusal.
struct Tenant(String);

impl FromCall for Tenant {
    fn from_call(call: &Call) -> Result<Self, ExtractError> {
        call.context()
            .request_meta()
            .and_then(|m| m.get("tenant"))
            .and_then(Value::as_str)
            .map(|t| Tenant(t.to_owned()))
            .ok_or_else(|| ExtractError::Rejected("this call names no tenant in _meta".into()))
    }
}

struct Store {
    prefix: String,
}

/// Aliases of extractors are extractors too.
type Db = State<Store>;
type Ctx = Context;

/// Greets the tenant.
#[tool]
fn whoami(tenant: Tenant, db: Db, ctx: Ctx, times: u32) -> String {
    let _ = ctx.request_id();
    format!("{}{} x{times}", db.prefix, tenant.0)
}

/// A prompt with a user extractor next to an argument.
#[prompt]
fn tenant_prompt(tenant: Tenant, topic: String) -> String {
    format!("{} asks about {topic}", tenant.0)
}

/// A resource template whose non-variable parameter is an alias of `State<T>`.
#[resource("tenants://{id}")]
fn tenant_resource(id: String, db: Db) -> String {
    format!("{}{id}", db.prefix)
}

async fn client() -> Client {
    let server = FastMcp::new("components").state(Store { prefix: "hi ".into() }).build().unwrap();
    Client::connect(&server).await.unwrap()
}

#[tokio::test]
async fn user_extractors_and_aliases_are_not_arguments() {
    let c = client().await;
    let tools = c.list_tools().await.unwrap();
    let whoami = tools.iter().find(|t| t["name"] == "whoami").unwrap();
    assert_eq!(
        whoami["inputSchema"],
        json!({"type": "object", "properties": {"times": {"type": "integer", "minimum": 0}}, "required": ["times"]})
    );
    let prompts = c.list_prompts().await.unwrap();
    let prompt = prompts.iter().find(|p| p["name"] == "tenant_prompt").unwrap();
    assert_eq!(prompt["arguments"], json!([{"name": "topic", "required": true}]));
}

#[tokio::test]
async fn user_extractors_fill_parameters_and_refuse_with_their_reason() {
    let c = client().await;
    let r = c
        .request("tools/call", json!({"name": "whoami", "arguments": {"times": 2}, "_meta": {"tenant": "acme"}}))
        .await
        .unwrap();
    assert_eq!(r["content"][0]["text"], "hi acme x2");

    let e = c.call_tool("whoami", json!({"times": 2})).await.unwrap_err();
    let e = e.rpc().expect("a JSON-RPC error");
    assert!(e.message.contains("names no tenant"), "{}", e.message);

    let r = c
        .request(
            "prompts/get",
            json!({"name": "tenant_prompt", "arguments": {"topic": "rust"}, "_meta": {"tenant": "acme"}}),
        )
        .await
        .unwrap();
    assert_eq!(r["messages"][0]["content"]["text"], "acme asks about rust");

    let r = c.read_resource("tenants://42").await.unwrap();
    assert_eq!(serde_json::to_value(&r).unwrap()["contents"][0]["text"], "hi 42");
}
