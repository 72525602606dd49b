//! The docket alone: a stub executor (plain JSON, no server, no MCP types) on `memory://`.

use super::*;
use crate::sync::BoxFuture;
use serde_json::Value;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Functions: `echo` (returns its arguments), `flaky` (fails until attempt `ok_at`), `sleepy`
/// (sleeps `ms`, then returns `"woke"`), `count` (counts its executions).
#[derive(Default)]
struct Stub {
    executions: AtomicUsize,
}

impl Executor for Stub {
    fn knows(&self, function: &str) -> bool {
        matches!(function, "echo" | "flaky" | "sleepy" | "count")
    }

    fn execute(&self, run: RunContext) -> Option<BoxFuture<Execution>> {
        self.executions.fetch_add(1, Ordering::SeqCst);
        Some(Box::pin(async move {
            match run.function.as_str() {
                "echo" => Execution { result: Value::Object(run.args), error: None },
                "flaky" => {
                    let ok_at = run.args.get("ok_at").and_then(Value::as_u64).unwrap_or(1) as u32;
                    if run.attempt >= ok_at {
                        Execution { result: json!({ "attempt": run.attempt }), error: None }
                    } else {
                        Execution { result: json!({ "attempt": run.attempt }), error: Some("not yet".into()) }
                    }
                }
                "sleepy" => {
                    let ms = run.args.get("ms").and_then(Value::as_u64).unwrap_or(0);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Execution { result: json!("woke"), error: None }
                }
                _ => Execution { result: json!(null), error: None },
            }
        }))
    }

    fn failure_result(&self, function: &str, error: &str) -> Value {
        json!({ "function": function, "failed": error })
    }
}

const WAIT: Duration = Duration::from_secs(10);

fn config() -> DocketConfig {
    DocketConfig {
        url: "memory://".into(),
        name: "unit".into(),
        redelivery_timeout: Duration::from_secs(30),
        result_ttl: Duration::from_secs(60),
        concurrency: 4,
        group_share: 0,
        tls_ca_file: None,
    }
}

async fn docket() -> (Docket, Worker, Arc<Stub>) {
    let docket = Docket::open(config()).await.unwrap();
    let stub = Arc::new(Stub::default());
    let worker = docket.start_worker("unit", stub.clone());
    (docket, worker, stub)
}

