//! Compile-fail tests of the fastmcp macros live in `tests/ui`.
