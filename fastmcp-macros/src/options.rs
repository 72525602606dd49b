//! Parsing of the attribute arguments: `#[tool(name = "x", read_only, task = "optional")]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Expr, ExprLit, Lit, LitStr, Path, Token};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tool,
    Prompt,
    Resource,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Tool => "tool",
            Kind::Prompt => "prompt",
            Kind::Resource => "resource",
        }
    }

    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Tool => &[
                "name",
                "title",
                "description",
                "read_only",
                "destructive",
                "idempotent",
                "open_world",
                "annotations",
                "tags",
                "meta",
                "task",
            ],
            Kind::Prompt => &["name", "title", "description", "tags", "meta", "task", "complete"],
            Kind::Resource => &["uri", "name", "title", "description", "mime_type", "tags", "meta", "task", "complete"],
        }
    }
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum TaskMode {
    #[default]
    Forbidden,
    Optional,
    Required,
}

#[derive(Default)]
pub struct Annotations {
    pub title: Option<String>,
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
    pub open_world: Option<bool>,
}

#[derive(Default)]
pub struct Options {
    pub uri: Option<LitStr>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub mime_type: Option<String>,
    pub annotations: Annotations,
    pub tags: Vec<LitStr>,
    pub meta_json: Option<String>,
    pub task: TaskMode,
    pub complete: Vec<(LitStr, Path)>,
}

fn lit_str(meta: &ParseNestedMeta) -> syn::Result<String> {
    let s: LitStr = meta.value()?.parse()?;
    Ok(s.value())
}

/// `flag` or `flag = true|false`.
fn flag(meta: &ParseNestedMeta) -> syn::Result<bool> {
    if meta.input.peek(Token![=]) {
        let b: syn::LitBool = meta.value()?.parse()?;
        Ok(b.value)
    } else {
        Ok(true)
    }
}

