//! `wasm-sdk image`: a device's guest slots over SMP's image group, the
//! way MCUmgr clients see them: read their state, confirm a module on
//! trial, roll back to the previous module, erase a slot's spare bank.

use clap::{Args, Subcommand};
use mcumgr_toolkit::commands::image::ImageState;

use crate::deploy::describe;

/// Arguments of `image`.
#[derive(Args)]
pub struct ImageArgs {
    #[command(flatten)]
    device: crate::port::PortArgs,
    #[command(subcommand)]
    command: ImageCommand,
}

#[derive(Subcommand)]
enum ImageCommand {
    /// Each slot's banks: the module's SHA-256, and whether it runs, is on
    /// trial, is confirmed.
    State,
    /// Confirm the module on trial in a slot (default: whichever is on
    /// trial), so it stays after a failure or a restart.
    Confirm {
        /// The slot (SMP image number).
        #[arg(long, value_name = "N")]
        slot: Option<u32>,
    },
    /// Go back to the slot's previous module (its other bank): it runs
    /// again at once, and the one running now is rejected.
    Rollback {
        /// The slot (SMP image number).
        #[arg(long, value_name = "N")]
        slot: u32,
    },
    /// Erase the slot's spare bank (the module that does not run).
    Erase {
        /// The slot (SMP image number).
        #[arg(long, value_name = "N")]
        slot: u32,
    },
}

/// Runs `image`.
///
/// # Errors
///
/// One line (and a hint) for the user: the port, or the device's refusal
/// with its reason.
pub fn image(args: ImageArgs) -> Result<(), String> {
    let client = args.device.connect()?;
    let states = client.image_get_state().map_err(|e| format!("state: {}", describe(&e)))?;
    let states = match args.command {
        ImageCommand::State => states,
        ImageCommand::Confirm { slot } => {
            let hash = match slot {
                None => None,
                Some(slot) => Some(running(&states, slot)?.hash.clone().unwrap_or_default()),
            };
            client
                .image_set_state(hash.as_deref(), true)
                .map_err(|e| format!("confirm: {}", describe(&e)))?
        }
        ImageCommand::Rollback { slot } => {
            running(&states, slot)?;
            let previous =
                states.iter().find(|s| s.image == slot && !s.active).ok_or_else(|| {
                    format!("slot {slot} has no previous module to go back to (`image state`)")
                })?;
            let hash = previous.hash.clone().unwrap_or_default();
            client
                .image_set_state(Some(&hash), false)
                .map_err(|e| format!("rollback: {}", describe(&e)))?
        }
        ImageCommand::Erase { slot } => {
            client.image_erase(Some(slot)).map_err(|e| format!("erase: {}", describe(&e)))?;
            client.image_get_state().map_err(|e| format!("state: {}", describe(&e)))?
        }
    };
    print_states(&states, None);
    Ok(())
}

/// The running bank of `slot`.
fn running(states: &[ImageState], slot: u32) -> Result<&ImageState, String> {
    states
        .iter()
        .find(|s| s.image == slot && s.active)
        .ok_or_else(|| format!("slot {slot} runs no uploaded module (`image state`)"))
}

/// One line per bank, of `slot` or of every slot: its SHA-256 and flags.
pub fn print_states(states: &[ImageState], slot: Option<u32>) {
    let shown = states.iter().filter(|s| slot.is_none_or(|slot| s.image == slot));
    let mut any = false;
    for s in shown {
        any = true;
        let hash = s.hash.as_deref().map(hex::encode).unwrap_or_default();
        let flags: Vec<&str> = [
            (s.active, "active"),
            (s.pending, "on trial"),
            (s.confirmed, "confirmed"),
            (s.bootable, "runnable"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
        outln!("slot {} bank {}: sha256 {hash} ({})", s.image, s.slot, flags.join(", "));
    }
    if !any {
        outln!("no uploaded module (the built-in ones run)");
    }
}
