//! The book's figure tables are made from the data files of `figures/`,
//! which the scripts and tests that measure write (`figures/README.md`):
//! each table of `docs/src/reference/figures.md` between a
//! `<!-- figures:NAME ... -->` and `<!-- /figures:NAME -->` marker is what
//! this test renders from the data, so the book cannot drift from the last
//! measurement. `UPDATE_GOLDEN=1` rewrites the tables.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use wasm_sdk_tests::workspace_root;

const PAGE: &str = "docs/src/reference/figures.md";

/// The data files of `figures/`, by name without `.toml`.
struct Data(BTreeMap<String, toml::Table>);

impl Data {
    fn load() -> Self {
        let dir = workspace_root().join("figures");
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).expect("figures/") {
            let path = entry.expect("figures/ entry").path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("figures file");
            let name = path.file_stem().expect("name").to_string_lossy().into_owned();
            assert!(
                text.starts_with("# Figures measured by:\n#   "),
                "figures/{name}.toml lacks its header naming the command that writes it"
            );
            let table: toml::Table =
                text.parse().unwrap_or_else(|e| panic!("figures/{name}.toml: {e}"));
            for (key, value) in &table {
                assert!(value.is_table(), "figures/{name}.toml: `{key}` is outside a [table]");
            }
            files.insert(name, table);
        }
        Self(files)
    }

    /// `[table] key` of `figures/<file>.toml`.
    fn get(&self, file: &str, table: &str, key: &str) -> Option<&toml::Value> {
        self.0.get(file)?.get(table)?.get(key)
    }

    fn int(&self, file: &str, table: &str, key: &str) -> Option<i64> {
        self.get(file, table, key)?.as_integer()
    }

    fn float(&self, file: &str, table: &str, key: &str) -> Option<f64> {
        match self.get(file, table, key)? {
            toml::Value::Float(f) => Some(*f),
            toml::Value::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The `[run]` table's machine and date, if the file has them.
    fn run(&self, file: &str) -> String {
        let text = |key| self.get(file, "run", key).and_then(toml::Value::as_str);
        match (text("machine"), text("date")) {
            (Some(machine), Some(date)) => format!("Last measured on {date}, {machine}."),
            _ => String::new(),
        }
    }
}

/// `n` with thousands separators: 1,746.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("−{out}") } else { out }
}

/// A size in bytes, or a dash when not measured.
fn bytes(n: Option<i64>) -> String {
    n.map_or_else(|| "–".to_owned(), |n| format!("{} B", thousands(n)))
}

/// A size in KiB with one decimal (whole sizes of 64 KiB and more without),
/// or a dash.
fn kib(n: Option<i64>) -> String {
    match n {
        None => "–".to_owned(),
        // Budgets: whole KiB.
        Some(n) if n % 1024 == 0 && n >= 64 * 1024 => format!("{} KiB", n / 1024),
        Some(n) => format!("{:.1} KiB", n as f64 / 1024.0),
    }
}

fn sub(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    Some(a? - b?)
}

/// A rate per second in millions, or a dash.
fn millions(n: Option<f64>) -> String {
    n.map_or_else(|| "–".to_owned(), |n| format!("{:.2} M/s", n / 1e6))
}

fn float(n: Option<f64>, decimals: usize, suffix: &str) -> String {
    match n {
        None => "–".to_owned(),
        Some(n) if decimals == 0 => format!("{}{suffix}", thousands(n.round() as i64)),
        Some(n) => format!("{n:.decimals$}{suffix}"),
    }
}

const GUESTS: [&str; 10] = [
    "counter",
    "echo",
    "alarm",
    "thermostat",
    "smoother",
    "smoothed-alarm",
    "heartbeat",
    "faulty",
    "primes",
    "coremark",
];

fn guest_sizes(d: &Data) -> String {
    let mut t = String::from(
        "| module | `wasm32-unknown-unknown` | + `wasm-opt -Oz` | `wasm32v1-none` (MVP) | + `wasm-opt -Oz` |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for guest in GUESTS {
        let size = |table: &str| d.int("guests", table, guest);
        let mut first = bytes(size("wasm32-unknown-unknown"));
        if guest == "counter" {
            first =
                format!("**{first}** (CI budget {})", bytes(d.int("guests", "counter", "budget")));
        }
        if guest == "echo" {
            first +=
                &format!(" (`.get(..n)` form: {})", bytes(d.int("guests", "echo-forms", "get")));
        }
        let _ = writeln!(
            t,
            "| `{guest}.wasm` | {first} | {} | {} | {} |",
            bytes(size("wasm32-unknown-unknown-wasm-opt")),
            bytes(size("wasm32v1-none")),
            bytes(size("wasm32v1-none-wasm-opt")),
        );
    }
    t
}

