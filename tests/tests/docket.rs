//! The docket: the same suite on `memory://` and on a real `redis-server` started on a free port.

use fastmcp::docket::{AddOptions, Added, Docket, DocketConfig, DocketError, Retry, RunState, Strike};
use fastmcp::prelude::*;
use fastmcp_tests::RedisServer;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Doubles a number.
#[tool]
fn double(x: i64) -> i64 {
    x * 2
}

static FLAKY: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

/// Fails its first `fail_times` calls for a given `id`.
#[tool]
fn flaky(id: String, fail_times: u32) -> Result<String, String> {
    let mut calls = FLAKY.lock().unwrap();
    let n = calls.get_or_insert_with(HashMap::new).entry(id.clone()).or_insert(0);
    *n += 1;
    if *n <= fail_times { Err(format!("failure {n} of {id}")) } else { Ok(format!("{id} ok after {n}")) }
}

static DROPS: AtomicUsize = AtomicUsize::new(0);
struct CountDrop;
impl Drop for CountDrop {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

/// Sleeps, reporting progress first.
#[tool]
async fn sleeper(ms: u64, progress: Progress) -> String {
    let _guard = CountDrop;
    progress.report(1.0, Some(4.0), Some("a quarter")).await;
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("slept {ms}")
}

static TICKS: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

/// Counts its runs per id.
#[tool]
fn tick(id: String) -> usize {
    let mut ticks = TICKS.lock().unwrap();
    let n = ticks.get_or_insert_with(HashMap::new).entry(id).or_insert(0);
    *n += 1;
    *n
}

/// Answers at once; may run as a task.
#[tool(task = "optional")]
fn quick(x: i64) -> i64 {
    x
}

/// A greeting prompt.
#[prompt]
fn greeting_prompt(name: String) -> String {
    format!("Greet {name}")
}

/// A templated resource.
#[resource("items://{id}")]
fn item(id: u32) -> String {
    format!("item {id}")
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Memory,
    Redis,
}

struct Env {
    server: Server,
    docket: Docket,
    redis: Option<RedisServer>,
}

impl Drop for Env {
    fn drop(&mut self) {
        let server = self.server.clone();
        // Stop the worker before its Redis goes away with `redis`.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(server.shutdown())
        })
        .join();
    }
}

async fn env_with(kind: Kind, tweak: impl FnOnce(&mut DocketConfig)) -> Env {
    let redis = matches!(kind, Kind::Redis).then(|| RedisServer::start(false));
    let mut config = DocketConfig {
        url: redis.as_ref().map_or_else(|| "memory://".to_owned(), |r| r.url()),
        name: "tests".into(),
        redelivery_timeout: Duration::from_secs(2),
        result_ttl: Duration::from_secs(60),
        concurrency: 8,
        group_share: 0,
        tls_ca_file: None,
    };
    tweak(&mut config);
    let server = FastMcp::new("docket-tests").docket(config).build().unwrap();
    server.start().await.unwrap();
    let docket = server.docket().expect("every server has a docket");
    Env { server, docket, redis }
}

async fn env(kind: Kind) -> Env {
    env_with(kind, |_| {}).await
}

const WAIT: Duration = Duration::from_secs(20);

async fn runs_to_completion(kind: Kind) {
    let e = env(kind).await;
    let key = e.docket.add("double", json!({"x": 21})).await.unwrap();
    let info = e.docket.wait(&key, WAIT).await.unwrap();
    assert_eq!(info.state, RunState::Completed);
    assert_eq!(info.tool_result().unwrap().structured_content, Some(json!({"result": 42})));
    assert_eq!(info.function, "double");
    assert_eq!(info.attempt, 1);
    assert!(info.worker.unwrap().starts_with("docket-tests-"));
    assert!(info.started_ms.unwrap() >= info.created_ms && info.completed_ms.unwrap() >= info.started_ms.unwrap());
    assert_eq!(e.docket.result(&key).await.unwrap().unwrap()["content"][0]["text"], "42");
}

