//! The first stage of a two-module pipeline on a catalog firmware: a
//! moving mean of the firmware's `temperature`, published for other
//! guests on the topic `smoothed` (`examples/smoothed-alarm` subscribes).
//!
//! Input: `temperature` ([`Reading`], the firmware's sensor). Output:
//! `#[topic] smoothed` ([`Reading`]): after each reading, the mean of the
//! last [`WINDOW`] readings (of those there are, at the start), rounded
//! toward zero. The topic's send waits while a subscriber's queue is full,
//! so no mean is lost between the two guests. It stops when `temperature`
//! is closed.

#![no_std]

use module_examples_common::Reading;
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, task_run};

// Never used (the linker drops the arena), but the SDK links `alloc`.
define_alloc_heap!(1024);
define_panic_handlers!();

/// Readings in the mean.
pub const WINDOW: usize = 4;

/// The last [`WINDOW`] readings and their mean.
#[derive(Clone, Debug, Default)]
pub struct Mean {
    window: [i16; WINDOW],
    /// Where the next reading goes.
    next: usize,
    /// Readings in `window`, up to [`WINDOW`].
    len: usize,
}

impl Mean {
    /// Takes a reading; returns the mean of the last [`WINDOW`] (fewer
    /// before there are that many), rounded toward zero.
    pub fn push(&mut self, deci_celsius: i16) -> i16 {
        // Each index taken `% WINDOW` or `min(WINDOW)` where it is used:
        // the optimizer sees it in bounds and links no panic path.
        self.window[self.next % WINDOW] = deci_celsius;
        self.next = (self.next + 1) % WINDOW;
        self.len = (self.len + 1).min(WINDOW);
        let filled = &self.window[..self.len.min(WINDOW)];
        let sum: i32 = filled.iter().map(|&v| i32::from(v)).sum();
        // `filled` holds 1 to 4 readings; `max(1)` says so to the
        // optimizer, which then drops the division-by-zero panic. The mean
        // of i16 values is an i16.
        (sum / filled.len().max(1) as i32) as i16
    }
}

#[task_run(inputs(temperature: Reading), outputs(#[topic] smoothed: Reading))]
fn run() -> Result<()> {
    let mut mean = Mean::default();
    loop {
        let reading = Input::Temperature.receive()?;
        let deci_celsius = mean.push(reading.deci_celsius);
        Output::Smoothed.send(&Reading { deci_celsius })?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_of_the_last_four() {
        let mut mean = Mean::default();
        let means = [240, 260, 260, 260, 220, -100].map(|t| mean.push(t));
        // 240, (240+260)/2, 760/3 = 253.3, 1020/4, 1000/4, 640/4.
        assert_eq!(means, [240, 250, 253, 255, 250, 160]);
        // Toward zero below zero too, and no overflow at the extremes.
        let mut cold = Mean::default();
        assert_eq!([-5, -6].map(|t| cold.push(t)), [-5, -5]);
        let mut hot = Mean::default();
        assert_eq!([i16::MAX; 5].map(|t| hot.push(t)), [i16::MAX; 5]);
    }
}
