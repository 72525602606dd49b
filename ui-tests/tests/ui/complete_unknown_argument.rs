use fastmcp::prompt;

fn langs(_: &str) -> Vec<String> {
    Vec::new()
}

#[prompt(complete(language = langs))]
fn review(code: String) -> String {
    code
}

fn main() {}
