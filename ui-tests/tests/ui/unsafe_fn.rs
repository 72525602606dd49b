use fastmcp::tool;

#[tool]
unsafe fn danger() -> String {
    String::new()
}

fn main() {}