fn typed_ports(d: &Data) -> String {
    let c = |key| d.int("guests", "counter", key);
    format!(
        "| form | module | manifest |\n\
         |---|---:|---:|\n\
         | typed (`Counter` ports) | {} | {} |\n\
         | untyped (the talk's slide) | {} | {} |\n\
         | typed minus untyped | {} | {} |\n",
        bytes(c("typed")),
        bytes(c("typed_manifest")),
        bytes(c("talk")),
        bytes(c("talk_manifest")),
        bytes(sub(c("typed"), c("talk"))),
        bytes(sub(c("typed_manifest"), c("talk_manifest"))),
    )
}

/// The obvious form of a module beside its panic-free or hand-tuned form,
/// which the guests test holds it within 10% of.
fn indexing_forms(d: &Data) -> String {
    let g = |table, key| d.int("guests", table, key);
    let get = g("counter-forms", "get");
    format!(
        "| module | obvious form | reference form |\n\
         |---|---:|---:|\n\
         | `echo`: `&buf[..n]`, against `.get(..n)` | {} | {} |\n\
         | `counter` with lengths: `&buffer[..n]` and `&buffer[0..n_write]`, against `.get(..)` | {} | {} |\n\
         | `counter`, the talk's slide: `&buffer[0..n_write]`, against the same `.get(..)` form | {} | {} |\n\
         | `thermostat`: typed ports (`Reading` in, `AlarmEvent` out), against raw calls and `.get(..)` by hand | {} | {} |\n",
        bytes(g("echo-forms", "obvious")),
        bytes(g("echo-forms", "get")),
        bytes(g("counter-forms", "indexed")),
        bytes(get),
        bytes(g("counter-forms", "talk")),
        bytes(get),
        bytes(g("thermostat-forms", "typed")),
        bytes(g("thermostat-forms", "hand")),
    )
}

fn linear_memory(d: &Data) -> String {
    let m = |key| d.int("guests", "tight-memory", key);
    let page = m("page");
    let data = |total: Option<i64>, parts: &[Option<i64>]| {
        parts.iter().try_fold(total?, |rest, part| Some(rest - (*part)?))
    };
    format!(
        "| build | counter | faulty |\n\
         |---|---:|---:|\n\
         | default (`page`) | {} (1 page) | {} (1 page) |\n\
         | `WASM_SDK_MEMORY=tight` (1-byte pages) | **{}** = {} stack + {} data (budget {}) | \
         {} = {} stack + {} heap + {} data |\n",
        bytes(page),
        bytes(page),
        bytes(m("counter")),
        bytes(m("counter_stack")),
        bytes(data(m("counter"), &[m("counter_stack")])),
        bytes(m("counter_budget")),
        bytes(m("faulty")),
        bytes(m("faulty_stack")),
        bytes(m("faulty_heap")),
        bytes(data(m("faulty"), &[m("faulty_stack"), m("faulty_heap")])),
    )
}

/// The module set (`tests/module-set`), in the order its script builds it.
const MODULE_SET: [&str; 9] = [
    "pid-loop",
    "biquad-filter",
    "json-config",
    "sensor-stats",
    "gps-fix",
    "serial-frames",
    "vibration-fft",
    "sha256-stream",
    "signed-command",
];

/// The device profiles the module set is loaded against, and their names.
const MODULE_SET_DEVICES: [(&str, &str); 2] = [("qemu-host", "QEMU"), ("nrf53-host", "nRF5340")];

