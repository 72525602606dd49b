//! Soak run: a steady, paced mix of real MCP traffic against the tasks fixture (memory://
//! docket) for a long time, sampling the server's resident memory. Each client loops over whole
//! sessions (initialize, a mix of calls, DELETE), so session churn, task records, docket runs and
//! SSE streams are all exercised; what the server retains is bounded by its TTLs, so RSS must level
//! off and stay flat.
//!
//!     soak FIXTURE_BIN [--seconds 600] [--rate 300] [--clients 8] [--sample 10] [--warmup 120]
//!
//! Prints one RSS sample per `--sample` seconds and a verdict: the median RSS of the last third of
//! the samples after warm-up may exceed the first third's by at most 10% or 2 MiB, whichever is
//! larger. Exits
//! non-zero when it does, or when any call failed.

use fastmcp_tests::http_client::McpHttp;
use fastmcp_tests::spawn_announced;
use serde_json::{Value, json};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn flag(args: &[String], name: &str, default: u64) -> u64 {
    args.windows(2).find(|w| w[0] == name).and_then(|w| w[1].parse().ok()).unwrap_or(default)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

#[derive(Default)]
struct Counts {
    calls: AtomicU64,
    sessions: AtomicU64,
    tasks: AtomicU64,
    failures: AtomicU64,
}

/// One paced operation; `Err` describes what went wrong.
async fn operation(mcp: &McpHttp, n: u64) -> Result<u64, String> {
    let expect = |r: Result<Value, Value>, what: &str| r.map_err(|e| format!("{what}: {e}"));
    match n % 6 {
        0 => {
            let r =
                expect(mcp.call("tools/call", json!({"name": "sync_only", "arguments": {"x": n}})).await, "sync_only")?;
            if r["structuredContent"]["result"] != json!(2 * n) {
                return Err(format!("sync_only: {r}"));
            }
            Ok(1)
        }
        1 => {
            // A background task: create, poll, fetch the result. Its 5 s TTL bounds how long the
            // server keeps its record and result.
            let args = json!({"name": "slow_add", "arguments": {"a": n, "b": 1, "delay_ms": 5}, "task": {"ttl": 5000}});
            let created = expect(mcp.call("tools/call", args).await, "slow_add task")?;
            let id = created["task"]["taskId"].as_str().ok_or(format!("no task: {created}"))?.to_owned();
            let mut calls = 1;
            loop {
                calls += 1;
                let task = expect(mcp.call("tasks/get", json!({"taskId": id})).await, "tasks/get")?;
                if task["status"] == "completed" {
                    break;
                }
                if task["status"] != "working" {
                    return Err(format!("task ended {task}"));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let r = expect(mcp.call("tasks/result", json!({"taskId": id})).await, "tasks/result")?;
            if r["structuredContent"]["result"] != json!(n + 1) {
                return Err(format!("tasks/result: {r}"));
            }
            Ok(calls + 1)
        }
        2 => {
            expect(mcp.call("tools/list", json!({})).await, "tools/list")?;
            Ok(1)
        }
        3 => {
            let r = expect(
                mcp.call("prompts/get", json!({"name": "task_prompt", "arguments": {"topic": "soak"}})).await,
                "prompts/get",
            )?;
            if !r.to_string().contains("soak") {
                return Err(format!("prompts/get: {r}"));
            }
            Ok(1)
        }
        4 => {
            let r = expect(
                mcp.call("resources/read", json!({"uri": format!("tasks://echo/w{n}")})).await,
                "resources/read",
            )?;
            if !r.to_string().contains(&format!("w{n}")) {
                return Err(format!("resources/read: {r}"));
            }
            Ok(1)
        }
        _ => {
            // A tool error is an answer, not a failure of the server.
            let r = expect(
                mcp.call("tools/call", json!({"name": "failing_job", "arguments": {"message": "expected"}})).await,
                "failing_job",
            )?;
            if r["isError"] != true {
                return Err(format!("failing_job: {r}"));
            }
            Ok(1)
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let fixture = args.get(1).filter(|a| !a.starts_with("--")).ok_or("usage: soak FIXTURE_BIN [--seconds N] ...")?;
    let seconds = flag(&args, "--seconds", 600);
    let rate = flag(&args, "--rate", 300).max(1);
    let clients = flag(&args, "--clients", 8).max(1);
    let sample = flag(&args, "--sample", 10).max(1);
    let warmup = flag(&args, "--warmup", 120).min(seconds / 2);

    let (mut server, line) =
        spawn_announced(Command::new(fixture).args(["--port", "0"]).env("FASTMCP_DOCKET_URL", "memory://"));
    let endpoint = line.strip_prefix("listening on ").ok_or("the fixture did not start")?.to_owned();
    let pid = server.id();
    println!("soak: {seconds}s at {rate} ops/s over {clients} clients, warm-up {warmup}s; server pid {pid} {endpoint}");

    let counts = Arc::new(Counts::default());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut load = Vec::new();
    for c in 0..clients {
        let (endpoint, counts) = (endpoint.clone(), counts.clone());
        // Each client paces its own share of the rate.
        let period = Duration::from_secs_f64(clients as f64 / rate as f64);
        load.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut n = c * 1_000_000_000;
            while Instant::now() < deadline {
                let mcp = McpHttp::connect(&endpoint, None).await;
                counts.sessions.fetch_add(1, Ordering::Relaxed);
                for _ in 0..30 {
                    tick.tick().await;
                    n += 1;
                    match operation(&mcp, n).await {
                        Ok(calls) => {
                            counts.calls.fetch_add(calls, Ordering::Relaxed);
                            if n % 6 == 1 {
                                counts.tasks.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(e) => {
                            if counts.failures.fetch_add(1, Ordering::Relaxed) < 5 {
                                eprintln!("soak: {e}");
                            }
                        }
                    }
                    if Instant::now() >= deadline {
                        break;
                    }
                }
                mcp.close().await;
            }
        }));
    }

    let started = Instant::now();
    let mut samples: Vec<(u64, u64)> = Vec::new();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(sample)).await;
        let at = started.elapsed().as_secs();
        let rss = rss_kib(pid);
        samples.push((at, rss));
        println!(
            "t={at:>4}s rss={:>6.1} MiB calls={} sessions={} tasks={} failures={}",
            rss as f64 / 1024.0,
            counts.calls.load(Ordering::Relaxed),
            counts.sessions.load(Ordering::Relaxed),
            counts.tasks.load(Ordering::Relaxed),
            counts.failures.load(Ordering::Relaxed),
        );
    }
    for l in load {
        l.await?;
    }
    let _ = server.kill();
    let _ = server.wait();

    let steady: Vec<u64> = samples.iter().filter(|(t, _)| *t > warmup).map(|(_, r)| *r).collect();
    let third = (steady.len() / 3).max(1);
    let first = median(steady[..third.min(steady.len())].to_vec());
    let last = median(steady[steady.len().saturating_sub(third)..].to_vec());
    let peak = samples.iter().map(|(_, r)| *r).max().unwrap_or(0);
    let calls = counts.calls.load(Ordering::Relaxed);
    let failures = counts.failures.load(Ordering::Relaxed);
    println!(
        "soak: {calls} calls ({:.0}/s), {} sessions, {} tasks, {failures} failures; RSS after warm-up: first third {:.1} MiB, \
         last third {:.1} MiB ({:+.1}%), peak {:.1} MiB",
        calls as f64 / started.elapsed().as_secs_f64(),
        counts.sessions.load(Ordering::Relaxed),
        counts.tasks.load(Ordering::Relaxed),
        first as f64 / 1024.0,
        last as f64 / 1024.0,
        (last as f64 / first.max(1) as f64 - 1.0) * 100.0,
        peak as f64 / 1024.0,
    );
    let flat = last <= first + (first / 10).max(2048);
    if failures > 0 || !flat || steady.is_empty() {
        return Err(format!("soak: FAILED (flat RSS: {flat}, failures: {failures})").into());
    }
    println!("soak: OK, RSS flat");
    Ok(())
}
