//! `#[task_run]` diagnostics and accepted forms (trybuild). The toolchain is
//! pinned, so the `.stderr` snapshots are stable; regenerate them with
//! `TRYBUILD=overwrite cargo test -p wasm-sdk-tests --test ui`.

#[test]
fn task_run_ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
