use fastmcp::FastMcp;

fn main() {
    let _ = FastMcp::new("demo").tool("add");
}
