use fastmcp::resource;

#[resource(name = "config")]
fn config() -> String {
    String::new()
}

fn main() {}
