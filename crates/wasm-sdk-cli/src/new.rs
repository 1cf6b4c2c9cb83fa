//! `wasm-sdk new`: a guest workspace that builds and passes its
//! tests outside the SDK's repository.
//!
//! The files come from `templates/new/`, with `{{key}}` placeholders filled
//! in one pass (so a value that happens to contain `{{` is not expanded
//! again). Its manifests are `Cargo.toml.tmpl`: a directory with a
//! `Cargo.toml` is a package of its own, which `cargo package` leaves out
//! of this crate.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use wasm_sdk_testhost::DeviceCatalog;

use crate::typed::{self, Chosen};

/// Arguments of `new`.
#[derive(Args)]
pub struct NewArgs {
    /// Directory of the new workspace: created if missing; it may exist
    /// (e.g. after `git init`) but must not hold any file `new` writes.
    pub dir: PathBuf,
    /// Name of the guest crate (default: the directory's name); the
    /// messages crate is `<NAME>-messages`.
    #[arg(long)]
    pub name: Option<String>,
    /// Take the SDK crates from this checkout (default: the checkout this
    /// CLI was built from, if it is still there).
    #[arg(long, value_name = "PATH", conflicts_with = "sdk_git")]
    pub sdk_path: Option<PathBuf>,
    /// Take the SDK crates from this git repository.
    #[arg(long, value_name = "URL")]
    pub sdk_git: Option<String>,
    /// The commit (or tag) of `--sdk-git` to use (default: its default
    /// branch).
    #[arg(long, value_name = "REV", requires = "sdk_git")]
    pub sdk_rev: Option<String>,
    /// Start from one of the SDK's example guests (`examples/alarm` of
    /// its checkout): its sources and tests, and the examples' message
    /// types beside it, in a workspace that builds outside the repository.
    #[arg(long, value_name = "EXAMPLE_DIR", conflicts_with_all = ["catalog", "port", "services", "name"])]
    pub from: Option<PathBuf>,
    /// Type the module against a device's catalog file (`guests services
    /// --save`, or the one its firmware's build writes): its ports are the
    /// `--services` chosen, its messages their types.
    #[arg(long, value_name = "FILE", requires = "services", conflicts_with = "port")]
    pub catalog: Option<PathBuf>,
    /// Read the catalog from the device on this SMP serial port instead.
    #[arg(long, value_name = "PORT", requires = "services")]
    pub port: Option<String>,
    /// The device services the module binds, e.g. `temperature,alarm`: an
    /// input for each the device provides, an output for each it takes.
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub services: Vec<String>,
}

/// The template files: path in the new workspace, then content. Both may
/// hold placeholders.
const TEMPLATES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../templates/new/Cargo.toml.tmpl")),
    ("rust-toolchain.toml", include_str!("../templates/new/rust-toolchain.toml")),
    // Stored without the dot so it does not act on this repository.
    (".gitignore", include_str!("../templates/new/gitignore")),
    (".cargo/config.toml", include_str!("../templates/new/cargo-config.toml")),
    ("README.md", include_str!("../templates/new/README.md")),
    ("{{messages}}/Cargo.toml", include_str!("../templates/new/messages/Cargo.toml.tmpl")),
    ("{{messages}}/src/lib.rs", include_str!("../templates/new/messages/src/lib.rs")),
    ("{{name}}/Cargo.toml", include_str!("../templates/new/guest/Cargo.toml.tmpl")),
    ("{{name}}/build.rs", include_str!("../templates/new/guest/build.rs")),
    ("{{name}}/src/lib.rs", include_str!("../templates/new/guest/src/lib.rs")),
    ("{{name}}/tests/native.rs", include_str!("../templates/new/guest/tests/native.rs")),
    ("{{name}}/tests/scenario.rs", include_str!("../templates/new/guest/tests/scenario.rs")),
];

/// The SDK crates a guest workspace depends on, by package name.
const SDK_CRATES: [&str; 3] = ["wasm-sdk", "wasm-sdk-build", "wasm-sdk-testhost"];

/// Where a checkout keeps its library crates, from its root.
const CRATES_DIR: &str = "crates";

/// The package of this CLI, as `cargo install` names it.
const CLI_PACKAGE: &str = "wasm-sdk-cli";

/// The command this CLI installs as.
const CLI_BINARY: &str = "wasm-sdk";

