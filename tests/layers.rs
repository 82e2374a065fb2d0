//! The layers of the source tree, checked: only `cli.rs` (and `main.rs`) know the command line;
//! the STUN codec does not render; `unsafe` stays where no crate serves.

use std::fs;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn all() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            (name, fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The code before the first `#[cfg(test)]` (tests may use anything).
fn code(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

#[test]
fn only_the_command_line_knows_the_command_line() {
    for (name, text) in all() {
        if name == "cli.rs" || name == "main.rs" {
            continue;
        }
        for needle in ["crate::cli::", "crate::cli;", "super::cli::", "super::cli;", "rtctool::cli::"] {
            assert!(!code(&text).contains(needle), "src/{name} uses {needle}: take an options type instead");
        }
    }
}

#[test]
fn the_stun_codec_does_not_render() {
    for (name, text) in all().into_iter().filter(|(n, _)| n.starts_with("core/stun/")) {
        for needle in ["core::output", "colored"] {
            assert!(
                !code(&text).contains(needle),
                "src/{name} uses {needle}: rendering belongs to core/output"
            );
        }
    }
}

#[test]
fn unsafe_only_where_no_crate_serves() {
    for (name, text) in all() {
        if code(&text).contains("unsafe {") || code(&text).contains("unsafe fn") {
            assert_eq!(
                name, "pcap/fastfmt.rs",
                "src/{name} has unsafe code (nix, libc wrappers or std serve)"
            );
        }
    }
}

#[test]
fn the_environment_is_read_at_the_edge() {
    for (name, text) in all() {
        if code(&text).contains("RTCTOOL_TURN") && code(&text).contains("env::var") {
            assert_eq!(name, "cli.rs", "src/{name} reads RTCTOOL_TURN_* itself");
        }
    }
}
