//! RFC 6570 URI templates as resource templates use them: `{var}` (simple: one segment, no
//! `/`), `{+var}` (reserved: may span `/`), `{var*}` (exploded path: one or more segments, none
//! of them `.` or `..`) and, last, `{?a,b}` (form-style query: each name optional, any order,
//! other query parameters ignored). Matching binds variables to the percent-decoded text of a
//! concrete URI.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expansion {
    /// `{var}`: one segment.
    Simple,
    /// `{+var}`: any text, `/` included.
    Reserved,
    /// `{var*}`: one or more whole segments.
    Exploded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Var {
        name: String,
        expansion: Expansion,
    },
    /// `{?a,b}`: the query, at the end.
    Query(Vec<String>),
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
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
            let expression = &rest[open + 1..close];
            if matches!(parts.last(), Some(Part::Query(_))) {
                return Err(TemplateError(format!("`{{?...}}` must come last in {template:?}")));
            }
            if let Some(names) = expression.strip_prefix('?') {
                let names: Vec<String> = names.split(',').map(|n| n.trim().to_owned()).collect();
                if let Some(bad) = names.iter().find(|n| !valid_name(n)) {
                    return Err(TemplateError(format!("bad query variable name {bad:?} in {template:?}")));
                }
                parts.push(Part::Query(names));
                rest = &rest[close + 1..];
                continue;
            }
            let (name, expansion) = if let Some(name) = expression.strip_prefix('+') {
                (name, Expansion::Reserved)
            } else if let Some(name) = expression.strip_suffix('*') {
                (name, Expansion::Exploded)
            } else {
                (expression, Expansion::Simple)
            };
            if !valid_name(name) {
                return Err(TemplateError(format!("bad variable name {name:?} in {template:?}")));
            }
            if matches!(parts.last(), Some(Part::Var { .. })) {
                return Err(TemplateError(format!("two adjacent variables in {template:?} cannot be told apart")));
            }
            parts.push(Part::Var { name: name.to_owned(), expansion });
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return Err(TemplateError(format!("stray `}}` in {template:?}")));
        }
        if !rest.is_empty() {
            if matches!(parts.last(), Some(Part::Query(_))) {
                return Err(TemplateError(format!("`{{?...}}` must come last in {template:?}")));
            }
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(UriTemplate { parts })
    }

    /// Its variable names, in order.
    pub fn variables(&self) -> Vec<&str> {
        self.parts
            .iter()
            .flat_map(|p| match p {
                Part::Var { name, .. } => vec![name.as_str()],
                Part::Query(names) => names.iter().map(String::as_str).collect(),
                Part::Literal(_) => Vec::new(),
            })
            .collect()
    }

    /// Binds the variables of this template to the parts of `uri`, or `None` if it does not match.
    pub fn matches(&self, uri: &str) -> Option<HashMap<String, String>> {
        let mut vars = HashMap::new();
        // With a query part, the path is matched up to `?` and the query bound by name.
        let mut rest = match self.parts.last() {
            Some(Part::Query(names)) => {
                let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
                bind_query(names, query, &mut vars)?;
                path
            }
            _ => uri,
        };
        let mut parts = self.parts.iter().filter(|p| !matches!(p, Part::Query(_))).peekable();
        while let Some(part) = parts.next() {
            match part {
                Part::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Part::Var { name, expansion } => {
                    // A variable ends where the next literal starts (first occurrence), or at the
                    // end of the URI when it is last.
                    let end = match parts.peek() {
                        Some(Part::Literal(lit)) => rest.find(lit.as_str())?,
                        _ => rest.len(),
                    };
                    let raw = &rest[..end];
                    let value = bind(raw, *expansion)?;
                    vars.insert(name.clone(), value);
                    rest = &rest[end..];
                }
                Part::Query(_) => {}
            }
        }
        rest.is_empty().then_some(vars)
    }
}

/// The decoded value of one variable, or `None` when `raw` cannot be one.
fn bind(raw: &str, expansion: Expansion) -> Option<String> {
    if raw.is_empty() || raw.contains(['?', '#']) {
        return None;
    }
    match expansion {
        Expansion::Simple => {
            if raw.contains('/') {
                return None;
            }
            let value = percent_decode(raw)?;
            // Percent-encoding must not smuggle in what the raw form may not hold: a simple
            // variable is one path segment (no `/` or `\`, not `.` or `..`), and no NUL.
            (!value.contains(['/', '\\', '\0']) && value != "." && value != "..").then_some(value)
        }
        Expansion::Reserved => percent_decode(raw).filter(|v| !v.contains('\0')),
        Expansion::Exploded => {
            // Whole segments, each a simple value: no empty, `.` or `..` segment can climb out.
            let segments: Option<Vec<String>> = raw.split('/').map(|s| bind(s, Expansion::Simple)).collect();
            segments.map(|s| s.join("/"))
        }
    }
}

/// Binds the declared names found in a form-style query (`a=1&b=x%20y`); others are ignored.
fn bind_query(names: &[String], query: &str, vars: &mut HashMap<String, String>) -> Option<()> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key)?;
        if names.contains(&key) && !vars.contains_key(&key) {
            let value = percent_decode(&value.replace('+', "%20"))?;
            if value.contains('\0') {
                return None;
            }
            vars.insert(key, value);
        }
    }
    Some(())
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
    fn exploded_paths_and_queries() {
        let t = UriTemplate::parse("files://{path*}").unwrap();
        assert_eq!(t.variables(), vec!["path"]);
        assert_eq!(t.matches("files://a/b/c.txt").unwrap()["path"], "a/b/c.txt");
        for climbing in ["a/../b", "../etc", "a/./b", "a//b", "a/%2E%2E/b", "a%2Fb/c", "a/b%00"] {
            assert!(t.matches(&format!("files://{climbing}")).is_none(), "{climbing}");
        }

        let q = UriTemplate::parse("search://notes{?q,limit}").unwrap();
        assert_eq!(q.variables(), vec!["q", "limit"]);
        let m = q.matches("search://notes?limit=5&q=rust+lang&other=1").unwrap();
        assert_eq!((m["q"].as_str(), m["limit"].as_str()), ("rust lang", "5"));
        assert!(!m.contains_key("other"));
        assert!(q.matches("search://notes").unwrap().is_empty());
        assert!(q.matches("search://notesx?q=1").is_none());

        let both = UriTemplate::parse("repo://{owner}/{path*}{?ref}").unwrap();
        let m = both.matches("repo://ada/src/lib.rs?ref=main").unwrap();
        assert_eq!((m["owner"].as_str(), m["path"].as_str(), m["ref"].as_str()), ("ada", "src/lib.rs", "main"));
        assert!(UriTemplate::parse("a://{?q}/x").is_err());
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
