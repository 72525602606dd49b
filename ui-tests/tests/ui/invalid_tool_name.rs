use fastmcp::tool;

#[tool(name = "has spaces")]
fn work() -> String {
    String::new()
}

fn main() {}
