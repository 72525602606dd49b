//! The floor of the start-up benchmark: a process that reads a line and writes a fixed
//! `initialize` reply, then idles until stdin closes. No runtime, no JSON parsing: what any
//! stdio server costs at least (process spawn, dynamic loading, one pipe round trip).

use std::io::{BufRead, Write};

const REPLY: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"bare","version":"0"}}}"#;

fn main() {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    if lines.next().is_some() {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{REPLY}");
        let _ = out.flush();
    }
    for _ in lines {}
}
