//! RFC 6570 level-1/2 URI templates as resource templates use them: `{var}` (simple: one
//! segment, no `/`) and `{+var}` (reserved: may span `/`). Matching binds variables to the
//! percent-decoded text of a concrete URI.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Var { name: String, reserved: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// A parsed URI template.
pub struct UriTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid URI template: {0}")]
/// Why a template is invalid.
pub struct TemplateError(pub String);

impl UriTemplate {
    /// Parses a template.
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let close =
                rest[open..].find('}').ok_or_else(|| TemplateError(format!("unclosed `{{` in {template:?}")))? + open;
            let mut name = &rest[open + 1..close];
            let reserved = name.starts_with('+');
            if reserved {
                name = &name[1..];
            }
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(TemplateError(format!("bad variable name {name:?} in {template:?}")));
            }
            if matches!(parts.last(), Some(Part::Var { .. })) {
                return Err(TemplateError(format!("two adjacent variables in {template:?} cannot be told apart")));
            }
            parts.push(Part::Var { name: name.to_owned(), reserved });
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return Err(TemplateError(format!("stray `}}` in {template:?}")));
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(UriTemplate { parts })
    }

    /// Its variable names, in order.
    pub fn variables(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Var { name, .. } => Some(name.as_str()),
                Part::Literal(_) => None,
            })
            .collect()
    }

    /// Binds the variables of this template to the parts of `uri`, or `None` if it does not match.
    pub fn matches(&self, uri: &str) -> Option<HashMap<String, String>> {
        let mut vars = HashMap::new();
        let mut rest = uri;
        let mut parts = self.parts.iter().peekable();
        while let Some(part) = parts.next() {
            match part {
                Part::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Part::Var { name, reserved } => {
                    // A variable ends where the next literal starts (first occurrence), or at the
                    // end of the URI when it is last.
                    let end = match parts.peek() {
                        Some(Part::Literal(lit)) => rest.find(lit.as_str())?,
                        _ => rest.len(),
                    };
                    let raw = &rest[..end];
                    if raw.is_empty() || (!reserved && raw.contains(['/', '?', '#'])) {
                        return None;
                    }
                    let value = percent_decode(raw)?;
                    // Percent-encoding must not smuggle in what the raw form may not hold: a
                    // simple variable is one path segment (no `/` or `\\`, not `.` or `..`),
                    // and no variable carries NUL.
                    if value.contains('\0')
                        || (!reserved && (value.contains(['/', '\\']) || value == "." || value == ".."))
                    {
                        return None;
                    }
                    vars.insert(name.clone(), value);
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(vars)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_simple_and_reserved_variables() {
        let t = UriTemplate::parse("test://template/{id}/data").unwrap();
        assert_eq!(t.variables(), vec!["id"]);
        assert_eq!(t.matches("test://template/42/data").unwrap()["id"], "42");
        assert!(t.matches("test://template/4/2/data").is_none());
        assert!(t.matches("test://template//data").is_none());
        assert!(t.matches("test://template/42/datax").is_none());
        assert_eq!(t.matches("test://template/a%20b/data").unwrap()["id"], "a b");

        for smuggled in ["..%2F..%2Fetc%2Fpasswd", "a%2Fb", "a%5Cb", "a%00b", "..", "%2E%2E", "."] {
            assert!(t.matches(&format!("test://template/{smuggled}/data")).is_none(), "{smuggled}");
        }

        let r = UriTemplate::parse("file:///{+path}").unwrap();
        assert!(r.matches("file:///a%00b").is_none());
        assert_eq!(r.matches("file:///a/b/c.txt").unwrap()["path"], "a/b/c.txt");
    }

    #[test]
    fn rejects_malformed_templates() {
        assert!(UriTemplate::parse("a://{x").is_err());
        assert!(UriTemplate::parse("a://{}").is_err());
        assert!(UriTemplate::parse("a://{x}{y}").is_err());
        assert!(UriTemplate::parse("a://x}").is_err());
        assert!(UriTemplate::parse("a://{x-y}").is_err());
    }
}
