//! `wasm-sdk`: create, run and inspect wasm-sdk guest modules.

/// `println!` for the CLI's output: a closed stdout (`... | head`) ends the
/// process quietly with status 0 instead of panicking; any other write
/// error is one `error:` line and status 1.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::write_line(::std::format_args!($($arg)*))
    };
}

mod deploy;
mod device;
mod from;
mod guests;
mod image;
mod new;
mod port;
mod sign;
mod typed;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::json;
use wasm_sdk_host::abi::manifest::{Manifest, PortKind};
use wasm_sdk_host::inspect::{FuncInfo, ModuleInfo};
use wasm_sdk_host::shape::{Costs, Shape};
use wasm_sdk_testhost::{
    Binds, Budget, DeviceCatalog, GuestBuilder, ModuleSizes, PortSchema, Step, TestHost, Transcript,
};

/// Create, run and inspect wasm-sdk guest modules on the desktop test host.
#[derive(Parser)]
#[command(name = "wasm-sdk", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a guest workspace (module crate, messages crate, native and
    /// scenario tests) that builds and tests outside the SDK's repository.
    New(new::NewArgs),
    /// Load a module (building a guest crate first), deliver the inputs in
    /// order, running it until idle after each, close inputs, print the
    /// transcript.
    Run(RunArgs),
    /// Print a module's size, imports, exports, memory and manifest
    /// (building a guest crate first).
    Inspect(InspectArgs),
    /// Upload a module (building a guest crate first) to a device's guest
    /// slot over SMP, with a progress bar; confirm it if asked; show the
    /// slot's state and the device's guests.
    Deploy(deploy::DeployArgs),
    /// Write a new Ed25519 key pair for signing modules (wasmsign2's format).
    Keygen(sign::KeygenArgs),
    /// Sign a module (building a guest crate first) with a secret key: a
    /// wasmsign2 `signature` section, which firmware built with the public
    /// key requires.
    Sign(sign::SignArgs),
    /// Check a module's signature against a public key, as the firmware does.
    Verify(sign::VerifyArgs),
    /// The guests of a device over SMP: list them, stop or start one, send
    /// an input, read outputs.
    Guests(guests::GuestsArgs),
    /// A device's guest slots over SMP: their state; confirm, roll back,
    /// erase.
    Image(image::ImageArgs),
}

