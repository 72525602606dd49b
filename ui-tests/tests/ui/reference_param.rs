use fastmcp::tool;

#[tool]
fn total(values: &Vec<i64>) -> i64 {
    values.iter().sum()
}

fn main() {}
