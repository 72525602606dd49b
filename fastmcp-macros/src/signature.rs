//! Checks an annotated function's signature and splits its parameters into arguments (in the
//! schema) and extractors (filled from the call), with errors that point at the user's code.

use crate::options::Kind;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

pub struct Param {
    pub ident: Ident,
    pub ty: Type,
    /// The parameter carries `#[serde]`/`#[schemars]` attributes, so it is an argument for sure;
    /// any other parameter is classified by its type when the expansion compiles (an extractor
    /// if it implements `FromCall`, else an argument).
    pub known_argument: bool,
    pub doc: Option<String>,
    /// `#[serde(...)]` / `#[schemars(...)]` attributes, forwarded to the arguments struct.
    pub forwarded_attrs: Vec<Attribute>,
    /// The argument's name on the wire (after `#[serde(rename)]`).
    pub wire_name: String,
    /// `#[arg(default = expr)]`: the value when the argument is absent.
    pub default: Option<syn::Expr>,
    /// The parameter was a pattern (`State(db): State<Db>`): it can only be an extractor, and
    /// `ident` is a name the macro made up for it.
    pub pattern: bool,
}

pub struct Signature {
    pub params: Vec<Param>,
    pub ret: Option<Type>,
    pub ret_span: Span,
    pub doc: Option<String>,
}

#[derive(PartialEq, Eq)]
pub enum ReturnKind {
    /// Converted to content blocks.
    Content,
    /// Serialized as structured content with an output schema.
    Structured,
}

impl ReturnKind {
    pub fn of(ty: &Type) -> ReturnKind {
        const CONTENT: &[&str] = &[
            "String",
            "str",
            "Cow",
            "Content",
            "CallToolResult",
            "TextContent",
            "ImageContent",
            "AudioContent",
            "EmbeddedResource",
            "ResourceLink",
        ];
        match ty {
            Type::Tuple(t) if t.elems.is_empty() => ReturnKind::Content,
            Type::Reference(_) => ReturnKind::Content,
            Type::Path(p) => {
                let Some(last) = p.path.segments.last() else {
                    return ReturnKind::Structured;
                };
                let name = last.ident.to_string();
                if CONTENT.contains(&name.as_str()) {
                    return ReturnKind::Content;
                }
                if name == "Vec"
                    && let Some(inner) = first_generic(&last.arguments)
                    && let Type::Path(ip) = inner
                    && ip.path.segments.last().is_some_and(|s| s.ident == "Content")
                {
                    return ReturnKind::Content;
                }
                ReturnKind::Structured
            }
            _ => ReturnKind::Structured,
        }
    }
}

fn first_generic(args: &PathArguments) -> Option<&Type> {
    let PathArguments::AngleBracketed(a) = args else {
        return None;
    };
    a.args.iter().find_map(|g| match g {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// `Result<T, E>` (or an alias `Result<T>`) -> `(T, Some(E) | None)`.
pub fn result_parts(ty: &Type) -> Option<(Type, Option<Type>)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(a) = &last.arguments else {
        return None;
    };
    let mut types = a.args.iter().filter_map(|g| match g {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    });
    let ok = types.next()?;
    Some((ok, types.next()))
}

/// `Option<T>` -> `T`.
pub fn option_inner(ty: &Type) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    first_generic(&last.arguments).cloned()
}

fn doc_of(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).trim_end().to_owned())
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Splits rustdoc into the description and the `# Arguments` list (`* `name` - text`).
fn split_arguments_section(doc: &str) -> (String, Vec<(String, String)>) {
    let mut description = Vec::new();
    let mut args = Vec::new();
    let mut in_args = false;
    for line in doc.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            let heading = trimmed.trim_start_matches('#').trim().to_ascii_lowercase();
            in_args = heading == "arguments" || heading == "parameters";
            if in_args {
                continue;
            }
        }
        if in_args {
            let item = trimmed.trim_start_matches(['*', '-']).trim();
            if let Some(rest) = item.strip_prefix('`')
                && let Some((name, text)) = rest.split_once('`')
            {
                let text = text.trim_start().trim_start_matches(['-', ':', '—']).trim();
                args.push((name.to_owned(), text.to_owned()));
            } else if let Some(last) = args.last_mut()
                && !item.is_empty()
            {
                last.1.push(' ');
                last.1.push_str(item);
            }
        } else {
            description.push(line);
        }
    }
    (description.join("\n").trim().to_owned(), args)
}

