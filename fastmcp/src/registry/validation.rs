//! Tool arguments checked against the tool's published `inputSchema` before its handler runs,
//! so the constraints a client sees (`minimum`, `maxLength`, `enum`, `pattern`, ...) are the
//! constraints the server enforces. A violation is an `isError` result naming the argument and
//! the constraint, visible to the model so it can correct the call.
//!
//! The validator is compiled once per tool, on its first call. A schema that does not compile
//! (a hand-written one, for a dynamic tool) is logged once and not enforced.

use crate::protocol::{CallToolResult, quoted};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// At most this many violations are reported in one result.
const MAX_REPORTED: usize = 3;

/// The compiled `inputSchema` of one tool.
#[derive(Default)]
pub(crate) struct ArgumentValidator {
    compiled: OnceLock<Option<jsonschema::Validator>>,
}

impl ArgumentValidator {
    /// Checks `args` of the tool `tool` against `schema` (computed on first use only).
    pub(crate) fn check(
        &self,
        tool: &str,
        schema: impl FnOnce() -> Value,
        args: &mut Map<String, Value>,
    ) -> Result<(), CallToolResult> {
        let compiled = self.compiled.get_or_init(|| {
            let schema = schema();
            match jsonschema::draft202012::options().should_validate_formats(false).build(&schema) {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::warn!(tool, error = %e, "the tool's inputSchema does not compile; its arguments are not validated");
                    None
                }
            }
        });
        let Some(validator) = compiled else { return Ok(()) };
        // The arguments are lent to a `Value` for the check and handed back: no copy.
        let instance = Value::Object(std::mem::take(args));
        let outcome = if validator.is_valid(&instance) {
            Ok(())
        } else {
            let reasons: Vec<String> =
                validator.iter_errors(&instance).take(MAX_REPORTED).map(|e| describe(&e)).collect();
            Err(CallToolResult::error(format!("Invalid arguments for tool `{tool}`: {}", reasons.join("; "))))
        };
        if let Value::Object(map) = instance {
            *args = map;
        }
        outcome
    }
}

/// "argument `limit`: 0 is less than the minimum of 1", "missing required argument `b`".
fn describe(error: &jsonschema::ValidationError<'_>) -> String {
    let path: Vec<&str> = error.instance_path().as_str().split('/').filter(|s| !s.is_empty()).collect();
    if let jsonschema::error::ValidationErrorKind::Required { property } = error.kind() {
        let name = property.as_str().map(str::to_owned).unwrap_or_else(|| property.to_string());
        return match path.is_empty() {
            true => format!("missing required argument `{name}`"),
            false => format!("argument `{}`: missing field `{name}`", quoted(&path.join("."))),
        };
    }
    // The error quotes the value it refused, which can be as large as the request.
    let why = error.to_string();
    match path.is_empty() {
        true => quoted(&why).into_owned(),
        false => format!("argument `{}`: {}", quoted(&path.join(".")), quoted(&why)),
    }
}