async fn keys_are_idempotent_while_live(kind: Kind) {
    let e = env(kind).await;
    let later = AddOptions { key: Some("k1".into()), delay: Some(Duration::from_secs(30)), ..Default::default() };
    assert_eq!(
        e.docket.add_with("double", json!({"x": 1}), later.clone()).await.unwrap(),
        Added::Scheduled("k1".into())
    );
    assert_eq!(e.docket.add_with("double", json!({"x": 2}), later.clone()).await.unwrap(), Added::Exists("k1".into()));
    assert_eq!(e.docket.state("k1").await.unwrap(), Some(RunState::Scheduled));
    // Replace: the scheduled run gives way to an immediate one with new arguments.
    e.docket.replace("double", json!({"x": 5}), "k1", None).await.unwrap();
    let info = e.docket.wait("k1", WAIT).await.unwrap();
    assert_eq!(info.tool_result().unwrap().text_content(), "10");
    // Once ended, the key can be used again.
    let now = AddOptions { key: Some("k1".into()), ..Default::default() };
    assert_eq!(e.docket.add_with("double", json!({"x": 7}), now).await.unwrap(), Added::Scheduled("k1".into()));
    assert_eq!(e.docket.wait("k1", WAIT).await.unwrap().tool_result().unwrap().text_content(), "14");
}

