//! Chaos run: HTTP load and task submissions against the tasks fixture on a Redis docket, while
//! worker processes are SIGKILLed and Redis (appendonly, fsync always) is restarted at random.
//! Afterwards every accepted task must have reached a terminal state with exactly the result it
//! should have, and no process may be left behind.
//!
//!     scripts/chaos.sh --seconds 60 [--clients 8] [--seed 7]
//!
//! Exits non-zero when a task was lost, ended wrong, or a process leaked.

use fastmcp_tests::http_client::McpHttp;
use fastmcp_tests::{RedisServer, spawn_announced};
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn flag(args: &[String], name: &str, default: u64) -> u64 {
    args.windows(2).find(|w| w[0] == name).and_then(|w| w[1].parse().ok()).unwrap_or(default)
}

/// The tasks fixture binary next to this one.
fn fixture_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.with_file_name("tasks")
}

/// Starts the tasks fixture (built next to chaos: scripts/chaos.sh builds both).
fn spawn(redis: &str, args: &[&str]) -> (Child, String) {
    spawn_announced(
        Command::new(fixture_bin())
            .args(args)
            // Every client is one requester (the `chaos` principal), and every task is kept until
            // its TTL: the default bound on kept tasks (1,000) would refuse most of a run's tasks.
            .args(["--max-kept", "1000000"])
            .env("FASTMCP_DOCKET_URL", redis)
            .env("FASTMCP_DOCKET_NAME", "chaos")
            .env("FASTMCP_DOCKET_REDELIVERY_TIMEOUT_MS", "1500")
            .env("FASTMCP_DOCKET_CONCURRENCY", "16"),
    )
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn alive(pid: u32) -> bool {
    // A zombie is gone for our purposes only once reaped; /proc shows both.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.split_whitespace().nth(2).is_none_or(|state| state != "Z"))
        .unwrap_or(false)
}

#[derive(Default)]
struct Stats {
    accepted: AtomicU64,
    refused: AtomicU64,
    inline_ok: AtomicU64,
    inline_failed: AtomicU64,
    worker_kills: AtomicU64,
    redis_restarts: AtomicU64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let seconds = flag(&args, "--seconds", 60);
    let clients = flag(&args, "--clients", 8);
    let seed = flag(&args, "--seed", 7);
    let started = Instant::now();

    let mut redis = RedisServer::start(true);
    let url = redis.url();
    let (mut server, line) = spawn(&url, &["--port", "0", "--token", "chaos=chaos"]);
    let endpoint = line.strip_prefix("listening on ").ok_or("the fixture did not start")?.to_owned();
    let mut workers: Vec<Child> = (0..2).map(|_| spawn(&url, &["--worker-only"]).0).collect();
    let mut pids: Vec<u32> = vec![server.id()];
    pids.extend(workers.iter().map(Child::id));
    println!("chaos: {seconds}s, {clients} clients, seed {seed}; redis {url}; server {endpoint}");

    let stats = Arc::new(Stats::default());
    let accepted: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for c in 0..clients {
        let (endpoint, stats, accepted, stop) = (endpoint.clone(), stats.clone(), accepted.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed * 1000 + c);
            let mcp = McpHttp::connect(&endpoint, Some("chaos")).await;
            while !stop.load(Ordering::Relaxed) {
                let (a, b) = (rng.random_range(0..1_000_000i64), rng.random_range(0..1_000_000i64));
                let delay = rng.random_range(20..400u64);
                let args = json!({"name": "slow_add", "arguments": {"a": a, "b": b, "delay_ms": delay}, "task": {}});
                match mcp.call("tools/call", args).await {
                    Ok(created) => match created["task"]["taskId"].as_str() {
                        Some(id) => {
                            accepted.lock().unwrap().push((id.to_owned(), a + b));
                            stats.accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        None => panic!("a task call answered without a task: {created}"),
                    },
                    // Refused (e.g. Redis restarting): not accepted, nothing to check.
                    Err(_) => {
                        stats.refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
                // Inline work does not touch Redis: it must never fail.
                match mcp.call("tools/call", json!({"name": "sync_only", "arguments": {"x": a}})).await {
                    Ok(r) if r["structuredContent"]["result"] == 2 * a => {
                        stats.inline_ok.fetch_add(1, Ordering::Relaxed)
                    }
                    _ => stats.inline_failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }

    // The chaos itself.
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(rng.random_range(1500..4000))).await;
        if rng.random_bool(0.7) {
            let i = rng.random_range(0..workers.len());
            kill(&mut workers[i]);
            workers[i] = spawn(&url, &["--worker-only"]).0;
            pids.push(workers[i].id());
            stats.worker_kills.fetch_add(1, Ordering::Relaxed);
        } else {
            redis.restart();
            stats.redis_restarts.fetch_add(1, Ordering::Relaxed);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for l in load {
        l.await?;
    }

    // Every accepted task must end, with the right result.
    let accepted = accepted.lock().unwrap().clone();
    let checker = McpHttp::connect(&endpoint, Some("chaos")).await;
    let settle = Instant::now() + Duration::from_secs(120);
    let (mut completed, mut wrong, mut lost) = (0u64, Vec::new(), Vec::new());
    for (id, sum) in &accepted {
        loop {
            match checker.call("tasks/get", json!({"taskId": id})).await {
                Ok(task) if task["status"] == "completed" => {
                    let result = checker.call("tasks/result", json!({"taskId": id})).await;
                    match result {
                        Ok(r) if r["structuredContent"]["result"] == *sum => completed += 1,
                        other => wrong.push(format!("{id}: expected {sum}, got {other:?}")),
                    }
                    break;
                }
                Ok(task) if task["status"] == "working" && Instant::now() < settle => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(task) => {
                    wrong.push(format!("{id}: ended {task}"));
                    break;
                }
                Err(e) if Instant::now() < settle && e["code"] != -32602 => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    lost.push(format!("{id}: {e}"));
                    break;
                }
            }
        }
    }

    kill(&mut server);
    for w in &mut workers {
        kill(w);
    }
    drop(redis);
    let leaked: Vec<u32> = pids.iter().copied().filter(|p| alive(*p)).collect();
    let s = &stats;
    println!(
        "chaos: {:.0}s; {} worker SIGKILLs, {} Redis restarts; tasks accepted {}, refused {} (while Redis was down or restarting), \
         completed with the right result {}, wrong {}, lost {}; inline calls ok {}, failed {}; processes leaked {}",
        started.elapsed().as_secs_f64(),
        s.worker_kills.load(Ordering::Relaxed),
        s.redis_restarts.load(Ordering::Relaxed),
        accepted.len(),
        s.refused.load(Ordering::Relaxed),
        completed,
        wrong.len(),
        lost.len(),
        s.inline_ok.load(Ordering::Relaxed),
        s.inline_failed.load(Ordering::Relaxed),
        leaked.len(),
    );
    for w in wrong.iter().chain(&lost).take(20) {
        println!("  {w}");
    }
    let ok = wrong.is_empty()
        && lost.is_empty()
        && leaked.is_empty()
        && completed == accepted.len() as u64
        && s.inline_failed.load(Ordering::Relaxed) == 0
        && !accepted.is_empty();
    if !ok {
        return Err("chaos: FAILED".into());
    }
    println!("chaos: OK");
    Ok(())
}
