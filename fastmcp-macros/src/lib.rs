//! `#[tool]`, `#[prompt]` and `#[resource("scheme://{var}")]` for fastmcp.
//!
//! Each macro keeps the annotated function as it is (callable, documented) and adds, next to it,
//! a handler plus a `'static` definition registered in fastmcp's compile-time registry.

mod options;
mod rustdoc;
mod signature;

use options::{Kind, Options, TaskMode};
use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned};
use signature::{Param, ReturnKind, Signature};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, LitStr};

/// Turns a function into an MCP tool, registered at compile time with the server and the task
/// worker. The function stays a plain Rust function you can call.
///
/// ```ignore
/// use fastmcp::prelude::*;
///
/// /// Lists notes.                                  <- the tool's description
/// #[tool(read_only, tags("notes"), task = "optional")]
/// async fn list_notes(
///     /// How many, at most.                        <- the argument's description
///     #[arg(default = 10)]                          // optional, `default` in the schema
///     #[schemars(range(min = 1, max = 100))]        // published and enforced
///     limit: u32,
///     contains: Option<String>,                     // Option<T>: not required
///     State(db): State<Db>,                         // an extractor: not in the schema
///     ctx: Context,
/// ) -> Result<Vec<String>, String> { /* ... */ }
/// ```
///
/// **Parameters**: each parameter whose type implements `fastmcp::FromCall` is an extractor
/// (`Context`, `Progress`, `State<T>`, `CurrentDocket`, `CurrentWorker`, `Args<T>`, or your own
/// type), filled from the call; every other parameter is a JSON argument, an owned type with
/// `serde::Deserialize + schemars::JsonSchema`, listed in `inputSchema` under its name (or its
/// `#[serde(rename)]`). Parameter doc comments (or a rustdoc `# Arguments` list) become
/// descriptions; `#[serde(...)]`, `#[schemars(...)]` and `#[arg(default = value)]` are accepted
/// on arguments. Extractors may be destructured (`State(db): State<Db>`). No `self`, generics,
/// lifetimes, references or `impl Trait`.
///
/// **Returns**: `String`, `&'static str`, `()`, content (`Content`, `Vec<Content>`,
/// `TextContent`, ..., `CallToolResult`) as content blocks; any other `Serialize + JsonSchema`
/// type as structured content with an `outputSchema` (non-objects wrapped as `{"result": ...}`);
/// or `Result<T, E>` with `E: Display`, whose `Err` is an `isError` result. `async` or not; the
/// future must be `Send`: when the compiler says "future cannot be sent between threads safely"
/// and names a value held across an `.await` (an `Rc`, a `RefCell` borrow, a
/// `std::sync::MutexGuard`), drop that value before the `.await` (end its scope), or use
/// `tokio::sync::Mutex`, whose guard is `Send`.
///
/// **Options**: `name = "..."`, `title = "..."`, `description = "..."` (default: the doc
/// comment), `read_only`, `destructive`, `idempotent`, `open_world` (or inside
/// `annotations(...)`, with `title`), `tags("a", "b")`, `meta(key = value, ...)`,
/// `task = "forbidden" | "optional" | "required"`, `icons("https://...", ...)` and
/// `icon(src = "...", mime_type = "...", sizes("48x48"), theme = "light" | "dark")`.
///
/// The function's rustdoc gains a section naming the MCP tool and listing its arguments.
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Tool, attr.into(), item.into()).unwrap_or_else(|e| e.to_compile_error()).into()
}