fn module_set(d: &Data) -> String {
    let int = |table, module| d.int("module-set", table, module);
    let text = |table, module| d.get("module-set", table, module).and_then(toml::Value::as_str);
    let mut t = String::from(
        "| module | crate | without LTO (`cargo build`) | with LTO (`cargo wasm`) | \
         + `wasm-opt -Oz` | load heap (32-bit) | loads on QEMU | loads on nRF5340 |\n\
         |---|---|---:|---:|---:|---:|---|---|\n",
    );
    for module in MODULE_SET {
        let crates = text("crate", module).unwrap_or("–").split(", ");
        let crates: Vec<_> = crates.map(|c| format!("`{c}`")).collect();
        let mut lto = bytes(int("size-lto", module));
        if let Some(data) = int("data-lto", module) {
            lto += &format!(" ({} data)", bytes(Some(data)));
        }
        let loads = |device| match text(device, module) {
            None => "–".to_owned(),
            Some("loads") => "yes".to_owned(),
            Some(budget) => format!("no: `{budget}`"),
        };
        let _ = writeln!(
            t,
            "| `{module}` | {} | {} | {lto} | {} | {} | {} | {} |",
            crates.join(", "),
            bytes(int("size-plain", module)),
            bytes(int("size-wasm-opt", module)),
            bytes(int("load-heap-32", module)),
            loads("qemu-host"),
            loads("nrf53-host"),
        );
    }
    let budgets: Vec<_> = MODULE_SET_DEVICES
        .iter()
        .map(|(device, name)| {
            let b = |key| bytes(d.int("module-set", &format!("budgets-{device}"), key));
            format!(
                "{name} `max_module_size` {}, `module_heap` {}, `memory_budget` {}",
                b("max_module_size"),
                b("module_heap"),
                b("memory_budget"),
            )
        })
        .collect();
    let _ = writeln!(t, "\nThe profiles' budgets: {}.", budgets.join("; "));
    t
}

fn nrf53_flash(d: &Data) -> String {
    let f = |table, key| d.int("nrf53-flash", table, key);
    let base = f("no-wasm", "flash");
    let mut t = format!(
        "| nRF5340 build | firmware flash | static RAM | flash minus the no-wasm build |\n\
         |---|---:|---:|---:|\n\
         | no Wasm (`--features no-wasm`: native stand-ins for the guests) | {} | {} | |\n",
        kib(base),
        kib(f("no-wasm", "ram")),
    );
    let budget = f("default", "flash_budget");
    let rows = [
        ("validation on the device (default)", "default", true),
        ("trusted loading (`--no-default-features`)", "trusted", false),
        ("validation on, with live updates (`--features update`)", "update", true),
        ("trusted loading with live updates and the signature check", "trusted-update", false),
    ];
    for (build, table, with_ram) in rows {
        let flash = f(table, "flash");
        let mut cell = kib(flash);
        if let (Some(flash), Some(budget)) = (flash, budget) {
            cell += &if flash > budget {
                format!(" (over the {} budget)", kib(Some(budget)))
            } else {
                format!(" (budget {})", kib(Some(budget)))
            };
        }
        let ram = if with_ram { kib(f(table, "ram")) } else { String::new() };
        let _ = writeln!(t, "| {build} | {cell} | {ram} | {} |", kib(sub(flash, base)));
    }
    let _ = writeln!(
        t,
        "\nLive updates (SMP server, CBOR, SHA-256, slots, the update path and guest group, \
         UARTE1, NVMC) cost {} of flash and {} of static RAM; the heap is {} of the default \
         build's RAM.\n\n\
         By symbol, in the default build (indicative: LTO moves code between crates):\n\n\
         | part | flash |\n|---|---:|",
        kib(sub(f("update", "flash"), f("default", "flash"))),
        kib(sub(f("update", "ram"), f("default", "ram"))),
        kib(f("default", "heap")),
    );
    fn label(part: &str) -> &str {
        match part {
            "wasmparser" => "wasmparser (validation, parsing)",
            "core" => "core, alloc, compiler-builtins",
            "embassy" => "embassy, drivers, defmt, rt",
            "wasm-sdk-host" => "wasm-sdk-host and the bridge",
            "smp" => "SMP crates",
            "application" => "application (`nrf53_host`)",
            "anonymous" => "anonymous constants",
            "wasm-modules" => "the embedded `.wasm` modules",
            "without-symbol" => "without a symbol (strings, constants, padding)",
            other => other,
        }
    }
    let symbols = d.0.get("nrf53-flash").and_then(|t| t.get("symbols")).and_then(|s| s.as_table());
    let mut parts: Vec<_> =
        symbols.into_iter().flatten().filter_map(|(k, v)| Some((k, v.as_integer()?))).collect();
    // Largest first; the modules and the bytes without a symbol last.
    parts
        .sort_by_key(|(k, v)| (k.as_str() == "wasm-modules" || k.as_str() == "without-symbol", -v));
    for (part, size) in parts {
        let _ = writeln!(t, "| {} | {} |", label(part), kib(Some(size)));
    }
    t
}

