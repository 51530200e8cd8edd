//! The generated API holds the model's rules: each bypass below, written in
//! another crate, does not compile. Each case in `ui/` is one bypass, with
//! the compiler's error beside it (`ui/*.stderr`).

#[test]
fn bypasses_of_the_rules_do_not_compile_from_another_crate() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
