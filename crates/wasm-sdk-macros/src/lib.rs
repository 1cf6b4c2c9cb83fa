#![doc = include_str!("../README.md")]

use proc_macro::TokenStream;

mod check;
mod codegen;
mod parse;

/// Turns `fn run() -> wasm_sdk::Result<()>` into a module's entry point.
///
/// Each port is a name, optionally with its message type:
///
/// ```
/// use module_examples_common::{Reading, Thresholds};
/// use wasm_sdk::{Result, receive, send};
/// use wasm_sdk::task_run;
///
/// #[task_run(inputs(reading: Reading, limits: Thresholds, raw), outputs(average: Reading, copy))]
/// fn run() -> Result<()> {
///     let mut buf = [0u8; 16];
///     loop {
///         // Typed: decoded in a buffer sized by `Reading`'s largest encoding.
///         let reading = Input::Reading.receive()?;
///         // Only a `Reading` compiles here.
///         Output::Average.send(&reading)?;
///         // Untyped ports move raw bytes, as before.
///         let n = receive(&mut buf, Input::Raw)?;
///         send(&buf[..n], Output::Copy)?;
///     }
/// }
///
/// // Off wasm32 the module runs natively on `wasm_sdk::native`.
/// TASK.reset();
/// wasm_sdk::native::push(Input::Reading, &Reading { deci_celsius: -3 });
/// wasm_sdk::native::push_input(Input::Raw.index(), b"hi");
/// wasm_sdk::native::close_input(Input::Reading.index());
/// assert_eq!(wasm_sdk::native::run(&TASK), wasm_sdk::native::Step::Finished { exit_code: 0 });
/// assert_eq!(wasm_sdk::native::take(Output::Average).unwrap(), [Reading { deci_celsius: -3 }]);
/// assert_eq!(wasm_sdk::native::take_outputs(), [(1, b"hi".to_vec())]);
/// ```
///
/// - `name`: an untyped port; its messages are bytes, moved with
///   `wasm_sdk::receive` and `wasm_sdk::send` (the talk's form).
/// - `name: Type`: a typed port. `Type` implements serde's `Serialize` and
///   `Deserialize`, postcard-schema's `Schema` (its schema and key go into
///   the manifest, where hosts check them at load) and postcard's
///   `MaxSize` (which sizes the port's buffer). A type without `MaxSize` is
///   a compile error on the type, unless the port gives its buffer size:
/// - `name: Type[N]`: a typed port whose buffer is `N` bytes.
/// - `#[topic]` before any of these: a topic port (below).
///
/// A plain port names a firmware service: a firmware with a service
/// catalog binds it to the catalog's service of that name. A topic port is
/// bound to the topic of that name instead, guest to guest: every guest
/// sending on the topic feeds every guest receiving from it. Its name as
/// the ABI sees it, in the manifest and in `NAMES`, `from_name()`,
/// `name_of()` and the handle's `name()`, is the identifier after
/// `wasm_sdk::abi::manifest::TOPIC_PREFIX` (`topic/smoothed`); its handle
/// keeps the identifier's name (`Input::Smoothed`), so the module's code
/// reads the same. `#[topic]` takes no arguments and is the only attribute
/// a port takes.
///
/// ```
/// use module_examples_common::Reading;
/// use wasm_sdk::{Result, task_run};
///
/// #[task_run(
///     inputs(temperature: Reading, #[topic] smoothed: Reading),
///     outputs(#[topic] filtered: Reading)
/// )]
/// fn run() -> Result<()> {
///     loop {
///         let reading = Input::Temperature.receive()?;
///         let smoothed = Input::Smoothed.receive()?;
///         let deci_celsius = reading.deci_celsius / 2 + smoothed.deci_celsius / 2;
///         Output::Filtered.send(&Reading { deci_celsius })?;
///     }
/// }
///
/// assert_eq!(Input::NAMES, ["temperature", "topic/smoothed"]);
/// assert_eq!(Output::Filtered.name(), "topic/filtered");
/// assert_eq!(TASK.input("topic/smoothed"), Some(Input::Smoothed.index()));
/// ```
///
/// Generates, beside the unchanged function:
///
/// - `pub enum Input {}` and `pub enum Output {}` (uninhabited: namespaces),
///   with one associated handle per port in declaration order, `snake_case`
///   names as `UpperCamelCase` (`wasm_input` -> `Input::WasmInput`). A
///   handle is a `wasm_sdk::InputPort<T, N>` or `wasm_sdk::OutputPort<T, N>`
///   (`T` = `wasm_sdk::Bytes` when untyped): `index()`, `name()`, typed
///   `receive()` / `try_receive()` / `send(&T)`; every input handle and
///   untyped output handle converts into `wasm_sdk::InputIdx` /
///   `wasm_sdk::OutputIdx` for the raw calls (a typed output does not, so
///   raw bytes cannot bypass its type). Each enum also has `COUNT`, `ALL`
///   (indices), `NAMES`, `from_index()`, `from_name()` and `name_of()`.
/// - `pub extern "C" fn run_task() -> i32`, exported as `run_task` on
///   wasm32 (a plain `pub fn` on hosted targets, so panics unwind in
///   tests; nothing on bare metal): calls the function; `Ok` and a closed
///   input (the host's clean stop) return 0; any other error is reported as `Task run error: <error>`
///   through `report_error` and `log` at error level, and returns -1. The
///   text is built without `core::fmt`.
/// - on wasm32, the `wasm-sdk.manifest` custom section with the ABI version,
///   the input and output names, and each distinct message type's key and
///   schema (see `wasm_sdk::abi::manifest`);
/// - on hosted targets, `pub const TASK: wasm_sdk::native::Task` (ports,
///   their types and `run_task`), so tests run the module natively with
///   `wasm_sdk::native`.
///
/// Both lists are required; either may be empty. Names are identifiers,
/// unique within their list, at most 255 bytes (a topic port's counting
/// its `topic/`), at most 255 per list, at most 255 distinct types; a
/// plain and a topic port of one identifier would share a handle, so they
/// cannot share a list. The function takes no parameters, is not
/// generic, `async`, `const`, `unsafe` or `extern`, and returns
/// `wasm_sdk::Result<()>`.
#[proc_macro_attribute]
pub fn task_run(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = check::Errors::default();
    let args = parse::parse_args(attr.into(), &mut errors);
    let item: proc_macro2::TokenStream = item.into();
    let task = check::check(args, item.clone(), &mut errors);
    codegen::expand(task, item, errors).into()
}
