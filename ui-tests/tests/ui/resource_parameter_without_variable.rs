use fastmcp::resource;

#[resource("users://{id}/profile")]
fn profile(id: String, verbose: bool) -> String {
    format!("{id} {verbose}")
}

fn main() {}
