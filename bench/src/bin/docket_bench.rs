//! Docket throughput: runs/s from enqueue to result stored, with a trivial task.
//!
//!     bench/docket.sh [--runs N]
//!
//! memory:// in process; redis:// against a redis-server this bench starts on a free port
//! (no persistence). The worker runs in the same process as the producer, as in an MCP server.

use fastmcp::docket::{Docket, DocketConfig, RunState};
use fastmcp::prelude::*;
use fastmcp_tests::RedisServer;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use serde_json::json;
use std::time::{Duration, Instant};

/// Returns its input.
#[tool]
fn noop(i: u64) -> u64 {
    i
}

/// Runs/s from enqueue to result stored, for `runs` trivial runs.
async fn measure(url: String, runs: usize, concurrency: usize) -> f64 {
    let config = DocketConfig {
        url,
        name: "bench".into(),
        redelivery_timeout: Duration::from_secs(30),
        result_ttl: Duration::from_secs(600),
        concurrency,
        group_share: 0,
        tls_ca_file: None,
    };
    let server = FastMcp::new("bench").docket(config).build().unwrap();
    server.start().await.unwrap();
    let docket: Docket = server.docket().unwrap();
    let started = Instant::now();
    let mut keys = Vec::with_capacity(runs);
    // Enqueue in waves of concurrent adds (pipelined on one connection for Redis).
    for wave in (0..runs).collect::<Vec<_>>().chunks(2000) {
        let adds = wave.iter().map(|i| docket.add("noop", json!({ "i": i })));
        for key in futures::future::join_all(adds).await {
            keys.push(key.unwrap());
        }
    }
    let enqueued = started.elapsed();
    // Runs finish in about the order they were added: wait for the last, then make sure of the
    // rest (waiting on any straggler keeps the clock running).
    docket.wait(keys.last().unwrap(), Duration::from_secs(120)).await.unwrap();
    let mut elapsed = started.elapsed();
    for key in &keys {
        if docket.state(key).await.unwrap() != Some(RunState::Completed) {
            let info = docket.wait(key, Duration::from_secs(120)).await.unwrap();
            assert_eq!(info.state, RunState::Completed);
            elapsed = started.elapsed();
        }
    }
    let _ = enqueued;
    server.shutdown().await;
    runs as f64 / elapsed.as_secs_f64()
}

/// Median, min and max of `reps` repetitions (each on a fresh server and docket).
async fn report(label: &str, url: &str, runs: usize, reps: usize) {
    let mut rates = Vec::new();
    for _ in 0..reps {
        rates.push(measure(url.to_owned(), runs, 256).await);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "{label:<8} {runs} runs x {reps}: median {:.0} runs/s (min {:.0}, max {:.0}), enqueue -> result stored",
        rates[rates.len() / 2],
        rates[0],
        rates[rates.len() - 1]
    );
}

/// What starting a server costs (lifespan + docket + worker; no transport), median of many.
async fn startup_cost() {
    let mut samples = Vec::new();
    for _ in 0..2000 {
        let server = FastMcp::new("start").build().unwrap();
        let t = Instant::now();
        server.start().await.unwrap();
        samples.push(t.elapsed());
        server.shutdown().await;
    }
    samples.sort();
    println!(
        "server start with the memory:// docket and its worker: median {:.1} us, p99 {:.1} us",
        samples[samples.len() / 2].as_secs_f64() * 1e6,
        samples[samples.len() * 99 / 100].as_secs_f64() * 1e6
    );
}

#[tokio::main]
async fn main() {
    startup_cost().await;
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    report("memory", "memory://", runs, 5).await;
    if args.iter().any(|a| a == "--memory-only") {
        return;
    }
    let redis = RedisServer::start(false);
    // A fresh docket name per repetition is not needed: every run's key is unique.
    report("redis", &redis.url(), runs / 4, 3).await;
    if std::env::args().any(|a| a == "--keep-redis") {
        println!("{}", redis.url());
        let _ = std::io::stdin().read_line(&mut String::new());
    }
}