async fn wait_for(docket: &Docket, key: &str, state: RunState) {
    let start = std::time::Instant::now();
    while docket.state(key).await.unwrap() != Some(state) {
        assert!(start.elapsed() < WAIT, "{key} never got {state:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn add_runs_the_function_and_keeps_its_result() {
    let (docket, _worker, _stub) = docket().await;
    let key = docket.add("echo", json!({ "x": 1 })).await.unwrap();
    let info = docket.wait(&key, WAIT).await.unwrap();
    assert_eq!(info.state, RunState::Completed);
    assert_eq!(info.result, Some(json!({ "x": 1 })));
    assert_eq!(docket.add("nope", json!({})).await, Err(DocketError::UnknownFunction("nope".into())));
    assert_eq!(docket.add("echo", json!([1])).await, Err(DocketError::BadArguments));
    // A key is idempotent while the run is live.
    let options =
        || AddOptions { key: Some("once".into()), delay: Some(Duration::from_secs(60)), ..Default::default() };
    let a = docket.add_with("echo", json!({}), options()).await.unwrap();
    let b = docket.add_with("echo", json!({}), options()).await.unwrap();
    assert_eq!(a.key(), b.key());
}

#[tokio::test]
async fn failed_runs_are_retried_until_their_attempts_run_out() {
    let (docket, _worker, _stub) = docket().await;
    let retry =
        |attempts| AddOptions { retry: Some(Retry::fixed(attempts, Duration::from_millis(5))), ..Default::default() };
    let ok = docket.add_with("flaky", json!({ "ok_at": 3 }), retry(3)).await.unwrap();
    let info = docket.wait(ok.key(), WAIT).await.unwrap();
    assert_eq!((info.state, info.attempt), (RunState::Completed, 3));
    let failed = docket.add_with("flaky", json!({ "ok_at": 3 }), retry(2)).await.unwrap();
    let info = docket.wait(failed.key(), WAIT).await.unwrap();
    assert_eq!((info.state, info.attempt, info.error.as_deref()), (RunState::Failed, 2, Some("not yet")));
}

#[tokio::test]
async fn a_run_past_its_timeout_fails_with_the_executors_failure_result() {
    let (docket, _worker, _stub) = docket().await;
    let options = AddOptions { timeout: Some(Duration::from_millis(50)), ..Default::default() };
    let added = docket.add_with("sleepy", json!({ "ms": 5000 }), options).await.unwrap();
    let info = docket.wait(added.key(), WAIT).await.unwrap();
    assert_eq!(info.state, RunState::Failed);
    assert!(info.error.as_deref().unwrap().contains("timed out"));
    assert_eq!(info.result.unwrap()["function"], "sleepy");
    // A deadline (expiry) cancels instead.
    let options = AddOptions { expire_after: Some(Duration::from_millis(50)), ..Default::default() };
    let added = docket.add_with("sleepy", json!({ "ms": 5000 }), options).await.unwrap();
    assert_eq!(docket.wait(added.key(), WAIT).await.unwrap().state, RunState::Cancelled);
}

#[tokio::test]
async fn strikes_refuse_matching_runs_until_restored() {
    let (docket, _worker, _stub) = docket().await;
    let strike = Strike::when("echo", "x", ">", json!(5));
    docket.strike(strike.clone()).await.unwrap();
    assert_eq!(docket.add("echo", json!({ "x": 6 })).await, Err(DocketError::Struck("echo".into())));
    let key = docket.add("echo", json!({ "x": 5 })).await.unwrap();
    assert_eq!(docket.wait(&key, WAIT).await.unwrap().state, RunState::Completed);
    docket.restore(strike).await.unwrap();
    let key = docket.add("echo", json!({ "x": 6 })).await.unwrap();
    assert_eq!(docket.wait(&key, WAIT).await.unwrap().state, RunState::Completed);
}

#[tokio::test]
async fn cancel_stops_a_running_run() {
    let (docket, _worker, _stub) = docket().await;
    let key = docket.add("sleepy", json!({ "ms": 60_000 })).await.unwrap();
    wait_for(&docket, &key, RunState::Running).await;
    assert!(docket.cancel(&key).await.unwrap());
    assert_eq!(docket.wait(&key, WAIT).await.unwrap().state, RunState::Cancelled);
    assert!(!docket.cancel(&key).await.unwrap(), "already over");
}

#[tokio::test]
async fn a_stopping_worker_hands_its_run_back_for_the_next_worker() {
    let (docket, first, stub) = docket().await;
    let key = docket.add("sleepy", json!({ "ms": 300 })).await.unwrap();
    wait_for(&docket, &key, RunState::Running).await;
    first.stop(Duration::from_millis(10)).await;
    assert_eq!(docket.state(&key).await.unwrap(), Some(RunState::Queued), "handed back, not lost");
    let _second = docket.start_worker("unit", stub.clone());
    let info = docket.wait(&key, WAIT).await.unwrap();
    assert_eq!((info.state, info.result), (RunState::Completed, Some(json!("woke"))));
    assert_eq!(stub.executions.load(Ordering::SeqCst), 2, "delivered again, and run again");
}

#[tokio::test]
async fn one_group_cannot_take_every_slot() {
    let (docket, _worker, _stub) = docket().await;
    let in_group = |group: &str| AddOptions { group: Some(group.into()), ..Default::default() };
    for _ in 0..8 {
        docket.add_with("sleepy", json!({ "ms": 60_000 }), in_group("flood")).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let quick = docket.add_with("echo", json!({}), in_group("other")).await.unwrap();
    let info = docket.wait(quick.key(), Duration::from_secs(2)).await.unwrap();
    assert_eq!(info.state, RunState::Completed);
}

#[test]
fn passwords_are_redacted_from_urls() {
    assert_eq!(redact_url("redis://:hunter2@127.0.0.1:6379/0"), "redis://:***@127.0.0.1:6379/0");
    assert_eq!(redact_url("rediss://app:p%40ss@h/"), "rediss://app:***@h/");
    assert_eq!(redact_url("redis://token@h"), "redis://***@h");
    assert_eq!(redact_url("redis://127.0.0.1/"), "redis://127.0.0.1/");
    assert_eq!(redact_url("memory://"), "memory://");
    let config = DocketConfig { url: "redis://:hunter2@h/".into(), ..DocketConfig::from_env() };
    assert!(!format!("{config:?}").contains("hunter2"));
}
