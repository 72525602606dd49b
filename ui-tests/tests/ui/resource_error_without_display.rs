use fastmcp::resource;

struct Oops;

/// Fails with an error that has no message.
#[resource("data://x")]
fn x() -> Result<String, Oops> {
    Err(Oops)
}

fn main() {}
