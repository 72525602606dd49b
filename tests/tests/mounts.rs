//! Mounted servers: what a mounted server names belongs to it alone, and a parent's tag filters
//! apply to everything it serves. Its own test binary, so "everything registered" is exactly
//! the components below.

use fastmcp::prelude::*;
use serde_json::json;

/// The parent's own tool.
#[tool]
fn whoami() -> &'static str {
    "parent"
}

mod alpha {
    use fastmcp::tool;
    /// Alpha's status.
    #[tool(tags("alpha"))]
    pub fn status() -> &'static str {
        "alpha ok"
    }
}

mod beta {
    use fastmcp::prelude::*;
    /// Beta's status.
    #[tool(tags("beta"))]
    pub fn status() -> &'static str {
        "beta ok"
    }
    /// Beta's notes.
    #[resource("notes://today", tags("beta"))]
    pub fn notes() -> String {
        "nothing".into()
    }
}

async fn names(c: &Client) -> (Vec<String>, Vec<String>) {
    let tools = c.list_tools().await.unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    let resources = c.list_resources().await.unwrap().iter().map(|r| r["uri"].as_str().unwrap().to_owned()).collect();
    (tools, resources)
}

#[tokio::test]
async fn components_a_mounted_server_names_belong_to_it_alone() {
    let server = FastMcp::new("parent")
        .mount("a", FastMcp::new("a").tool(alpha::status))
        .mount("b", FastMcp::new("b").tool(beta::status).resource(beta::notes))
        .build()
        .expect("two mounted tools named `status` under different prefixes");
    let c = Client::connect(&server).await.unwrap();
    let (tools, resources) = names(&c).await;
    assert!(tools.contains(&"a_status".to_owned()) && tools.contains(&"b_status".to_owned()), "{tools:?}");
    assert!(!tools.contains(&"status".to_owned()), "the parent serves a mounted server's tool again: {tools:?}");
    assert!(tools.contains(&"whoami".to_owned()), "unclaimed components still belong to the parent: {tools:?}");
    assert_eq!(resources.iter().filter(|u| u.starts_with("notes://")).collect::<Vec<_>>(), ["notes://b/today"]);
    assert_eq!(c.call_tool("b_status", json!({})).await.unwrap().text_content(), "beta ok");
}

#[tokio::test]
async fn a_parents_exclude_tags_apply_to_mounted_components() {
    let server = FastMcp::new("parent")
        .exclude_tags(["beta"])
        .mount("a", FastMcp::new("a").tool(alpha::status))
        .mount("b", FastMcp::new("b").tool(beta::status).resource(beta::notes))
        .build()
        .unwrap();
    let c = Client::connect(&server).await.unwrap();
    let (tools, resources) = names(&c).await;
    assert!(tools.contains(&"a_status".to_owned()), "{tools:?}");
    assert!(!tools.iter().any(|t| t == "b_status"), "{tools:?}");
    assert!(!resources.iter().any(|u| u.starts_with("notes://")), "{resources:?}");
}
