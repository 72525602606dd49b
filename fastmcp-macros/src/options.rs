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
                "icons",
                "icon",
            ],
            Kind::Prompt => &["name", "title", "description", "tags", "meta", "task", "complete", "icons", "icon"],
            Kind::Resource => &[
                "uri",
                "name",
                "title",
                "description",
                "mime_type",
                "tags",
                "meta",
                "task",
                "complete",
                "icons",
                "icon",
                "audience",
                "priority",
                "last_modified",
                "size",
            ],
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
    /// Each icon as JSON (`{"src": ...}`).
    pub icons: Vec<String>,
    /// Resource `annotations` as JSON members (audience, priority, lastModified).
    pub resource_annotations: Vec<(String, String)>,
    /// Resource `size` in bytes.
    pub size: Option<u64>,
}

impl Options {
    /// The fields the listing gains beyond the common ones (`icons`, resource `annotations`,
    /// `size`), as a JSON object text, if any.
    pub fn listing_extra_json(&self) -> Option<String> {
        let mut extra = serde_like::Object::default();
        if !self.icons.is_empty() {
            extra.push("icons", format!("[{}]", self.icons.join(",")));
        }
        if !self.resource_annotations.is_empty() {
            let mut a = serde_like::Object::default();
            for (k, v) in &self.resource_annotations {
                a.push(k, v.clone());
            }
            extra.push("annotations", a.finish());
        }
        if let Some(size) = self.size {
            extra.push("size", size.to_string());
        }
        (!extra.is_empty()).then(|| extra.finish())
    }
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
            "icons" => {
                let content;
                syn::parenthesized!(content in meta.input);
                for src in content.parse_terminated(<LitStr as Parse>::parse, Token![,])? {
                    self.icons.push(format!("{{\"src\":{}}}", serde_like::string(&src.value())));
                }
            }
            "icon" => {
                let mut icon = serde_like::Object::default();
                let mut has_src = false;
                meta.parse_nested_meta(|inner| {
                    let key = key_of(&inner);
                    match key.as_str() {
                        "src" => {
                            has_src = true;
                            icon.push("src", serde_like::string(&lit_str(&inner)?));
                        }
                        "mime_type" => icon.push("mimeType", serde_like::string(&lit_str(&inner)?)),
                        "theme" => {
                            let theme = lit_str(&inner)?;
                            if theme != "light" && theme != "dark" {
                                return Err(inner.error("an icon's theme is \"light\" or \"dark\""));
                            }
                            icon.push("theme", serde_like::string(&theme));
                        }
                        "sizes" => {
                            let content;
                            syn::parenthesized!(content in inner.input);
                            let sizes = content.parse_terminated(<LitStr as Parse>::parse, Token![,])?;
                            let sizes: Vec<String> = sizes.iter().map(|s| serde_like::string(&s.value())).collect();
                            icon.push("sizes", format!("[{}]", sizes.join(",")));
                        }
                        _ => return Err(inner.error("unknown icon field; expected src, mime_type, sizes(...), theme")),
                    }
                    Ok(())
                })?;
                if !has_src {
                    return Err(meta.error("an icon needs `src = \"https://...\"`"));
                }
                self.icons.push(icon.finish());
            }
            "audience" => {
                let content;
                syn::parenthesized!(content in meta.input);
                let mut roles = Vec::new();
                for role in content.parse_terminated(<LitStr as Parse>::parse, Token![,])? {
                    if role.value() != "user" && role.value() != "assistant" {
                        return Err(syn::Error::new(role.span(), "an audience is \"user\" or \"assistant\""));
                    }
                    roles.push(serde_like::string(&role.value()));
                }
                self.resource_annotations.push(("audience".into(), format!("[{}]", roles.join(","))));
            }
            "priority" => {
                let lit: Lit = meta.value()?.parse()?;
                let value = match &lit {
                    Lit::Float(f) => f.base10_parse::<f64>()?,
                    Lit::Int(i) => i.base10_parse::<f64>()?,
                    _ => return Err(syn::Error::new_spanned(lit, "priority is a number from 0 to 1")),
                };
                if !(0.0..=1.0).contains(&value) {
                    return Err(syn::Error::new_spanned(lit, "priority is a number from 0 to 1"));
                }
                self.resource_annotations.push(("priority".into(), value.to_string()));
            }
            "last_modified" => {
                let s = lit_str(&meta)?;
                self.resource_annotations.push(("lastModified".into(), serde_like::string(&s)));
            }
            "size" => {
                let lit: syn::LitInt = meta.value()?.parse()?;
                self.size = Some(lit.base10_parse()?);
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
        pub fn is_empty(&self) -> bool {
            self.0.is_empty()
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
