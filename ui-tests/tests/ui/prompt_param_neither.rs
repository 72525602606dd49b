use fastmcp::prompt;

struct Style;

/// Takes a type that is neither a string-valued argument nor an extractor.
#[prompt]
fn styled(style: Style) -> String {
    let _ = style;
    String::new()
}

fn main() {}
