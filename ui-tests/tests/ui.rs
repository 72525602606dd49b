//! Each file in tests/ui must fail to compile with the error in its .stderr: the message says
//! what is wrong and how to fix it, and its span points at the user's code.

#[test]
fn compile_errors_point_at_user_code() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
