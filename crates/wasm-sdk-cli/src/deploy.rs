//! `wasm-sdk deploy`: upload a guest module to a device over SMP
//! (a serial port or pty), confirm it if asked, and show the slot's state.
//!
//! The SMP client is `mcumgr-toolkit`, the same library as the Python
//! `mcumgr-toolkit` users may already have: console framing, chunking by
//! the device's `buf_size`, retries.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use wasm_sdk_testhost::TestHost;

/// Arguments of `deploy`.
#[derive(Args)]
pub struct DeployArgs {
    /// A `.wasm` file, or a guest crate directory to build first.
    module: PathBuf,
    /// The guest slot (SMP image number) to upload into.
    #[arg(long, value_name = "N", default_value_t = 0)]
    slot: u32,
    /// Confirm the module right away instead of letting it run on trial.
    #[arg(long)]
    confirm: bool,
    #[command(flatten)]
    port: crate::port::PortArgs,
    /// Target directory for building a guest crate (default: the crate's).
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    /// Sign the module with this secret key (`keygen`) before uploading.
    #[arg(long, value_name = "SECRET_KEY_FILE")]
    sign: Option<PathBuf>,
    /// With `--profile` (its firmware's `<name>.profile.json`): build the
    /// guest crate as that device wants its modules (memory layout), and
    /// check that its host loads the module before uploading it.
    #[command(flatten)]
    device: crate::device::DeviceArgs,
}

/// Runs `deploy`.
///
/// # Errors
///
/// One line (and details) for the user: the module, the port, or the
/// device's refusal with its reason.
pub fn deploy(args: DeployArgs) -> Result<(), String> {
    // A missing port before the build, not after it.
    args.port.port()?;
    let profile = args.device.profile()?;
    let builder = args.device.builder(profile.as_ref());
    let path = crate::module_path(&args.module, args.target_dir.as_deref(), builder)?;
    let wasm =
        std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if args.device.given() {
        // The device would answer the same after the whole upload.
        let host = args.device.host(profile.as_ref(), TestHost::builder(), []).build();
        if let Err(e) = host.load(&wasm) {
            let on = args.device.describe(profile.as_ref());
            return Err(format!("not uploaded: {on} would refuse the module: {e}"));
        }
    }
    let wasm = match &args.sign {
        Some(key) => {
            let signed = crate::sign::signed(&wasm, key)?;
            outln!("signed with {} ({} B -> {} B)", key.display(), wasm.len(), signed.len());
            signed
        }
        None => wasm,
    };
    let client = args.port.connect()?;

    let bar = indicatif::ProgressBar::new(wasm.len() as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("uploading {} to slot {}", path.display(), args.slot));
    let started = Instant::now();
    let mut progress = |sent: u64, _total: u64| {
        bar.set_position(sent);
        true
    };
    let uploaded = client.image_upload(&wasm, Some(args.slot), None, false, Some(&mut progress));
    bar.finish_and_clear();
    uploaded.map_err(|e| format!("the device refused the module: {}", describe(&e)))?;
    outln!(
        "uploaded {} B to slot {} in {:.1} s",
        wasm.len(),
        args.slot,
        started.elapsed().as_secs_f64()
    );
    let states = if args.confirm {
        client.image_set_state(None, true).map_err(|e| format!("confirm: {}", describe(&e)))?
    } else {
        client.image_get_state().map_err(|e| format!("state: {}", describe(&e)))?
    };
    crate::image::print_states(&states, Some(args.slot));
    if crate::guests::print_list(&client).is_err() {
        outln!("(the device has no guest group)");
    }
    Ok(())
}

/// The client's error with the device's reason, on one line; a device's
/// error in plain words, its `MGMT_ERR_*` name after them, and what to do
/// on a second line.
pub fn describe(error: &mcumgr_toolkit::client::MCUmgrClientError) -> String {
    use mcumgr_toolkit::client::MCUmgrClientError;
    use mcumgr_toolkit::connection::ExecuteError;
    use mcumgr_toolkit::smp_errors::{DeviceError, MCUmgrErr};
    if let MCUmgrClientError::ExecuteError(ExecuteError::ErrorResponse(DeviceError::V1 {
        rc,
        rsn,
    })) = error
    {
        let code = MCUmgrErr::err_to_string(*rc);
        let plain = u32::try_from(*rc).ok().and_then(wasm_sdk_smp::slots::rc::plain);
        return match (rsn, plain) {
            (Some(reason), Some((words, hint))) => format!("{words}: {reason} ({code})\n{hint}"),
            (None, Some((words, hint))) => format!("{words} ({code})\n{hint}"),
            (Some(reason), None) => format!("{reason} ({code})"),
            (None, None) => code,
        };
    }
    let text = format!("{error}");
    let mut source = std::error::Error::source(error);
    let mut parts = vec![text];
    while let Some(inner) = source {
        parts.push(inner.to_string());
        source = inner.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use mcumgr_toolkit::client::MCUmgrClientError;
    use mcumgr_toolkit::connection::ExecuteError;
    use mcumgr_toolkit::smp_errors::DeviceError;

    fn device(rc: i32, rsn: Option<&str>) -> MCUmgrClientError {
        let error = DeviceError::V1 { rc, rsn: rsn.map(str::to_owned) };
        MCUmgrClientError::ExecuteError(ExecuteError::ErrorResponse(error))
    }

    /// A device's refusal reads as what it is, the MCUmgr name after it,
    /// and what to do next.
    #[test]
    fn a_device_error_is_plain_words_its_code_and_a_hint() {
        let text = super::describe(&device(9, Some("the module declares an input `x`")));
        let (line, hint) = text.split_once('\n').expect("two lines");
        assert_eq!(
            line,
            "refused by the device's checks: the module declares an input `x` (MGMT_ERR_ECORRUPT)"
        );
        assert!(hint.contains("--profile <firmware>.profile.json"), "{hint}");
        let text = super::describe(&device(11, None));
        assert!(text.starts_with("refused: not signed for this device (MGMT_ERR_EACCESSDENIED)\n"));
        // A code this firmware never sends keeps its MCUmgr name.
        assert_eq!(super::describe(&device(4, Some("why"))), "why (MGMT_ERR_ETIMEOUT)");
    }
}
