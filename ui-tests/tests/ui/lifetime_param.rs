use fastmcp::tool;

/// Borrows its argument.
#[tool]
fn shout<'a>(text: &'a str) -> String {
    text.to_uppercase()
}

fn main() {}
