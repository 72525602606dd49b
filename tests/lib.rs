//! Test support shared by the integration tests: a real `redis-server` on a free port, and a
//! Streamable HTTP MCP client.

pub mod http_client;

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
    /// With TLS: the CA file clients must trust.
    pub tls_ca_file: Option<PathBuf>,
    child: Option<Child>,
}

/// Spawns a process that announces itself on its first stdout line (`listening on URL`,
/// `worker NAME ready`): returns it and that line, trimmed. Its stderr is discarded.
pub fn spawn_announced(command: &mut Command) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", command.get_program()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the announcement line");
    (child, line.trim().to_owned())
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
        let mut server = RedisServer { port: free_port(), dir, appendonly, tls_ca_file: None, child: None };
        server.spawn();
        server
    }

    /// A TLS-only server (`rediss://`), with a throwaway CA and certificate.
    pub fn start_tls() -> RedisServer {
        let dir = std::env::temp_dir().join(format!("fastmcp-redis-tls-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).expect("redis data folder");
        // A throwaway CA and a certificate for localhost / 127.0.0.1 signed by it.
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "fastmcp-test-ca");
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let key = rcgen::KeyPair::generate().expect("server key");
        let params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).expect("params");
        let cert = params.signed_by(&key, &ca, &ca_key).expect("server certificate");
        std::fs::write(dir.join("ca.crt"), ca.pem()).unwrap();
        std::fs::write(dir.join("server.crt"), cert.pem()).unwrap();
        std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
        let mut server = RedisServer {
            port: free_port(),
            tls_ca_file: Some(dir.join("ca.crt")),
            dir,
            appendonly: false,
            child: None,
        };
        server.spawn();
        server
    }

    pub fn url(&self) -> String {
        match self.tls_ca_file {
            Some(_) => format!("rediss://localhost:{}/", self.port),
            None => format!("redis://127.0.0.1:{}/", self.port),
        }
    }

    fn spawn(&mut self) {
        let mut command = Command::new("redis-server");
        match &self.tls_ca_file {
            Some(ca) => {
                command.args(["--port", "0", "--tls-port", &self.port.to_string(), "--tls-auth-clients", "no"]);
                command.arg("--tls-cert-file").arg(self.dir.join("server.crt"));
                command.arg("--tls-key-file").arg(self.dir.join("server.key"));
                command.arg("--tls-ca-cert-file").arg(ca);
            }
            None => {
                command.args(["--port", &self.port.to_string()]);
            }
        }
        let mut child = command
            .args(["--bind", "127.0.0.1", "--save", ""])
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

/// The params of the notifications named `method` that `client` has received and nobody has
/// read yet (the others it had are read too, and dropped).
pub async fn drained(client: &fastmcp::Client, method: &str) -> Vec<serde_json::Value> {
    client
        .drain_notifications()
        .await
        .into_iter()
        .filter(|n| n.method == method)
        .map(|n| n.params.unwrap_or_default())
        .collect()
}
