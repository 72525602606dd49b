//! A worker-only process: joins the docket in `FASTMCP_DOCKET_URL` (redis://) and runs
//! registered components for whoever adds them. Start several to share the load.
//!
//!     FASTMCP_DOCKET_URL=redis://127.0.0.1:6379/ cargo run -p fastmcp-examples --bin docket_worker
//!
//! Prints `worker NAME ready` on stdout once it takes work.

use fastmcp::prelude::*;
use std::time::Duration;

/// Sleeps `ms` milliseconds, then returns `id`.
#[tool]
async fn slow_job(id: u64, ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    id
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    fastmcp::logging::init();
    let server = FastMcp::new("docket-worker").build()?;
    let run = {
        let server = server.clone();
        tokio::spawn(async move { server.run_worker().await })
    };
    server.wait_until_ready().await?;
    println!("worker {} ready", server.worker().map(|w| w.name().to_owned()).unwrap_or_default());
    run.await??;
    Ok(())
}
