//! MCP tasks against the tasks fixture (real child processes, real HTTP over loopback), on the
//! embedded memory:// docket and on a real Redis — including two server instances sharing one
//! Redis, where a task created on one is read, awaited and cancelled on the other.

use fastmcp_tests::RedisServer;
use fastmcp_tests::http_client::{Answerer, McpHttp};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Fixture {
    child: Child,
    url: String,
}

impl Fixture {
    fn spawn(docket_url: &str, args: &[&str], env: &[(&str, &str)]) -> Fixture {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tasks"));
        cmd.args(["--port", "0"])
            .args(args)
            .env("FASTMCP_DOCKET_URL", docket_url)
            .env("FASTMCP_DOCKET_NAME", "tasks-test")
            .env_remove("FASTMCP_ENABLE_TASKS")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn the tasks fixture");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("listening on ").expect("listening line").to_owned();
        Fixture { child, url }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The docket URLs every scenario runs on: memory://, and a fresh Redis (kept alive by the guard).
fn backends() -> Vec<(String, Option<RedisServer>)> {
    let redis = RedisServer::start(false);
    vec![("memory://".to_owned(), None), (redis.url(), Some(redis))]
}

fn task_of(created: &Value) -> (String, Value) {
    let task = created["task"].clone();
    (task["taskId"].as_str().expect("taskId").to_owned(), task)
}

async fn create(mcp: &McpHttp, method: &str, params: Value) -> String {
    let created = mcp.call(method, params).await.expect("task created");
    task_of(&created).0
}

async fn get(mcp: &McpHttp, id: &str) -> Result<Value, Value> {
    mcp.call("tasks/get", json!({ "taskId": id })).await
}

/// Polls tasks/get until `done` holds (bounded).
async fn poll_until(mcp: &McpHttp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let task = get(mcp, id).await.expect("tasks/get");
        if done(&task) {
            return task;
        }
        assert!(Instant::now() < deadline, "task never reached the expected state: {task}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn code(e: &Value) -> i64 {
    e["code"].as_i64().unwrap_or_default()
}

fn related(result: &Value, id: &str) -> bool {
    result["_meta"]["io.modelcontextprotocol/related-task"]["taskId"] == id
}

fn parse_time(s: &str) -> bool {
    // RFC 3339 with a Z offset, e.g. 2025-11-25T10:30:00.123Z.
    s.len() >= 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T'
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capability_task_support_and_negotiation_errors() {
    for (docket, _guard) in backends() {
        let fx = Fixture::spawn(&docket, &[], &[]);
        let client = reqwest::Client::new();
        let init = client
            .post(&fx.url)
            .header("accept", "application/json, text/event-stream")
            .json(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(
            init["result"]["capabilities"]["tasks"],
            json!({"list":{},"cancel":{},"requests":{"tools":{"call":{}},"prompts":{"get":{}},"resources":{"read":{}}}}),
            "{docket}"
        );
        let mcp = McpHttp::connect(&fx.url, None).await;
        let tools = mcp.call("tools/list", json!({})).await.unwrap();
        let support = |name: &str| {
            tools["tools"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()["execution"]["taskSupport"]
                .clone()
        };
        assert_eq!(support("slow_add"), "optional");
        assert_eq!(support("progress_job"), "required");
        assert_eq!(support("failing_job"), "optional");
        assert_eq!(support("sync_only"), Value::Null, "forbidden is the default and is left out");

        // required without task, forbidden with task: -32601.
        let e = mcp.call("tools/call", json!({"name":"progress_job","arguments":{}})).await.unwrap_err();
        assert_eq!(code(&e), -32601, "{e}");
        let e = mcp.call("tools/call", json!({"name":"sync_only","arguments":{"x":2},"task":{}})).await.unwrap_err();
        assert_eq!(code(&e), -32601, "{e}");
        // Inline calls still work for optional and forbidden tools.
        let r = mcp.call("tools/call", json!({"name":"sync_only","arguments":{"x":21}})).await.unwrap();
        assert_eq!(r["structuredContent"]["result"], 42);
        let r =
            mcp.call("tools/call", json!({"name":"slow_add","arguments":{"a":1,"b":2,"delay_ms":1}})).await.unwrap();
        assert_eq!(r["structuredContent"]["result"], 3);
        // Unknown ids and cursors: -32602.
        for method in ["tasks/get", "tasks/result", "tasks/cancel"] {
            let e = mcp.call(method, json!({"taskId":"nope"})).await.unwrap_err();
            assert_eq!(code(&e), -32602, "{method}: {e}");
        }
        let e = mcp.call("tasks/list", json!({"cursor":"garbage"})).await.unwrap_err();
        assert_eq!(code(&e), -32602, "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_runs_to_completion_and_its_result_is_the_call_result() {
    for (docket, _guard) in backends() {
        let fx = Fixture::spawn(&docket, &[], &[]);
        let mcp = McpHttp::connect(&fx.url, None).await;
        let created = mcp
            .call(
                "tools/call",
                json!({"name":"slow_add","arguments":{"a":2,"b":3,"delay_ms":300},"task":{"ttl":60000}}),
            )
            .await
            .unwrap();
        let (id, task) = task_of(&created);
        assert_eq!(id.len(), 32, "a 128-bit random id");
        assert_eq!(task["status"], "working", "{docket}");
        assert_eq!(task["ttl"], 60000);
        assert!(task["pollInterval"].as_u64().unwrap() > 0);
        assert!(parse_time(task["createdAt"].as_str().unwrap()), "{task}");
        assert!(parse_time(task["lastUpdatedAt"].as_str().unwrap()), "{task}");
        assert!(created.get("_meta").is_none_or(|m| m.get("io.modelcontextprotocol/related-task").is_none()));

        let now = get(&mcp, &id).await.unwrap();
        assert_eq!(now["status"], "working");
        assert_eq!(now["taskId"], id.as_str());
        // tasks/result blocks until the task is done, then answers as tools/call would have.
        let result = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap();
        assert_eq!(result["structuredContent"]["result"], 5, "{result}");
        assert_eq!(result["content"][0]["text"], "5");
        assert!(related(&result, &id), "{result}");
        let done = get(&mcp, &id).await.unwrap();
        assert_eq!(done["status"], "completed");
        assert!(done["lastUpdatedAt"].as_str() >= done["createdAt"].as_str());
        // It is listed, and it cannot be cancelled any more.
        let list = mcp.call("tasks/list", json!({})).await.unwrap();
        assert!(
            list["tasks"].as_array().unwrap().iter().any(|t| t["taskId"] == id.as_str() && t["status"] == "completed")
        );
        let e = mcp.call("tasks/cancel", json!({"taskId": id})).await.unwrap_err();
        assert_eq!(code(&e), -32602);
        assert!(e["message"].as_str().unwrap().contains("completed"), "{e}");
        // The requested TTL is capped; a huge one comes back smaller.
        let big = create(
            &mcp,
            "tools/call",
            json!({"name":"slow_add","arguments":{"a":1,"b":1,"delay_ms":1},"task":{"ttl":1e12}}),
        )
        .await;
        assert!(get(&mcp, &big).await.unwrap()["ttl"].as_u64().unwrap() < 1_000_000_000_000);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_and_status_notifications_reach_the_requesting_session() {
    for (docket, _guard) in backends() {
        let fx = Fixture::spawn(&docket, &[], &[]);
        let mcp = Arc::new(McpHttp::connect(&fx.url, None).await);
        mcp.open_stream().await;
        let created = mcp
            .call(
                "tools/call",
                json!({"name":"progress_job","arguments":{"steps":5,"step_ms":120},"task":{},"_meta":{"progressToken":"tok-1"}}),
            )
            .await
            .unwrap();
        let (id, _) = task_of(&created);
        // statusMessage follows the progress the handler reports (Progress works in a task).
        let mid = poll_until(&mcp, &id, |t| t["statusMessage"].as_str().is_some_and(|m| m.starts_with("step "))).await;
        assert_eq!(mid["status"], "working");
        let result = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap();
        assert_eq!(result["content"][0]["text"], "done 5 steps", "{docket}: {result}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let messages = mcp.stream_messages();
        let progress: Vec<&Value> =
            messages.iter().filter(|m| m["method"] == "notifications/progress").map(|m| &m["params"]).collect();
        assert!(!progress.is_empty(), "{docket}: no progress in {messages:?}");
        for p in &progress {
            assert_eq!(p["progressToken"], "tok-1");
            assert_eq!(p["total"], 5.0);
            assert!(related(p, &id));
        }
        let values: Vec<f64> = progress.iter().map(|p| p["progress"].as_f64().unwrap()).collect();
        assert!(values.windows(2).all(|w| w[0] < w[1]), "progress increases: {values:?}");
        let statuses: Vec<&Value> =
            messages.iter().filter(|m| m["method"] == "notifications/tasks/status").map(|m| &m["params"]).collect();
        assert_eq!(statuses.last().unwrap()["status"], "completed", "{statuses:?}");
        assert!(statuses.iter().all(|s| s["taskId"] == id.as_str() && s.get("_meta").is_none()));
        let pairs: Vec<(Value, Value)> =
            statuses.iter().map(|s| (s["status"].clone(), s["statusMessage"].clone())).collect();
        assert!(pairs.windows(2).all(|w| w[0] != w[1]), "no duplicate status notifications: {pairs:?}");
        // The handler's log line (Context in a task) reached the session, tied to the task.
        if docket == "memory://" {
            let log = messages.iter().find(|m| m["method"] == "notifications/message").expect("log from the task");
            assert_eq!(log["params"]["data"], "starting 5 steps");
            assert!(related(&log["params"], &id));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_prompts_and_resources_as_tasks() {
    for (docket, _guard) in backends() {
        let fx = Fixture::spawn(&docket, &[], &[]);
        let mcp = McpHttp::connect(&fx.url, None).await;
        // A tool error: the task fails, its result is the CallToolResult with isError.
        let id =
            create(&mcp, "tools/call", json!({"name":"failing_job","arguments":{"message":"disk on fire"},"task":{}}))
                .await;
        let result = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap();
        assert_eq!(result["isError"], true, "{docket}: {result}");
        assert!(result["content"][0]["text"].as_str().unwrap().contains("disk on fire"));
        assert!(related(&result, &id));
        let task = get(&mcp, &id).await.unwrap();
        assert_eq!(task["status"], "failed");
        assert!(task["statusMessage"].as_str().unwrap().contains("disk on fire"), "{task}");
        // Bad arguments are a tool error too (the model can correct itself).
        let id = create(&mcp, "tools/call", json!({"name":"slow_add","arguments":{"a":"x","b":1},"task":{}})).await;
        let result = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap();
        assert_eq!(result["isError"], true, "{result}");
        assert_eq!(get(&mcp, &id).await.unwrap()["status"], "failed");

        let id =
            create(&mcp, "prompts/get", json!({"name":"task_prompt","arguments":{"topic":"otters"},"task":{}})).await;
        let result = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap();
        assert!(result["messages"][0]["content"]["text"].as_str().unwrap().contains("otters"), "{result}");
        assert!(related(&result, &id));
        assert_eq!(get(&mcp, &id).await.unwrap()["status"], "completed");

        let id = create(&mcp, "resources/read", json!({"uri":"tasks://echo/quokka","task":{}})).await;
        let result = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap();
        assert_eq!(result["contents"][0]["text"], "quokka", "{result}");
        assert_eq!(result["contents"][0]["uri"], "tasks://echo/quokka");
        assert!(related(&result, &id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_running_task_is_final() {
    for (docket, _guard) in backends() {
        let fx = Fixture::spawn(&docket, &[], &[]);
        let mcp = McpHttp::connect(&fx.url, None).await;
        let id =
            create(&mcp, "tools/call", json!({"name":"slow_add","arguments":{"a":1,"b":1,"delay_ms":1500},"task":{}}))
                .await;
        let cancelled = mcp.call("tasks/cancel", json!({"taskId": id})).await.unwrap();
        assert_eq!(cancelled["status"], "cancelled", "{docket}: {cancelled}");
        assert_eq!(cancelled["taskId"], id.as_str());
        let e = mcp.call("tasks/cancel", json!({"taskId": id})).await.unwrap_err();
        assert_eq!(code(&e), -32602, "{e}");
        let e = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap_err();
        assert!(code(&e) < 0, "a cancelled task has no result: {e}");
        // Still cancelled after the handler would have finished.
        tokio::time::sleep(Duration::from_millis(1700)).await;
        assert_eq!(get(&mcp, &id).await.unwrap()["status"], "cancelled");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_required_elicits_through_tasks_result_and_through_the_get_stream() {
    for (docket, _guard) in backends() {
        let fx = Fixture::spawn(&docket, &[], &[]);
        // 1. No GET stream: the client sees input_required, calls tasks/result, and the
        //    elicitation arrives on that stream, tied to the task.
        let mcp = McpHttp::connect(&fx.url, None).await;
        let id =
            create(&mcp, "tools/call", json!({"name":"confirm_delete","arguments":{"filename":"/tmp/x"},"task":{}}))
                .await;
        let waiting = poll_until(&mcp, &id, |t| t["status"] != "working").await;
        assert_eq!(waiting["status"], "input_required", "{docket}: {waiting}");
        assert_eq!(waiting["statusMessage"], "Delete /tmp/x?");
        let result = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap();
        assert_eq!(result["content"][0]["text"], "deleted /tmp/x", "{result}");
        let answered = mcp.answered.lock().unwrap().clone();
        assert_eq!(answered.len(), 1, "elicited once: {answered:?}");
        assert_eq!(answered[0].0, "elicitation/create");
        assert!(related(&answered[0].1, &id), "{answered:?}");
        assert_eq!(get(&mcp, &id).await.unwrap()["status"], "completed");

        // 2. With the GET stream open, the request goes there at once; a decline is honoured.
        let decline: Answerer = Arc::new(|_, _| json!({ "action": "decline" }));
        let mcp = Arc::new(McpHttp::connect_with(&fx.url, None, json!({"elicitation":{}}), decline).await);
        mcp.open_stream().await;
        let id = create(&mcp, "tools/call", json!({"name":"confirm_delete","arguments":{"filename":"/etc"},"task":{}}))
            .await;
        let done = poll_until(&mcp, &id, |t| t["status"] == "completed").await;
        assert_eq!(done["status"], "completed");
        let result = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap();
        assert_eq!(result["content"][0]["text"], "kept /etc", "{result}");
        let statuses: Vec<Value> = mcp
            .stream_messages()
            .into_iter()
            .filter(|m| m["method"] == "notifications/tasks/status")
            .map(|m| m["params"]["status"].clone())
            .collect();
        assert!(statuses.contains(&json!("input_required")), "{statuses:?}");

        // 3. A client without the elicitation capability: the handler gets an error, the task fails.
        let none: Answerer = Arc::new(|_, _| json!({}));
        let mcp = McpHttp::connect_with(&fx.url, None, json!({}), none).await;
        let id =
            create(&mcp, "tools/call", json!({"name":"confirm_delete","arguments":{"filename":"/y"},"task":{}})).await;
        let result = mcp.call("tasks/result", json!({"taskId": id})).await.unwrap();
        assert_eq!(result["isError"], true, "{result}");
        assert!(result["content"][0]["text"].as_str().unwrap().contains("elicitation"), "{result}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_bound_to_their_session_and_paginated() {
    for (docket, _guard) in backends() {
        let fx = Fixture::spawn(&docket, &["--page-size", "2"], &[]);
        let alice = McpHttp::connect(&fx.url, None).await;
        let mallory = McpHttp::connect(&fx.url, None).await;
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(
                create(
                    &alice,
                    "tools/call",
                    json!({"name":"slow_add","arguments":{"a":i,"b":0,"delay_ms":1},"task":{}}),
                )
                .await,
            );
        }
        // Another session cannot see, read, await or cancel them.
        for method in ["tasks/get", "tasks/result", "tasks/cancel"] {
            let e = mallory.call(method, json!({"taskId": ids[0]})).await.unwrap_err();
            assert_eq!(code(&e), -32602, "{docket} {method}: {e}");
        }
        assert_eq!(mallory.call("tasks/list", json!({})).await.unwrap()["tasks"], json!([]));
        // The owner pages through all of them, two at a time.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let params = cursor.as_ref().map_or(json!({}), |c| json!({"cursor": c}));
            let page = alice.call("tasks/list", params).await.unwrap();
            let tasks = page["tasks"].as_array().unwrap();
            assert!(tasks.len() <= 2);
            seen.extend(tasks.iter().map(|t| t["taskId"].as_str().unwrap().to_owned()));
            match page["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, ids, "{docket}: every task once, oldest first");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tasks_are_gone() {
    for (docket, _guard) in backends() {
        let fx = Fixture::spawn(&docket, &[], &[]);
        let mcp = McpHttp::connect(&fx.url, None).await;
        let id = create(
            &mcp,
            "tools/call",
            json!({"name":"slow_add","arguments":{"a":1,"b":1,"delay_ms":1},"task":{"ttl":1000}}),
        )
        .await;
        assert_eq!(get(&mcp, &id).await.unwrap()["ttl"], 1000);
        tokio::time::sleep(Duration::from_millis(1300)).await;
        let e = get(&mcp, &id).await.unwrap_err();
        assert_eq!(code(&e), -32602, "{docket}: {e}");
        let list = mcp.call("tasks/list", json!({})).await.unwrap();
        assert_eq!(list["tasks"], json!([]), "{docket}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_can_be_turned_off() {
    let fx = Fixture::spawn("memory://", &[], &[("FASTMCP_ENABLE_TASKS", "0")]);
    let mcp = McpHttp::connect(&fx.url, None).await;
    let e = mcp.call("tasks/list", json!({})).await.unwrap_err();
    assert_eq!(code(&e), -32601);
    // Task metadata is ignored: the call runs inline, even for a `required` tool.
    let r = mcp
        .call("tools/call", json!({"name":"slow_add","arguments":{"a":1,"b":2,"delay_ms":1},"task":{}}))
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["result"], 3);
    let r = mcp.call("tools/call", json!({"name":"progress_job","arguments":{"steps":1,"step_ms":1}})).await.unwrap();
    assert_eq!(r["content"][0]["text"], "done 1 steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_tasks_through_redis_by_principal() {
    let redis = RedisServer::start(false);
    let tokens = ["--token", "alice-token=alice", "--token", "bob-token=bob"];
    let a = Fixture::spawn(&redis.url(), &tokens, &[]);
    let b = Fixture::spawn(&redis.url(), &tokens, &[]);
    // No token, or a wrong one: 401 with a challenge.
    let resp =
        reqwest::Client::new().post(&a.url).header("content-type", "application/json").body("{}").send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    let resp = reqwest::Client::new()
        .post(&a.url)
        .bearer_auth("wrong")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));

    let alice_a = McpHttp::connect(&a.url, Some("alice-token")).await;
    let alice_b = McpHttp::connect(&b.url, Some("alice-token")).await;
    let bob_b = McpHttp::connect(&b.url, Some("bob-token")).await;

    // Created on A, read and awaited on B.
    let id =
        create(&alice_a, "tools/call", json!({"name":"slow_add","arguments":{"a":20,"b":22,"delay_ms":300},"task":{}}))
            .await;
    assert!(matches!(get(&alice_b, &id).await.unwrap()["status"].as_str(), Some("working" | "completed")));
    let result = alice_b.call("tasks/result", json!({"taskId": id})).await.unwrap();
    assert_eq!(result["structuredContent"]["result"], 42);
    assert!(related(&result, &id));
    assert!(
        alice_b.call("tasks/list", json!({})).await.unwrap()["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["taskId"] == id.as_str())
    );

    // Bob cannot see it on either instance.
    let e = get(&bob_b, &id).await.unwrap_err();
    assert_eq!(code(&e), -32602);
    assert_eq!(bob_b.call("tasks/list", json!({})).await.unwrap()["tasks"], json!([]));

    // Created on A, cancelled on B: A sees it cancelled.
    let id =
        create(&alice_a, "tools/call", json!({"name":"slow_add","arguments":{"a":1,"b":1,"delay_ms":3000},"task":{}}))
            .await;
    let e = bob_b.call("tasks/cancel", json!({"taskId": id})).await.unwrap_err();
    assert_eq!(code(&e), -32602);
    assert_eq!(alice_b.call("tasks/cancel", json!({"taskId": id})).await.unwrap()["status"], "cancelled");
    assert_eq!(get(&alice_a, &id).await.unwrap()["status"], "cancelled");

    // Input relayed across instances: created on A, elicited and answered through tasks/result on B.
    let id = create(&alice_a, "tools/call", json!({"name":"confirm_delete","arguments":{"filename":"/srv"},"task":{}}))
        .await;
    poll_until(&alice_b, &id, |t| t["status"] == "input_required").await;
    let result = alice_b.call("tasks/result", json!({"taskId": id})).await.unwrap();
    assert_eq!(result["content"][0]["text"], "deleted /srv", "{result}");

    // A session belongs to its principal: Bob cannot use Alice's session id.
    let resp = reqwest::Client::new()
        .post(&a.url)
        .bearer_auth("bob-token")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", &alice_a.session)
        .header("mcp-protocol-version", "2025-11-25")
        .body(r#"{"jsonrpc":"2.0","id":9,"method":"tasks/list"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}