fn serde_rename(attr: &Attribute) -> syn::Result<Option<String>> {
    let mut rename = None;
    attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("rename") {
            let s: syn::LitStr = meta.value()?.parse()?;
            rename = Some(s.value());
        } else if meta.input.peek(syn::Token![=]) {
            let _: syn::Expr = meta.value()?.parse()?;
        } else if meta.input.peek(syn::token::Paren) {
            let _content;
            syn::parenthesized!(_content in meta.input);
        }
        Ok(())
    })?;
    Ok(rename)
}

/// `Vec < i64 >` -> `Vec<i64>` for messages.
fn tidy(tokens: &str) -> String {
    tokens
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" <", "<")
        .replace(" >", ">")
        .replace(" :: ", "::")
        .replace(" ,", ",")
}

fn err(span: Span, msg: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(span, msg)
}

impl Signature {
    /// Validates `func` and strips the parameter attributes it consumed (so the function compiles
    /// as plain Rust).
    pub fn analyze(kind: Kind, func: &mut ItemFn) -> syn::Result<Signature> {
        let macro_name = kind.name();
        let sig = &mut func.sig;
        if let Some(c) = &sig.constness {
            return Err(err(c.span(), format!("#[{macro_name}] functions cannot be `const`")));
        }
        if let Some(u) = &sig.unsafety {
            return Err(err(u.span(), format!("#[{macro_name}] functions cannot be `unsafe`")));
        }
        if let Some(abi) = &sig.abi {
            return Err(err(abi.span(), format!("#[{macro_name}] functions cannot declare an ABI")));
        }
        if let Some(v) = &sig.variadic {
            return Err(err(v.span(), format!("#[{macro_name}] functions cannot be variadic")));
        }
        if !sig.generics.params.is_empty()
            && sig.generics.params.iter().all(|p| matches!(p, syn::GenericParam::Lifetime(_)))
        {
            return Err(err(
                sig.generics.span(),
                format!(
                    "#[{macro_name}] functions cannot take lifetime parameters: arguments are decoded into owned \
                     values, so take owned types (`String` instead of `&'a str`)"
                ),
            ));
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            return Err(err(
                sig.generics.span(),
                format!(
                    "#[{macro_name}] functions cannot be generic: schemas are generated for concrete types; \
                     use concrete parameter types instead"
                ),
            ));
        }
        let fn_doc = doc_of(&func.attrs);
        let (description, doc_args) = match &fn_doc {
            Some(d) => {
                let (desc, args) = split_arguments_section(d);
                ((!desc.is_empty()).then_some(desc), args)
            }
            None => (None, Vec::new()),
        };

        let mut params: Vec<Param> = Vec::new();
        for input in sig.inputs.iter_mut() {
            let pat_type = match input {
                FnArg::Receiver(r) => {
                    return Err(err(
                        r.span(),
                        format!(
                            "#[{macro_name}] goes on a free function, not a method: `self` is not supported. \
                             Move the body into a free function and share data with `State<T>`"
                        ),
                    ));
                }
                FnArg::Typed(t) => t,
            };
            let (ident, pattern) = match &*pat_type.pat {
                Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => (pi.ident.clone(), false),
                // A destructuring pattern binds an extractor (`State(db): State<Db>`); an
                // argument needs a name for the schema.
                Pat::TupleStruct(_) | Pat::Struct(_) | Pat::Tuple(_) => {
                    (quote::format_ident!("__fastmcp_param{}", params.len()), true)
                }
                other => {
                    return Err(err(
                        other.span(),
                        "parameters of a component must be identifiers (`name: Type`) or, for extractors, \
                         destructuring patterns (`State(db): State<Db>`)",
                    ));
                }
            };
            let ty = (*pat_type.ty).clone();
            match &ty {
                Type::Reference(r) => {
                    let is_str = matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str"));
                    let msg = if is_str {
                        "`&str` parameters are not supported: arguments are decoded into owned values. Use `String` instead".to_owned()
                    } else {
                        let inner = &r.elem;
                        format!(
                            "reference parameters are not supported: arguments are decoded into owned values. Use `{}` instead",
                            tidy(&quote::quote!(#inner).to_string())
                        )
                    };
                    return Err(err(ty.span(), msg));
                }
                Type::ImplTrait(_) => {
                    return Err(err(
                        ty.span(),
                        format!(
                            "#[{macro_name}] functions cannot be generic: `impl Trait` parameters have no schema; use a concrete type"
                        ),
                    ));
                }
                _ => {}
            }
            let mut doc = doc_of(&pat_type.attrs);
            let mut forwarded_attrs = Vec::new();
            let mut wire_name = ident.to_string().trim_start_matches("r#").to_owned();
            let mut default = None;
            for attr in pat_type.attrs.drain(..) {
                let path = attr.path();
                if path.is_ident("doc") {
                    continue;
                }
                if path.is_ident("arg") {
                    if kind == Kind::Resource {
                        return Err(err(
                            attr.span(),
                            "URI template variables have no defaults: every variable is in the URI",
                        ));
                    }
                    attr.parse_nested_meta(|meta| {
                        if meta.path.is_ident("default") {
                            default = Some(meta.value()?.parse::<syn::Expr>()?);
                            Ok(())
                        } else {
                            Err(meta.error("unknown `arg` option; expected `default = value`"))
                        }
                    })?;
                    continue;
                }
                if path.is_ident("serde") || path.is_ident("schemars") {
                    if path.is_ident("serde")
                        && let Some(rename) = serde_rename(&attr)?
                    {
                        wire_name = rename;
                    }
                    if kind == Kind::Tool {
                        forwarded_attrs.push(attr);
                    } else if !path.is_ident("serde") || serde_rename(&attr)?.is_none() {
                        return Err(err(
                            attr.span(),
                            format!("#[{macro_name}] parameters accept only `#[serde(rename = \"...\")]`"),
                        ));
                    }
                    continue;
                }
                return Err(err(
                    attr.span(),
                    "unsupported attribute on a component parameter; use doc comments, `#[arg(default = ...)]`, `#[serde(...)]` or `#[schemars(...)]`",
                ));
            }
            if doc.is_none() {
                doc = doc_args.iter().find(|(n, _)| *n == wire_name || ident == n).map(|(_, d)| d.clone());
            }
            let known_argument = !forwarded_attrs.is_empty()
                || default.is_some()
                || wire_name != ident.to_string().trim_start_matches("r#");
            if pattern && known_argument {
                return Err(err(
                    pat_type.pat.span(),
                    "an argument needs a name for its schema: use `name: Type`; patterns are for extractors",
                ));
            }
            if pattern {
                // The function keeps its pattern; the expansion passes the value positionally.
                wire_name = String::new();
            }
            params.push(Param { ident, ty, known_argument, doc, forwarded_attrs, wire_name, default, pattern });
        }

        let (ret, ret_span) = match &sig.output {
            ReturnType::Default => (None, sig.ident.span()),
            ReturnType::Type(_, ty) => {
                if let Type::ImplTrait(_) = &**ty {
                    return Err(err(ty.span(), "`impl Trait` return types are not supported; return a concrete type"));
                }
                let ty = (**ty).clone();
                let span = ty.span();
                (Some(ty), span)
            }
        };
        Ok(Signature { params, ret, ret_span, doc: description })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_section_is_split_from_the_description() {
        let (d, args) = split_arguments_section("Adds.\n\n# Arguments\n* `a` - first\n* `b`: second\n  continued");
        assert_eq!(d, "Adds.");
        assert_eq!(args, vec![("a".into(), "first".into()), ("b".into(), "second continued".into())]);
    }

    #[test]
    fn return_kinds() {
        let t = |s: &str| syn::parse_str::<Type>(s).unwrap();
        assert!(ReturnKind::of(&t("String")) == ReturnKind::Content);
        assert!(ReturnKind::of(&t("Vec<fastmcp::Content>")) == ReturnKind::Content);
        assert!(ReturnKind::of(&t("i64")) == ReturnKind::Structured);
        assert!(ReturnKind::of(&t("Vec<String>")) == ReturnKind::Structured);
        assert!(result_parts(&t("anyhow::Result<u8>")).unwrap().1.is_none());
        assert!(option_inner(&t("Option<u8>")).is_some());
    }
}
