use fastmcp::tool;

#[derive(serde::Deserialize)]
struct Point {
    x: f64,
}

/// Uses a type with no schema.
#[tool]
fn distance(point: Point) -> f64 {
    point.x
}

fn main() {}
