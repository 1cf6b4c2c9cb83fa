//! What the serve firmware's console says about an update, in one place:
//! the runtime's console lines change (trial deadline, decode-checked
//! health rule, restarts with fall-back, dead letters), and only this file
//! must follow them.
//!
//! Only lines the firmware prints itself count: they start with `serve:`
//! (or `counter: ` for the counts, `error:` for a fatal stop). A guest's
//! log lines start with `[counter]`, so a hostile module cannot fake a
//! confirmation or a count by logging one.

/// The console's verdict on a module uploaded into the counter's slot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The module was swapped in.
    pub swapped: bool,
    /// The health rule (or a command) confirmed it.
    pub confirmed: bool,
    /// It was rolled back, or the guest fell back to an earlier module.
    pub rolled_back: bool,
    /// The guest stopped (trap, fuel, return) after it was confirmed, with
    /// no fall-back (yet).
    pub stopped_after_confirm: Option<String>,
    /// The firmware stopped: a panic, a fault, an allocation failure.
    pub fatal: Option<String>,
    /// The last `serve:` line about the counter, for the results.
    pub last_event: Option<String>,
}

/// The firmware's own update lines.
const EVENT: &str = "serve: ";
/// `Event::Swapped`: `serve: counter now runs a N B module`.
const SWAPPED: &str = "serve: counter now runs a ";
/// `Event::Confirmed`.
const CONFIRMED: &[&str] = &["confirmed"];
/// `Event::RolledBack`, and the fall-back the runtime is adding.
const ROLLED_BACK: &[&str] = &["rolled back", "roll back", "fell back", "falls back", "fall back"];
/// `Event::Stopped`: `serve: counter trapped: ...`, `serve: counter stopped: ...`.
const STOPPED: &[&str] = &["serve: counter trapped", "serve: counter stopped:"];
/// `crate::fail` in the firmware: `error: ...` then QEMU exits.
const FATAL: &str = "error: ";

/// The verdict of the console `lines` printed since the upload; the
/// counter ran a module of `previous` bytes before it.
pub fn verdict(lines: &[String], previous: usize) -> Verdict {
    let mut v = Verdict::default();
    let back_to_previous = format!("{SWAPPED}{previous} B module");
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_end();
        if line.starts_with(FATAL) {
            // A panic's message is on the line after its location.
            let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or_default();
            v.fatal = Some(shorten(&format!("{line} {next}")));
        }
        if !line.starts_with(EVENT) {
            continue;
        }
        if line.contains("counter") {
            v.last_event = Some(line.to_owned());
        }
        if line.starts_with(SWAPPED) {
            // A swap back to the module that ran before is the rollback's
            // own swap (or a fall-back's).
            if v.swapped && line == back_to_previous {
                v.rolled_back = true;
            }
            v.swapped = true;
        } else if ROLLED_BACK.iter().any(|w| line.contains(w)) {
            v.rolled_back = true;
        } else if CONFIRMED.iter().any(|w| line.contains(w)) {
            v.confirmed = true;
        } else if v.confirmed && STOPPED.iter().any(|w| line.starts_with(w)) {
            v.stopped_after_confirm = Some(line.to_owned());
        }
    }
    v
}

/// `error: panic: panicked at /long/path/file.rs:1:2: message` as
/// `error: panic at file.rs:1:2: message`.
fn shorten(fatal: &str) -> String {
    let fatal = fatal.trim_end();
    let Some((head, rest)) = fatal.split_once("panicked at ") else { return fatal.to_owned() };
    let head = head.trim_end().trim_end_matches(':');
    let Some((path, tail)) = rest.split_once(".rs:") else { return fatal.to_owned() };
    let name = path.rsplit('/').next().unwrap_or(path);
    format!("{head} at {name}.rs:{tail}")
}

/// The counts the counter printed (`counter: N`), leaving out `injected`
/// and its answer: the runner's own messages.
pub fn counts(lines: &[String], injected: u32) -> Vec<u32> {
    lines
        .iter()
        .filter_map(|line| line.trim_end().strip_prefix("counter: ")?.parse::<u32>().ok())
        .filter(|&n| n != injected && n != injected + 1)
        .collect()
}

/// Whether `counts` shows the counter counting: two counts, each one more
/// than the one before.
pub fn counting(counts: &[u32]) -> bool {
    counts.windows(2).any(|w| w[1] == w[0].wrapping_add(1))
}

/// The size of the module the firmware boots with, from `serve: counter
/// runs a N B module; ...`.
pub fn boot_module_len(lines: &[String]) -> Option<usize> {
    lines.iter().find_map(|line| {
        let rest = line.strip_prefix("serve: counter runs a ")?;
        rest.split(' ').next()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn a_guest_log_cannot_fake_an_event() {
        let v = verdict(
            &lines(
                "serve: counter now runs a 900 B module\n\
                 [counter] Info: serve: counter: module confirmed by the health rule\n\
                 [counter] error: x",
            ),
            1200,
        );
        assert!(v.swapped && !v.confirmed && v.fatal.is_none());
    }

    #[test]
    fn rollback_confirmation_and_fatal_stops() {
        let v = verdict(
            &lines(
                "serve: counter now runs a 900 B module\n\
                 serve: counter trapped: unreachable\n\
                 serve: counter: the module on trial stopped; rolled back\n\
                 serve: counter now runs a 1200 B module",
            ),
            1200,
        );
        assert!(v.swapped && v.rolled_back && !v.confirmed && v.stopped_after_confirm.is_none());
        let v = verdict(
            &lines(
                "serve: counter now runs a 900 B module\n\
                 serve: counter: module confirmed by the health rule (20 messages)\n\
                 serve: counter trapped: unreachable\nerror: panic: panicked at /a/b/x.rs:5:9:\nout of memory",
            ),
            1200,
        );
        assert!(v.confirmed && !v.rolled_back);
        assert_eq!(v.stopped_after_confirm.as_deref(), Some("serve: counter trapped: unreachable"));
        assert_eq!(v.fatal.as_deref(), Some("error: panic at x.rs:5:9: out of memory"));
    }

    #[test]
    fn counts_leave_out_the_injected_messages() {
        let c = counts(&lines("counter: 7\ncounter: 500\ncounter: 501\ncounter: 9"), 500);
        assert_eq!(c, [7, 9]);
        assert!(!counting(&c));
        assert!(counting(&counts(&lines("counter: 7\ncounter: 8"), 500)));
    }
}
