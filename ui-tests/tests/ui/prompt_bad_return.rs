use fastmcp::prompt;

#[prompt]
fn number() -> i32 {
    7
}

fn main() {}
