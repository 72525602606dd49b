//! What `.tool()`, `.prompt()` and `.resource()` accept: a function item, checked at compile
//! time, so `.tool("add")` or `.tool(42)` does not compile. (A function item's type cannot be
//! named, so whether it carries `#[tool]` is checked by `build()`, which names it.)

/// A function (of up to 16 parameters) passed to `.tool()`, `.prompt()` or `.resource()`.
/// `Marker` is its signature; it is inferred.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a function: `.tool()`, `.prompt()` and `.resource()` take an annotated function",
    label = "pass the #[tool] / #[prompt] / #[resource] function itself, e.g. `.tool(add)`",
    note = "for a tool built at run time, use `.dynamic_tool(Tool::new(..))`"
)]
pub trait ComponentFn<Marker>: 'static {}

macro_rules! component_fn {
    ($($arg:ident),*) => {
        impl<F, R, $($arg,)*> ComponentFn<(R, $($arg,)*)> for F where F: Fn($($arg),*) -> R + 'static {}
    };
}

component_fn!();
component_fn!(A1);
component_fn!(A1, A2);
component_fn!(A1, A2, A3);
component_fn!(A1, A2, A3, A4);
component_fn!(A1, A2, A3, A4, A5);
component_fn!(A1, A2, A3, A4, A5, A6);
component_fn!(A1, A2, A3, A4, A5, A6, A7);
component_fn!(A1, A2, A3, A4, A5, A6, A7, A8);
component_fn!(A1, A2, A3, A4, A5, A6, A7, A8, A9);
component_fn!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
component_fn!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
component_fn!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);
component_fn!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13);
component_fn!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14);
component_fn!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15);
component_fn!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15, A16);
