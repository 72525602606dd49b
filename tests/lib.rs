//! Test support shared by the integration tests: a real `redis-server` on a free port.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process on a free loopback port, with its own data folder. Killed
/// (and its folder removed) on drop.
pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    appendonly: bool,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

impl RedisServer {
    /// Starts a server; with `appendonly` every write is fsynced to an AOF, so a restart keeps
    /// everything that was acknowledged.
    pub fn start(appendonly: bool) -> RedisServer {
        let dir = std::env::temp_dir().join(format!("fastmcp-redis-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).expect("redis data folder");
        let mut server = RedisServer { port: free_port(), dir, appendonly, child: None };
        server.spawn();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn spawn(&mut self) {
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", if self.appendonly { "yes" } else { "no" }, "--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is not installed (apt-get install redis-server)");
        // Ready when it says so; the rest of its log is drained so it never blocks on a pipe.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let started = Instant::now();
        loop {
            let line = lines.next().expect("redis-server exited before it was ready").expect("read log");
            if line.contains("Ready to accept connections") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "redis-server did not get ready");
        }
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }

    /// SIGKILLs the server (nothing is flushed beyond what `appendfsync always` already wrote).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills and starts it again on the same port and data folder.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