fn esp32c6_flash(d: &Data) -> String {
    let f = |table, key| d.int("esp32c6-flash", table, key);
    let flash = f("default", "flash");
    format!(
        "| ESP32-C6 build | bytes |\n\
         |---|---:|\n\
         | flash (budget {}) | **{}** |\n\
         | mapped from flash (`.flash.appdesc .rodata .text`) | {} |\n\
         | copied to SRAM at boot (`.trap .rwtext .data`) | {} |\n\
         | static RAM (RAM code, `.data`, `.bss`) | {} |\n\
         | the heap, of that RAM | {} |\n\
         | firmware without Wasm (`--features no-wasm`: esp-hal, esp-rtos, embassy, services, app) | {} |\n\
         | wasmi, host, bridge, `.wasm` modules (flash minus no-wasm) | {} |\n\
         | of which the embedded `.wasm` modules | {} |\n\
         | static RAM of the no-wasm build (same heap) | {} |\n",
        kib(f("default", "flash_budget")),
        kib(flash),
        kib(f("default", "mapped")),
        kib(f("default", "loaded")),
        kib(f("default", "ram")),
        kib(f("default", "heap")),
        kib(f("no-wasm", "flash")),
        kib(sub(flash, f("no-wasm", "flash"))),
        kib(f("default", "wasm_modules")),
        kib(f("no-wasm", "ram")),
    )
}

fn firmware_beside(d: &Data) -> String {
    let n = |table, key| d.int("nrf53-flash", table, key);
    let e = |table, key| d.int("esp32c6-flash", table, key);
    let ratio = match (
        sub(e("default", "flash"), e("no-wasm", "flash")),
        sub(n("default", "flash"), n("no-wasm", "flash")),
    ) {
        (Some(esp), Some(nrf)) if nrf > 0 => format!("{:.1}x", esp as f64 / nrf as f64),
        _ => "–".to_owned(),
    };
    format!(
        "| | nrf53-host (Cortex-M33, Thumb-2) | esp32c6-host (RV32IMAC) |\n\
         |---|---|---|\n\
         | flash, default build | {} (three guests; budget {}) | {} (two guests; budget {}) |\n\
         | firmware without Wasm (`no-wasm`) | {} (embassy, drivers, defmt) | {} (esp-hal, esp-rtos, embassy) |\n\
         | Wasm's share (flash minus no-wasm) | {} | {} ({ratio} the nRF5340's) |\n",
        kib(n("default", "flash")),
        kib(n("default", "flash_budget")),
        kib(e("default", "flash")),
        kib(e("default", "flash_budget")),
        kib(n("no-wasm", "flash")),
        kib(e("no-wasm", "flash")),
        kib(sub(n("default", "flash"), n("no-wasm", "flash"))),
        kib(sub(e("default", "flash"), e("no-wasm", "flash"))),
    )
}

fn bench_echo(d: &Data) -> String {
    let f = |key| d.float("bench-echo", "echo", key);
    format!(
        "| figure | value |\n\
         |---|---|\n\
         | raw wasmi baseline | {} |\n\
         | test host | {}, **ratio {}** (target ≥ 0.70) |\n\
         | test host with fuel slices | {}, ratio {} |\n\n{}\n",
        millions(f("baseline_per_s")),
        millions(f("test_host_per_s")),
        float(f("test_host_ratio"), 2, ""),
        millions(f("fuel_slices_per_s")),
        float(f("fuel_slices_ratio"), 2, ""),
        d.run("bench-echo"),
    )
}

fn bench_fuel_time(d: &Data) -> String {
    let f = |key: &str| d.float("bench-fuel-time", "fuel-time", key);
    let max = d.int("bench-fuel-time", "fuel-time", "max_locals").map_or("–".into(), thousands);
    let mut t = String::from(
        "| guest shape | ns per unit of fuel | ratio to the plain loop |\n|---|---:|---:|\n",
    );
    let shapes = [
        ("a plain loop (`i32.add`)", "plain"),
        (&*format!("calls a function with {max} locals (the limit) in a loop"), "call_max_locals"),
        ("calls a function with 16,000 locals in a loop (limit lifted)", "call_16000_locals"),
        ("logs 1,000-byte lines (charged by `bytes_per_fuel`)", "log_1000_bytes"),
        ("sends 1 KiB messages (charged by `bytes_per_fuel`)", "send_1_kib"),
    ];
    for (shape, key) in shapes {
        let _ = writeln!(
            t,
            "| {shape} | {} | {} |",
            float(f(&format!("{key}_ns_per_fuel")), 2, ""),
            float(f(&format!("{key}_ratio")), 1, "x"),
        );
    }
    let _ = writeln!(t, "\n{}", d.run("bench-fuel-time"));
    t
}

