//! Integration tests of fastmcp live in `tests/`; this crate has no library code.
