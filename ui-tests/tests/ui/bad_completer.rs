use fastmcp::prompt;

/// Completes with the wrong return type.
#[prompt(complete(language = languages))]
fn review(code: String, language: String) -> String {
    format!("{language}: {code}")
}

fn languages(prefix: String) -> String {
    prefix
}

fn main() {}
