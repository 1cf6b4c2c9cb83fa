//! The book (`docs/`) and the READMEs hold no broken link: every page of
//! `docs/src/SUMMARY.md` exists and every page is in it, and every relative
//! link of a page or a README names a file that exists and, with a
//! `#fragment`, a heading of that file. `mdbook build docs` (CI's `lint`
//! stage) renders the book; this checks what mdBook does not.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use wasm_sdk_tests::workspace_root;

/// The targets of a Markdown text's inline links, outside code.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Inline code spans hold no links.
        let prose: String =
            line.split('`').enumerate().filter(|(i, _)| i % 2 == 0).map(|(_, p)| p).collect();
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = rest[..end].split_whitespace().next().unwrap_or("");
            found.push(target.to_owned());
            rest = &rest[end..];
        }
    }
    found
}

/// The anchors mdBook and GitHub give a file's headings: lowercased,
/// spaces to `-`, other punctuation dropped.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut set = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let anchor: String = title
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        set.insert(anchor);
    }
    set
}

/// `base/link`, with `.` and `..` resolved without touching the disk.
fn resolve(base: &Path, link: &str) -> PathBuf {
    let mut path = PathBuf::new();
    for part in base.join(link).components() {
        match part {
            Component::ParentDir => {
                path.pop();
            }
            Component::CurDir => {}
            other => path.push(other),
        }
    }
    path
}

/// Broken links of the Markdown file `file`, as `file: link (why)`.
fn broken(file: &Path) -> Vec<String> {
    let text = fs::read_to_string(file).expect("read a Markdown file");
    let dir = file.parent().expect("a file's directory");
    let mut broken = Vec::new();
    for link in links(&text) {
        let external = link.contains("://") || link.starts_with("mailto:");
        // A README is also a crate's rustdoc front page: `[x](Type::item)`
        // is an intra-doc link, which names no file.
        let rust_path = !link.starts_with('#') && !link.contains(['.', '/']);
        if external || rust_path || link.is_empty() {
            continue;
        }
        let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
        let target = if path.is_empty() { file.to_path_buf() } else { resolve(dir, path) };
        if !target.exists() {
            broken.push(format!("{}: {link} (no such file)", file.display()));
            continue;
        }
        let markdown = target.extension().is_some_and(|e| e == "md");
        if !fragment.is_empty() && markdown {
            let text = fs::read_to_string(&target).expect("read a link's target");
            if !anchors(&text).contains(fragment) {
                broken.push(format!("{}: {link} (no such heading)", file.display()));
            }
        }
    }
    broken
}

fn markdown_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read a book directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            markdown_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "md") {
            into.push(path);
        }
    }
}

#[test]
fn every_page_is_in_the_summary_and_every_link_resolves() {
    let root = workspace_root();
    let src = root.join("docs/src");
    let summary = fs::read_to_string(src.join("SUMMARY.md")).expect("docs/src/SUMMARY.md");
    let listed: BTreeSet<PathBuf> = links(&summary).iter().map(|l| resolve(&src, l)).collect();
    let mut pages = Vec::new();
    markdown_files(&src, &mut pages);
    let mut problems = Vec::new();
    for page in &listed {
        if !page.is_file() {
            problems.push(format!("SUMMARY.md lists {}, which does not exist", page.display()));
        }
    }
    for page in &pages {
        if !page.ends_with("SUMMARY.md") && !listed.contains(page) {
            problems.push(format!("{} is not in SUMMARY.md", page.display()));
        }
        problems.extend(broken(page));
    }
    let mut readmes = vec![root.join("README.md")];
    for group in ["crates", "examples", "tests"] {
        for entry in fs::read_dir(root.join(group)).expect("read a crate directory") {
            let readme = entry.expect("a directory entry").path().join("README.md");
            if readme.is_file() {
                readmes.push(readme);
            }
        }
    }
    for readme in &readmes {
        problems.extend(broken(readme));
    }
    assert!(problems.is_empty(), "broken links:\n{}", problems.join("\n"));
}

#[test]
fn links_and_anchors_are_read_as_mdbook_makes_them() {
    let text = "see [the ABI](design/abi.md#status-codes), `[not](a.md)`\n\
                ```\n[code](b.md)\n```\n[top](#top) [web](https://x.invalid/a)";
    assert_eq!(links(text), ["design/abi.md#status-codes", "#top", "https://x.invalid/a"]);
    let dir = std::env::temp_dir().join(format!("book-links-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let page = dir.join("page.md");
    fs::write(&page, "# Top\n[a](#top) [b](#nope) [c](gone.md) [d](Guest::step) [e](page.md#top)")
        .unwrap();
    let found = broken(&page);
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].ends_with("#nope (no such heading)")
            && found[1].ends_with("gone.md (no such file)")
    );
    let heads = anchors("# Status codes\n## The `connectors` ABI, v1\n```\n# not\n```");
    assert_eq!(heads.into_iter().collect::<Vec<_>>(), ["status-codes", "the-connectors-abi-v1"]);
    assert_eq!(resolve(Path::new("/a/b"), "../c/./d.md"), Path::new("/a/c/d.md"));
}
