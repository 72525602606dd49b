//! Docket throughput: runs/s from enqueue to result stored, with a trivial task.
//!
//!     bench/docket.sh [--runs N]
//!     target/release/docket_bench --scale-out [--runs N]
//!     target/release/docket_bench --redis-runs N     (one measurement; bench/callgrind_docket.sh)
//!
//! memory:// in process; redis:// against a redis-server this bench starts on a free port
//! (no persistence). The worker runs in the same process as the producer, as in an MCP server.
//! `--scale-out`: 1, 2 and 4 worker processes share one Redis while a producer (no worker of its
//! own) enqueues; runs/s and redis-server's CPU per run for each.

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

/// Works for a minute (a task being followed).
#[tool(task = "optional")]
async fn long_work() -> &'static str {
    tokio::time::sleep(Duration::from_secs(60)).await;
    "done"
}

/// What following working tasks costs Redis: `tasks` tasks created over an in-memory
/// session (each followed for status notifications), then redis-server's command count over
/// `seconds` while they work (longer than `WATCH_FALLBACK`, so each follower's fallback look
/// is counted too).
async fn follow_cost(url: String, port: u16, tasks: usize, seconds: u64, over_share: bool) {
    let config = DocketConfig {
        url,
        name: format!("follow-{over_share}"),
        redelivery_timeout: Duration::from_secs(30),
        result_ttl: Duration::from_secs(600),
        concurrency: tasks + 8,
        // Every task runs at once, or (over_share) half of them wait for their requester's
        // fair share of the worker (deferred runs).
        group_share: if over_share { tasks / 2 } else { tasks + 8 },
        tls_ca_file: None,
    };
    let settings = fastmcp::tasks::TaskSettings {
        max_active_per_requester: tasks + 1,
        max_kept_per_requester: tasks + 1,
        ..Default::default()
    };
    let server = FastMcp::new("follow").docket(config).tasks(true).task_settings(settings).build().unwrap();
    server.start().await.unwrap();
    let client = Client::connect(&server).await.unwrap();
    let mut first = None;
    for _ in 0..tasks {
        let created = client
            .request("tools/call", json!({ "name": "long_work", "arguments": {}, "task": { "ttl": 120000 } }))
            .await
            .unwrap();
        assert!(created["task"]["taskId"].is_string(), "{created}");
        first.get_or_insert(created["task"]["taskId"].clone());
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = redis_stats(port);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let after = redis_stats(port);
    let mut by_command: Vec<(String, u64)> =
        after.calls.iter().map(|(c, n)| (c.clone(), n - before.calls.get(c).copied().unwrap_or(0))).collect();
    by_command.sort_by_key(|c| std::cmp::Reverse(c.1));
    let calls: u64 = by_command.iter().map(|(_, n)| n).sum();
    let per_task = calls as f64 / seconds as f64 / tasks as f64;
    println!(
        "{} on Redis: {:.0} commands/s in all, {per_task:.3} per task{}: {}",
        if over_share {
            format!("{tasks} tasks of one requester, half waiting for its fair share")
        } else {
            format!("following {tasks} working tasks")
        },
        calls as f64 / seconds as f64,
        if over_share { "" } else { " (target <= 0.2)" },
        by_command
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| format!("{c} {:.1}/s", *n as f64 / seconds as f64))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if std::env::var_os("FOLLOW_DEBUG").is_some() {
        eprintln!("{}", client.request("tasks/get", json!({ "taskId": first })).await.unwrap());
    }
    server.shutdown().await;
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
    let elapsed = run_all(&docket, runs).await;
    server.shutdown().await;
    runs as f64 / elapsed.as_secs_f64()
}

/// Enqueues `runs` trivial runs and waits until every one has completed; how long that took.
async fn run_all(docket: &Docket, runs: usize) -> Duration {
    let started = Instant::now();
    let mut keys = Vec::with_capacity(runs);
    // Enqueue in waves of concurrent adds (pipelined on one connection for Redis).
    for wave in (0..runs).collect::<Vec<_>>().chunks(2000) {
        let adds = wave.iter().map(|i| docket.add("noop", json!({ "i": i })));
        for key in futures::future::join_all(adds).await {
            keys.push(key.unwrap());
        }
    }
    // Runs finish in about the order they were added: wait for the last, then make sure of the
    // rest (waiting on any straggler keeps the clock running).
    docket.wait(keys.last().unwrap(), Duration::from_secs(300)).await.unwrap();
    let mut elapsed = started.elapsed();
    // Read every state (in waves of concurrent reads, like the adds).
    for wave in keys.chunks(2000) {
        let states = futures::future::join_all(wave.iter().map(|key| docket.state(key))).await;
        for (key, state) in wave.iter().zip(states) {
            if state.unwrap() != Some(RunState::Completed) {
                let info = docket.wait(key, Duration::from_secs(300)).await.unwrap();
                assert_eq!(info.state, RunState::Completed);
                elapsed = started.elapsed();
            }
        }
    }
    elapsed
}

/// Median, min and max of `reps` repetitions (each on a fresh server and docket); with a
/// Redis port, also what redis-server spent per run (CPU from `INFO cpu`, commands from
/// `INFO commandstats`, scripts' inner commands included).
async fn report(label: &str, url: &str, runs: usize, reps: usize, redis_port: Option<u16>) {
    let mut rates = Vec::new();
    // One repetition first, not counted: the first one in a fresh process pays for growing
    // the heap and the runtime's threads (measured at 0.35-0.48x the median), which is start-up
    // cost, not throughput.
    let warm_up = measure(url.to_owned(), runs, 256).await;
    println!("{label:<8} warm-up repetition (not counted): {warm_up:.0} runs/s");
    let before = redis_port.map(redis_stats);
    for _ in 0..reps {
        rates.push(measure(url.to_owned(), runs, 256).await);
    }
    let after = redis_port.map(redis_stats);
    let in_order = rates.clone();
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    println!(
        "{label:<8} {runs} runs x {reps}: median {median:.0} runs/s (min {:.0}, max {:.0}; worst repetition {:.2}x the median), enqueue -> result stored",
        rates[0],
        rates[rates.len() - 1],
        rates[0] / median,
    );
    println!(
        "         repetitions in order: {}",
        in_order.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(", ")
    );
    if let (Some(before), Some(after)) = (before, after) {
        let total = (runs * reps) as f64;
        let cpu_us = (after.cpu_seconds - before.cpu_seconds) * 1e6 / total;
        let mut per_command: Vec<(String, f64)> = after
            .calls
            .iter()
            .map(|(cmd, n)| (cmd.clone(), (n - before.calls.get(cmd).copied().unwrap_or(0)) as f64 / total))
            .filter(|(_, n)| *n >= 0.01)
            .collect();
        per_command.sort_by(|a, b| b.1.total_cmp(&a.1));
        let commands: f64 = per_command.iter().map(|(_, n)| n).sum();
        println!(
            "         redis-server per run: {cpu_us:.1} us CPU (target <= 15), {commands:.1} commands (target <= 8): {}",
            per_command.iter().map(|(c, n)| format!("{c} {n:.2}")).collect::<Vec<_>>().join(", ")
        );
    }
}

/// What `INFO` says about a redis-server: CPU seconds (user + sys) and calls per command.
struct RedisStats {
    cpu_seconds: f64,
    calls: std::collections::HashMap<String, u64>,
}

fn redis_stats(port: u16) -> RedisStats {
    let info = |section: &str| {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string(), "INFO", section])
            .output()
            .expect("redis-cli (installed with redis-server)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let cpu = info("cpu");
    let field = |name: &str| {
        cpu.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let mut calls = std::collections::HashMap::new();
    for line in info("commandstats").lines() {
        // cmdstat_hset:calls=12,usec=...
        if let Some((cmd, rest)) = line.strip_prefix("cmdstat_").and_then(|l| l.split_once(':'))
            && let Some(n) = rest.split(',').find_map(|kv| kv.strip_prefix("calls="))
        {
            calls.insert(cmd.to_owned(), n.parse().unwrap_or(0));
        }
    }
    RedisStats { cpu_seconds: field("used_cpu_user") + field("used_cpu_sys"), calls }
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

fn config(url: &str, concurrency: usize) -> DocketConfig {
    DocketConfig {
        url: url.to_owned(),
        name: "bench-scale".into(),
        redelivery_timeout: Duration::from_secs(30),
        result_ttl: Duration::from_secs(600),
        concurrency,
        group_share: 0,
        tls_ca_file: None,
    }
}

/// A worker process for `--scale-out`: runs the docket's worker until stdin closes.
async fn worker_process(url: &str) {
    let server = FastMcp::new("bench-worker").docket(config(url, 256)).build().unwrap();
    server.start().await.unwrap();
    println!("ready");
    let mut sink = Vec::new();
    let _ = tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut sink).await;
    server.shutdown().await;
}

/// Runs/s with `workers` worker processes sharing the Redis at `port`; the producer here only
/// enqueues and waits.
async fn scale_out_once(redis: &RedisServer, workers: usize, runs: usize) -> (f64, f64, f64, f64) {
    let url = redis.url();
    let mut children: Vec<tokio::process::Child> = (0..workers)
        .map(|_| {
            tokio::process::Command::new(std::env::current_exe().unwrap())
                .args(["--worker", &url])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("spawn a worker process")
        })
        .collect();
    for child in &mut children {
        let mut line = String::new();
        let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap());
        tokio::io::AsyncBufReadExt::read_line(&mut out, &mut line).await.unwrap();
        assert_eq!(line.trim(), "ready");
    }
    let docket = Docket::open(config(&url, 1)).await.unwrap();
    let before = redis_stats(redis.port);
    let elapsed = run_all(&docket, runs).await.as_secs_f64();
    let after = redis_stats(redis.port);
    drop(children);
    let cpu = after.cpu_seconds - before.cpu_seconds;
    let commands: u64 = after.calls.iter().map(|(c, n)| n - before.calls.get(c).copied().unwrap_or(0)).sum();
    (runs as f64 / elapsed, cpu * 1e6 / runs as f64, commands as f64 / runs as f64, cpu / elapsed)
}

/// The scale-out figure: 1, 2 and 4 worker processes on one Redis.
async fn scale_out(runs: usize) {
    let redis = RedisServer::start(false);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "scale-out: {runs} runs per measurement, median of 3, worker processes sharing one redis-server ({cores} cores here)"
    );
    let mut one = 0.0;
    for workers in [1, 2, 4] {
        let mut results = Vec::new();
        for _ in 0..3 {
            results.push(scale_out_once(&redis, workers, runs).await);
        }
        results.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (rate, cpu_us, commands, busy) = results[1];
        if workers == 1 {
            one = rate;
        }
        println!(
            "  {workers} worker(s): {rate:>8.0} runs/s ({:.2}x one worker); redis-server {cpu_us:.1} us CPU and {commands:.1} commands per run, busy {:.0}% of one core",
            rate / one,
            busy * 100.0
        );
    }
    println!(
        "  redis-server is single-threaded: at the CPU per run above it saturates near 1e6 / (us per run) runs/s, whatever the number of workers or cores"
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--worker") {
        worker_process(&args[i + 1]).await;
        return;
    }
    // One measurement of N runs on a fresh redis-server (for bench/callgrind_docket.sh).
    if let Some(n) = args.iter().position(|a| a == "--redis-runs").and_then(|i| args.get(i + 1)) {
        let redis = RedisServer::start(false);
        let rate = measure(redis.url(), n.parse().expect("a number of runs"), 256).await;
        println!("{n} runs: {rate:.0} runs/s");
        return;
    }
    if args.iter().any(|a| a == "--scale-out") {
        let runs = args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok());
        scale_out(runs.unwrap_or(40_000)).await;
        return;
    }
    startup_cost().await;
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    if args.iter().any(|a| a == "--follow-only") {
        let redis = RedisServer::start(false);
        follow_cost(redis.url(), redis.port, 1000, 32, false).await;
        follow_cost(redis.url(), redis.port, 1000, 32, true).await;
        return;
    }
    report("memory", "memory://", runs, 5, None).await;
    if args.iter().any(|a| a == "--memory-only") {
        return;
    }
    let redis = RedisServer::start(false);
    // A fresh docket name per repetition is not needed: every run's key is unique.
    report("redis", &redis.url(), runs / 4, 3, Some(redis.port)).await;
    follow_cost(redis.url(), redis.port, 1000, 32, false).await;
    follow_cost(redis.url(), redis.port, 1000, 32, true).await;
    if std::env::args().any(|a| a == "--keep-redis") {
        println!("{}", redis.url());
        let _ = std::io::stdin().read_line(&mut String::new());
    }
}
