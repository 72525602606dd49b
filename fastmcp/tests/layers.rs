//! The layering of `fastmcp/src`, checked: every `crate::` path in a top-level module names a
//! module below it in `LAYERS` (the order the crate docs show), so there are no import cycles
//! and no module reaches up. Root re-exports (`crate::Server`, ...) count as the module they
//! come from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top. A module may use only modules before it.
const LAYERS: &[&str] = &[
    "sync",
    "signal",
    "logging",
    "protocol",
    "bounded_json",
    "uri_template",
    "outbound",
    "auth",
    "docket",
    "extract",
    "registry",
    "macro_support",
    "tasks",
    "server",
    "transport",
    "proxy",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// The code of a file without its comment lines (docs mention paths they do not import).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of every `crate::` path in `text`.
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::b, c, d::{e, f}}`: the first segment of each top-level item.
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        out.push(ident(&group[j..]).to_owned());
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest).to_owned());
        }
    }
    out
}

/// Names the crate root re-exports, and the module each comes from.
fn root_reexports() -> BTreeMap<String, String> {
    let lib = code(&src().join("lib.rs"));
    let mut map = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else { continue };
        let module = ident(rest).to_owned();
        let names = match rest.find('{') {
            Some(open) => rest[open + 1..].trim_end_matches('}').to_owned(),
            None => rest.rsplit("::").next().unwrap_or_default().to_owned(),
        };
        for name in names.split(',') {
            let name = ident(name.trim().rsplit("::").next().unwrap_or_default().trim());
            if !name.is_empty() {
                map.insert(name.to_owned(), module.clone());
            }
        }
    }
    map
}

fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

#[test]
fn modules_only_use_the_layers_below_them() {
    let rank: BTreeMap<&str, usize> = LAYERS.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let reexports = root_reexports();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for file in files.iter().filter(|f| !f.ends_with("lib.rs")) {
        let from = module_of(file);
        assert!(rank.contains_key(from.as_str()), "module `{from}` is not placed in LAYERS");
        for name in crate_paths(&code(file)) {
            let to = if rank.contains_key(name.as_str()) {
                name
            } else if let Some(m) = reexports.get(&name).filter(|m| rank.contains_key(m.as_str())) {
                m.clone()
            } else {
                continue;
            };
            if to != from {
                edges.insert((from.clone(), to));
            }
        }
    }
    let upward: Vec<String> = edges
        .iter()
        .filter(|(from, to)| rank[to.as_str()] >= rank[from.as_str()])
        .map(|(from, to)| format!("{from} -> {to}"))
        .collect();
    assert!(upward.is_empty(), "imports that reach up or sideways (order: {LAYERS:?}): {upward:#?}");
    assert!(edges.len() > 10, "the scan found too few imports to be working: {edges:?}");
}

#[test]
fn the_scanner_reads_grouped_and_plain_paths() {
    let found = crate_paths("use crate::{docket::Docket, sync::{lock, read}, Server};\nlet x = crate::tasks::f();");
    assert_eq!(found, ["docket", "sync", "Server", "tasks"]);
}
