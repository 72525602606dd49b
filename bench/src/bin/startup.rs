//! Start-up and idle-memory benchmark of stdio servers, side by side.
//!
//!     bench/startup.sh                 # fastmcp's quickstart vs rmcp 3.11 vs a bare process
//!     startup [--runs N] --server LABEL=COMMAND [--server LABEL=COMMAND]... [--anchor LABEL=COMMAND]...
//!     startup [--runs N] -- SERVER [ARGS]     # one server
//!
//! For each run: spawn the server, write `initialize` to its stdin, and time until the reply
//! line arrives on stdout. Servers take turns run by run, so machine noise falls on all of them
//! alike. After the last run, each server's resident memory (VmRSS) is read once it has sat
//! idle for 200 ms after initialize, and its CPU use over 3 idle seconds. Each `--server`'s
//! median and idle RSS are then printed as ratios to each `--anchor`; without any `--anchor`,
//! the first server is compared with each of the others.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
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

struct Server {
    label: String,
    program: String,
    args: Vec<String>,
    samples: Vec<Duration>,
    idle_rss_kib: Option<u64>,
    idle_cpu_ticks: Option<u64>,
}

impl Server {
    /// One spawn -> initialize reply; the child is returned still running.
    fn run_once(&mut self) -> Child {
        let started = Instant::now();
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.program));
        let stdin = child.stdin.as_mut().unwrap();
        writeln!(stdin, "{INIT}").unwrap();
        stdin.flush().unwrap();
        let mut reply = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut reply).unwrap();
        self.samples.push(started.elapsed());
        let v: serde_json::Value = serde_json::from_str(&reply).expect("initialize reply is JSON");
        assert!(v["result"]["protocolVersion"].is_string(), "{}: bad reply: {reply}", self.label);
        child
    }

    fn median(&self) -> Duration {
        self.pct(0.5)
    }

    fn pct(&self, p: f64) -> Duration {
        let mut s = self.samples.clone();
        s.sort();
        s[((s.len() - 1) as f64 * p).round() as usize]
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 200;
    let mut servers = Vec::new();
    let mut anchors = 0;
    while !args.is_empty() {
        let arg = args.remove(0);
        match arg.as_str() {
            "--runs" => runs = args.remove(0).parse().expect("--runs N"),
            "--server" | "--anchor" => {
                let spec = args.remove(0);
                let (label, command) = spec.split_once('=').expect("--server/--anchor LABEL=COMMAND");
                let mut words = command.split_whitespace().map(str::to_owned);
                let program = words.next().expect("a command");
                let entry = (label.to_owned(), program, words.collect());
                // Anchors go last, in their order: `servers[..len - anchors]` are compared.
                if arg == "--anchor" {
                    servers.push(entry);
                    anchors += 1;
                } else {
                    servers.insert(servers.len() - anchors, entry);
                }
            }
            "--" => {
                let program = args.remove(0);
                servers.insert(servers.len() - anchors, (program.clone(), program, std::mem::take(&mut args)));
            }
            other => panic!("unknown argument {other}; usage: startup [--runs N] --server LABEL=COMMAND..."),
        }
    }
    assert!(!servers.is_empty(), "usage: startup [--runs N] --server LABEL=COMMAND...");
    let mut servers: Vec<Server> = servers
        .into_iter()
        .map(|(label, program, args)| Server {
            label,
            program,
            args,
            samples: Vec::with_capacity(runs),
            idle_rss_kib: None,
            idle_cpu_ticks: None,
        })
        .collect();
    for i in 0..runs {
        for server in &mut servers {
            let mut child = server.run_once();
            if i + 1 == runs {
                std::thread::sleep(Duration::from_millis(200));
                server.idle_rss_kib = rss_kib(child.id());
                // An idle server (its docket worker included) should not burn CPU.
                let before = cpu_ticks(child.id());
                std::thread::sleep(Duration::from_secs(3));
                server.idle_cpu_ticks = before.zip(cpu_ticks(child.id())).map(|(a, b)| b.saturating_sub(a));
            }
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("spawn -> initialize reply, {runs} runs each, servers taking turns:");
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>12} {:>14}",
        "server", "median ms", "p90 ms", "min ms", "idle RSS MB", "idle CPU (3 s)"
    );
    for s in &servers {
        println!(
            "{:<22} {:>10.3} {:>10.3} {:>10.3} {:>12} {:>14}",
            s.label,
            ms(s.median()),
            ms(s.pct(0.9)),
            ms(s.pct(0.0)),
            s.idle_rss_kib.map_or("n/a".into(), |k| format!("{:.2}", k as f64 / 1024.0)),
            s.idle_cpu_ticks.map_or("n/a".into(), |t| format!("{} ms", t * 10)),
        );
    }
    let compared = if anchors == 0 { servers.len().min(1) } else { servers.len() - anchors };
    let (ours, anchors) = servers.split_at(compared);
    for server in ours {
        for anchor in anchors {
            let rss = server.idle_rss_kib.zip(anchor.idle_rss_kib).map(|(a, b)| a as f64 / b as f64);
            println!(
                "{} / {}: start-up median {:.2}x, idle RSS {}",
                server.label,
                anchor.label,
                ms(server.median()) / ms(anchor.median()),
                rss.map_or("n/a".into(), |r| format!("{r:.2}x")),
            );
        }
    }
}
