//! A low-pass filter on a sensor stream (the `biquad` crate's transposed
//! direct form II), with a cutoff the host can change at run time: new
//! coefficients are computed on the device (`from_params`, with `libm`'s
//! trigonometry).
//!
//! Inputs: `sample` ([`Sample`]) and `cutoff` ([`Cutoff`]). Output:
//! `filtered` ([`Sample`]), one per sample. It stops when `sample` is
//! closed.

#![no_std]

use biquad::{Biquad, Coefficients, DirectForm2Transposed, Hertz, Q_BUTTERWORTH_F32, Type};
use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::{
    Error, InputIdx, LogLevel, Result, define_alloc_heap, define_panic_handlers, log, task_run,
};

define_alloc_heap!(1024);
define_panic_handlers!();

/// The stream's sampling rate.
const SAMPLE_RATE_HZ: f32 = 1000.0;

/// One sample of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Sample {
    /// The value, in the sensor's unit.
    pub value: f32,
}

/// A new cutoff frequency for the filter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Cutoff {
    /// Hertz; one that `biquad` refuses (outside its Nyquist check) is
    /// logged and ignored.
    pub hz: f32,
}

/// Coefficients that pass the input through.
const PASS_THROUGH: Coefficients<f32> =
    Coefficients { a1: 0.0, a2: 0.0, b0: 1.0, b1: 0.0, b2: 0.0 };

/// Butterworth low-pass coefficients for `cutoff_hz`, if it is valid.
fn low_pass(cutoff_hz: f32) -> Option<Coefficients<f32>> {
    let fs = Hertz::<f32>::from_hz(SAMPLE_RATE_HZ).ok()?;
    let f0 = Hertz::<f32>::from_hz(cutoff_hz).ok()?;
    Coefficients::<f32>::from_params(Type::LowPass, fs, f0, Q_BUTTERWORTH_F32).ok()
}

#[task_run(inputs(sample: Sample, cutoff: Cutoff), outputs(filtered: Sample))]
fn run() -> Result<()> {
    let mut filter = DirectForm2Transposed::<f32>::new(low_pass(50.0).unwrap_or(PASS_THROUGH));
    // A new cutoff waiting beside a sample applies to it.
    let both: [InputIdx; 2] = [Input::Cutoff.into(), Input::Sample.into()];
    let mut listen: &[InputIdx] = &both;
    loop {
        if Input::wait(listen)? == Input::Cutoff {
            match Input::Cutoff.receive() {
                Ok(cutoff) => match low_pass(cutoff.hz) {
                    Some(coefficients) => filter.update_coefficients(coefficients),
                    None => log("cutoff refused by biquad", LogLevel::Warn)?,
                },
                // No more cutoffs: wait on samples only.
                Err(Error::InputClosed) => listen = &both[1..],
                Err(error) => return Err(error),
            }
            continue;
        }
        let sample = Input::Sample.receive()?;
        Output::Filtered.send(&Sample { value: filter.run(sample.value) })?;
    }
}
