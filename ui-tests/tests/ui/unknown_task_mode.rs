use fastmcp::tool;

#[tool(task = "sometimes")]
fn work() -> String {
    String::new()
}

fn main() {}