/// The inputs the generated module's two example commands feed it.
pub const EXAMPLE_INPUTS: &str =
    r#"--input 'sample={"value": 5}' --input 'sample={"value": 7}' --close sample"#;

/// Where the generated workspace takes the SDK crates from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Sdk {
    /// A checkout on this machine (absolute path).
    Path(PathBuf),
    /// A git repository, optionally at a revision.
    Git { url: String, rev: Option<String> },
}

impl Sdk {
    fn from_args(args: &NewArgs) -> Result<Sdk, String> {
        if let Some(url) = &args.sdk_git {
            if url.trim().is_empty() {
                return Err("--sdk-git needs a repository URL".into());
            }
            return Ok(Sdk::Git { url: url.clone(), rev: args.sdk_rev.clone() });
        }
        let (path, given) = match &args.sdk_path {
            Some(path) => (path.clone(), true),
            None => (Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."), false),
        };
        let missing = |reason: String| {
            if given {
                format!("`{}` is not a wasm-sdk checkout: {reason}", path.display())
            } else {
                format!(
                    "the wasm-sdk checkout this CLI was built from (`{}`) is gone ({reason}); \
                     pass --sdk-path PATH or --sdk-git URL",
                    path.display()
                )
            }
        };
        let root = path.canonicalize().map_err(|e| missing(e.to_string()))?;
        for krate in SDK_CRATES {
            if !root.join(CRATES_DIR).join(krate).join("Cargo.toml").is_file() {
                return Err(missing(format!("no {CRATES_DIR}/{krate}/Cargo.toml")));
            }
        }
        if root.to_str().is_none() {
            return Err(format!("the SDK path `{}` is not UTF-8", root.display()));
        }
        Ok(Sdk::Path(root))
    }

    /// The `[workspace.dependencies]` line of one SDK crate.
    fn dependency(&self, krate: &str) -> String {
        match self {
            Sdk::Path(root) => {
                let path = root.join(CRATES_DIR).join(krate);
                format!("{krate} = {{ path = {} }}", toml_string(&path.to_string_lossy()))
            }
            Sdk::Git { url, rev: None } => format!("{krate} = {{ git = {} }}", toml_string(url)),
            Sdk::Git { url, rev: Some(rev) } => {
                format!("{krate} = {{ git = {}, rev = {} }}", toml_string(url), toml_string(rev))
            }
        }
    }

    /// Where the crates come from, for comments and messages.
    fn describe(&self) -> String {
        match self {
            Sdk::Path(root) => format!("the checkout at `{}`", root.display()),
            Sdk::Git { url, rev: None } => format!("`{url}`, default branch"),
            Sdk::Git { url, rev: Some(rev) } => format!("`{url}` at `{rev}`"),
        }
    }

    /// The command that installs the CLI from the same source.
    fn install_command(&self) -> String {
        match self {
            Sdk::Path(root) => format!(
                "cargo install --locked --path {}",
                shell_word(&root.join(CRATES_DIR).join(CLI_PACKAGE).to_string_lossy())
            ),
            Sdk::Git { url, rev } => {
                let rev = rev.as_ref().map(|r| format!(" --rev {}", shell_word(r)));
                format!(
                    "cargo install --locked --git {}{} {CLI_PACKAGE}",
                    shell_word(url),
                    rev.unwrap_or_default()
                )
            }
        }
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` as one POSIX shell word: as is when it is plain, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:=@%,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Rust keywords (2024 edition, strict and reserved): not valid crate names.
pub(crate) const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Checks that `name` works as the guest's package name and, with `-` as
/// `_`, as its library name in `use` paths.
pub fn validate_name(name: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("`{name}` cannot be the module's crate name: {why}"));
    let Some(first) = name.chars().next() else {
        return bad("it is empty");
    };
    if !first.is_ascii_alphabetic() {
        return bad("it must start with an ASCII letter");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return bad("use only ASCII letters, digits, `-` and `_`");
    }
    let lib = name.replace('-', "_").to_ascii_lowercase();
    if KEYWORDS.contains(&lib.as_str()) {
        return bad("it is a Rust keyword");
    }
    // Crates every guest links or tests with: the same name would shadow
    // them in `use` paths or clash in the dependency graph.
    const TAKEN: [&str; 15] = [
        "std",
        "core",
        "alloc",
        "proc_macro",
        "test",
        "serde",
        "postcard",
        "postcard_schema",
        "serde_json",
        "wasm_sdk",
        "wasm_sdk_macros",
        "wasm_sdk_build",
        "wasm_sdk_testhost",
        "wasm_sdk_abi",
        "wasm_sdk_host",
    ];
    if TAKEN.contains(&lib.as_str()) {
        return bad("a crate the module depends on has that name");
    }
    Ok(())
}

/// The crate name a directory gives by default: its last component.
fn default_name(dir: &Path) -> Result<String, String> {
    let absolute =
        std::path::absolute(dir).map_err(|e| format!("cannot resolve `{}`: {e}", dir.display()))?;
    absolute.file_name().and_then(|n| n.to_str()).map(str::to_owned).ok_or_else(|| {
        format!("cannot take a crate name from `{}`; pass --name NAME", dir.display())
    })
}

/// Fills `{{key}}` placeholders in one pass. Unknown keys stay as they are
/// (the tests check that none is left).
fn render(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let value = after.find("}}").and_then(|end| {
            let key = &after[..end];
            vars.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v, end))
        });
        match value {
            Some((value, end)) => {
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The files of a new workspace: relative path and content.
fn files(
    name: &str,
    sdk: &Sdk,
    typed: Option<&Chosen<'_>>,
) -> Result<Vec<(String, String)>, String> {
    let messages = format!("{name}-messages");
    let lib = name.replace('-', "_");
    let messages_lib = messages.replace('-', "_");
    let dependencies: Vec<String> = SDK_CRATES.iter().map(|k| sdk.dependency(k)).collect();
    let dependencies = dependencies.join("\n");
    let source = sdk.describe();
    let install = sdk.install_command();
    let vars = [
        ("name", name),
        ("crate", lib.as_str()),
        ("messages", messages.as_str()),
        ("messages_crate", messages_lib.as_str()),
        ("sdk_dependencies", dependencies.as_str()),
        ("sdk_source", source.as_str()),
        ("install", install.as_str()),
    ];
    let mut files: Vec<(String, String)> =
        TEMPLATES.iter().map(|(path, text)| (render(path, &vars), render(text, &vars))).collect();
    let Some(chosen) = typed else { return Ok(files) };
    // The sample module's sources give way to the typed one's.
    let (guest_lib, messages_src) =
        (format!("{name}/src/lib.rs"), format!("{messages}/src/lib.rs"));
    let tests = [format!("{name}/tests/native.rs"), format!("{name}/tests/scenario.rs")];
    files.retain(|(path, _)| !tests.contains(path));
    for (path, text) in &mut files {
        if *path == guest_lib {
            *text = chosen.guest_lib(name, &messages_lib);
        } else if *path == messages_src {
            *text = chosen.messages_lib(name)?;
        } else if path == "README.md" {
            *text = typed_readme(name, chosen);
        }
    }
    files.push((format!("{name}/tests/device.rs"), typed::DEVICE_TEST.to_owned()));
    files.push(("device.catalog.json".into(), chosen.catalog.to_json()));
    Ok(files)
}

/// The files of a workspace started from an example guest: the template's
/// root, with the example's crate and the examples' messages crate as its
/// members.
fn example_files(example: &crate::from::Example, sdk: &Sdk) -> Vec<(String, String)> {
    use crate::from::COMMON;
    let name = example.name.as_str();
    let dependencies: Vec<String> = SDK_CRATES.iter().map(|k| sdk.dependency(k)).collect();
    let dependencies = dependencies.join("\n");
    let (source, install) = (sdk.describe(), sdk.install_command());
    let vars = [
        ("name", name),
        ("messages", COMMON),
        ("sdk_dependencies", dependencies.as_str()),
        ("sdk_source", source.as_str()),
        ("install", install.as_str()),
    ];
    let kept = ["Cargo.toml", "rust-toolchain.toml", ".gitignore", ".cargo/config.toml"];
    let guest_manifest = "{{name}}/Cargo.toml";
    let mut files: Vec<(String, String)> = TEMPLATES
        .iter()
        .filter(|(path, _)| kept.contains(path) || *path == guest_manifest)
        .map(|(path, text)| {
            let text = render(text, &vars);
            let text = match *path == guest_manifest {
                // The example's own words, not the template's sample.
                true => text.replace(
                    "A wasm-sdk guest module: the running total of its samples",
                    &format!("Started from the wasm-sdk example guest `{name}`"),
                ),
                false => text,
            };
            (render(path, &vars), text)
        })
        .collect();
    files.push(("README.md".into(), crate::from::readme(name, &cli_command())));
    files.push((format!("{COMMON}/Cargo.toml"), crate::from::common_manifest()));
    files.push((format!("{COMMON}/src/lib.rs"), example.common.clone()));
    for (path, text) in &example.files {
        files.push((format!("{name}/{path}"), text.clone()));
    }
    files
}

/// The README of a module typed against a catalog.
fn typed_readme(name: &str, chosen: &Chosen<'_>) -> String {
    let services: Vec<String> = chosen
        .catalog
        .services()
        .iter()
        .map(|s| {
            format!(
                "| `{}` | {} | `{}`: `{}` |",
                s.name,
                s.direction.as_str(),
                s.ty.name(),
                s.ty.describe()
            )
        })
        .collect();
    format!(
        "# {name}\n\n\
         A wasm-sdk guest module typed against a device's service catalog,\n\
         `device.catalog.json`. `{name}/src/lib.rs` has a port per service it\n\
         binds; `{name}-messages` declares their types.\n\n\
         | service | the device | type |\n|---|---|---|\n{}\n\n\
         ```sh\n\
         cargo test      # builds the module; the device would install it\n\
         wasm-sdk inspect {name} --catalog device.catalog.json\n\
         wasm-sdk deploy {name} --port PORT --slot N   # a free slot of the device\n\
         ```\n",
        services.join("\n")
    )
}

/// How to call this CLI in printed commands: its name when `PATH` finds
/// this very executable, else its full path (e.g. under `cargo run`).
fn cli_command() -> String {
    let Ok(exe) = std::env::current_exe().and_then(|p| p.canonicalize()) else {
        return CLI_BINARY.into();
    };
    let Some(file) = exe.file_name() else { return CLI_BINARY.into() };
    let on_path = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths)
            .any(|dir| dir.join(file).canonicalize().is_ok_and(|found| found == exe))
    });
    if on_path { file.to_string_lossy().into_owned() } else { shell_word(&exe.to_string_lossy()) }
}

/// Runs `new`: writes the workspace, prints what it wrote and what to run.
pub fn new(args: NewArgs) -> Result<(), String> {
    let sdk = Sdk::from_args(&args)?;
    let name = match &args.name {
        Some(name) => {
            validate_name(name)?;
            name.clone()
        }
        // The example's own name, read below.
        None if args.from.is_some() => String::new(),
        None => {
            let name = default_name(&args.dir)?;
            validate_name(&name)
                .map_err(|e| format!("{e} (taken from the directory; pass --name NAME)"))?;
            name
        }
    };
    let dir = std::path::absolute(&args.dir)
        .map_err(|e| format!("cannot resolve `{}`: {e}", args.dir.display()))?;
    if dir.exists() && !dir.is_dir() {
        return Err(format!("`{}` exists and is not a directory", dir.display()));
    }
    let catalog = match (&args.catalog, &args.port) {
        (Some(file), _) => Some(DeviceCatalog::load(file).map_err(|e| e.to_string())?),
        (None, Some(port)) => Some(crate::guests::catalog(&crate::port::connect(port, 5)?)?),
        (None, None) if !args.services.is_empty() => {
            return Err(
                "--services needs the device's catalog: --catalog FILE or --port PORT".into()
            );
        }
        (None, None) => None,
    };
    let chosen = catalog.as_ref().map(|c| Chosen::new(c, &args.services)).transpose()?;
    let example = args.from.as_deref().map(crate::from::Example::read).transpose()?;
    let name = example.as_ref().map_or(name, |e| e.name.clone());
    let files = match &example {
        Some(example) => example_files(example, &sdk),
        None => files(&name, &sdk, chosen.as_ref())?,
    };
    // Every check before the first write, so a refusal leaves nothing behind.
    for (path, _) in &files {
        let target = dir.join(path);
        if target.symlink_metadata().is_ok() {
            return Err(format!(
                "`{}` already exists; `new` does not overwrite files (use an empty or new directory)",
                target.display()
            ));
        }
    }
    for (path, text) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        }
        // `create_new`: never overwrite, even a file that appeared since the check.
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| format!("cannot write `{}`: {e}", target.display()))?;
    }
    outln!("created the wasm-sdk module `{name}` in {} (SDK: {}):", dir.display(), sdk.describe());
    for (path, _) in &files {
        outln!("  {path}");
    }
    let cli = cli_command();
    outln!("next:");
    outln!("  cd {}", shell_word(&dir.to_string_lossy()));
    if example.is_some() {
        outln!("  {cli} inspect {name}   # build the module, print what it holds");
        outln!("  cargo test   # native tests, and the same scenarios on the .wasm");
    } else if chosen.is_some() {
        outln!("  cargo test   # builds the module; checks the device would install it");
    } else {
        outln!("  {cli} run {name} {EXAMPLE_INPUTS}   # build the module, run it on the test host");
        outln!("  cargo test   # native tests, and the same scenarios on the .wasm");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_files() -> Vec<(String, String)> {
        let mut all = files("my-module", &Sdk::Path(PathBuf::from("/opt/wasm sdk")), None).unwrap();
        all.extend(
            files(
                "m",
                &Sdk::Git {
                    url: "https://example.invalid/sdk.git".into(),
                    rev: Some("abc".into()),
                },
                None,
            )
            .unwrap(),
        );
        all
    }

    #[test]
    fn every_placeholder_is_filled() {
        for (path, text) in all_files() {
            assert!(!path.contains("{{") && !text.contains("{{"), "{path}:\n{text}");
        }
    }

    #[test]
    fn sdk_sources_become_dependency_lines() {
        let files = files("my-module", &Sdk::Path(PathBuf::from("/opt/wasm sdk")), None).unwrap();
        let root = &files.iter().find(|(p, _)| p == "Cargo.toml").unwrap().1;
        assert!(root.contains("wasm-sdk = { path = \"/opt/wasm sdk/crates/wasm-sdk\" }"), "{root}");
        assert!(
            root.contains(
                "wasm-sdk-testhost = { path = \"/opt/wasm sdk/crates/wasm-sdk-testhost\" }"
            )
        );
        assert!(root.contains("members = [\"my-module\", \"my-module-messages\"]"));
        assert!(root.contains("#   wasm-sdk = \"0.1\""));
        let readme = &files.iter().find(|(p, _)| p == "README.md").unwrap().1;
        assert!(
            readme.contains("cargo install --locked --path '/opt/wasm sdk/crates/wasm-sdk-cli'")
        );

        let git =
            Sdk::Git { url: "https://example.invalid/sdk.git".into(), rev: Some("v1".into()) };
        assert_eq!(
            git.dependency("wasm-sdk-build"),
            r#"wasm-sdk-build = { git = "https://example.invalid/sdk.git", rev = "v1" }"#
        );
        assert_eq!(
            git.install_command(),
            "cargo install --locked --git https://example.invalid/sdk.git --rev v1 wasm-sdk-cli"
        );
        let guest = files.iter().find(|(p, _)| p == "my-module/tests/native.rs").unwrap();
        assert!(guest.1.contains("use my_module::{Input, Output, TASK};"));
        assert!(guest.1.contains("use my_module_messages::{Sample, Total};"));
    }

    #[test]
    fn placeholders_are_filled_once() {
        let vars = [("a", "{{b}}"), ("b", "x")];
        assert_eq!(render("[{{a}}] {{b}} {{c}} {{", &vars), "[{{b}}] x {{c}} {{");
    }

    #[test]
    fn toml_and_shell_quoting() {
        assert_eq!(toml_string(r#"C:\sdk "x""#), r#""C:\\sdk \"x\"""#);
        assert_eq!(shell_word("/a/b-c"), "/a/b-c");
        assert_eq!(shell_word("it's here"), r"'it'\''s here'");
    }

    #[test]
    fn crate_names() {
        for good in ["sensor", "my-module", "temp_alarm2", "a"] {
            assert_eq!(validate_name(good), Ok(()), "{good}");
        }
        for bad in ["", "2fast", "-x", "my module", "é", "fn", "Self", "std", "serde", "wasm-sdk"]
        {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert_eq!(default_name(Path::new("/tmp/x/my-module/")).unwrap(), "my-module");
        assert!(default_name(Path::new("/")).is_err());
    }
}
