//! Decoders of Redis replies (stream entries, XAUTOCLAIM, strikes, run records) into the
//! docket's types, tolerant of anything malformed; and the fuzz entry point that feeds them
//! (run records themselves are `record.rs`).

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

/// A run delivered by the stream: its key and generation, the entry id, and the queued
/// record the entry carries (`None` in an entry from an earlier layout).
#[derive(Debug, Clone)]
pub(super) struct Delivery {
    pub key: String,
    pub generation: String,
    pub id: String,
    pub record: Option<String>,
}

pub(super) fn delivery((id, mut fields): Entry) -> Option<Delivery> {
    Some(Delivery { key: fields.remove("key")?, generation: fields.remove("gen")?, id, record: fields.remove("r") })
}

pub(super) fn parse_xread(reply: RValue) -> Vec<Delivery> {
    read_entries(reply).into_iter().filter_map(delivery).collect()
}

/// XAUTOCLAIM: `[next cursor, [entries...], [deleted ids]]`.
pub(super) fn parse_autoclaim(reply: RValue) -> (String, Vec<Delivery>) {
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

/// A run as the docket shows it: its record and, when progress was reported, the progress hash.
pub(super) fn parse_info(key: &str, record: Option<String>, progress: &HashMap<String, String>) -> Option<RunInfo> {
    Some(Record::decode(&record?)?.info(key, progress))
}

/// Entry points for the fuzz targets: the bytes as a run record (decoded, then written and
/// decoded again), and as RESP through redis-rs's parser, then the decoders of stream replies
/// and run records.
#[doc(hidden)]
pub fn fuzz_decode(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = super::record::state_of(text);
        // What decodes is written back the same (the scripts rewrite records field by field).
        if let Some(record) = Record::decode(text) {
            assert_eq!(Record::decode(&record.encode()), Some(record));
        }
    }
    let Ok(value) = redis::parse_redis_value(bytes) else { return };
    let _ = parse_xread(value.clone());
    let _ = parse_autoclaim(value.clone());
    let _ = parse_strikes(value.clone());
    if let RValue::Array(items) = value {
        let strings: Vec<String> = items.iter().filter_map(as_string).collect();
        let h: HashMap<String, String> =
            strings.chunks(2).filter_map(|p| Some((p.first()?.clone(), p.get(1)?.clone()))).collect();
        let _ = parse_info("k", strings.first().cloned(), &h);
    }
}