async fn cancel_scheduled_and_running(kind: Kind) {
    let e = env(kind).await;
    let later = AddOptions { key: Some("c1".into()), delay: Some(Duration::from_millis(300)), ..Default::default() };
    e.docket.add_with("double", json!({"x": 1}), later).await.unwrap();
    assert!(e.docket.cancel("c1").await.unwrap());
    assert!(!e.docket.cancel("c1").await.unwrap(), "already ended");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let info = e.docket.info("c1").await.unwrap().unwrap();
    assert_eq!((info.state, info.result), (RunState::Cancelled, None), "a cancelled run never runs");

    let drops = DROPS.load(Ordering::SeqCst);
    let key = e.docket.add("sleeper", json!({"ms": 30_000})).await.unwrap();
    for _ in 0..200 {
        if e.docket.state(&key).await.unwrap() == Some(RunState::Running) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(e.docket.cancel(&key).await.unwrap());
    let info = e.docket.wait(&key, WAIT).await.unwrap();
    assert_eq!(info.state, RunState::Cancelled);
    for _ in 0..200 {
        if DROPS.load(Ordering::SeqCst) > drops {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(DROPS.load(Ordering::SeqCst) > drops, "the running handler was aborted");
}

async fn delayed_runs_wait_their_turn(kind: Kind) {
    let e = env(kind).await;
    let started = std::time::Instant::now();
    let opts = AddOptions { delay: Some(Duration::from_millis(300)), ..Default::default() };
    let key = e.docket.add_with("double", json!({"x": 3}), opts).await.unwrap().key().to_owned();
    assert_eq!(e.docket.state(&key).await.unwrap(), Some(RunState::Scheduled));
    let info = e.docket.wait(&key, WAIT).await.unwrap();
    assert_eq!(info.state, RunState::Completed);
    assert!(started.elapsed() >= Duration::from_millis(290), "{:?}", started.elapsed());
}

async fn retries_fixed_and_exponential(kind: Kind) {
    let e = env(kind).await;
    let id = format!("{kind:?}-retry");
    let opts = AddOptions { retry: Some(Retry::fixed(3, Duration::from_millis(20))), ..Default::default() };
    let key = e.docket.add_with("flaky", json!({"id": id, "fail_times": 2}), opts).await.unwrap().key().to_owned();
    let info = e.docket.wait(&key, WAIT).await.unwrap();
    assert_eq!((info.state, info.attempt), (RunState::Completed, 3));
    assert_eq!(info.tool_result().unwrap().text_content(), format!("{id} ok after 3"));

    let id = format!("{kind:?}-exhausted");
    let opts = AddOptions { retry: Some(Retry::exponential(2, Duration::from_millis(10))), ..Default::default() };
    let key = e.docket.add_with("flaky", json!({"id": id, "fail_times": 5}), opts).await.unwrap().key().to_owned();
    let info = e.docket.wait(&key, WAIT).await.unwrap();
    assert_eq!((info.state, info.attempt), (RunState::Failed, 2));
    assert_eq!(info.error.as_deref(), Some(format!("failure 2 of {id}").as_str()));
    assert!(info.tool_result().unwrap().is_error());
}

async fn timeouts_fail_the_run(kind: Kind) {
    let e = env(kind).await;
    let opts = AddOptions { timeout: Some(Duration::from_millis(50)), ..Default::default() };
    let key = e.docket.add_with("sleeper", json!({"ms": 5_000}), opts).await.unwrap().key().to_owned();
    let info = e.docket.wait(&key, WAIT).await.unwrap();
    assert_eq!(info.state, RunState::Failed);
    assert!(info.error.unwrap().contains("timed out"));
}

async fn perpetual_runs_repeat_until_cancelled(kind: Kind) {
    let e = env(kind).await;
    let id = format!("{kind:?}-perpetual");
    let opts = AddOptions { key: Some(id.clone()), every: Some(Duration::from_millis(30)), ..Default::default() };
    e.docket.add_with("tick", json!({"id": id}), opts).await.unwrap();
    let count = || TICKS.lock().unwrap().as_ref().and_then(|t| t.get(&id).copied()).unwrap_or(0);
    for _ in 0..500 {
        if count() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(count() >= 3, "ran {} times", count());
    assert!(e.docket.cancel(&id).await.unwrap());
    let after = count();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(count() <= after + 1, "stopped after cancel");
}

async fn strikes_stop_matching_runs(kind: Kind) {
    let e = env(kind).await;
    e.docket.strike(Strike::function("double")).await.unwrap();
    assert_eq!(e.docket.add("double", json!({"x": 1})).await, Err(DocketError::Struck("double".into())));
    e.docket.restore(Strike::function("double")).await.unwrap();
    let key = e.docket.add("double", json!({"x": 1})).await.unwrap();
    assert_eq!(e.docket.wait(&key, WAIT).await.unwrap().state, RunState::Completed);

    e.docket.strike(Strike::when("double", "x", ">", json!(5))).await.unwrap();
    assert!(matches!(e.docket.add("double", json!({"x": 9})).await, Err(DocketError::Struck(_))));
    let key = e.docket.add("double", json!({"x": 4})).await.unwrap();
    assert_eq!(e.docket.wait(&key, WAIT).await.unwrap().state, RunState::Completed);
}

async fn progress_is_stored_with_the_run(kind: Kind) {
    let e = env(kind).await;
    let key = e.docket.add("sleeper", json!({"ms": 2_000})).await.unwrap();
    let mut seen = None;
    for _ in 0..300 {
        seen = e.docket.info(&key).await.unwrap().and_then(|i| i.progress).filter(|p| p.current == 1.0);
        if seen.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let p = seen.expect("progress stored");
    assert_eq!((p.total, p.message.as_deref()), (Some(4.0), Some("a quarter")));
    e.docket.cancel(&key).await.unwrap();
}

async fn results_expire_after_their_ttl(kind: Kind) {
    let e = env_with(kind, |c| c.result_ttl = Duration::from_millis(200)).await;
    let key = e.docket.add("double", json!({"x": 2})).await.unwrap();
    assert_eq!(e.docket.wait(&key, WAIT).await.unwrap().state, RunState::Completed);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // memory:// purges lazily, on the next docket operation.
    e.docket.add("double", json!({"x": 0})).await.unwrap();
    assert_eq!(e.docket.info(&key).await.unwrap(), None);
}

async fn a_run_can_keep_its_result_for_less_time(kind: Kind) {
    let e = env(kind).await; // docket result TTL: 60 s
    let short = AddOptions { result_ttl: Some(Duration::from_millis(200)), ..AddOptions::default() };
    let brief = e.docket.add_with("double", json!({"x": 2}), short).await.unwrap();
    let kept = e.docket.add("double", json!({"x": 3})).await.unwrap();
    let Added::Scheduled(brief) = brief else { panic!("{brief:?}") };
    assert_eq!(e.docket.wait(&brief, WAIT).await.unwrap().state, RunState::Completed);
    assert_eq!(e.docket.wait(&kept, WAIT).await.unwrap().state, RunState::Completed);
    tokio::time::sleep(Duration::from_millis(400)).await;
    e.docket.add("double", json!({"x": 0})).await.unwrap();
    assert_eq!(e.docket.info(&brief).await.unwrap(), None);
    assert_eq!(e.docket.info(&kept).await.unwrap().unwrap().result.unwrap()["structuredContent"]["result"], 6);
}

async fn bad_input_is_an_error(kind: Kind) {
    let e = env(kind).await;
    assert_eq!(e.docket.add("double", json!([1])).await, Err(DocketError::BadArguments));
    let unknown = e.docket.add("nope", json!({})).await;
    match kind {
        Kind::Memory => assert_eq!(unknown, Err(DocketError::UnknownFunction("nope".into()))),
        // Another process may serve it; this one fails the run with a clear error.
        Kind::Redis => {
            let info = e.docket.wait(&unknown.unwrap(), WAIT).await.unwrap();
            assert_eq!(info.state, RunState::Failed);
            assert!(info.error.unwrap().contains("no component named `nope`"));
        }
    }
    assert_eq!(e.docket.info("never-added").await.unwrap(), None);
    assert!(!e.docket.cancel("never-added").await.unwrap());
}

async fn prompts_and_resources_run_by_name(kind: Kind) {
    let e = env(kind).await;
    let key = e.docket.add("prompt:greeting_prompt", json!({"name": "Ada"})).await.unwrap();
    let info = e.docket.wait(&key, WAIT).await.unwrap();
    assert_eq!(info.state, RunState::Completed);
    assert_eq!(info.result.unwrap()["messages"][0]["content"]["text"], "Greet Ada");
    let key = e.docket.add("resource:items://{id}", json!({"uri": "items://7"})).await.unwrap();
    let info = e.docket.wait(&key, WAIT).await.unwrap();
    assert_eq!(info.result.unwrap()["contents"][0]["text"], "item 7");
    // A failing prompt (missing argument) fails the run with the JSON-RPC error as its result.
    let key = e.docket.add("prompt:greeting_prompt", json!({})).await.unwrap();
    let info = e.docket.wait(&key, WAIT).await.unwrap();
    assert_eq!(info.state, RunState::Failed);
    assert_eq!(info.result.unwrap()["error"]["code"], -32602);
    assert!(matches!(e.docket.add("prompt:nope", json!({})).await, Err(DocketError::UnknownFunction(_)) | Ok(_)));
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Kind::Memory).await })*
        }
        mod redis {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Kind::Redis).await })*
        }
    };
}

