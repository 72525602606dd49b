//! Decoders of Redis replies (stream entries, XAUTOCLAIM, strikes, run records) into the
//! docket's types, tolerant of anything malformed; and the fuzz entry point that feeds them.

use super::*;

pub(super) fn as_string(v: &RValue) -> Option<String> {
    match v {
        RValue::BulkString(b) => String::from_utf8(b.clone()).ok(),
        RValue::SimpleString(s) => Some(s.clone()),
        RValue::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// One stream entry: its id and fields.
pub(super) type Entry = (String, HashMap<String, String>);

/// `[id, [field, value, ...]]`
pub(super) fn parse_entry(entry: &RValue) -> Option<Entry> {
    let RValue::Array(parts) = entry else { return None };
    let id = as_string(parts.first()?)?;
    let mut fields = HashMap::new();
    if let Some(RValue::Array(flat)) = parts.get(1) {
        for pair in flat.chunks(2) {
            if let (Some(k), Some(v)) = (pair.first().and_then(as_string), pair.get(1).and_then(as_string)) {
                fields.insert(k, v);
            }
        }
    }
    Some((id, fields))
}

/// The entries of an XREAD / XREADGROUP reply: `[[stream, [entries...]], ...]`, a map on
/// RESP3, or nil on timeout.
pub(super) fn read_entries(reply: RValue) -> Vec<Entry> {
    let streams = match reply {
        RValue::Array(s) => s,
        RValue::Map(m) => m.into_iter().map(|(k, v)| RValue::Array(vec![k, v])).collect(),
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for s in streams {
        if let RValue::Array(parts) = s
            && let Some(RValue::Array(entries)) = parts.get(1)
        {
            out.extend(entries.iter().filter_map(parse_entry));
        }
    }
    out
}

/// A run delivery from a stream entry: (key, generation, entry id).
pub(super) fn delivery((id, fields): Entry) -> Option<(String, String, String)> {
    Some((fields.get("key")?.clone(), fields.get("gen")?.clone(), id))
}

pub(super) fn parse_xread(reply: RValue) -> Vec<(String, String, String)> {
    read_entries(reply).into_iter().filter_map(delivery).collect()
}

/// XAUTOCLAIM: `[next cursor, [entries...], [deleted ids]]`.
pub(super) fn parse_autoclaim(reply: RValue) -> (String, Vec<(String, String, String)>) {
    let RValue::Array(parts) = reply else { return ("0-0".into(), Vec::new()) };
    let cursor = parts.first().and_then(as_string).unwrap_or_else(|| "0-0".into());
    let entries = match parts.get(1) {
        // Deleted entries come back with empty bodies on Redis 6.2: no key, skipped.
        Some(RValue::Array(entries)) => entries.iter().filter_map(parse_entry).filter_map(delivery).collect(),
        _ => Vec::new(),
    };
    (cursor, entries)
}

/// Strike instructions: (entry id, strike, is a restore).
pub(super) fn parse_strikes(reply: RValue) -> Vec<(String, Option<Strike>, bool)> {
    read_entries(reply)
        .into_iter()
        .map(|(id, fields)| {
            let strike = fields.get("strike").and_then(|j| serde_json::from_str(j).ok());
            let restore = fields.get("direction").is_some_and(|d| d == "restore");
            (id, strike, restore)
        })
        .collect()
}

pub(super) fn parse_info(
    key: &str,
    h: HashMap<String, String>,
    result: Option<String>,
    progress: HashMap<String, String>,
) -> Option<RunInfo> {
    let state = RunState::parse(h.get("state")?)?;
    let num = |k: &str| h.get(k).and_then(|v| v.parse::<f64>().ok()).map(|v| v as u64);
    Some(RunInfo {
        key: key.to_owned(),
        function: h.get("function").cloned().unwrap_or_default(),
        state,
        attempt: num("attempt").unwrap_or(1) as u32,
        generation: num("generation").unwrap_or(0),
        worker: h.get("worker").cloned(),
        created_ms: num("created").unwrap_or(0),
        started_ms: num("started"),
        completed_ms: num("completed"),
        error: h.get("error").cloned(),
        result: result.and_then(|r| serde_json::from_str::<Value>(&r).ok()),
        progress: progress.get("current").map(|c| RunProgress {
            current: c.parse().unwrap_or(0.0),
            total: progress.get("total").and_then(|t| t.parse().ok()),
            message: progress.get("message").cloned(),
        }),
    })
}

/// Entry points for the fuzz targets: RESP bytes through redis-rs's parser, then through the
/// decoders of stream replies and run records.
#[doc(hidden)]
pub fn fuzz_decode(bytes: &[u8]) {
    let Ok(value) = redis::parse_redis_value(bytes) else { return };
    let _ = parse_xread(value.clone());
    let _ = parse_autoclaim(value.clone());
    let _ = parse_strikes(value.clone());
    if let RValue::Array(items) = value {
        let strings: Vec<String> = items.iter().filter_map(as_string).collect();
        let h: HashMap<String, String> =
            strings.chunks(2).filter_map(|p| Some((p.first()?.clone(), p.get(1)?.clone()))).collect();
        let _ = parse_info("k", h.clone(), strings.first().cloned(), h);
    }
}
