use fastmcp::tool;

struct Oops;

#[tool]
fn fallible() -> Result<String, Oops> {
    Err(Oops)
}

fn main() {}