fn key_of(meta: &ParseNestedMeta) -> String {
    let path = &meta.path;
    path.get_ident().map(ToString::to_string).unwrap_or_else(|| quote::quote!(#path).to_string().replace(' ', ""))
}

impl Options {
    pub fn parse(kind: Kind, attr: TokenStream) -> syn::Result<Options> {
        let mut opts = Options::default();
        let mut rest = attr;
        if kind == Kind::Resource {
            // A leading string literal is the URI.
            let parser = |input: ParseStream| -> syn::Result<(Option<LitStr>, TokenStream)> {
                let uri = if input.peek(LitStr) {
                    let lit: LitStr = input.parse()?;
                    if !input.is_empty() {
                        input.parse::<Token![,]>()?;
                    }
                    Some(lit)
                } else {
                    None
                };
                Ok((uri, input.parse()?))
            };
            let (uri, tail) = parser.parse2(rest)?;
            opts.uri = uri;
            rest = tail;
        }
        let parser = syn::meta::parser(|meta| opts.apply(kind, meta));
        parser.parse2(rest)?;
        Ok(opts)
    }

    fn apply(&mut self, kind: Kind, meta: ParseNestedMeta) -> syn::Result<()> {
        let key = key_of(&meta);
        if !kind.keys().contains(&key.as_str()) {
            let squash = |s: &str| s.replace('_', "").to_ascii_lowercase();
            let hint = kind
                .keys()
                .iter()
                .find(|k| squash(k) == squash(&key))
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            return Err(meta.error(format!(
                "unknown #[{}] option `{key}`{hint}; expected one of: {}",
                kind.name(),
                kind.keys().join(", ")
            )));
        }
        match key.as_str() {
            "uri" => {
                let lit: LitStr = meta.value()?.parse()?;
                self.uri = Some(lit);
            }
            "name" => {
                let name = lit_str(&meta)?;
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) || name.len() > 128 {
                    return Err(meta.error("a name must be 1-128 characters from [A-Za-z0-9_.-]"));
                }
                self.name = Some(name);
            }
            "title" => self.title = Some(lit_str(&meta)?),
            "description" => self.description = Some(lit_str(&meta)?),
            "mime_type" => self.mime_type = Some(lit_str(&meta)?),
            "read_only" => self.annotations.read_only = Some(flag(&meta)?),
            "destructive" => self.annotations.destructive = Some(flag(&meta)?),
            "idempotent" => self.annotations.idempotent = Some(flag(&meta)?),
            "open_world" => self.annotations.open_world = Some(flag(&meta)?),
            "annotations" => meta.parse_nested_meta(|inner| {
                let key = key_of(&inner);
                match key.as_str() {
                    "title" => self.annotations.title = Some(lit_str(&inner)?),
                    "read_only" => self.annotations.read_only = Some(flag(&inner)?),
                    "destructive" => self.annotations.destructive = Some(flag(&inner)?),
                    "idempotent" => self.annotations.idempotent = Some(flag(&inner)?),
                    "open_world" => self.annotations.open_world = Some(flag(&inner)?),
                    _ => {
                        return Err(inner.error(format!(
                            "unknown annotation `{key}`; expected one of: title, read_only, destructive, idempotent, open_world"
                        )));
                    }
                }
                Ok(())
            })?,
            "tags" => {
                if meta.input.peek(Token![=]) {
                    let array: syn::ExprArray = meta.value()?.parse()?;
                    for e in array.elems {
                        match e {
                            Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => self.tags.push(s),
                            other => return Err(syn::Error::new_spanned(other, "tags are string literals")),
                        }
                    }
                } else {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let list = content.parse_terminated(<LitStr as Parse>::parse, Token![,])?;
                    self.tags.extend(list);
                }
            }
            "meta" => {
                let mut map = serde_like::Object::default();
                meta.parse_nested_meta(|inner| {
                    let key = key_of(&inner);
                    let lit: Lit = inner.value()?.parse()?;
                    let json = match &lit {
                        Lit::Str(s) => serde_like::string(&s.value()),
                        Lit::Int(i) => i.base10_digits().to_owned(),
                        Lit::Float(f) => f.base10_digits().to_owned(),
                        Lit::Bool(b) => b.value.to_string(),
                        _ => return Err(syn::Error::new_spanned(lit, "meta values are strings, numbers or booleans")),
                    };
                    map.push(&key, json);
                    Ok(())
                })?;
                self.meta_json = Some(map.finish());
            }
            "task" => {
                self.task = if meta.input.peek(Token![=]) {
                    let value = meta.value()?;
                    if value.peek(syn::LitBool) {
                        let b: syn::LitBool = value.parse()?;
                        if b.value { TaskMode::Optional } else { TaskMode::Forbidden }
                    } else {
                        let lit: LitStr = value.parse()?;
                        match lit.value().as_str() {
                            "forbidden" => TaskMode::Forbidden,
                            "optional" => TaskMode::Optional,
                            "required" => TaskMode::Required,
                            other => {
                                return Err(syn::Error::new(
                                    lit.span(),
                                    format!("unknown task mode {other:?}; expected \"forbidden\", \"optional\" or \"required\""),
                                ));
                            }
                        }
                    }
                } else {
                    TaskMode::Optional
                };
            }
            "complete" => meta.parse_nested_meta(|inner| {
                let arg = inner.path.get_ident().ok_or_else(|| inner.error("expected `argument = completer_fn`"))?;
                let arg = LitStr::new(&arg.to_string(), arg.span());
                let path: Path = inner.value()?.parse()?;
                self.complete.push((arg, path));
                Ok(())
            })?,
            _ => unreachable!("key list and match arms agree"),
        }
        Ok(())
    }
}

/// The variables of a URI template literal, with errors pointing at the literal.
pub fn template_variables(uri: &LitStr) -> syn::Result<Vec<String>> {
    let text = uri.value();
    if !text.contains(':') {
        return Err(syn::Error::new(uri.span(), "a resource URI needs a scheme, e.g. \"data://items\""));
    }
    let mut vars = Vec::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find('{') {
        let close =
            rest[open..].find('}').ok_or_else(|| syn::Error::new(uri.span(), "unclosed `{` in URI template"))? + open;
        let expression = &rest[open + 1..close];
        // `{name}`, `{+name}`, `{name*}`, or `{?a,b}` (a form-style query).
        let names: Vec<&str> = match expression.strip_prefix('?') {
            Some(list) => list.split(',').map(str::trim).collect(),
            None => vec![expression.trim_start_matches('+').trim_end_matches('*')],
        };
        for name in names {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(syn::Error::new(
                    uri.span(),
                    format!(
                        "`{{{expression}}}` is not a valid template expression; use `{{name}}`, `{{+name}}`, \
                         `{{name*}}` or `{{?a,b}}` with letters, digits and `_`"
                    ),
                ));
            }
            if vars.iter().any(|v| v == name) {
                return Err(syn::Error::new(uri.span(), format!("template variable `{name}` appears twice")));
            }
            vars.push(name.to_owned());
        }
        rest = &rest[close + 1..];
    }
    Ok(vars)
}

/// Just enough JSON writing for `meta(...)` without a serde dependency in the proc macro.
mod serde_like {
    #[derive(Default)]
    pub struct Object(Vec<(String, String)>);

    impl Object {
        pub fn push(&mut self, key: &str, json: String) {
            self.0.push((string(key), json));
        }
        pub fn finish(self) -> String {
            let body: Vec<String> = self.0.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("{{{}}}", body.join(","))
        }
    }

    pub fn string(s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}
