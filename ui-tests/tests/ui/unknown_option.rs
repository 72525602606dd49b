use fastmcp::tool;

#[tool(name = "x", readonly)]
fn work() -> String {
    String::new()
}

fn main() {}
