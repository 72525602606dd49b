//! Startup and idle-memory benchmark of a stdio server.
//!
//!     bench/startup.sh                      # builds the quickstart (release) and runs this
//!     startup [--runs N] [--] SERVER [ARGS] # any stdio MCP server command
//!
//! For each run: spawn the server, write `initialize` to its stdin, and time until the reply
//! line arrives on stdout. After the last run, the server's resident memory (VmRSS) is read
//! once it has sat idle for 200 ms after initialize.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"0"}}}"#;

/// CPU time (user + system) of a process in clock ticks, from /proc.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 200;
    if args.first().map(String::as_str) == Some("--runs") {
        runs = args.get(1).and_then(|n| n.parse().ok()).expect("--runs N");
        args.drain(..2);
    }
    if args.first().map(String::as_str) == Some("--") {
        args.remove(0);
    }
    let (program, program_args) = args.split_first().expect("usage: startup [--runs N] [--] SERVER [ARGS...]");
    let mut samples = Vec::with_capacity(runs);
    let mut idle_rss = None;
    let mut idle_cpu = None;
    for i in 0..runs {
        let started = Instant::now();
        let mut child = Command::new(program)
            .args(program_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn server");
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{INIT}").unwrap();
        stdin.flush().unwrap();
        let mut reply = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut reply).unwrap();
        let elapsed = started.elapsed();
        let v: serde_json::Value = serde_json::from_str(&reply).expect("initialize reply is JSON");
        assert!(v["result"]["protocolVersion"].is_string(), "bad reply: {reply}");
        samples.push(elapsed);
        if i + 1 == runs {
            std::thread::sleep(Duration::from_millis(200));
            idle_rss = rss_kib(child.id());
            // An idle server (its docket worker included) should not burn CPU.
            let before = cpu_ticks(child.id());
            std::thread::sleep(Duration::from_secs(3));
            idle_cpu = before.zip(cpu_ticks(child.id())).map(|(a, b)| b.saturating_sub(a));
        }
        drop(stdin);
        let _ = child.wait();
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("server: {program} {}", program_args.join(" "));
    println!(
        "spawn -> initialize reply over {runs} runs: median {:.3} ms, p90 {:.3} ms, min {:.3} ms, max {:.3} ms",
        ms(pct(0.5)),
        ms(pct(0.9)),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    );
    match idle_rss {
        Some(kib) => println!("idle RSS after initialize: {:.2} MB ({kib} KiB)", kib as f64 / 1024.0),
        None => println!("idle RSS after initialize: unavailable (no /proc)"),
    }
    if let Some(ticks) = idle_cpu {
        println!("CPU used while idle for 3 s after initialize: {ticks} clock ticks ({} ms)", ticks * 10);
    }
}
