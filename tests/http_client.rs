//! A small Streamable HTTP MCP client for integration tests: JSON and SSE answers, the
//! standalone GET stream, and answers to server-to-client requests (elicitation).

use futures::StreamExt;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// How the client answers `elicitation/create` (and any other server request).
pub type Answerer = Arc<dyn Fn(&str, &Value) -> Value + Send + Sync>;

pub struct McpHttp {
    pub url: String,
    pub session: String,
    token: Option<String>,
    client: reqwest::Client,
    next_id: AtomicI64,
    answer: Answerer,
    /// Server requests this client answered: (method, params).
    pub answered: Arc<Mutex<Vec<(String, Value)>>>,
    /// Messages that arrived on the GET stream (once opened).
    pub stream: Mutex<Option<mpsc::UnboundedReceiver<Value>>>,
}

/// Splits an SSE body into the JSON messages of its `data:` lines.
fn sse_messages(buf: &mut String) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(end) = buf.find("\n\n") {
        let event: String = buf.drain(..end + 2).collect();
        let data: Vec<&str> = event.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim).collect();
        if !data.is_empty()
            && let Ok(v) = serde_json::from_str(&data.join("\n"))
        {
            out.push(v);
        }
    }
    out
}

impl McpHttp {
    /// Initializes a session (client capabilities: elicitation), accepting every elicitation
    /// with `{"confirm": true}` unless `answer` is changed.
    pub async fn connect(url: &str, token: Option<&str>) -> McpHttp {
        let answer: Answerer = Arc::new(|_, _| json!({ "action": "accept", "content": { "confirm": true } }));
        Self::connect_with(url, token, json!({ "elicitation": {} }), answer).await
    }

    pub async fn connect_with(url: &str, token: Option<&str>, capabilities: Value, answer: Answerer) -> McpHttp {
        let client = reqwest::Client::new();
        let mut req = client
            .post(url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .json(&json!({
                "jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": { "protocolVersion": "2025-11-25", "capabilities": capabilities,
                            "clientInfo": { "name": "fastmcp-tests", "version": "0" } },
            }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("initialize");
        assert_eq!(resp.status(), 200, "initialize: {:?}", resp.text().await);
        let session = resp.headers()["mcp-session-id"].to_str().unwrap().to_owned();
        let mcp = McpHttp {
            url: url.to_owned(),
            session,
            token: token.map(str::to_owned),
            client,
            next_id: AtomicI64::new(1),
            answer,
            answered: Arc::default(),
            stream: Mutex::new(None),
        };
        mcp.post(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
        mcp
    }

    fn request_builder(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
        let mut r = self
            .client
            .request(method, &self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-session-id", &self.session)
            .header("mcp-protocol-version", "2025-11-25");
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r
    }

    /// Ends the session (HTTP DELETE); returns the HTTP status.
    pub async fn close(&self) -> u16 {
        self.request_builder(reqwest::Method::DELETE).send().await.expect("delete").status().as_u16()
    }

    /// POSTs one message; returns the HTTP status.
    pub async fn post(&self, message: Value) -> u16 {
        self.request_builder(reqwest::Method::POST).json(&message).send().await.expect("post").status().as_u16()
    }

    async fn answer_server_request(&self, message: &Value) {
        let method = message["method"].as_str().unwrap_or_default().to_owned();
        let result = (self.answer)(&method, &message["params"]);
        self.answered.lock().unwrap().push((method, message["params"].clone()));
        self.post(json!({ "jsonrpc": "2.0", "id": message["id"], "result": result })).await;
    }

    /// Sends a request; returns the whole response message (`result` or `error`) and the
    /// other messages that arrived on its stream. Server requests on the stream are answered.
    pub async fn call_full(&self, method: &str, params: Value) -> (Value, Vec<Value>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .request_builder(reqwest::Method::POST)
            .json(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), 200, "{method}");
        let is_sse = resp.headers().get("content-type").is_some_and(|c| c.to_str().unwrap().starts_with("text/event"));
        if !is_sse {
            return (resp.json().await.expect("json body"), Vec::new());
        }
        let mut body = resp.bytes_stream();
        let mut buf = String::new();
        let mut others = Vec::new();
        while let Some(chunk) = body.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk.expect("sse chunk")));
            for m in sse_messages(&mut buf) {
                if m["id"] == json!(id) && m.get("method").is_none() {
                    return (m, others);
                }
                if m.get("method").is_some() && m.get("id").is_some() {
                    self.answer_server_request(&m).await;
                }
                others.push(m);
            }
        }
        panic!("the stream of {method} ended without a response");
    }

    /// The `result` of a request, or the `error` object as `Err`.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, Value> {
        let (m, _) = self.call_full(method, params).await;
        match m.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(m["result"].clone()),
        }
    }

    /// Opens the standalone GET stream: notifications are queued for `next_stream_message`,
    /// server requests are answered.
    pub async fn open_stream(self: &Arc<Self>) {
        let resp = self
            .request_builder(reqwest::Method::GET)
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("GET stream");
        assert_eq!(resp.status(), 200);
        let (tx, rx) = mpsc::unbounded_channel();
        *self.stream.lock().unwrap() = Some(rx);
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut body = resp.bytes_stream();
            let mut buf = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                for m in sse_messages(&mut buf) {
                    if m.get("method").is_some() && m.get("id").is_some() {
                        let Some(me) = me.upgrade() else { return };
                        me.answer_server_request(&m).await;
                    }
                    let _ = tx.send(m);
                }
            }
        });
    }

    /// Messages received on the GET stream so far.
    pub fn stream_messages(&self) -> Vec<Value> {
        let mut out = Vec::new();
        if let Some(rx) = self.stream.lock().unwrap().as_mut() {
            while let Ok(m) = rx.try_recv() {
                out.push(m);
            }
        }
        out
    }
}