/// Turns a function into an MCP prompt.
///
/// ```ignore
/// /// Asks for a review.
/// #[prompt(complete(language = languages))]
/// async fn review(code: String, language: Option<String>, #[arg(default = "neutral")] tone: String, ctx: Context) -> String {
///     format!("Review this {} code in a {tone} tone:\n{code}", language.unwrap_or_default())
/// }
/// fn languages(prefix: &str) -> Vec<String> { vec!["rust".into()] }
/// ```
///
/// **Parameters**: arguments are strings on the wire, decoded into the parameter's type (any
/// `serde::Deserialize` type: `"42"` becomes `42_i64`); `Option<T>` and `#[arg(default = ...)]`
/// arguments are not required; `#[serde(rename = "...")]` renames. Extractors as for `#[tool]`.
///
/// **Returns**: `String` (one user message), `PromptMessage`, `Vec<PromptMessage>` or
/// `GetPromptResult`, or a `Result` of one: `Err(ErrorObject)` keeps its code (e.g.
/// `ErrorObject::invalid_params(..)`), any other `Display` error is -32603.
///
/// **Options**: `name`, `title`, `description`, `tags(...)`, `meta(...)`, `task = ...`,
/// `icons(...)` / `icon(...)`, `complete(arg = completer)`. A completer gets the partial value and returns suggestions:
/// `fn(&str) -> Vec<String>`, or `fn(String, ...) -> Vec<String>` / `async fn(String, ...) ->
/// Vec<String>` whose later parameters (up to three) are extractors: `Context`, `State<T>`,
/// `GivenArguments` (the other arguments the client has already filled in), ...
#[proc_macro_attribute]
pub fn prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Prompt, attr.into(), item.into()).unwrap_or_else(|e| e.to_compile_error()).into()
}

/// Turns a function into an MCP resource: `#[resource("scheme://path")]`, or a resource
/// template when the URI has `{variables}`, each bound to the parameter of the same name.
///
/// ```ignore
/// /// One note.
/// #[resource("notes://{id}", mime_type = "text/plain")]
/// fn note(id: u32, State(db): State<Db>) -> Result<String, ErrorObject> {
///     db.get(id).ok_or_else(|| ErrorObject::resource_not_found(&format!("notes://{id}")))
/// }
/// ```
///
/// **Parameters**: one per URI variable (decoded from the matched text into the parameter's
/// type); every other parameter must be an extractor.
///
/// **Returns**: `String` (text, `text/plain`), `Vec<u8>` (binary), `serde_json::Value`
/// (`application/json`), `ResourceContents`, `Vec<ResourceContents>` or `ReadResourceResult`, or
/// a `Result` of one: `Err(ErrorObject)` keeps its code (-32002 for
/// `ErrorObject::resource_not_found(uri)`), any other `Display` error is -32603.
///
/// **Options**: `name`, `title`, `description`, `mime_type = "..."`, `tags(...)`, `meta(...)`,
/// `task = ...`, `complete(var = completer)` (completers as for `#[prompt]`), `icons(...)` /
/// `icon(...)`, and the resource annotations `audience("user", "assistant")`,
/// `priority = 0.0..=1.0`, `last_modified = "2025-01-12T15:00:58Z"`, plus `size = bytes`.
#[proc_macro_attribute]
pub fn resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Resource, attr.into(), item.into()).unwrap_or_else(|e| e.to_compile_error()).into()
}

