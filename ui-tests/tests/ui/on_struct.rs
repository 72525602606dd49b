use fastmcp::tool;

#[tool]
struct NotAFunction;

fn main() {}
