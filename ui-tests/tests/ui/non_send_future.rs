use fastmcp::tool;
use std::rc::Rc;

#[tool]
async fn counter() -> String {
    let shared = Rc::new(1);
    tokio::task::yield_now().await;
    shared.to_string()
}

fn main() {}