fn expand(kind: Kind, attr: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    // On error the item is emitted unchanged next to the error, so the user sees one error and
    // not a cascade (unused imports, unknown function names).
    expand_checked(kind, attr, item.clone()).or_else(|e| {
        let err = e.to_compile_error();
        Ok(quote!(#err #item))
    })
}

fn expand_checked(kind: Kind, attr: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let mut func: ItemFn = syn::parse2(item).map_err(|e| {
        syn::Error::new(e.span(), format!("#[{}] goes on a free function (`fn name(...) {{ ... }}`)", kind.name()))
    })?;
    let opts = Options::parse(kind, attr)?;
    let sig = Signature::analyze(kind, &mut func)?;
    let body = match kind {
        Kind::Tool => expand_tool(&opts, &sig, &func)?,
        Kind::Prompt => expand_prompt(&opts, &sig, &func)?,
        Kind::Resource => expand_resource(&opts, &sig, &func)?,
    };
    let generated_docs = rustdoc::section(kind, &opts, &sig, &func);
    func.attrs.extend(generated_docs);
    Ok(quote! {
        #func
        #[doc(hidden)]
        #[allow(non_upper_case_globals, non_camel_case_types, non_snake_case, unused_qualifications, dead_code, clippy::all)]
        const _: () = {
            #[allow(unused_imports)]
            use ::fastmcp::__private::{
                ViaDisplay as _, ViaErrorObject as _, ViaExtractor as _, ViaNothing as _, ViaStringArgument as _, ViaToolArgument as _,
            };
            #body
        };
    })
}

fn opt_str(s: &Option<String>) -> TokenStream2 {
    match s {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    }
}

fn opt_bool(b: Option<bool>) -> TokenStream2 {
    match b {
        Some(b) => quote!(::core::option::Option::Some(#b)),
        None => quote!(::core::option::Option::None),
    }
}

fn task_tokens(t: TaskMode) -> TokenStream2 {
    match t {
        TaskMode::Forbidden => quote!(::fastmcp::__private::TaskSupport::Forbidden),
        TaskMode::Optional => quote!(::fastmcp::__private::TaskSupport::Optional),
        TaskMode::Required => quote!(::fastmcp::__private::TaskSupport::Required),
    }
}

fn meta_fn(opts: &Options) -> TokenStream2 {
    let extra = match opts.listing_extra_json() {
        Some(json) => quote! {
            fn __listing_extra() -> ::core::option::Option<::fastmcp::__private::serde_json::Value> {
                ::fastmcp::__private::parse_meta(#json)
            }
        },
        None => quote! {
            fn __listing_extra() -> ::core::option::Option<::fastmcp::__private::serde_json::Value> { ::core::option::Option::None }
        },
    };
    let meta = meta_json_fn(opts);
    quote!(#extra #meta)
}

fn meta_json_fn(opts: &Options) -> TokenStream2 {
    match &opts.meta_json {
        Some(json) => quote! {
            fn __meta() -> ::core::option::Option<::fastmcp::__private::serde_json::Value> {
                ::fastmcp::__private::parse_meta(#json)
            }
        },
        None => quote! {
            fn __meta() -> ::core::option::Option<::fastmcp::__private::serde_json::Value> { ::core::option::Option::None }
        },
    }
}

/// The items and `let` bindings that fill a `#[tool]`'s parameters, in order. Each parameter
/// gets a one-field struct `__FastmcpArgN` (its schema and decoder, with the user's attributes)
/// and a `__slotN()` that says how it is filled; for a parameter without attributes the type
/// decides at compile time (see `fastmcp::__private::Probe`).
fn tool_params(sig: &Signature, tool_name: &str) -> (TokenStream2, TokenStream2, Vec<Ident>) {
    let mut items = Vec::new();
    let mut lets = Vec::new();
    let mut slots = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        let Param { ident, ty, forwarded_attrs, doc, .. } = p;
        let w = format_ident!("__FastmcpArg{}", i);
        let slot = format_ident!("__slot{}", i);
        let doc = doc.as_ref().map(|d| quote!(#[doc = #d]));
        let derive = quote! {
            #[derive(::fastmcp::__private::serde::Deserialize, ::fastmcp::__private::schemars::JsonSchema)]
            #[serde(crate = "::fastmcp::__private::serde")]
            #[schemars(crate = "::fastmcp::__private::schemars")]
        };
        if p.pattern {
            items.push(quote_spanned! {ty.span()=>
                fn #slot() -> ::fastmcp::__private::ToolSlot<#ty> { ::fastmcp::__private::extractor_slot::<#ty>() }
            });
        } else if p.known_argument {
            items.push(quote_spanned! {ty.span()=>
                const _: () = ::fastmcp::__private::assert_tool_param::<#ty>();
            });
            let default = p.default.as_ref().map(|expr| {
                let f = format_ident!("__default{}", i);
                let path = f.to_string();
                items.push(quote_spanned! {expr.span()=>
                    fn #f() -> #ty { ::fastmcp::__private::default_value::<#ty, _>(#expr) }
                });
                quote!(#[serde(default = #path)])
            });
            items.push(quote! {
                #derive
                struct #w { #doc #default #(#forwarded_attrs)* #ident: #ty }
                impl ::fastmcp::__private::ArgField<#ty> for #w {
                    fn into_inner(self) -> #ty { self.#ident }
                }
            });
            items.push(quote_spanned! {ty.span()=>
                fn #slot() -> ::fastmcp::__private::ToolSlot<#ty> { ::fastmcp::__private::argument_slot::<#ty, #w>() }
            });
        } else {
            items.push(quote! {
                #derive
                struct #w<__T> { #doc #ident: __T }
                impl<__T> ::fastmcp::__private::ArgField<__T> for #w<__T>
                where
                    Self: ::fastmcp::__private::serde::de::DeserializeOwned + ::fastmcp::__private::schemars::JsonSchema,
                {
                    fn into_inner(self) -> __T { self.#ident }
                }
            });
            items.push(quote_spanned! {ty.span()=>
                fn #slot() -> ::fastmcp::__private::ToolSlot<#ty> {
                    ::fastmcp::__private::tool_slot::<#ty, _>((&&::fastmcp::__private::Probe::<#ty, #w<#ty>>::new()).tool_slot())
                }
            });
        }
        lets.push(quote! {
            let #ident: #ty = match (#slot().take)(&__call, #tool_name) {
                ::core::result::Result::Ok(__v) => __v,
                ::core::result::Result::Err(::fastmcp::__private::Rejection::Argument(__r)) => return ::core::result::Result::Ok(__r),
                ::core::result::Result::Err(::fastmcp::__private::Rejection::Extract(__e)) => return ::core::result::Result::Err(__e),
            };
        });
        slots.push(slot);
    }
    (quote!(#(#items)*), quote!(#(#lets)*), slots)
}

/// The call of the user's function with every parameter in its original order.
fn invoke(sig: &Signature, func: &ItemFn) -> TokenStream2 {
    let name = &func.sig.ident;
    let args = sig.params.iter().map(|p| &p.ident);
    if func.sig.asyncness.is_some() { quote!(#name(#(#args),*).await) } else { quote!(#name(#(#args),*)) }
}

fn completions(opts: &Options, arguments: &[String], kind: Kind) -> syn::Result<TokenStream2> {
    let mut entries = Vec::new();
    let mut items = Vec::new();
    for (arg, path) in &opts.complete {
        let known = arguments.contains(&arg.value());
        if !known {
            let what = if kind == Kind::Resource { "URI template variable" } else { "argument" };
            return Err(syn::Error::new(arg.span(), format!("`complete`: there is no {what} named `{}`", arg.value())));
        }
        let f = format_ident!("__complete{}", entries.len());
        items.push(quote_spanned! {path.span()=>
            fn #f(__call: ::fastmcp::__private::Call, __value: ::std::string::String) -> ::fastmcp::__private::BoxFuture<::std::vec::Vec<::std::string::String>> {
                ::fastmcp::__private::run_completer(#path, __call, __value)
            }
        });
        entries.push(quote!((#arg, #f as ::fastmcp::__private::CompleteFn)));
    }
    Ok(quote!({ #(#items)* &[#(#entries),*] }))
}

fn description(opts: &Options, sig: &Signature) -> TokenStream2 {
    opt_str(&opts.description.clone().or_else(|| sig.doc.clone()))
}

fn expand_tool(opts: &Options, sig: &Signature, func: &ItemFn) -> syn::Result<TokenStream2> {
    let name = opts.name.clone().unwrap_or_else(|| func.sig.ident.to_string());
    let (param_items, param_lets, slots) = tool_params(sig, &name);
    let call = invoke(sig, func);
    let ret_span = sig.ret_span;

    let success = |ty: &syn::Type, value: TokenStream2| -> TokenStream2 {
        match ReturnKind::of(ty) {
            ReturnKind::Content => quote_spanned! {ty.span()=>
                <#ty as ::fastmcp::__private::IntoCallToolResult>::into_call_tool_result(#value)
            },
            ReturnKind::Structured => quote_spanned! {ty.span()=>
                (::fastmcp::__private::structured::<#ty>().convert)(#value, *__WRAP.get_or_init(::fastmcp::__private::structured::<#ty>().wraps))
            },
        }
    };
    let structured_ty =
        |ty: &syn::Type| -> Option<syn::Type> { (ReturnKind::of(ty) == ReturnKind::Structured).then(|| ty.clone()) };
    let (convert, output_ty) = match &sig.ret {
        None => (quote!(::fastmcp::__private::CallToolResult::success(::std::vec::Vec::new())), None),
        Some(ty) => match signature::result_parts(ty) {
            Some((ok, err)) => {
                let ok_conv = success(&ok, quote!(__v));
                let err_conv = match &err {
                    Some(e) => {
                        quote_spanned!(e.span()=> ::fastmcp::__private::tool_error::<#e>(__e))
                    }
                    None => quote_spanned!(ret_span=> ::fastmcp::__private::tool_error(__e)),
                };
                (
                    quote!(match __ret { ::core::result::Result::Ok(__v) => #ok_conv, ::core::result::Result::Err(__e) => #err_conv }),
                    structured_ty(&ok),
                )
            }
            None => (success(ty, quote!(__ret)), structured_ty(ty)),
        },
    };
    let output_schema = match &output_ty {
        Some(ty) => {
            quote_spanned!(ty.span()=> ::core::option::Option::Some((::fastmcp::__private::structured::<#ty>().schema)()))
        }
        None => quote!(::core::option::Option::None),
    };
    let a = &opts.annotations;
    let (title, ann_title) = (opt_str(&opts.title), opt_str(&a.title));
    let (ro, de, id, ow) =
        (opt_bool(a.read_only), opt_bool(a.destructive), opt_bool(a.idempotent), opt_bool(a.open_world));
    let tags = &opts.tags;
    let task = task_tokens(opts.task);
    let desc = description(opts, sig);
    let common = component_items(
        func,
        opts,
        quote!(::fastmcp::__private::CallToolResult),
        quote! {
                    #param_lets
                    ::core::mem::drop(__call);
                    let __ret = #call;
                    ::core::result::Result::Ok(#convert)
        },
    );
    Ok(quote! {
        #param_items

        static __WRAP: ::fastmcp::__private::OnceLock<bool> = ::fastmcp::__private::OnceLock::new();

        fn __input_schema() -> ::fastmcp::__private::serde_json::Value {
            ::fastmcp::__private::InputSchema::new()#(.param(#slots().schema))*.finish()
        }
        fn __output_schema() -> ::core::option::Option<::fastmcp::__private::serde_json::Value> { #output_schema }
        #common


        #[::fastmcp::__private::linkme::distributed_slice(::fastmcp::__private::TOOLS)]
        #[linkme(crate = ::fastmcp::__private::linkme)]
        static __FASTMCP_TOOL: ::fastmcp::__private::ToolDef = ::fastmcp::__private::ToolDef {
            name: #name,
            title: #title,
            description: #desc,
            input_schema: __input_schema,
            output_schema: __output_schema,
            annotations: ::fastmcp::__private::ToolAnnotations {
                title: #ann_title, read_only: #ro, destructive: #de, idempotent: #id, open_world: #ow,
            },
            tags: &[#(#tags),*],
            meta: __meta,
            task: #task,
            handler: __handler,
            type_id: __type_id,
            states: __states,
            listing_extra: __listing_extra,
        };
        fn __states() -> ::std::vec::Vec<(::std::any::TypeId, &'static str)> {
            ::fastmcp::__private::needed_states(&[#(#slots().state),*])
        }
    })
}

/// The items every component shares: `__meta`, `__type_id` (of the annotated function item) and
/// `__handler`, whose body runs in `send_future(async move { body })` spanned at the function's
/// name, so a future that is not `Send` is reported there.
fn component_items(func: &ItemFn, opts: &Options, result: TokenStream2, body: TokenStream2) -> TokenStream2 {
    let fn_ident = &func.sig.ident;
    let meta = meta_fn(opts);
    let boxed = quote_spanned!(fn_ident.span()=> ::fastmcp::__private::send_future(async move { #body }));
    quote! {
        #meta
        fn __type_id() -> ::std::any::TypeId { ::fastmcp::__private::type_id_of_val(&#fn_ident) }

        fn __handler(__call: ::fastmcp::__private::Call) -> ::fastmcp::__private::BoxFuture<
            ::core::result::Result<#result, ::fastmcp::__private::ErrorObject>
        > {
            #boxed
        }
    }
}

/// The `let` binding of a string-valued argument (prompt arguments, URI template variables).
fn string_argument(p: &Param) -> TokenStream2 {
    let ident = &p.ident;
    let wire = &p.wire_name;
    if let Some(expr) = &p.default {
        let ty = &p.ty;
        return quote_spanned! {ty.span()=>
            let #ident: #ty = match ::fastmcp::__private::string_arg::<#ty>(__call.arguments(), #wire)? {
                ::core::option::Option::Some(__v) => __v,
                ::core::option::Option::None => ::fastmcp::__private::default_value::<#ty, _>(#expr),
            };
        };
    }
    match signature::option_inner(&p.ty) {
        Some(inner) => quote_spanned! {p.ty.span()=>
            let #ident: ::core::option::Option<#inner> = ::fastmcp::__private::string_arg::<#inner>(__call.arguments(), #wire)?;
        },
        None => {
            let ty = &p.ty;
            quote_spanned! {ty.span()=>
                let #ident: #ty = ::fastmcp::__private::required_string_arg::<#ty>(__call.arguments(), #wire)?;
            }
        }
    }
}

/// The items and bindings that fill a `#[prompt]`'s parameters, plus each parameter's
/// `is_argument` function for the listed arguments. An `Option<T>` or renamed parameter is an
/// argument; any other is an extractor if its type implements `FromCall`, else an argument.
fn prompt_params(sig: &Signature) -> (TokenStream2, TokenStream2, Vec<TokenStream2>, Vec<TokenStream2>) {
    let mut items = Vec::new();
    let mut lets = Vec::new();
    let mut is_argument = Vec::new();
    let mut needs = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        if p.pattern {
            let (ident, ty) = (&p.ident, &p.ty);
            lets.push(quote_spanned! {ty.span()=>
                let #ident: #ty = ::fastmcp::__private::resource_extractor::<#ty>(&__call)?;
            });
            is_argument.push(quote!(::fastmcp::__private::never_argument));
            needs.push(quote_spanned!(ty.span()=> <#ty as ::fastmcp::__private::FromCall>::required_state));
            continue;
        }
        if p.known_argument || signature::option_inner(&p.ty).is_some() {
            lets.push(string_argument(p));
            is_argument.push(quote!(::fastmcp::__private::always_argument));
            continue;
        }
        let (ident, ty, wire) = (&p.ident, &p.ty, &p.wire_name);
        let slot = format_ident!("__slot{}", i);
        let kind = format_ident!("__is_argument{}", i);
        items.push(quote_spanned! {ty.span()=>
            fn #slot() -> ::fastmcp::__private::StringSlot<#ty> {
                ::fastmcp::__private::string_slot::<#ty, _>((&&::fastmcp::__private::Probe::<#ty>::new()).string_slot())
            }
        });
        items.push(quote! {
            fn #kind() -> bool { #slot().kind == ::fastmcp::__private::ParamKind::Argument }
        });
        lets.push(quote!(let #ident: #ty = (#slot().take)(&__call, #wire)?;));
        is_argument.push(quote!(#kind));
        needs.push(quote!(#slot().state));
    }
    (quote!(#(#items)*), quote!(#(#lets)*), is_argument, needs)
}

/// Converts `__ret` of type `ty` (possibly a `Result`) with `conv`, mapping errors to JSON-RPC.
fn convert_fallible(
    ty: Option<&syn::Type>,
    ret_span: Span,
    conv: impl Fn(&syn::Type, TokenStream2) -> TokenStream2,
) -> TokenStream2 {
    let Some(ty) = ty else {
        let unit: syn::Type = syn::parse_quote_spanned!(ret_span=> ());
        return conv(&unit, quote!(__ret));
    };
    match signature::result_parts(ty) {
        Some((ok, err)) => {
            let ok_conv = conv(&ok, quote!(__v));
            let err_conv = match &err {
                Some(e) => {
                    quote_spanned!(e.span()=> ((&&::fastmcp::__private::Probe::<#e>::new()).error_fn())(__e))
                }
                None => quote!(((&&::fastmcp::__private::Probe::of(&__e)).error_fn())(__e)),
            };
            quote!(match __ret {
                ::core::result::Result::Ok(__v) => #ok_conv,
                ::core::result::Result::Err(__e) => return ::core::result::Result::Err(#err_conv),
            })
        }
        None => conv(ty, quote!(__ret)),
    }
}

fn expand_prompt(opts: &Options, sig: &Signature, func: &ItemFn) -> syn::Result<TokenStream2> {
    let name = opts.name.clone().unwrap_or_else(|| func.sig.ident.to_string());
    let (param_items, param_lets, is_argument, needs) = prompt_params(sig);
    let args = sig.params.iter().zip(&is_argument).map(|(p, is_argument)| {
        let wire = &p.wire_name;
        let desc = opt_str(&p.doc);
        let required = signature::option_inner(&p.ty).is_none() && p.default.is_none();
        quote!(::fastmcp::__private::PromptArgDef { name: #wire, description: #desc, required: #required, is_argument: #is_argument })
    });
    let call = invoke(sig, func);
    let convert = convert_fallible(
        sig.ret.as_ref(),
        sig.ret_span,
        |ty, v| quote_spanned!(ty.span()=> <#ty as ::fastmcp::__private::IntoPromptResult>::into_prompt_result(#v)),
    );
    let title = opt_str(&opts.title);
    let desc = description(opts, sig);
    let tags = &opts.tags;
    let task = task_tokens(opts.task);
    let names: Vec<String> = sig.params.iter().map(|p| p.wire_name.clone()).collect();
    let completions = completions(opts, &names, Kind::Prompt)?;
    let common = component_items(
        func,
        opts,
        quote!(::fastmcp::__private::GetPromptResult),
        quote! {
                    #param_lets
                    ::core::mem::drop(__call);
                    let __ret = #call;
                    let mut __result = #convert;
                    if __result.description.is_none() {
                        __result.description = #desc.map(::std::borrow::ToOwned::to_owned);
                    }
                    ::core::result::Result::Ok(__result)
        },
    );
    Ok(quote! {
        #param_items
        #common


        #[::fastmcp::__private::linkme::distributed_slice(::fastmcp::__private::PROMPTS)]
        #[linkme(crate = ::fastmcp::__private::linkme)]
        static __FASTMCP_PROMPT: ::fastmcp::__private::PromptDef = ::fastmcp::__private::PromptDef {
            name: #name,
            title: #title,
            description: #desc,
            arguments: &[#(#args),*],
            tags: &[#(#tags),*],
            meta: __meta,
            task: #task,
            completions: #completions,
            handler: __handler,
            type_id: __type_id,
            states: __states,
            listing_extra: __listing_extra,
        };
        fn __states() -> ::std::vec::Vec<(::std::any::TypeId, &'static str)> {
            ::fastmcp::__private::needed_states(&[#(#needs),*])
        }
    })
}

fn expand_resource(opts: &Options, sig: &Signature, func: &ItemFn) -> syn::Result<TokenStream2> {
    let uri_lit: &LitStr = opts.uri.as_ref().ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            "#[resource] needs a URI: `#[resource(\"scheme://path\")]` or `#[resource(\"scheme://items/{id}\")]`",
        )
    })?;
    let vars = options::template_variables(uri_lit)?;
    for var in &vars {
        if !sig.params.iter().any(|p| p.wire_name == *var) {
            return Err(syn::Error::new(
                uri_lit.span(),
                format!(
                    "URI template variable `{{{var}}}` has no matching parameter; add a parameter `{var}: String` to the function"
                ),
            ));
        }
    }
    // A parameter named after a variable is that variable; a renamed one must be one; any other
    // is an extractor (its type must implement `FromCall`).
    for p in sig.params.iter().filter(|p| p.known_argument) {
        if !vars.contains(&p.wire_name) {
            return Err(syn::Error::new(
                p.ident.span(),
                format!(
                    "parameter `{}` is not a variable of the URI template {:?}; add `{{{}}}` to the URI or remove the parameter",
                    p.wire_name,
                    uri_lit.value(),
                    p.wire_name
                ),
            ));
        }
    }
    let name = opts.name.clone().unwrap_or_else(|| func.sig.ident.to_string());
    let param_lets = sig.params.iter().map(|p| {
        if vars.contains(&p.wire_name) {
            return string_argument(p);
        }
        let (ident, ty) = (&p.ident, &p.ty);
        quote_spanned! {ty.span()=>
            let #ident: #ty = ::fastmcp::__private::resource_extractor::<#ty>(&__call)?;
        }
    });
    let needs: Vec<TokenStream2> = sig
        .params
        .iter()
        .filter(|p| !vars.contains(&p.wire_name))
        .map(|p| {
            let ty = &p.ty;
            quote_spanned!(ty.span()=> <#ty as ::fastmcp::__private::FromCall>::required_state)
        })
        .collect();
    let call = invoke(sig, func);
    let mime = opt_str(&opts.mime_type);
    let convert = convert_fallible(
        sig.ret.as_ref(),
        sig.ret_span,
        |ty, v| quote_spanned!(ty.span()=> <#ty as ::fastmcp::__private::IntoResourceResult>::into_resource_result(#v, &__uri, __MIME)),
    );
    let ok_ty: syn::Type = match &sig.ret {
        None => syn::parse_quote!(()),
        Some(ty) => signature::result_parts(ty).map(|(ok, _)| ok).unwrap_or_else(|| ty.clone()),
    };
    let default_mime =
        quote_spanned!(ok_ty.span()=> <#ok_ty as ::fastmcp::__private::IntoResourceResult>::DEFAULT_MIME);
    let title = opt_str(&opts.title);
    let desc = description(opts, sig);
    let tags = &opts.tags;
    let task = task_tokens(opts.task);
    let completions = completions(opts, &vars, Kind::Resource)?;
    let common = component_items(
        func,
        opts,
        quote!(::fastmcp::__private::ReadResourceResult),
        quote! {
                    let __uri: ::std::string::String = __call.uri().unwrap_or(#uri_lit).to_owned();
                    #(#param_lets)*
                    ::core::mem::drop(__call);
                    let __ret = #call;
                    ::core::result::Result::Ok(#convert)
        },
    );
    let static_ident = format_ident!("__FASTMCP_RESOURCE");
    Ok(quote! {
        #common
        const __MIME: ::core::option::Option<&'static str> = ::fastmcp::__private::mime_or(#mime, #default_mime);


        #[::fastmcp::__private::linkme::distributed_slice(::fastmcp::__private::RESOURCES)]
        #[linkme(crate = ::fastmcp::__private::linkme)]
        static #static_ident: ::fastmcp::__private::ResourceDef = ::fastmcp::__private::ResourceDef {
            uri: #uri_lit,
            name: #name,
            title: #title,
            description: #desc,
            mime_type: __MIME,
            tags: &[#(#tags),*],
            meta: __meta,
            task: #task,
            completions: #completions,
            handler: __handler,
            type_id: __type_id,
            states: __states,
            listing_extra: __listing_extra,
        };
        fn __states() -> ::std::vec::Vec<(::std::any::TypeId, &'static str)> {
            ::fastmcp::__private::needed_states(&[#(#needs),*])
        }
    })
}
