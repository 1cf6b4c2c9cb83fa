//! Messages of the `{{name}}` module, shared by the guest, its tests and
//! any host that feeds it.
//!
//! They travel as postcard bytes: integers are varints, so
//! `Sample { value: 5 }` is the byte `05` and `Total { count: 2, sum: 12 }`
//! is `02 0c`. `Schema` puts each type's schema in the module's manifest
//! (hosts check it at load; tools encode and decode JSON with it), and
//! `MaxSize` sizes the typed ports' buffers.

#![no_std] // linked into a no_std guest

use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};

/// One measurement, received on input `sample`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Sample {
    /// The measured value.
    pub value: u32,
}

/// The running total, sent on output `total` after every sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Total {
    /// Samples received so far.
    pub count: u32,
    /// Sum of their values.
    pub sum: u32,
}

impl Total {
    /// Adds a sample. Saturating: an overflow would panic in a debug test
    /// build and wrap silently in the release `.wasm`.
    pub fn add(&mut self, sample: Sample) {
        self.count = self.count.saturating_add(1);
        self.sum = self.sum.saturating_add(sample.value);
    }
}
