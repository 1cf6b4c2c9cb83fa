//! A motor's speed loop: a PID controller (the `pid` crate) turns each
//! measured speed into a drive command.
//!
//! Inputs: `speed` ([`Speed`], the measured speed) and `target`
//! ([`Target`], a new setpoint, applied from the next measurement on: one
//! waiting beside a measurement applies to it).
//! Output: `drive` ([`Drive`]: the command and its P, I and D parts), one
//! per measurement. It stops when `speed` is closed.

#![no_std]

use pid::Pid;
use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::{Error, InputIdx, Result, define_alloc_heap, define_panic_handlers, task_run};

define_alloc_heap!(1024);
define_panic_handlers!();

/// A measured speed, in revolutions per minute.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Speed {
    /// Revolutions per minute.
    pub rpm: f32,
}

/// A new setpoint.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Target {
    /// Revolutions per minute.
    pub rpm: f32,
}

/// The drive command for one measurement, with the controller's terms.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Drive {
    /// Duty cycle, -100 to 100 %.
    pub duty: f32,
    /// The proportional term.
    pub p: f32,
    /// The integral term.
    pub i: f32,
    /// The derivative term.
    pub d: f32,
}

#[task_run(inputs(speed: Speed, target: Target), outputs(drive: Drive))]
fn run() -> Result<()> {
    let mut pid: Pid<f32> = Pid::new(1500.0, 100.0);
    pid.p(0.08, 100.0).i(0.01, 40.0).d(0.02, 20.0);
    // Setpoints first: one waiting beside a measurement applies to it.
    let both: [InputIdx; 2] = [Input::Target.into(), Input::Speed.into()];
    let mut listen: &[InputIdx] = &both;
    loop {
        if Input::wait(listen)? == Input::Target {
            match Input::Target.receive() {
                Ok(target) if target.rpm.is_finite() => {
                    pid.setpoint(target.rpm);
                }
                Ok(_) => {}
                // No more setpoints: wait on measurements only.
                Err(Error::InputClosed) => listen = &both[1..],
                Err(error) => return Err(error),
            }
            continue;
        }
        let speed = Input::Speed.receive()?;
        if !speed.rpm.is_finite() {
            continue;
        }
        let out = pid.next_control_output(speed.rpm);
        Output::Drive.send(&Drive { duty: out.output, p: out.p, i: out.i, d: out.d })?;
    }
}
