//! The section each macro appends to the annotated function's rustdoc: what the function is on
//! the wire (its MCP name, hints, task mode, tags) and its arguments with their descriptions,
//! which rustdoc would otherwise drop (it does not show parameter doc comments). The function's
//! own docs stay as they are, above.

use crate::options::{Kind, Options, TaskMode};
use crate::signature::Signature;
use syn::{Attribute, ItemFn, Type};

/// Built-in extractors, by name: used only to leave them out of the generated argument table.
/// (Whether a parameter is an extractor is decided by its type when the expansion compiles;
/// rustdoc text is written before that, so a user extractor with no doc comment may appear.)
const BUILT_IN_EXTRACTORS: &[&str] = &["Context", "Progress", "State", "CurrentDocket", "CurrentWorker", "Args"];

fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn type_text(ty: &Type) -> String {
    let s = quote::quote!(#ty).to_string();
    s.replace(" < ", "<")
        .replace("< ", "<")
        .replace(" <", "<")
        .replace(" >", ">")
        .replace(" :: ", "::")
        .replace(" ,", ",")
}

/// The `#[doc]` attributes to append.
pub fn section(kind: Kind, opts: &Options, sig: &Signature, func: &ItemFn) -> Vec<Attribute> {
    let name = opts.name.clone().unwrap_or_else(|| func.sig.ident.to_string());
    let mut head = match kind {
        Kind::Tool => format!("**MCP tool `{name}`**"),
        Kind::Prompt => format!("**MCP prompt `{name}`**"),
        Kind::Resource => {
            let uri = opts.uri.as_ref().map(|u| u.value()).unwrap_or_default();
            let what = if uri.contains('{') { "resource template" } else { "resource" };
            format!("**MCP {what} `{uri}`** (name `{name}`)")
        }
    };
    let a = &opts.annotations;
    for (flag, label) in [
        (a.read_only, "read-only"),
        (a.destructive, "destructive"),
        (a.idempotent, "idempotent"),
        (a.open_world, "open world"),
    ] {
        match flag {
            Some(true) => head.push_str(&format!(" · {label}")),
            Some(false) => head.push_str(&format!(" · not {label}")),
            None => {}
        }
    }
    head.push_str(match opts.task {
        TaskMode::Forbidden => "",
        TaskMode::Optional => " · task: optional",
        TaskMode::Required => " · task: required",
    });
    if !opts.tags.is_empty() {
        let tags: Vec<String> = opts.tags.iter().map(|t| t.value()).collect();
        head.push_str(&format!(" · tags: {}", tags.join(", ")));
    }
    let mut lines = vec![String::new(), "---".to_owned(), String::new(), head];
    let rows: Vec<String> = sig
        .params
        .iter()
        .filter(|p| !p.pattern)
        .filter(|p| {
            p.known_argument
                || p.doc.is_some()
                || !last_segment(&p.ty).is_some_and(|s| BUILT_IN_EXTRACTORS.contains(&s.as_str()))
        })
        .map(|p| {
            let default = p.default.as_ref().map(|d| format!(" (default `{}`)", quote::quote!(#d))).unwrap_or_default();
            let doc = p.doc.as_deref().unwrap_or("").replace('\n', " ").replace('|', "\\|");
            format!("| `{}` | `{}` | {doc}{default} |", p.wire_name, type_text(&p.ty).replace('|', "\\|"))
        })
        .collect();
    if !rows.is_empty() {
        lines.push(String::new());
        lines.push("| Argument | Type | Description |".to_owned());
        lines.push("|---|---|---|".to_owned());
        lines.extend(rows);
    }
    lines.into_iter().map(|line| syn::parse_quote!(#[doc = #line])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(kind: Kind, attr: proc_macro2::TokenStream, item: &str) -> String {
        let mut func: ItemFn = syn::parse_str(item).unwrap();
        let opts = Options::parse(kind, attr).unwrap();
        let sig = Signature::analyze(kind, &mut func).unwrap();
        section(kind, &opts, &sig, &func)
            .iter()
            .map(|a| match &a.meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => s.value(),
                    _ => unreachable!("the section is made of string docs"),
                },
                _ => unreachable!("the section is made of #[doc = ...]"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_section_names_the_component_and_lists_its_arguments() {
        let text = docs(
            Kind::Tool,
            quote::quote!(read_only, task = "optional", tags("math")),
            "/// Adds.\nfn add(\n/// The first.\na: i64, #[arg(default = 2)] b: i64, ctx: Context) -> i64 { a + b }",
        );
        assert!(text.contains("**MCP tool `add`** · read-only · task: optional · tags: math"), "{text}");
        assert!(text.contains("| `a` | `i64` | The first. |"), "{text}");
        assert!(text.contains("| `b` | `i64` |  (default `2`) |"), "{text}");
        assert!(!text.contains("`ctx`"), "{text}");
    }

    #[test]
    fn resources_show_their_uri() {
        let text = docs(Kind::Resource, quote::quote!("notes://{id}"), "fn note(id: u32) -> String { String::new() }");
        assert!(text.contains("**MCP resource template `notes://{id}`** (name `note`)"), "{text}");
    }
}
