//! Port indices: what the SDK's calls take to name an input or output.

/// Index of one of the module's inputs.
///
/// `#[task_run]` generates an `Input` enum that converts into this; a raw
/// `u8` index converts too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InputIdx(pub u8);

/// Index of one of the module's outputs.
///
/// `#[task_run]` generates an `Output` enum that converts into this; a raw
/// `u8` index converts too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutputIdx(pub u8);

impl From<u8> for InputIdx {
    fn from(idx: u8) -> Self {
        InputIdx(idx)
    }
}

impl From<u8> for OutputIdx {
    fn from(idx: u8) -> Self {
        OutputIdx(idx)
    }
}
