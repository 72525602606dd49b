use fastmcp::tool;

#[tool(annotations(safe = true))]
fn work() -> String {
    String::new()
}

fn main() {}
