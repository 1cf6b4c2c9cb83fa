//! The repository's hostile set (`tests/fixtures/hostile`) on the desktop test
//! host: each module ends with the outcome its header names, and the
//! book's table of hostile behaviours is this set's headers, so the table
//! cannot drift from what CI runs. `UPDATE_GOLDEN=1` rewrites the table.
//!
//! The firmware column is checked by the QEMU firmware
//! (`tests/qemu-checks`, check 6), which embeds the same set.

use std::path::{Path, PathBuf};

use wasm_sdk_build::hostile::{Hostile, read_set};
use wasm_sdk_testhost::{Step, TestHost, TestHostError};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// What the test host did with `module`: an outcome kind and description.
fn outcome(host: &TestHost, module: &Hostile) -> (&'static str, String) {
    let mut guest = match host.load(&module.wasm) {
        Ok(guest) => guest,
        Err(TestHostError::Load(e)) => return ("refused", e.to_string()),
        Err(e) => panic!("{}: {e}", module.name),
    };
    match guest.run_until_idle().clone() {
        Step::Finished { exit_code } => ("finished", exit_code.to_string()),
        Step::Trapped(trap) => ("trapped", trap.to_string()),
        Step::OutOfFuel => ("out-of-fuel", String::new()),
        Step::Full { output } => ("full", output.to_string()),
        Step::Blocked { input } => ("blocked", input.to_string()),
        Step::Waiting { inputs } => {
            ("waiting", inputs.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(" "))
        }
        Step::Preempted => unreachable!("run_until_idle steps through preemptions"),
    }
}

const BEGIN: &str = "<!-- hostile-set: written by tests/tests/hostile_set.rs -->";
const END: &str = "<!-- /hostile-set -->";

fn table(set: &[Hostile]) -> String {
    let mut t = String::from(
        "| module | what it does | limit that applies | test host | firmware (QEMU, beside the counter) |\n\
         |---|---|---|---|---|\n",
    );
    for m in set {
        t += &format!(
            "| `{}.wat` | {} | {} | {} | {} |\n",
            m.name, m.behaviour, m.limit, m.test_host, m.firmware
        );
    }
    t
}

#[test]
fn every_hostile_module_ends_as_its_header_says() {
    let set = read_set(&root().join("tests/fixtures/hostile")).expect("the hostile set");
    assert!(set.len() >= 10, "{} modules", set.len());
    let host = TestHost::default();
    let mut wrong = Vec::new();
    for module in &set {
        let (kind, description) = outcome(&host, module);
        println!("{:<20} {kind} {description}", module.name);
        if !module.test_host.matches(kind, &description) {
            wrong.push(format!(
                "{}: expected {}, got {kind} {description}",
                module.name, module.test_host
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let readme_path = root().join("docs/src/design/hostile-guests.md");
    let readme = std::fs::read_to_string(&readme_path).expect("hostile-guests.md");
    let (Some(begin), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("docs/src/design/hostile-guests.md lacks the `{BEGIN}` ... `{END}` block");
    };
    let current = &readme[begin + BEGIN.len()..end];
    let wanted = format!("\n{}", table(&set));
    if current != wanted {
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            let updated = format!("{}{wanted}{}", &readme[..begin + BEGIN.len()], &readme[end..]);
            std::fs::write(&readme_path, updated).expect("write hostile-guests.md");
        } else {
            panic!("the book's hostile table is stale; rerun with UPDATE_GOLDEN=1:\n{wanted}");
        }
    }
}