fn bench_coremark(d: &Data) -> String {
    let f = |key| d.float("bench-coremark", "coremark", key);
    let rate = |n: Option<f64>| float(n, 0, " iterations/s");
    format!(
        "| run | rate | native / guest |\n\
         |---|---:|---:|\n\
         | native x86-64 (`coremark-core`) | {} | |\n\
         | guest on the test host, unmetered | {} | {} |\n\
         | guest on the test host, fuel slices of {} | {} | {} |\n\
         | fuel per iteration | {} | |\n\n{}\n",
        rate(f("native_per_s")),
        rate(f("unmetered_per_s")),
        float(f("unmetered_ratio"), 1, "x"),
        float(f("fuel_per_slice"), 0, ""),
        rate(f("fuel_slices_per_s")),
        float(f("fuel_slices_ratio"), 1, "x"),
        float(f("fuel_per_iteration"), 0, ""),
        d.run("bench-coremark"),
    )
}

fn qemu_checks(d: &Data) -> String {
    let i = |table, key| d.int("qemu-checks", table, key);
    let n = |table, key| bytes(i(table, key)).replace(" B", "");
    let ratio = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (Some(a), Some(b)) if b > 0 => float(Some(a as f64 / b as f64), 2, "x"),
        _ => "?".into(),
    };
    let text = |table, key| {
        d.get("qemu-checks", table, key).and_then(toml::Value::as_str).unwrap_or("?").to_owned()
    };
    format!(
        "| figure | value |\n\
         |---|---|\n\
         | checks passed | {} of {} |\n\
         | counter round trip, idle (check 4) | {} instructions (mean of {} round trips) |\n\
         | counter round trip at interrupt priority, worst (check 6) | {} instructions idle, {} beside the hostile guests |\n\
         | primes below {} in fuel slices (check 2) | {} µs emulated in {} slices, the longest {} µs; native Rust {} µs; ticker worst lateness {} µs |\n\
         | primes, unmetered (check 7) | guest / native {} |\n\
         | CoreMark, {} iterations (check 7) | native {} instructions, guest {} (guest / native {}) |\n\
         | counter guest's heap (check 7) | {} B: engine {}, module and instance {}, linear memory {}, stacks {}; another counter on the same engine {} B; {} B left behind when dropped |\n\
         | install check of heavy modules (check 8) | {} checked, the rest of {} refused by the budget; worst heap peak {} B ({}) against a module budget of {} B |\n\
         | RAM | heap peak {} B of {} ({} B for both guests); stack peak {} B of {} |\n",
        n("checks", "passed"),
        n("checks", "total"),
        n("round-trip", "instructions"),
        n("round-trip", "round_trips"),
        n("latency", "idle_worst_instructions"),
        n("latency", "loaded_worst_instructions"),
        n("primes", "limit"),
        n("primes", "emulated_us"),
        n("primes", "slices"),
        n("primes", "longest_slice_us"),
        n("primes", "native_us"),
        n("primes", "ticker_worst_late_us"),
        ratio(
            i("primes", "unmetered_guest_instructions"),
            i("primes", "unmetered_native_instructions")
        ),
        n("coremark", "iterations"),
        n("coremark", "native_instructions"),
        n("coremark", "guest_instructions"),
        ratio(i("coremark", "guest_instructions"), i("coremark", "native_instructions")),
        n("guest-ram", "total"),
        n("guest-ram", "engine"),
        n("guest-ram", "module"),
        n("guest-ram", "linear_memory"),
        n("guest-ram", "stacks"),
        n("guest-ram", "another"),
        n("guest-ram", "left_behind"),
        n("install", "checked"),
        n("install", "modules"),
        n("install", "worst_peak"),
        text("install", "worst_module"),
        n("install", "module_heap"),
        n("ram", "heap_peak"),
        n("ram", "heap_size"),
        n("ram", "heap_both_guests"),
        n("ram", "stack_peak"),
        n("ram", "stack_size"),
    )
}

