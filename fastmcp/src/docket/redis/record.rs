//! A run's record: one Redis string, written whole by one `SET` (value and TTL together) and
//! read whole by one `GET`, so a run's life costs a handful of commands rather than a hash
//! field at a time.
//!
//! ```text
//! {flag}{state}|{generation}|{attempt}|{created}|{when}|{started}|{completed}|{worker}
//! "{function}"
//! {policy}
//! {args}
//! "{error}" (or an empty line)
//! {result}  (or nothing)
//! ```
//!
//! The first line is what the Lua scripts read (`flag`: `p` once progress was reported, else
//! `-`; it is byte 0 so a script can set it with `SETRANGE`); everything else is JSON that only
//! Rust reads. Numbers are ms since the epoch; an absent one is empty.

use super::super::{RunInfo, RunProgress, RunState};
use serde_json::Value;
use std::collections::HashMap;

/// A run record, decoded. JSON parts stay text until someone needs them.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Record {
    /// Progress was reported (a `progress:` hash exists beside the record).
    pub progress: bool,
    pub state: RunState,
    pub generation: u64,
    pub attempt: u32,
    pub created: u64,
    pub when: u64,
    pub started: Option<u64>,
    pub completed: Option<u64>,
    pub worker: Option<String>,
    pub function: String,
    /// The policy as JSON.
    pub policy: String,
    /// The arguments as JSON.
    pub args: String,
    pub error: Option<String>,
    /// The result as JSON.
    pub result: Option<String>,
}

impl Record {
    /// The record as stored.
    pub fn encode(&self) -> String {
        let opt = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
        // A worker name is ours (`{name}-{pid}-{random}`), but the separators must never appear.
        let worker: String =
            self.worker.as_deref().unwrap_or_default().chars().filter(|c| *c != '|' && *c != '\n').collect();
        let json = |s: &str| Value::from(s).to_string();
        format!(
            "{}{}|{}|{}|{}|{}|{}|{}|{}\n{}\n{}\n{}\n{}\n{}",
            if self.progress { 'p' } else { '-' },
            self.state.as_str(),
            self.generation,
            self.attempt,
            self.created,
            self.when,
            opt(self.started),
            opt(self.completed),
            worker,
            json(&self.function),
            self.policy,
            self.args,
            self.error.as_deref().map(json).unwrap_or_default(),
            self.result.as_deref().unwrap_or_default(),
        )
    }

    /// A stored record; `None` for anything malformed.
    pub fn decode(text: &str) -> Option<Record> {
        let mut lines = text.splitn(6, '\n');
        let head = lines.next()?;
        let (function, policy, args) = (lines.next()?, lines.next()?, lines.next()?);
        let (error, result) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
        let flag = head.chars().next()?;
        let mut f = head.get(flag.len_utf8()..)?.split('|');
        let mut next = || f.next();
        let state = RunState::parse(next()?)?;
        let num = |s: Option<&str>| s.and_then(|s| s.parse::<u64>().ok());
        let generation = num(next())?;
        let attempt = num(next()).unwrap_or(1).min(u32::MAX as u64) as u32;
        let created = num(next()).unwrap_or(0);
        let when = num(next()).unwrap_or(0);
        let started = num(next());
        let completed = num(next());
        let worker = next().filter(|w| !w.is_empty()).map(str::to_owned);
        let string = |s: &str| serde_json::from_str::<String>(s).ok();
        Some(Record {
            progress: flag == 'p',
            state,
            generation,
            attempt,
            created,
            when,
            started,
            completed,
            worker,
            function: string(function)?,
            policy: policy.to_owned(),
            args: args.to_owned(),
            error: string(error),
            result: (!result.is_empty()).then(|| result.to_owned()),
        })
    }

    /// What the docket API shows of it (with the progress hash, when there is one).
    pub fn info(self, key: &str, progress: &HashMap<String, String>) -> RunInfo {
        RunInfo {
            key: key.to_owned(),
            function: self.function,
            state: self.state,
            attempt: self.attempt,
            generation: self.generation,
            worker: self.worker,
            created_ms: self.created,
            started_ms: self.started,
            completed_ms: self.completed,
            error: self.error,
            result: self.result.and_then(|r| serde_json::from_str::<Value>(&r).ok()),
            progress: progress.get("current").map(|c| RunProgress {
                current: c.parse().unwrap_or(0.0),
                total: progress.get("total").and_then(|t| t.parse().ok()),
                message: progress.get("message").cloned(),
            }),
        }
    }
}

/// The state in a record's first bytes (what `GETRANGE key 0 63` returns).
pub(super) fn state_of(head: &str) -> Option<RunState> {
    let rest = head.get(1..)?;
    RunState::parse(&rest[..rest.find('|')?])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            progress: false,
            state: RunState::Queued,
            generation: 3,
            attempt: 2,
            created: 1_700_000_000_000,
            when: 1_700_000_000_500,
            started: None,
            completed: None,
            worker: None,
            function: "say\nhi \"there\"".into(),
            policy: r#"{"timeout_ms":5}"#.into(),
            args: r#"{"text":"a\nb|c"}"#.into(),
            error: None,
            result: None,
        }
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let queued = sample();
        assert_eq!(Record::decode(&queued.encode()), Some(queued.clone()));
        let done = Record {
            progress: true,
            state: RunState::Failed,
            started: Some(1),
            completed: Some(2),
            worker: Some("w|1\n".into()),
            error: Some("boom\nline two".into()),
            result: Some(r#"{"content":[],"isError":true}"#.into()),
            ..queued
        };
        let text = done.encode();
        assert!(text.starts_with("pfailed|3|2|"), "{text}");
        let back = Record::decode(&text).unwrap();
        assert_eq!(back.worker.as_deref(), Some("w1"), "separators are dropped from the worker name");
        assert_eq!(Record { worker: done.worker.clone(), ..back }, done);
        assert_eq!(state_of(&text[..20]), Some(RunState::Failed));
    }

    #[test]
    fn malformed_records_are_refused() {
        for bad in ["", "-", "-queued", "-nope|1|1|0|0|||\n\"f\"\n{}\n{}\n\n", "-queued|x|1|0|0|||\n\"f\"\n{}\n{}\n\n"]
        {
            assert_eq!(Record::decode(bad), None, "{bad:?}");
        }
        assert_eq!(state_of("x"), None);
    }
}
