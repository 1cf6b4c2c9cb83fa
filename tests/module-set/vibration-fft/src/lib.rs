//! A vibration sensor's spectrum (the `microfft` crate's real FFT): each
//! message on `block` is 32 samples, little-endian `i16`, taken at
//! [`SAMPLE_RATE_HZ`]; the module removes the mean, applies a Hann window,
//! and sends the strongest frequency with its share of the block's energy.
//!
//! Input: `block` (raw bytes: 64). Output: `peak` ([`Peak`]). A block of
//! another length is skipped. It stops when `block` is closed.

#![no_std]

use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::{
    LogLevel, Result, define_alloc_heap, define_panic_handlers, log, receive, task_run,
};

define_alloc_heap!(1024);
define_panic_handlers!();

/// Samples per block.
pub const N: usize = 32;
/// The accelerometer's sampling rate.
pub const SAMPLE_RATE_HZ: f32 = 3200.0;

/// The strongest frequency of a block.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Peak {
    /// Its frequency in hertz (the bin's center).
    pub hz: f32,
    /// Its power (squared magnitude, in the sensor's unit squared).
    pub power: f32,
    /// Its share of the block's power, 0 to 1.
    pub share: f32,
}

/// Hann window, computed once (the cosines of a 32-point table by the
/// recurrence cos((k+1)x) = 2 cos(x) cos(kx) - cos((k-1)x)).
fn hann() -> [f32; N] {
    let step = 2.0 * core::f32::consts::PI / (N - 1) as f32;
    // cos(step) by its Taylor series: no libm needed for one value.
    let x2 = step * step;
    let c1 = 1.0 - x2 / 2.0 + x2 * x2 / 24.0 - x2 * x2 * x2 / 720.0;
    let mut window = [0.0; N];
    let (mut prev, mut cos) = (c1, 1.0f32);
    for w in &mut window {
        *w = 0.5 - 0.5 * cos;
        let next = 2.0 * c1 * cos - prev;
        prev = cos;
        cos = next;
    }
    window
}

#[task_run(inputs(block), outputs(peak: Peak))]
fn run() -> Result<()> {
    let window = hann();
    let mut raw = [0u8; 2 * N];
    loop {
        if receive(&mut raw, Input::Block)? != 2 * N {
            log("block skipped: not 32 samples", LogLevel::Warn)?;
            continue;
        }
        let mut samples = [0.0f32; N];
        for (sample, bytes) in samples.iter_mut().zip(raw.chunks_exact(2)) {
            *sample = f32::from(i16::from_le_bytes([bytes[0], bytes[1]]));
        }
        let mean = samples.iter().sum::<f32>() / N as f32;
        for (sample, w) in samples.iter_mut().zip(&window) {
            *sample = (*sample - mean) * w;
        }
        let spectrum = microfft::real::rfft_32(&mut samples);
        // Bin 0 packs the DC and Nyquist terms: skip it.
        let mut total = 0.0;
        let (mut best, mut best_power) = (0, 0.0);
        for (bin, c) in spectrum.iter().enumerate().skip(1) {
            let power = c.norm_sqr();
            total += power;
            if power > best_power {
                (best, best_power) = (bin, power);
            }
        }
        let share = if total > 0.0 { best_power / total } else { 0.0 };
        let hz = best as f32 * SAMPLE_RATE_HZ / N as f32;
        Output::Peak.send(&Peak { hz, power: best_power, share })?;
    }
}