fn update(d: &Data) -> String {
    let n = |table, key| bytes(d.int("update", table, key)).replace(" B", "");
    format!(
        "| figure | value |\n\
         |---|---|\n\
         | a {} B module: first upload byte to the new module's first answer ({} requests, {} B of console lines) | {} instructions (swapped in after {}) |\n\
         | heap during upload and swap | {} B before, {} B at the peak |\n\
         | the SMP server's buffers (static) | {} B |\n",
        n("update", "module_bytes"),
        n("update", "requests"),
        n("update", "console_bytes"),
        n("update", "instructions"),
        n("update", "swapped_after"),
        n("update-heap", "before"),
        n("update-heap", "peak"),
        n("update-heap", "smp_server_static"),
    )
}

fn catalog(d: &Data) -> String {
    let ms = |key| d.int("catalog", "catalog", key).map_or("–".into(), thousands);
    let heap = |key| bytes(d.int("catalog", "catalog-heap", key));
    format!(
        "| figure | value |\n\
         |---|---|\n\
         | a {} B module (the thermostat) into a free slot, from the first upload byte | uploaded after {} ms, running after {} ms, its first message after {} ms, confirmed after {} ms |\n\
         | heap in use after the pipeline's two modules are installed and erased | {}, then {} the second time |\n\n{}\n",
        ms("module_bytes"),
        ms("upload_ms"),
        ms("running_ms"),
        ms("first_message_ms"),
        ms("confirmed_ms"),
        heap("after_erase"),
        heap("after_erase_again"),
        d.run("catalog"),
    )
}

/// Renders a table from the data files.
type Render = fn(&Data) -> String;

/// Each generated block: its marker name, its data files, and its renderer.
const BLOCKS: [(&str, &str, Render); 14] = [
    ("guest-sizes", "guests", guest_sizes),
    ("module-set", "module-set", module_set),
    ("indexing-forms", "guests", indexing_forms),
    ("typed-ports", "guests", typed_ports),
    ("linear-memory", "guests", linear_memory),
    ("nrf53-flash", "nrf53-flash", nrf53_flash),
    ("esp32c6-flash", "esp32c6-flash", esp32c6_flash),
    ("firmware-beside", "nrf53-flash, esp32c6-flash", firmware_beside),
    ("bench-echo", "bench-echo", bench_echo),
    ("bench-fuel-time", "bench-fuel-time", bench_fuel_time),
    ("bench-coremark", "bench-coremark", bench_coremark),
    ("qemu-checks", "qemu-checks", qemu_checks),
    ("update", "update", update),
    ("catalog", "catalog", catalog),
];

fn markers(name: &str, files: &str) -> (String, String) {
    let files: Vec<_> = files.split(", ").map(|f| format!("figures/{f}.toml")).collect();
    (
        format!(
            "<!-- figures:{name}: written by tests/tests/figures.rs from {} -->",
            files.join(", ")
        ),
        format!("<!-- /figures:{name} -->"),
    )
}

#[test]
fn the_books_figure_tables_are_the_data_files() {
    let data = Data::load();
    let path: PathBuf = workspace_root().join(PAGE);
    let mut page = std::fs::read_to_string(&path).expect("figures.md");
    let mut stale = Vec::new();
    for (name, files, render) in BLOCKS {
        let (begin, end) = markers(name, files);
        let (Some(b), Some(e)) = (page.find(&begin), page.find(&end)) else {
            panic!("{PAGE} lacks the `{begin}` ... `{end}` block");
        };
        let wanted = format!("\n{}", render(&data));
        if page[b + begin.len()..e] != wanted {
            stale.push(format!("{name}:{wanted}"));
            page = format!("{}{wanted}{}", &page[..b + begin.len()], &page[e..]);
        }
    }
    if !stale.is_empty() {
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, page).expect("write figures.md");
        } else {
            panic!(
                "{PAGE}: tables stale against figures/*.toml; rerun with UPDATE_GOLDEN=1:\n{}",
                stale.join("\n")
            );
        }
    }
}

#[test]
fn every_data_file_is_rendered_or_linked() {
    let data = Data::load();
    let page = std::fs::read_to_string(workspace_root().join(PAGE)).expect("figures.md");
    for name in data.0.keys() {
        let rendered = BLOCKS.iter().any(|(_, files, _)| files.split(", ").any(|f| f == name));
        assert!(
            rendered || page.contains(&format!("figures/{name}.toml")),
            "figures/{name}.toml is neither rendered nor linked from {PAGE}"
        );
    }
}