#[derive(Args)]
struct RunArgs {
    /// A `.wasm` file, or a guest crate directory to build first.
    module: PathBuf,
    /// Deliver a message: input name (or index) and the message, as JSON
    /// of a typed input's type (`wasm_input='{"count": 5}'`), or as hex
    /// bytes after `hex:` (`wasm_input=hex:05`); untyped inputs take hex.
    /// The `--input`s are a timeline: the module runs until idle after
    /// each, so `--input gains=.. --input sample=.. --input gains=..`
    /// changes the gains between two samples.
    #[arg(long = "input", value_name = "NAME=VALUE", value_parser = parse_input)]
    inputs: Vec<(String, String)>,
    /// Close an input after the messages are queued.
    #[arg(long = "close", value_name = "NAME")]
    closes: Vec<String>,
    /// Total fuel budget (`--budget total_fuel=N`); an endless loop ends
    /// as `out_of_fuel`. Default: the test host's,
    /// 100,000,000 units.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Largest linear memory the module may use, in bytes (`--budget
    /// memory_budget=N`). Default: the profile's, else 64 KiB.
    #[arg(long, value_name = "BYTES")]
    memory_budget: Option<u64>,
    #[command(flatten)]
    device: device::DeviceArgs,
    /// Target directory for building a guest crate (default: the crate's).
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct InspectArgs {
    /// A `.wasm` file, or a guest crate directory to build first.
    module: PathBuf,
    /// A device's catalog file (`guests services --save`, or the one its
    /// firmware's build writes): say what each port would bind on that
    /// device, or why the upload would be refused (exit status 1).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// With `--profile` or `--budget`: say whether that device's host
    /// loads the module, or which budget refuses it (exit status 1).
    #[command(flatten)]
    device: device::DeviceArgs,
    /// Where the module's bytes go: sections, the largest functions, and
    /// what links `core::fmt`. A guest crate is built with its function
    /// names kept for this (a `.wasm` without a name section shows
    /// indices only).
    #[arg(long)]
    sizes: bool,
    /// Target directory for building a guest crate (default: the crate's).
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_input(arg: &str) -> Result<(String, String), String> {
    let (name, value) = arg
        .split_once('=')
        .ok_or(r#"expected NAME=VALUE, e.g. wasm_input='{"count": 5}' or wasm_input=hex:05"#)?;
    if name.is_empty() {
        return Err("the input name before `=` is empty".into());
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// Hex bytes, with whitespace and `_` allowed between digits.
fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    let text: String = text.chars().filter(|c| !c.is_whitespace() && *c != '_').collect();
    hex::decode(&text).map_err(|e| format!("`{text}` is not hex bytes: {e}"))
}

/// The bytes of one `--input` value for an input of this type (`None`:
/// untyped); see `RunArgs::inputs` for the rules.
fn input_bytes(value: &str, schema: Option<&PortSchema>) -> Result<Vec<u8>, String> {
    if let Some(text) = value.strip_prefix("hex:") {
        return hex_bytes(text);
    }
    let Some(schema) = schema else {
        if value.starts_with("json:") {
            return Err("the input is untyped (raw bytes): give hex".into());
        }
        return hex_bytes(value);
    };
    // A typed input takes JSON only: a plain `10` read as one hex byte
    // would be a message the author did not mean.
    let text = value.strip_prefix("json:").unwrap_or(value);
    let hint = || {
        let raw = match hex_bytes(text) {
            Ok(_) => format!(", or raw bytes as `hex:{text}`"),
            Err(_) => String::new(),
        };
        format!("; a `{}` is JSON like {}{raw}", schema.name(), schema.example())
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("`{text}` is not JSON ({e}){}", hint()))?;
    schema.encode(&value).map_err(|e| format!("{e}{}", hint()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::New(args) => new::new(args),
        Command::Run(args) => run(args),
        Command::Inspect(args) => inspect(args),
        Command::Deploy(args) => deploy::deploy(args),
        Command::Keygen(args) => sign::keygen(args),
        Command::Sign(args) => sign::sign(args),
        Command::Verify(args) => sign::verify(args),
        Command::Guests(args) => guests::guests(args),
        Command::Image(args) => image::image(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("error: {}", reason.lines().next().unwrap_or("failed"));
            for line in reason.lines().skip(1) {
                eprintln!("  {line}");
            }
            ExitCode::FAILURE
        }
    }
}

/// A `.wasm` path, building the crate first with `builder` when given a
/// directory.
fn module_path(
    path: &Path,
    target_dir: Option<&Path>,
    builder: GuestBuilder,
) -> Result<PathBuf, String> {
    if !path.is_dir() {
        return Ok(path.to_owned());
    }
    let manifest = path.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(format!(
            "`{}` is a directory but not a crate (no Cargo.toml); pass a .wasm file or a guest \
             crate directory",
            path.display()
        ));
    }
    // A workspace root builds every member and none is "the" module.
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read `{}`: {e}", manifest.display()))?;
    if !text.lines().any(|line| line.trim() == "[package]") {
        let guests = guest_members(path);
        let hint = match guests.as_slice() {
            [] => String::new(),
            names => format!(" (here: {})", names.join(", ")),
        };
        return Err(format!(
            "`{}` is a workspace root, not a guest crate; pass a guest crate's directory{hint}",
            path.display()
        ));
    }
    eprintln!("building {} ...", path.display());
    let mut builder = builder;
    if let Some(dir) = target_dir {
        builder = builder.target_dir(dir);
    }
    builder.build(path).map_err(|e| e.to_string())
}

/// With `--json`, a command's failure is JSON on stdout too,
/// `{"error": "<the reason>"}`, so a script reading stdout sees it; the
/// reason still goes to stderr and the exit status is 1.
fn json_error<T>(json: bool, result: Result<T, String>) -> Result<T, String> {
    if let (true, Err(reason)) = (json, &result) {
        outln!("{}", json!({ "error": reason }));
    }
    result
}

fn run(args: RunArgs) -> Result<(), String> {
    let json = args.json;
    json_error(json, run_module(args))
}

fn run_module(args: RunArgs) -> Result<(), String> {
    let profile = args.device.profile()?;
    let builder = args.device.builder(profile.as_ref());
    let wasm = module_path(&args.module, args.target_dir.as_deref(), builder)?;
    let shorthand = [
        args.fuel.map(|n| (Budget::TotalFuel, Some(n))),
        args.memory_budget.map(|n| (Budget::MemoryBudget, Some(n))),
    ];
    let host =
        args.device.host(profile.as_ref(), TestHost::builder(), shorthand.into_iter().flatten());
    let host = host.build();
    let mut guest = host.load_file(&wasm).map_err(|e| e.to_string())?;
    for (name, value) in &args.inputs {
        let idx = match name.parse::<u8>() {
            Ok(idx) => guest.input_index(idx),
            Err(_) => guest.input_index(name.as_str()),
        };
        let idx = idx.map_err(|e| with_names(e.to_string(), "inputs", guest.input_names()))?;
        let schema = guest.schemas().get(PortKind::Input, idx);
        let bytes =
            input_bytes(value, schema).map_err(|e| format!("--input {name}={value}: {e}"))?;
        guest.push_input(idx, &bytes).map_err(|e| e.to_string())?;
        // A timeline: the module takes each message before the next
        // arrives, as on a device, whichever input it is on.
        guest.run_until_idle();
    }
    for name in &args.closes {
        let closed = match name.parse::<u8>() {
            Ok(idx) => guest.close_input(idx),
            Err(_) => guest.close_input(name.as_str()),
        };
        closed.map_err(|e| with_names(e.to_string(), "inputs", guest.input_names()))?;
    }
    guest.run_until_idle();
    let transcript = guest.transcript();
    if args.json {
        outln!("{}", serde_json::to_string(&transcript).map_err(|e| e.to_string())?);
    } else {
        print_transcript(&transcript, guest.status(), &guest);
    }
    Ok(())
}

/// Subdirectories of `dir` holding a `cdylib` crate, as paths to pass.
fn guest_members(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut guests: Vec<String> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|sub| {
            std::fs::read_to_string(sub.join("Cargo.toml")).is_ok_and(|t| t.contains("cdylib"))
        })
        .map(|sub| sub.display().to_string())
        .collect();
    guests.sort();
    guests
}

fn with_names(message: String, what: &str, names: &[String]) -> String {
    format!("{message}; its {what} are: {}", names.join(", "))
}

fn print_transcript(t: &Transcript, status: Option<&Step>, guest: &wasm_sdk_testhost::TestGuest) {
    let state = match status {
        Some(Step::Finished { exit_code }) => format!("finished, exit code {exit_code}"),
        Some(Step::Blocked { .. }) => {
            let input = guest.blocked_on().unwrap_or("?");
            format!(
                "blocked on input `{input}`: the module waits in `receive` for a message; the \
                 input is open and nothing is queued (add `--close {input}` to let it stop)"
            )
        }
        Some(Step::Waiting { .. }) => {
            let inputs = guest.waiting_on().unwrap_or_default();
            let list = inputs.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ");
            format!(
                "waiting on inputs {list}: the module waits in `wait_input` for a message on \
                 any of them; they are open and nothing is queued (a `--close` of one wakes it \
                 too)"
            )
        }
        Some(Step::Full { output }) => {
            let name = guest.output_names().get(usize::from(*output)).map_or("?", String::as_str);
            format!(
                "waiting on output `{name}`: the messages below fill the test host's output \
                 budget ({} bytes); the module sends the next one when they are taken",
                guest.output_budget()
            )
        }
        Some(Step::Trapped(trap)) => format!("trapped: {trap}"),
        Some(Step::OutOfFuel) => {
            "out of fuel: the total fuel budget ran out (raise it with `--fuel N`)".into()
        }
        Some(Step::Preempted) | None => "not run".into(),
    };
    outln!("status: {state}");
    outln!("outputs:{}", if t.outputs.is_empty() { " none" } else { "" });
    for o in &t.outputs {
        match &o.value {
            Some(value) => outln!("  {:<16} {:<12} {value}", o.output, o.hex),
            None => outln!("  {:<16} {}", o.output, o.hex),
        }
    }
    if !t.logs.is_empty() {
        outln!("logs:");
        for l in &t.logs {
            outln!("  [{}] {}", l.level, l.message);
        }
    }
    if !t.errors.is_empty() {
        outln!("errors:");
        for e in &t.errors {
            outln!("  {e}");
        }
    }
    outln!("fuel consumed: {}", t.fuel_consumed);
}

fn signature(f: &FuncInfo) -> String {
    let list = |types: &[wasm_sdk_host::inspect::ValType]| {
        types.iter().map(|t| format!("{t}")).collect::<Vec<_>>().join(", ")
    };
    format!("({}) -> ({})", list(&f.params), list(&f.results))
}

fn inspect(args: InspectArgs) -> Result<(), String> {
    let json = args.json;
    // The verdict of `--catalog` comes after the report, which holds it.
    json_error(json, inspect_module(args))?
}

/// The module's report; `Err` when there is none to print, `Ok(Err)` when
/// a port would be refused by the device of `--catalog`.
fn inspect_module(args: InspectArgs) -> Result<Result<(), String>, String> {
    let profile = args.device.profile()?;
    let mut builder = args.device.builder(profile.as_ref());
    if args.sizes {
        // The release build, with the name section the profile strips.
        builder = builder.env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo");
    }
    let path = module_path(&args.module, args.target_dir.as_deref(), builder)?;
    let wasm =
        std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let sizes = match args.sizes {
        true => Some(ModuleSizes::of(&wasm)?),
        false => None,
    };
    // Whether the device of `--profile` / `--budget` loads it.
    let device = args.device.given().then(|| {
        let host = args.device.host(profile.as_ref(), TestHost::builder(), []).build();
        (args.device.describe(profile.as_ref()), host.load(&wasm).err().map(|e| e.to_string()))
    });
    let info = ModuleInfo::parse(&wasm).map_err(|e| format!("not a wasm module: {e}"))?;
    let manifest = info.manifest.as_deref().map(Manifest::parse);
    // What loading takes, as a host checks it against `module_heap`.
    let shape = Shape::scan(&wasm).map_err(|e| format!("not a wasm module: {e}"))?;
    let (heap_32, heap_64) = (shape.heap(&Costs::POINTER_32), shape.heap(&Costs::POINTER_64));
    let checks = match &args.catalog {
        None => None,
        Some(file) => {
            let catalog = DeviceCatalog::load(file).map_err(|e| e.to_string())?;
            Some(catalog.check(&wasm).map_err(|e| e.to_string())?)
        }
    };
    let refused = checks.iter().flatten().filter(|c| c.outcome.is_err()).count();
    let verdict = || match (refused, &device) {
        (_, Some((on, Some(reason)))) => Err(format!("{on} would refuse the module: {reason}")),
        (0, _) => Ok(()),
        (n, _) => Err(format!("{n} port(s) would be refused by the device of `{}`", {
            args.catalog.as_deref().unwrap_or(Path::new("")).display()
        })),
    };
    if args.json {
        let funcs = |list: &[FuncInfo]| {
            list.iter()
                .map(|f| json!({"module": f.module, "name": f.name, "signature": signature(f)}))
                .collect::<Vec<_>>()
        };
        let memory = info.memories.first().map(|m| {
            json!({"initial_pages": m.initial, "maximum_pages": m.maximum,
                   "page_size": m.page_size, "initial_bytes": m.initial_bytes()})
        });
        let manifest = match &manifest {
            None => json!(null),
            Some(Err(e)) => json!({"error": e.to_string()}),
            Some(Ok(m)) => {
                let ports = |kind: PortKind| {
                    m.ports(kind)
                        .iter()
                        .enumerate()
                        .map(|(i, name)| match m.port_type(kind, i) {
                            None => json!({"name": name, "type": null}),
                            Some(ty) => {
                                let schema = PortSchema::from_manifest(ty.key, ty.schema);
                                json!({"name": name, "type": {
                                    "name": ty.name(),
                                    "key": ty.key.to_string(),
                                    "schema": schema.as_ref().map(PortSchema::describe).ok(),
                                    "schema_error": schema.err(),
                                }})
                            }
                        })
                        .collect::<Vec<_>>()
                };
                json!({"abi_version": m.abi_version(),
                       "inputs": ports(PortKind::Input),
                       "outputs": ports(PortKind::Output)})
            }
        };
        let others: Vec<_> = info
            .other_exports
            .iter()
            .map(|(name, kind)| json!({"name": name, "kind": format!("{kind:?}").to_lowercase()}))
            .collect();
        let value = json!({
            "size": info.size,
            "imports": funcs(&info.imports),
            "exports": {"functions": funcs(&info.func_exports), "other": others},
            "memory": memory,
            "manifest": manifest,
            "custom_sections": info.custom_sections,
            "load_heap": {"pointer_32": heap_32.total(), "pointer_64": heap_64.total(),
                          "largest": heap_32.largest().0.as_str()},
            "catalog": checks.as_ref().map(|checks| checks.iter().map(|c| {
                let mut entry = json!({"kind": c.kind.as_str(), "port": c.port});
                match &c.outcome {
                    Ok(Binds::Service(name, _)) => entry["service"] = json!(name),
                    Ok(Binds::Topic(topic)) => entry["topic"] = json!(topic),
                    Err(reason) => entry["refused"] = json!(reason),
                }
                entry
            }).collect::<Vec<_>>()),
            "device": device.as_ref().map(|(on, refusal)| {
                json!({"settings": on, "loads": refusal.is_none(), "refused": refusal})
            }),
            "sizes": sizes.as_ref().map(|s| json!({
                "sections": s.sections.iter().map(|(name, bytes)| json!({"name": name, "bytes": bytes})).collect::<Vec<_>>(),
                "functions": s.functions.iter().take(TOP_FUNCTIONS).map(|f| json!({"index": f.index, "name": f.name, "bytes": f.bytes})).collect::<Vec<_>>(),
                "named": s.named,
                "fmt": s.fmt.as_ref().map(|fmt| json!({"functions": fmt.functions, "bytes": fmt.bytes, "reached_from": fmt.reached_from})),
            })),
        });
        outln!("{value}");
        return Ok(verdict());
    }
    outln!("size: {} bytes", info.size);
    outln!(
        "load heap: up to {} bytes on a 32-bit device, {} on a 64-bit host (HostConfig::module_heap); most for its {}",
        heap_32.total(),
        heap_64.total(),
        heap_32.largest().0.as_str(),
    );
    outln!("imports:");
    for f in &info.imports {
        outln!("  {}.{} {}", f.module, f.name, signature(f));
    }
    for (module, name) in &info.other_imports {
        outln!("  {module}.{name} (not a function)");
    }
    outln!("exports:");
    for f in &info.func_exports {
        outln!("  {} {}", f.name, signature(f));
    }
    for (name, kind) in &info.other_exports {
        outln!("  {name} ({})", format!("{kind:?}").to_lowercase());
    }
    for m in &info.memories {
        let max = m.maximum.map_or("unbounded".to_owned(), |p| p.to_string());
        outln!(
            "memory: {} pages min, {max} max, page size {} bytes ({} bytes at start)",
            m.initial,
            m.page_size,
            m.initial_bytes()
        );
    }
    match &manifest {
        None => outln!("manifest: none (not built with #[task_run])"),
        Some(Err(e)) => outln!("manifest: malformed ({e})"),
        Some(Ok(m)) => {
            outln!("manifest: ABI version {}", m.abi_version());
            for (kind, title) in [(PortKind::Input, "inputs:"), (PortKind::Output, "outputs:")] {
                outln!("  {title}{}", if m.ports(kind).is_empty() { " none" } else { "" });
                for (i, name) in m.ports(kind).iter().enumerate() {
                    match m.port_type(kind, i) {
                        None => outln!("    {name:<16} bytes (untyped)"),
                        Some(ty) => match PortSchema::from_manifest(ty.key, ty.schema) {
                            Ok(schema) => outln!(
                                "    {name:<16} {} (key {}): {}",
                                ty.name(),
                                ty.key,
                                schema.describe()
                            ),
                            Err(e) => outln!("    {name:<16} {} (key {}): {e}", ty.name(), ty.key),
                        },
                    }
                }
            }
        }
    }
    if let Some(sizes) = &sizes {
        print_sizes(sizes);
    }
    if let Some((on, refusal)) = &device {
        match refusal {
            None => outln!("on {on}: loads"),
            Some(reason) => outln!("on {on}: REFUSED: {reason}"),
        }
    }
    if let (Some(checks), Some(file)) = (&checks, &args.catalog) {
        outln!("on the device of `{}`:", file.display());
        for check in checks {
            outln!("  {check}");
        }
    }
    Ok(verdict())
}

/// How many of the largest functions `inspect --sizes` lists.
const TOP_FUNCTIONS: usize = 10;

/// `inspect --sizes` as text.
fn print_sizes(sizes: &ModuleSizes) {
    let names = sizes.sections.iter().find(|(name, _)| name == "custom `name`").map(|s| s.1);
    match names {
        Some(bytes) => outln!(
            "where the bytes go ({} B; {} B as released, without the name section kept for this report):",
            sizes.total,
            sizes.total.saturating_sub(bytes)
        ),
        None => outln!("where the bytes go ({} B):", sizes.total),
    }
    let mut sections = sizes.sections.clone();
    sections.sort_by_key(|s| std::cmp::Reverse(s.1));
    let list: Vec<String> =
        sections.iter().map(|(name, bytes)| format!("{name} {bytes}")).collect();
    outln!("  sections: {}", list.join(", "));
    outln!("  largest functions (body bytes):");
    for f in sizes.functions.iter().take(TOP_FUNCTIONS) {
        let name = f.name.clone().unwrap_or_else(|| format!("function {}", f.index));
        outln!("    {:>6}  {name}", f.bytes);
    }
    match (&sizes.fmt, sizes.named) {
        (_, false) => outln!(
            "  core::fmt: cannot tell, the module has no name section (pass the guest crate's \
             directory: it is built with its names for --sizes)"
        ),
        (None, true) => outln!("  core::fmt: not linked"),
        (Some(fmt), true) => {
            outln!(
                "  core::fmt: {} functions, {} B, reached from: {}",
                fmt.functions,
                fmt.bytes,
                fmt.reached_from.join(", ")
            );
            outln!(
                "    (a panic site that survives optimization, or a `write!`; built with LTO, \
                 as `cargo wasm` and this tool build, a panic links none of it)"
            );
        }
    }
}

/// Writes one line to stdout; see [`outln!`].
fn write_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}
