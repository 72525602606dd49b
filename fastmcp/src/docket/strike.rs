//! Strikes: stopping the runs of a function (optionally only those whose argument matches),
//! on every worker of the docket.

use crate::sync::lock;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Mutex;

/// A strike: stop runs of a function, optionally only those whose argument matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strike {
    /// The function it strikes (`*`: every function).
    pub function: String,
    /// `(argument, operator, value)`; operators `==`, `!=`, `>`, `>=`, `<`, `<=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<(String, String, Value)>,
}

impl Strike {
    /// Strikes every run of `function`.
    pub fn function(function: impl Into<String>) -> Self {
        Strike { function: function.into(), condition: None }
    }
    /// Strikes runs of `function` whose `argument` compares with `value` (`==`, `!=`, `>`, `>=`, `<`, `<=`).
    pub fn when(function: impl Into<String>, argument: impl Into<String>, op: &str, value: Value) -> Self {
        Strike { function: function.into(), condition: Some((argument.into(), op.to_owned(), value)) }
    }

    fn matches(&self, function: &str, args: &Map<String, Value>) -> bool {
        if self.function != function && self.function != "*" {
            return false;
        }
        let Some((arg, op, value)) = &self.condition else { return true };
        let Some(actual) = args.get(arg) else { return false };
        let ord = match (actual.as_f64(), value.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => match (actual.as_str(), value.as_str()) {
                (Some(a), Some(b)) => Some(a.cmp(b)),
                _ => None,
            },
        };
        use std::cmp::Ordering::*;
        match op.as_str() {
            "==" => actual == value,
            "!=" => actual != value,
            ">" => ord == Some(Greater),
            ">=" => matches!(ord, Some(Greater | Equal)),
            "<" => ord == Some(Less),
            "<=" => matches!(ord, Some(Less | Equal)),
            _ => false,
        }
    }
}

/// Strikes in effect in this process (kept in sync with the backend).
#[derive(Default)]
pub(crate) struct StrikeList {
    list: Mutex<Vec<Strike>>,
    /// Lets the hot path skip the lock when nothing is struck (the usual case).
    any: std::sync::atomic::AtomicBool,
}

impl StrikeList {
    pub fn apply(&self, restore: bool, strike: Strike) {
        let mut list = lock(&self.list);
        if restore {
            list.retain(|s| *s != strike);
        } else if !list.contains(&strike) {
            list.push(strike);
        }
        self.any.store(!list.is_empty(), std::sync::atomic::Ordering::Release);
    }
    pub fn is_struck(&self, function: &str, args: &Map<String, Value>) -> bool {
        self.any.load(std::sync::atomic::Ordering::Acquire)
            && lock(&self.list).iter().any(|s| s.matches(function, args))
    }
}
