use fastmcp::tool;
use std::sync::Mutex;

static COUNT: Mutex<u64> = Mutex::new(0);

#[tool]
async fn bump() -> u64 {
    let mut count = COUNT.lock().unwrap();
    tokio::task::yield_now().await;
    *count += 1;
    *count
}

fn main() {}