on_both_backends!(
    runs_to_completion,
    keys_are_idempotent_while_live,
    cancel_scheduled_and_running,
    delayed_runs_wait_their_turn,
    retries_fixed_and_exponential,
    timeouts_fail_the_run,
    perpetual_runs_repeat_until_cancelled,
    strikes_stop_matching_runs,
    progress_is_stored_with_the_run,
    results_expire_after_their_ttl,
    a_run_can_keep_its_result_for_less_time,
    bad_input_is_an_error,
    prompts_and_resources_run_by_name,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_worker_hands_unfinished_runs_back() {
    let e = env(Kind::Redis).await;
    let config = e.docket.config().clone();
    let leaving =
        FastMcp::new("leaving").docket(config.clone()).shutdown_timeout(Duration::from_millis(100)).build().unwrap();
    leaving.start().await.unwrap();
    // Only the leaving server's worker is idle and takes it: stop the first one's worker first.
    e.server.shutdown().await;
    let producer = Docket::connect(config.clone()).await.unwrap();
    let key = producer.add("sleeper", json!({"ms": 800})).await.unwrap();
    for _ in 0..300 {
        if producer.state(&key).await.unwrap() == Some(RunState::Running) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let leaving_name = leaving.worker().unwrap().name().to_owned();
    assert_eq!(producer.info(&key).await.unwrap().unwrap().worker.as_deref(), Some(leaving_name.as_str()));
    leaving.shutdown().await;
    assert_eq!(producer.state(&key).await.unwrap(), Some(RunState::Queued), "handed back, not lost");
    let taker = FastMcp::new("taker").docket(config).build().unwrap();
    taker.start().await.unwrap();
    let info = producer.wait(&key, WAIT).await.unwrap();
    assert_eq!(info.state, RunState::Completed);
    assert_eq!(info.worker.as_deref(), Some(taker.worker().unwrap().name()));
    taker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_refuses_features_that_need_several_processes() {
    let e = env(Kind::Memory).await;
    let err = e.docket.check_distributed_backend("scale-out").unwrap_err();
    assert!(err.to_string().contains("memory://"), "{err}");
    assert!(matches!(Docket::connect(e.docket.config().clone()).await, Err(DocketError::NotDistributed(_))));
    let r = FastMcp::new("w").docket(e.docket.config().clone()).run_worker().await;
    assert!(r.unwrap_err().to_string().contains("redis://"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_added_on_one_server_is_read_from_another() {
    let e = env(Kind::Redis).await;
    let redis = e.redis.as_ref().unwrap();
    let other = FastMcp::new("other").docket(e.docket.config().clone()).build().unwrap();
    other.start().await.unwrap();
    let key = e.docket.add("double", json!({"x": 50})).await.unwrap();
    let from_b = other.docket().unwrap().wait(&key, WAIT).await.unwrap();
    assert_eq!(from_b.tool_result().unwrap().text_content(), "100");
    // A producer-only handle (no worker) sees the same runs.
    let producer = Docket::connect(e.docket.config().clone()).await.unwrap();
    assert_eq!(producer.state(&key).await.unwrap(), Some(RunState::Completed));
    assert!(redis.port > 0);
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strikes_propagate_to_other_processes() {
    let e = env(Kind::Redis).await;
    let producer = Docket::connect(e.docket.config().clone()).await.unwrap();
    producer.strike(Strike::function("tick")).await.unwrap();
    let mut struck = false;
    for _ in 0..300 {
        if matches!(e.docket.add("tick", json!({"id": "x"})).await, Err(DocketError::Struck(_))) {
            struck = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(struck, "the strike reached the server's docket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_with_a_private_ca() {
    let redis = RedisServer::start_tls();
    let config = DocketConfig {
        url: redis.url(),
        name: "tls".into(),
        redelivery_timeout: Duration::from_secs(2),
        result_ttl: Duration::from_secs(60),
        concurrency: 2,
        group_share: 0,
        tls_ca_file: redis.tls_ca_file.clone(),
    };
    assert!(config.url.starts_with("rediss://"));
    let server = FastMcp::new("tls").docket(config.clone()).build().unwrap();
    server.start().await.unwrap();
    let docket = server.docket().unwrap();
    let key = docket.add("double", json!({"x": 8})).await.unwrap();
    assert_eq!(docket.wait(&key, WAIT).await.unwrap().tool_result().unwrap().text_content(), "16");
    server.shutdown().await;
    // Without the CA, the server's certificate is not trusted: a clear startup error.
    let untrusted = FastMcp::new("tls2").docket(DocketConfig { tls_ca_file: None, ..config }).build().unwrap();
    let err = untrusted.start().await.unwrap_err().to_string();
    assert!(err.to_lowercase().contains("certificate") || err.contains("docket"), "{err}");
}

fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli").args(["-p", &port.to_string()]).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_runs_leave_the_stream_and_records_expire() {
    let e = env_with(Kind::Redis, |c| c.result_ttl = Duration::from_secs(30)).await;
    let port = e.redis.as_ref().unwrap().port;
    let keys = futures::future::join_all((0..1500).map(|x| e.docket.add("double", json!({ "x": x })))).await;
    for key in &keys {
        assert_eq!(e.docket.wait(key.as_ref().unwrap(), WAIT).await.unwrap().state, RunState::Completed);
    }
    // The worker trims at most once a second: one more run after that leaves only the entries
    // of the last (partial) stream node.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let last = e.docket.add("double", json!({ "x": 1 })).await.unwrap();
    e.docket.wait(&last, WAIT).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let len: usize = redis_cli(port, &["XLEN", "{tests}:runs"]).parse().unwrap();
    assert!(len <= 200, "{len} entries stay in the stream after 1501 acknowledged runs");
    // Nothing pending, nothing without an expiry (except the stream and the strike stream).
    assert!(redis_cli(port, &["XPENDING", "{tests}:runs", "workers"]).starts_with('0'));
    let record = format!("{{tests}}:rec:{last}");
    let ttl: i64 = redis_cli(port, &["PTTL", &record]).parse().unwrap();
    assert!(ttl > 20_000 && ttl <= 30_000, "a finished record expires with the result TTL: {ttl}");
    assert!(redis_cli(port, &["GET", &record]).starts_with("-completed|1|1|"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_run_delivered_twice_runs_once_per_generation() {
    // Two generations of one key queued back to back (the first replaced before any worker
    // claims it): the stale delivery is dropped at its claim, the current one runs.
    let e = env(Kind::Redis).await;
    e.server.shutdown().await;
    let producer = Docket::connect(e.docket.config().clone()).await.unwrap();
    let opts = || AddOptions { key: Some("same".into()), replace: true, ..Default::default() };
    producer.add_with("double", json!({ "x": 1 }), opts()).await.unwrap();
    producer.add_with("double", json!({ "x": 2 }), opts()).await.unwrap();
    let port = e.redis.as_ref().unwrap().port;
    assert_eq!(redis_cli(port, &["XLEN", "{tests}:runs"]), "2");
    let worker = FastMcp::new("w").docket(e.docket.config().clone()).build().unwrap();
    worker.start().await.unwrap();
    let info = producer.wait("same", WAIT).await.unwrap();
    assert_eq!((info.state, info.generation), (RunState::Completed, 2));
    assert_eq!(info.tool_result().unwrap().text_content(), "4");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(redis_cli(port, &["XPENDING", "{tests}:runs", "workers"]).starts_with('0'));
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dockets_of_one_process_never_share_a_generated_key() {
    // Two servers in one process on one Redis: each add is its own run (with per-docket key
    // counters the second server's first key was the first server's, and its add was taken
    // for the first server's run).
    let e = env(Kind::Redis).await;
    let other = FastMcp::new("other").docket(e.docket.config().clone()).build().unwrap();
    other.start().await.unwrap();
    let a = e.docket.add("sleeper", json!({ "ms": 300 })).await.unwrap();
    let b = other.docket().unwrap().add("double", json!({ "x": 4 })).await.unwrap();
    assert_ne!(a, b);
    assert_eq!(other.docket().unwrap().wait(&b, WAIT).await.unwrap().tool_result().unwrap().text_content(), "8");
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_complete_when_the_redis_user_may_not_trim() {
    // A user without XTRIM: the trim fails (warned once), every run still completes, and the
    // acknowledged entries simply stay in the stream.
    let e = env(Kind::Redis).await;
    let port = e.redis.as_ref().unwrap().port;
    assert_eq!(redis_cli(port, &["ACL", "SETUSER", "default", "-xtrim"]), "OK");
    let keys = futures::future::join_all((0..300).map(|x| e.docket.add("double", json!({ "x": x })))).await;
    for key in &keys {
        assert_eq!(e.docket.wait(key.as_ref().unwrap(), WAIT).await.unwrap().state, RunState::Completed);
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let last = e.docket.add("double", json!({ "x": 1 })).await.unwrap();
    assert_eq!(e.docket.wait(&last, WAIT).await.unwrap().state, RunState::Completed);
    let len: usize = redis_cli(port, &["XLEN", "{tests}:runs"]).parse().unwrap();
    assert_eq!(len, 301, "nothing trimmed without XTRIM");
    assert!(redis_cli(port, &["XPENDING", "{tests}:runs", "workers"]).starts_with('0'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_tasks_are_bounded_and_leave_the_redis_index_when_they_expire() {
    let redis = RedisServer::start(false);
    let config = DocketConfig {
        url: redis.url(),
        name: "kept".into(),
        redelivery_timeout: Duration::from_secs(2),
        result_ttl: Duration::from_secs(60),
        concurrency: 8,
        group_share: 0,
        tls_ca_file: None,
    };
    let settings = fastmcp::tasks::TaskSettings { max_kept_per_requester: 3, ..Default::default() };
    let server = FastMcp::new("kept").tool(quick).docket(config).task_settings(settings).build().unwrap();
    let c = Client::connect(&server).await.unwrap();
    let create = || c.request("tools/call", json!({"name": "quick", "arguments": {"x": 1}, "task": {"ttl": 1000}}));
    for _ in 0..3 {
        let created = create().await.unwrap();
        c.request("tasks/result", json!({"taskId": created["task"]["taskId"]})).await.unwrap();
    }
    let err = create().await.unwrap_err();
    assert!(err.to_string().contains("Too many tasks kept"), "{err}");
    let index = redis_cli(redis.port, &["--scan", "--pattern", "{kept}:tasks:*"]);
    let expiring = redis_cli(redis.port, &["--scan", "--pattern", "{kept}:tasks-expiring:*"]);
    assert_eq!(redis_cli(redis.port, &["ZCARD", &index]), "3", "{index}");
    assert_eq!(redis_cli(redis.port, &["ZCARD", &expiring]), "3", "{expiring}");
    // Once the records expire there is room again: admitting the new task counted the live
    // ones (dropping the expired from the expiry index), and listing drops them from the other.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let created = create().await.unwrap();
    assert_eq!(redis_cli(redis.port, &["ZCARD", &expiring]), "1");
    let listed = c.request("tasks/list", json!({})).await.unwrap();
    assert_eq!(listed["tasks"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["tasks"][0]["taskId"], created["task"]["taskId"]);
    assert_eq!(redis_cli(redis.port, &["ZCARD", &index]), "1");
    server.shutdown().await;
}
