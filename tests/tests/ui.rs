//! `#[task_run]` diagnostics and accepted forms (trybuild). The toolchain is
//! pinned, so the `.stderr` snapshots are stable; regenerate them with
//! `TRYBUILD=overwrite cargo test -p wasm-sdk-tests --test ui -- --include-ignored`.

#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn task_run_ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
