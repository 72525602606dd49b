//! What `complete(arg = f)` accepts. `f` gets the partial value and, after it, any extractors:
//!
//! - `fn(&str) -> Vec<String>`
//! - `fn(String, E1, ..., E3) -> Vec<String>`, or the same `async`
//!
//! where each `E` implements [`FromCall`]: `Context`, `State<T>`, or
//! [`GivenArguments`](crate::extract::GivenArguments) (the other arguments the client has
//! already filled in).

use crate::extract::{Call, FromCall};
use crate::registry::BoxFuture;
use std::future::Future;

/// Marks a synchronous completer (a signature marker; never built).
pub struct Blocking;
/// Marks an `async` completer (a signature marker; never built).
pub struct Awaited;
/// Marks the `fn(&str) -> Vec<String>` form (a signature marker; never built).
pub struct Borrowed;

/// A completion provider; `M` is its inferred signature.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot complete an argument",
    label = "not a completer",
    note = "a completer takes the partial value and optionally extractors, and returns the suggestions: `fn(&str) -> Vec<String>`, or `fn(String, ...) -> Vec<String>` / `async fn(String, ...) -> Vec<String>` whose later parameters are extractors (Context, State<T>, GivenArguments, ...)"
)]
pub trait Completer<M>: Copy + Send + Sync + 'static {
    /// Suggestions for `value`; extractors come from `call`.
    fn complete(self, call: Call, value: String) -> BoxFuture<Vec<String>>;
}

impl<F> Completer<(Borrowed,)> for F
where
    F: Fn(&str) -> Vec<String> + Copy + Send + Sync + 'static,
{
    fn complete(self, _call: Call, value: String) -> BoxFuture<Vec<String>> {
        let values = self(&value);
        Box::pin(std::future::ready(values))
    }
}

macro_rules! completer {
    ($($e:ident),*) => {
        impl<F, $($e,)*> Completer<(Blocking, $($e,)*)> for F
        where
            F: Fn(String, $($e),*) -> Vec<String> + Copy + Send + Sync + 'static,
            $($e: FromCall + Send + 'static,)*
        {
            #[allow(non_snake_case)]
            fn complete(self, _call: Call, value: String) -> BoxFuture<Vec<String>> {
                $(let Ok($e) = $e::from_call(&_call) else { return Box::pin(std::future::ready(Vec::new())) };)*
                let values = self(value, $($e),*);
                Box::pin(std::future::ready(values))
            }
        }

        impl<F, Fut, $($e,)*> Completer<(Awaited, $($e,)*)> for F
        where
            F: Fn(String, $($e),*) -> Fut + Copy + Send + Sync + 'static,
            Fut: Future<Output = Vec<String>> + Send + 'static,
            $($e: FromCall + Send + 'static,)*
        {
            #[allow(non_snake_case)]
            fn complete(self, _call: Call, value: String) -> BoxFuture<Vec<String>> {
                $(let Ok($e) = $e::from_call(&_call) else { return Box::pin(std::future::ready(Vec::new())) };)*
                Box::pin(self(value, $($e),*))
            }
        }
    };
}

completer!();
completer!(E1);
completer!(E1, E2);
completer!(E1, E2, E3);

/// Runs the completer `f` (what the macro generates for each `complete(arg = f)`).
pub fn run_completer<M, F: Completer<M>>(f: F, call: Call, value: String) -> BoxFuture<Vec<String>> {
    f.complete(call, value)
}
