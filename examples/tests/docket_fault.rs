//! Faults on a Redis docket: runs queued for two worker processes; one worker is SIGKILLed
//! mid-run and Redis (appendonly, fsync always) is restarted mid-run. Every run must complete,
//! none is lost.

use fastmcp::docket::{AddOptions, Docket, DocketConfig, RunState};
use fastmcp_tests::{RedisServer, spawn_announced};
use serde_json::json;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const RUNS: u64 = 40;

struct Worker {
    child: Child,
    name: String,
}

impl Worker {
    fn spawn(url: &str) -> Worker {
        let (child, line) = spawn_announced(
            Command::new(env!("CARGO_BIN_EXE_docket_worker"))
                .env("FASTMCP_DOCKET_URL", url)
                .env("FASTMCP_DOCKET_NAME", "fault")
                .env("FASTMCP_DOCKET_REDELIVERY_TIMEOUT_MS", "1500")
                .env("FASTMCP_DOCKET_CONCURRENCY", "4"),
        );
        let name = line.strip_prefix("worker ").and_then(|l| l.strip_suffix(" ready")).expect("ready line").to_owned();
        Worker { child, name }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_and_restarted_redis_lose_no_run() {
    let mut redis = RedisServer::start(true);
    let url = redis.url();
    let mut a = Worker::spawn(&url);
    let b = Worker::spawn(&url);
    let config = DocketConfig {
        url: url.clone(),
        name: "fault".into(),
        redelivery_timeout: Duration::from_millis(1500),
        result_ttl: Duration::from_secs(600),
        concurrency: 4,
        group_share: 0,
        tls_ca_file: None,
    };
    let producer = Docket::connect(config).await.unwrap();
    let keys: Vec<String> = (0..RUNS).map(|i| format!("job-{i}")).collect();
    for (i, key) in keys.iter().enumerate() {
        let opts = AddOptions { key: Some(key.clone()), ..Default::default() };
        producer.add_with("slow_job", json!({"id": i, "ms": 300}), opts).await.unwrap();
    }

    // Kill worker A as soon as it is seen running something (a run lasts 300 ms).
    let started = Instant::now();
    let mut held_by_a = Vec::new();
    'scan: loop {
        assert!(started.elapsed() < Duration::from_secs(20), "worker A never took a run");
        for key in &keys {
            let info = producer.info(key).await.unwrap().unwrap();
            if info.state == RunState::Running && info.worker.as_deref() == Some(a.name.as_str()) {
                held_by_a.push(key.clone());
                break 'scan;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let killed_at_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;

    // Restart Redis once some runs have completed.
    loop {
        let mut done = 0;
        for key in &keys {
            if producer.state(key).await.unwrap() == Some(RunState::Completed) {
                done += 1;
            }
        }
        if done >= 4 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no progress before the restart");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    redis.restart();

    // Every run completes with its own result.
    for (i, key) in keys.iter().enumerate() {
        let info = producer.wait(key, Duration::from_secs(60)).await.unwrap();
        assert_eq!(info.state, RunState::Completed, "{key}: {info:?}");
        assert_eq!(info.tool_result().unwrap().structured_content, Some(json!({"result": i})), "{key}");
    }
    // The run A held was redelivered to B, unless A finished it in the instant before the kill.
    for key in &held_by_a {
        let info = producer.info(key).await.unwrap().unwrap();
        let finished_by_a_before_kill =
            info.worker.as_deref() == Some(a.name.as_str()) && info.completed_ms.is_some_and(|c| c <= killed_at_ms);
        assert!(
            finished_by_a_before_kill || info.worker.as_deref() == Some(b.name.as_str()),
            "{key} was neither finished by A before the kill nor redelivered to B: {info:?}"
        );
    }
}
