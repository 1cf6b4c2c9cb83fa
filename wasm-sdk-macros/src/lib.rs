//! `#[task_run]`, the entry-point macro of wasm-sdk guests.
//!
//! The macro goes parse -> check -> codegen, one module each. Every problem
//! in the attribute and the function is collected and reported at once,
//! each spanned to the offending token; even then the expansion keeps the
//! function and the `Input`/`Output` enums it could build, so one mistake
//! does not bury the rest of the crate under follow-up errors.

use proc_macro::TokenStream;

mod check;
mod codegen;
mod parse;

/// Turns `fn run() -> wasm_sdk::Result<()>` into a module's entry point.
///
/// ```
/// use wasm_sdk::{Result, receive, send};
/// use wasm_sdk_macros::task_run;
///
/// #[task_run(inputs(wasm_input), outputs(wasm_data))]
/// fn run() -> Result<()> {
///     let mut buf = [0u8; 16];
///     loop {
///         let n = receive(&mut buf, Input::WasmInput)?;
///         send(&buf[..n], Output::WasmData)?;
///     }
/// }
///
/// // Off wasm32 the module runs natively on `wasm_sdk::native`.
/// TASK.reset();
/// wasm_sdk::native::push_input(Input::WasmInput.index(), b"hi");
/// wasm_sdk::native::close_input(0);
/// assert_eq!(wasm_sdk::native::run(&TASK), wasm_sdk::native::Step::Finished { exit_code: 0 });
/// assert_eq!(wasm_sdk::native::take_outputs(), [(0, b"hi".to_vec())]);
/// ```
///
/// Generates, beside the unchanged function:
///
/// - `pub enum Input` and `pub enum Output`, one variant per name in
///   declaration order, `snake_case` names as `UpperCamelCase` variants
///   (`wasm_input` -> `Input::WasmInput`). Each has `COUNT`, `ALL`,
///   `name()`, `index()`, `from_index()`, `from_name()`, and converts into
///   `wasm_sdk::InputIdx` / `wasm_sdk::OutputIdx` for `receive` and `send`.
/// - `pub extern "C" fn run_task() -> i32`, exported as `run_task` on
///   wasm32 (a plain `pub fn` on hosted targets, so panics unwind in
///   tests; nothing on bare metal): calls the function; `Ok` and a closed
///   input (the host's clean stop) return 0; any other error is reported as `Task run error: <error>`
///   through `report_error` and `log` at error level, and returns -1. The
///   text is built without `core::fmt`.
/// - on wasm32, the `wasm-sdk.manifest` custom section with the ABI version
///   and the input and output names (see `wasm_sdk::abi::manifest`);
/// - on hosted targets, `pub const TASK: wasm_sdk::native::Task` (ports
///   and `run_task`), so tests run the module natively with
///   `wasm_sdk::native`.
///
/// Both lists are required; either may be empty. Names are identifiers,
/// unique within their list, at most 255 bytes, at most 255 per list.
/// The function takes no parameters, is not generic, `async`, `const`,
/// `unsafe` or `extern`, and returns `wasm_sdk::Result<()>`.
#[proc_macro_attribute]
pub fn task_run(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = check::Errors::default();
    let args = parse::parse_args(attr.into(), &mut errors);
    let item: proc_macro2::TokenStream = item.into();
    let task = check::check(args, item.clone(), &mut errors);
    codegen::expand(task, item, errors).into()
}
