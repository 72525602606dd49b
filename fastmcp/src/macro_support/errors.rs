//! How the error of a `#[prompt]` or `#[resource]` becomes a JSON-RPC error. A handler that
//! returns an [`ErrorObject`] (or a type with `Into<ErrorObject>`) keeps its code, so
//! `ErrorObject::resource_not_found(uri)` reaches the client as -32002 and
//! `ErrorObject::invalid_params(..)` as -32602; any other `Display` error is -32603 with its text.
//! Chosen by type with the same autoref probe as parameters (see `params.rs`).

use super::{ComponentError, Probe};
use crate::protocol::ErrorObject;

/// Highest priority: the error converts into an [`ErrorObject`] itself.
pub trait ViaErrorObject<E> {
    /// The conversion.
    fn error_fn(self) -> fn(E) -> ErrorObject;
}

impl<E: Into<ErrorObject>> ViaErrorObject<E> for &&Probe<E> {
    fn error_fn(self) -> fn(E) -> ErrorObject {
        Into::into
    }
}

/// Otherwise: an internal error carrying the error's text (`E: Display`).
pub trait ViaDisplay<E> {
    /// The conversion.
    fn error_fn(self) -> fn(E) -> ErrorObject;
}

impl<E: ComponentError> ViaDisplay<E> for &Probe<E> {
    fn error_fn(self) -> fn(E) -> ErrorObject {
        super::component_error::<E>
    }
}

impl<T, W> Probe<T, W> {
    /// A probe for the type of `value` (when the type cannot be written, e.g. `anyhow::Result`).
    pub const fn of(_value: &T) -> Self {
        Probe::new()
    }
}
