//! Why a module was refused, and why a guest trapped.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use wasm_sdk_abi::manifest::{ManifestError, PortKind};
use wasm_sdk_abi::run::Trap;
use wasm_sdk_abi::schema::{Mismatch, PortType, TypeKey};

use crate::budget::Budget;
use crate::shape::Part;

/// [`LoadError::over`]'s text.
struct Over(Option<(Budget, u64)>);

impl fmt::Display for Over {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some((budget, value)) => write!(
                f,
                "the host's budget `{budget}` of {value} {} (`HostConfig::{budget}`)",
                budget.unit()
            ),
            None => f.write_str("the host's budget"),
        }
    }
}

/// Why [`Host::load`](crate::Host::load) refused a module. Each variant
/// names what is wrong and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadError {
    /// Not a well-formed Wasm module (garbage, truncated, a component).
    Malformed(String),
    /// Well-formed but invalid, or uses features the host does not enable.
    Invalid(String),
    /// The module is larger than the host's `max_module_size`; nothing of it
    /// was parsed.
    ModuleTooLarge {
        /// The module's size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// More functions than the host's `max_functions`.
    TooManyFunctions {
        /// The module's functions, imported and defined.
        found: u32,
        /// The limit.
        max: u32,
    },
    /// A function declares more locals (parameters included) than the
    /// host's `max_locals`.
    TooManyLocals {
        /// The function's index (imports first, as in the name section).
        function: u32,
        /// Its locals.
        found: u32,
        /// The limit.
        max: u32,
    },
    /// More custom sections than the host's `max_custom_sections`.
    CustomSections {
        /// The module's custom sections.
        found: u32,
        /// The limit.
        max: u32,
    },
    /// An import the `connectors` ABI does not offer (other module, unknown
    /// name, or not a function).
    UnknownImport {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
    /// A `connectors` import with the wrong signature.
    ImportSignature {
        /// Import name.
        name: String,
        /// Number of `i32` parameters the ABI defines (result: one `i32`).
        expected_params: usize,
    },
    /// `run_task` or `memory` is not exported.
    MissingExport(&'static str),
    /// `run_task` is not `() -> i32`.
    RunTaskSignature,
    /// The module has a start function, which would run outside any step.
    StartFunction,
    /// More than one memory, a 64-bit or a shared memory.
    UnsupportedMemory,
    /// The module's initial memory exceeds the host's budget.
    MemoryTooLarge {
        /// Bytes the module needs at start.
        needed: u64,
        /// The host's budget in bytes.
        budget: u64,
    },
    /// Loading the module would take more heap than the host's
    /// `module_heap` budget ([`Shape::heap`](crate::Shape::heap)); nothing
    /// of it was loaded.
    ModuleHeap {
        /// The estimated heap, in bytes.
        estimated: u64,
        /// The budget (`HostConfig::module_heap`).
        budget: u64,
        /// The part of the module that costs most.
        part: Part,
        /// That part's bytes.
        part_bytes: u64,
    },
    /// No `wasm-sdk.manifest` section: not built with `#[task_run]`.
    MissingManifest,
    /// The manifest section is malformed.
    Manifest(ManifestError),
    /// The manifest names an ABI version this host does not support.
    AbiVersion {
        /// Version in the module.
        found: u16,
        /// The newest version this host reads (it reads every version from
        /// `MIN_ABI_VERSION` on).
        supported: u16,
    },
    /// A typed port whose message type is not the one the host's channel
    /// carries ([`Host::load_typed`](crate::Host::load_typed)).
    PortType {
        /// Input or output.
        kind: PortKind,
        /// The port's name.
        port: String,
        /// What the host's channel carries.
        declared: PortType,
        /// The module's type for the port: its name and key.
        found: (String, TypeKey),
    },
    /// Instantiation failed (e.g. a data segment outside memory).
    Instantiate(String),
    /// [`Host::load_trusted`](crate::Host::load_trusted): the module carries
    /// no `wasm-sdk.validated` stamp for this host's engine configuration
    /// ([`HostConfig::engine_stamp`](crate::HostConfig::engine_stamp));
    /// [`Host::stamp`](crate::Host::stamp): it carries another one.
    NotValidated {
        /// The stamp it carries, if any.
        found: Option<Vec<u8>>,
    },
}

impl LoadError {
    /// What is wrong, as a static text: what [`Display`](fmt::Display)
    /// says, without the numbers and names it formats. Firmware logs and
    /// answers with it (an SMP reason) without `core::fmt`, whose
    /// formatting machinery costs flash on a microcontroller.
    pub fn as_str(&self) -> &'static str {
        match self {
            LoadError::Malformed(_) => "not a wasm module",
            LoadError::Invalid(_) => "invalid module",
            LoadError::ModuleTooLarge { .. } => "module larger than the host takes",
            LoadError::TooManyFunctions { .. } => "module has more functions than the host takes",
            LoadError::TooManyLocals { .. } => "a function has more locals than the host takes",
            LoadError::CustomSections { .. } => {
                "module has more custom sections than the host takes"
            }
            LoadError::UnknownImport { .. } => "import outside the connectors ABI",
            LoadError::ImportSignature { .. } => "import with the wrong signature",
            LoadError::MissingExport(_) => "missing export",
            LoadError::RunTaskSignature => "`run_task` is not `() -> i32`",
            LoadError::StartFunction => "module has a start function",
            LoadError::UnsupportedMemory => "module memory is not one 32-bit unshared memory",
            LoadError::MemoryTooLarge { .. } => "initial memory over the host's budget",
            LoadError::ModuleHeap { .. } => {
                "loading the module would take more heap than `HostConfig::module_heap`"
            }
            LoadError::MissingManifest => "no `wasm-sdk.manifest` section",
            LoadError::Manifest(_) => "malformed `wasm-sdk.manifest` section",
            LoadError::AbiVersion { .. } => "unsupported ABI version",
            LoadError::PortType { kind: PortKind::Input, .. } => {
                "the module's input type differs from the firmware's channel"
            }
            LoadError::PortType { kind: PortKind::Output, .. } => {
                "the module's output type differs from the firmware's channel"
            }
            LoadError::Instantiate(_) => "instantiation failed",
            LoadError::NotValidated { .. } => {
                "module not validated and stamped for this host's engine"
            }
        }
    }

    /// The budget that refused the module and its value, for a refusal by
    /// one of [`HostConfig`](crate::HostConfig)'s budgets: what to raise,
    /// if the device allows it, or what to shrink the module under.
    pub fn budget(&self) -> Option<(Budget, u64)> {
        let wide = |n: usize| n as u64;
        match *self {
            LoadError::ModuleTooLarge { max, .. } => Some((Budget::MaxModuleSize, wide(max))),
            LoadError::TooManyFunctions { max, .. } => Some((Budget::MaxFunctions, max.into())),
            LoadError::TooManyLocals { max, .. } => Some((Budget::MaxLocals, max.into())),
            LoadError::CustomSections { max, .. } => Some((Budget::MaxCustomSections, max.into())),
            LoadError::MemoryTooLarge { budget, .. } => Some((Budget::MemoryBudget, budget)),
            LoadError::ModuleHeap { budget, .. } => Some((Budget::ModuleHeap, budget)),
            _ => None,
        }
    }

    /// "the host's `NAME` budget of N UNIT (`HostConfig::NAME`)", for the
    /// refusals by a budget: each names it the same way.
    fn over(&self) -> Over {
        Over(self.budget())
    }

    pub(crate) fn port_type(mismatch: Mismatch<'_>) -> Self {
        LoadError::PortType {
            kind: mismatch.kind,
            port: mismatch.port.into(),
            declared: mismatch.declared,
            found: (mismatch.found.1.into(), mismatch.found.0),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Malformed(e) => write!(f, "not a wasm module: {e}"),
            LoadError::Invalid(e) => write!(f, "invalid module: {e}"),
            LoadError::ModuleTooLarge { size, .. } => {
                write!(f, "module is {size} bytes, over {}", self.over())
            }
            LoadError::TooManyFunctions { found, .. } => {
                write!(f, "module has {found} functions, over {}", self.over())
            }
            LoadError::TooManyLocals { function, found, .. } => {
                write!(f, "function {function} has {found} locals, over {}", self.over())
            }
            LoadError::CustomSections { found, .. } => {
                write!(f, "module has {found} custom sections, over {}", self.over())
            }
            LoadError::UnknownImport { module, name } => write!(
                f,
                "import `{module}.{name}` is not part of the `connectors` ABI; guests may only \
                 import `connectors` functions"
            ),
            LoadError::ImportSignature { name, expected_params } => write!(
                f,
                "import `connectors.{name}` has the wrong signature; expected {expected_params} \
                 `i32` parameters and one `i32` result"
            ),
            LoadError::MissingExport(name) => write!(f, "module does not export `{name}`"),
            LoadError::RunTaskSignature => {
                f.write_str("export `run_task` must be a function `() -> i32`")
            }
            LoadError::StartFunction => {
                f.write_str("module has a start function; guests must do their work in `run_task`")
            }
            LoadError::UnsupportedMemory => {
                f.write_str("module must define exactly one 32-bit, non-shared memory")
            }
            LoadError::MemoryTooLarge { needed, .. } => {
                write!(f, "module needs {needed} bytes of memory at start, over {}", self.over())
            }
            LoadError::ModuleHeap { estimated, part, part_bytes, .. } => write!(
                f,
                "loading the module would take up to {estimated} bytes of heap, {part_bytes} of \
                 them for its {}, over {}",
                part.as_str(),
                self.over()
            ),
            LoadError::MissingManifest => f.write_str(
                "module has no `wasm-sdk.manifest` section; build it with `#[task_run]`",
            ),
            LoadError::Manifest(e) => write!(f, "bad `wasm-sdk.manifest` section: {e}"),
            LoadError::AbiVersion { found, supported } => write!(
                f,
                "module was built for ABI version {found}; this host supports versions {} to \
                 {supported}",
                wasm_sdk_abi::manifest::MIN_ABI_VERSION
            ),
            // The text `Mismatch` gives, from one place.
            LoadError::PortType { kind, port, declared, found } => {
                Mismatch { kind: *kind, port, declared: *declared, found: (found.1, &found.0) }
                    .fmt(f)
            }
            LoadError::Instantiate(e) => write!(f, "instantiation failed: {e}"),
            LoadError::NotValidated { found: None } => f.write_str(
                "module is not stamped as validated (`wasm-sdk.validated`); this host does not \
                 validate modules itself: stamp and sign it (`wasm-sdk sign`)",
            ),
            LoadError::NotValidated { found: Some(found) } => write!(
                f,
                "module was validated for another engine configuration (stamp {found:02x?})"
            ),
        }
    }
}

impl core::error::Error for LoadError {}

/// The trap for a wasmi error that ended a call.
pub(crate) fn trap(error: &wasmi::Error) -> Trap {
    Trap::new(describe(error))
}

/// A wasmi error's description without wasmi's `Display` impls: formatting
/// every error kind links kilobytes of code into firmware (measured on the
/// nRF5340 host; the book's figures page, "Flash levers"). Traps keep the spec's message; other kinds name the kind.
pub(crate) fn describe(error: &wasmi::Error) -> &str {
    use wasmi::errors::ErrorKind;
    match error.kind() {
        ErrorKind::TrapCode(code) => code.trap_message(),
        ErrorKind::Message(message) => message,
        ErrorKind::Wasm(e) => e.message(),
        ErrorKind::Host(_) => "host error",
        ErrorKind::Memory(_) => "linear memory error",
        ErrorKind::Table(_) => "table error",
        ErrorKind::Global(_) => "global error",
        ErrorKind::Linker(_) => "linker error: an import is missing or mistyped",
        ErrorKind::Instantiation(_) => "instantiation error",
        ErrorKind::Fuel(_) => "fuel error",
        ErrorKind::Func(_) => "function signature mismatch",
        ErrorKind::Read(_) => "cannot read the module",
        ErrorKind::Translation(_) => "translation error",
        ErrorKind::UserLimits(_) | ErrorKind::ImplementationLimits(_) => {
            "module exceeds an engine limit"
        }
        _ => "engine error",
    }
}
