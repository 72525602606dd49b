use fastmcp::resource;

#[resource("users://{id}/profile")]
fn profile() -> String {
    String::new()
}

fn main() {}
