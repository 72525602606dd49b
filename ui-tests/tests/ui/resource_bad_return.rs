use fastmcp::resource;

#[resource("numbers://seven")]
fn seven() -> i32 {
    7
}

fn main() {}
