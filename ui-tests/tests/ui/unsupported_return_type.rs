use fastmcp::tool;

struct Report {
    lines: usize,
}

#[tool]
fn report() -> Report {
    Report { lines: 1 }
}

fn main() {}
