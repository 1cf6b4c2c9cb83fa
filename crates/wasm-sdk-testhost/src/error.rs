//! Errors of the test host's own API (the guest's are in the transcript).

use std::fmt;
use std::path::PathBuf;

use wasm_sdk_host::{Budget, LoadError};

/// Why the test host could not do what was asked.
#[derive(Debug)]
#[non_exhaustive]
pub enum TestHostError {
    /// Reading a module file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// Building a guest crate failed; carries cargo's diagnostics.
    Build(String),
    /// A Rust target the build needs is not installed; the text names the
    /// `rustup target add` command.
    MissingTarget(String),
    /// The host refused the module.
    Load(LoadError),
    /// No input with this name or index.
    UnknownInput(String),
    /// No output with this name or index.
    UnknownOutput(String),
    /// A typed message could not be encoded or decoded with postcard.
    Payload(postcard::Error),
    /// A JSON message could not be encoded or decoded with its port's type.
    Json(String),
    /// A catalog file, or a module checked against one, could not be read.
    Catalog(String),
    /// A device profile could not be read.
    Profile(String),
    /// A port of the module binds nothing in the host's catalog
    /// ([`TestHostBuilder::catalog`](crate::TestHostBuilder::catalog)):
    /// the device would refuse the upload, for this reason.
    Bind(String),
}

impl fmt::Display for TestHostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestHostError::Io { path, error } => {
                write!(f, "cannot read `{}`: {error}", path.display())
            }
            TestHostError::Build(log) => write!(f, "guest build failed: {log}"),
            TestHostError::MissingTarget(text) => f.write_str(text),
            TestHostError::Load(e) => {
                write!(f, "cannot load module: {e}")?;
                match e.budget() {
                    Some((budget, _)) => write!(f, "{}", RaiseHint(budget)),
                    None => Ok(()),
                }
            }
            TestHostError::UnknownInput(name) => write!(f, "module has no input `{name}`"),
            TestHostError::UnknownOutput(name) => write!(f, "module has no output `{name}`"),
            TestHostError::Payload(e) => write!(f, "payload: {e}"),
            TestHostError::Json(e) => write!(f, "json: {e}"),
            TestHostError::Catalog(e) => write!(f, "catalog: {e}"),
            TestHostError::Profile(e) => write!(f, "device profile: {e}"),
            TestHostError::Bind(e) => write!(f, "the device would refuse the module: {e}"),
        }
    }
}

/// How to raise a budget on the desktop, after a refusal by it: on the
/// device the firmware's `HostConfig` decides, and its profile says what.
struct RaiseHint(Budget);

impl fmt::Display for RaiseHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.0.name();
        write!(
            f,
            "; to raise it: `--budget {name}=N` (CLI), `TestHostBuilder::budget(Budget::{:?}, \
             ..)` (tests), or a device profile that allows more (`--profile FILE`)",
            self.0
        )
    }
}

impl std::error::Error for TestHostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TestHostError::Io { error, .. } => Some(error),
            TestHostError::Load(e) => Some(e),
            TestHostError::Payload(e) => Some(e),
            _ => None,
        }
    }
}

impl From<LoadError> for TestHostError {
    fn from(e: LoadError) -> Self {
        TestHostError::Load(e)
    }
}
