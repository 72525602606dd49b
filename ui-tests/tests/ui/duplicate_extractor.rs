use fastmcp::{Context, tool};

#[tool]
async fn twice(ctx: Context, again: Context) -> String {
    let _ = (ctx, again);
    String::new()
}

fn main() {}
