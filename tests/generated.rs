//! `completions/` and `man/` are generated from `rtctool::cli::command()` and checked in; this test
//! fails when they no longer match the CLI (or a file is missing, or left over).
//!
//! To regenerate them after changing the CLI (or the version):
//!
//! ```text
//! RTCTOOL_UPDATE_GENERATED=1 cargo test --test generated
//! ```
//!
//! That rewrites every generated file and deletes the ones that are no longer generated (the man
//! page of a removed subcommand, say): both directories belong to this generator entirely.
//!
//! Everything walks the command tree, so new subcommands get their completions and man pages
//! without a change here.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use clap::{Command, ValueEnum};
use clap_complete::{Generator, Shell};
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

const BIN: &str = "rtctool";
const UPDATE_VAR: &str = "RTCTOOL_UPDATE_GENERATED";
const REGENERATE: &str = "RTCTOOL_UPDATE_GENERATED=1 cargo test --test generated";
/// The directories this generator owns, relative to the repository root.
const DIRS: [&str; 2] = ["completions", "man"];
const MAN_SECTION: &str = "1";
const MANUAL: &str = "General Commands Manual";

/// The exit codes of DESIGN.md, the same for every command, so every man page documents them.
const EXIT_STATUS: [(&str, &str); 6] = [
    ("0", "The command worked and found nothing to report."),
    (
        "1",
        "The command worked and found something: differences, lint errors, a failing server, \
         no connection.",
    ),
    ("2", "Usage error: an unknown option, a missing or invalid argument."),
    ("3", "Input error: an unreadable or unparseable file or message (a corrupted message, too)."),
    ("4", "Network error: nothing answered, or a socket could not be bound."),
    (
        "130",
        "Interrupted (Ctrl-C) before its end with nothing found in the part that ran (loopback, \
         call); the report covers that part.",
    ),
];

/// Generated files: path relative to the repository root → content.
type Files = BTreeMap<PathBuf, Vec<u8>>;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Everything that belongs in `completions/` and `man/`.
fn generate() -> Files {
    let mut files = Files::new();
    for shell in Shell::value_variants() {
        files.insert(Path::new("completions").join(shell.file_name(BIN)), completion(*shell));
    }
    let mut root = without_help_subcommand(rtctool::cli::command());
    root.build();
    let version = root.get_version().unwrap_or_default().to_owned();
    add_man_pages(&root, &[], &version, &mut files);
    files
}

/// What `rtctool completions <shell>` prints.
fn completion(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut rtctool::cli::command(), BIN, &mut buf);
    buf
}

/// The automatic `help` subcommand would get a man page of its own and an entry in every
/// SUBCOMMANDS section; `--help` is enough.
fn without_help_subcommand(cmd: Command) -> Command {
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_owned()).collect();
    names.into_iter().fold(cmd.disable_help_subcommand(true), |cmd, name| {
        cmd.mut_subcommand(name, without_help_subcommand)
    })
}

/// One page for `cmd` (`rtctool-stun-decode.1` for `rtctool stun decode`), then one for each of
/// its visible subcommands, at every depth.
fn add_man_pages(cmd: &Command, parents: &[&str], version: &str, files: &mut Files) {
    let mut path = parents.to_vec();
    path.push(cmd.get_name());
    let page_name = path.join("-");
    // display_name gives the title, the NAME line and the SUBCOMMANDS entries
    // (`rtctool-stun-decode(1)`); bin_name gives the synopsis (`rtctool stun decode`).
    let named = cmd.clone().display_name(&page_name).bin_name(path.join(" "));
    files.insert(
        Path::new("man").join(format!("{page_name}.{MAN_SECTION}")),
        man_page(named, parents, version),
    );
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        add_man_pages(sub, &path, version, files);
    }
}

/// clap_mangen's sections, in man-pages(7) order, plus EXIT STATUS, ENVIRONMENT and SEE ALSO.
fn man_page(cmd: Command, parents: &[&str], version: &str) -> Vec<u8> {
    let man = Man::new(cmd.clone()).section(MAN_SECTION);
    let mut out = Vec::new();
    write_man_page(&man, &cmd, parents, version, &mut out).expect("rendering a man page into memory");
    single_preamble(out)
}

fn write_man_page(
    man: &Man,
    cmd: &Command,
    parents: &[&str],
    version: &str,
    w: &mut dyn Write,
) -> io::Result<()> {
    let page_name = cmd.get_display_name().unwrap_or(cmd.get_name());
    title_line(&page_name.to_uppercase(), &format!("{BIN} {version}"), w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(w)?;
    }
    exit_status_section().to_writer(w)?;
    if let Some(environment) = environment_section(cmd) {
        environment.to_writer(w)?;
    }
    if cmd.get_after_long_help().is_some() || cmd.get_after_help().is_some() {
        let mut extra = Vec::new();
        man.render_extra_section(&mut extra)?;
        w.write_all(&name_extra_section(extra))?;
    }
    if cmd.get_version().is_some() || cmd.get_long_version().is_some() {
        man.render_version_section(w)?;
    }
    if cmd.get_author().is_some() {
        man.render_authors_section(w)?;
    }
    if let Some(see_also) = see_also_section(parents) {
        see_also.to_writer(w)?;
    }
    Ok(())
}

/// `.TH TITLE SECTION DATE SOURCE MANUAL`. Not clap_mangen's `render_title`: it writes an empty
/// date as nothing at all, so the source slides into the date's place (and the manual into the
/// source's). The date stays empty so that the pages only change when the CLI does.
fn title_line(title: &str, source: &str, w: &mut dyn Write) -> io::Result<()> {
    let quoted = |arg: &str| format!("\"{}\"", arg.replace('"', ""));
    writeln!(w, ".TH {} {MAN_SECTION} {} {} {}", quoted(title), quoted(""), quoted(source), quoted(MANUAL))
}

/// clap_mangen heads the after-help "EXTRA". When the after-help starts with a line like
/// `Examples:`, that line becomes the heading (EXAMPLES); otherwise the heading is NOTES.
fn name_extra_section(rendered: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(rendered).expect("man pages are UTF-8");
    let Some((before, after)) = text.split_once(".SH EXTRA\n") else { return text.into_bytes() };
    let (first, rest) = after.split_once('\n').unwrap_or((after, ""));
    let heading = first.strip_suffix(':').filter(|h| !h.is_empty() && !h.contains(['.', ':', '\\']));
    match heading {
        Some(heading) => format!("{before}.SH \"{}\"\n{rest}", heading.to_uppercase()),
        None => format!("{before}.SH NOTES\n{after}"),
    }
    .into_bytes()
}

fn exit_status_section() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in EXIT_STATUS {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(meaning)]);
    }
    roff
}

/// The environment variables the command's options read, and NO_COLOR where `--color` applies.
fn environment_section(cmd: &Command) -> Option<Roff> {
    let mut entries: Vec<(String, String)> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_hide_env_set())
        .filter_map(|a| {
            let env = a.get_env()?.to_string_lossy().into_owned();
            let option = match (a.get_long(), a.get_short()) {
                (Some(long), _) => format!("--{long}"),
                (None, Some(short)) => format!("-{short}"),
                (None, None) => a.get_id().to_string(),
            };
            Some((env, format!("The default for {option}.")))
        })
        .collect();
    if cmd.get_arguments().any(|a| a.get_long() == Some("color")) {
        entries.push((
            "NO_COLOR".to_owned(),
            "When set and not empty, --color auto does not colour (https://no-color.org).".to_owned(),
        ));
    }
    if entries.is_empty() {
        return None;
    }
    let mut roff = Roff::new();
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in entries {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(meaning)]);
    }
    Some(roff)
}

/// A subcommand's page points back to the pages of the commands above it.
fn see_also_section(parents: &[&str]) -> Option<Roff> {
    if parents.is_empty() {
        return None;
    }
    let refs: Vec<String> =
        (1..=parents.len()).map(|n| format!("{}({MAN_SECTION})", parents[..n].join("-"))).collect();
    let mut roff = Roff::new();
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(refs.join(", "))]);
    Some(roff)
}

/// Each clap_mangen render function writes roff's apostrophe preamble; keep the first only.
fn single_preamble(page: Vec<u8>) -> Vec<u8> {
    let preamble = Roff::new().render();
    let page = String::from_utf8(page).expect("man pages are UTF-8");
    let body = page.replace(&preamble, "");
    format!("{preamble}{body}").into_bytes()
}

/// The files currently in the generated directories (a missing directory is empty).
fn checked_in(root: &Path) -> Files {
    let mut files = Files::new();
    for dir in DIRS {
        let Ok(entries) = fs::read_dir(root.join(dir)) else { continue };
        for entry in entries {
            let entry = entry.expect("listing a generated directory");
            let relative = Path::new(dir).join(entry.file_name());
            // A directory inside counts as something this generator did not make.
            let content = fs::read(entry.path()).unwrap_or_default();
            files.insert(relative, content);
        }
    }
    files
}

/// What differs between the generated files (`want`) and the checked-in ones (`have`), one line
/// per file; empty when they match.
fn differences(want: &Files, have: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, content) in want {
        match have.get(path) {
            None => problems.push(format!("missing: {}", path.display())),
            Some(old) if old != content => {
                problems.push(format!("out of date: {} ({})", path.display(), first_difference(old, content)))
            }
            Some(_) => {}
        }
    }
    for path in have.keys().filter(|p| !want.contains_key(*p)) {
        problems.push(format!("not generated any more (stale): {}", path.display()));
    }
    problems
}

/// Where two versions of a file first differ, for the failure message.
fn first_difference(old: &[u8], new: &[u8]) -> String {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let (mut old_lines, mut new_lines) = (old.lines(), new.lines());
    for n in 1.. {
        match (old_lines.next(), new_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => return "line endings differ".to_owned(),
            (a, b) => {
                return format!(
                    "line {n}: checked in {:?}, generated {:?}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                )
            }
        }
    }
    unreachable!("the loop returns")
}

/// Make the generated directories hold exactly `want`.
fn update(root: &Path, want: &Files, have: &Files) {
    for (path, content) in want {
        if have.get(path) == Some(content) {
            continue;
        }
        let full = root.join(path);
        if let Some(dir) = full.parent() {
            fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        }
        fs::write(&full, content).unwrap_or_else(|e| panic!("writing {}: {e}", full.display()));
        eprintln!("wrote {}", path.display());
    }
    for path in have.keys().filter(|p| !want.contains_key(*p)) {
        let full = root.join(path);
        let removed = if full.is_dir() { fs::remove_dir_all(&full) } else { fs::remove_file(&full) };
        removed.unwrap_or_else(|e| panic!("removing {}: {e}", full.display()));
        eprintln!("removed {}", path.display());
    }
}

fn update_requested() -> bool {
    std::env::var_os(UPDATE_VAR).is_some_and(|v| !v.is_empty() && v != "0")
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = repo_root();
    let want = generate();
    let have = checked_in(root);
    if update_requested() {
        update(root, &want, &have);
        return;
    }
    let problems = differences(&want, &have);
    assert!(
        problems.is_empty(),
        "completions/ and man/ do not match the CLI:\n  {}\n\nRegenerate them with\n\n    {REGENERATE}\n\n\
         and commit the changes (new and deleted files included).",
        problems.join("\n  ")
    );
}

#[test]
fn completions_are_what_the_binary_prints() {
    for shell in Shell::value_variants() {
        let output = Process::new(env!("CARGO_BIN_EXE_rtctool"))
            .args(["completions", &shell.to_string()])
            .output()
            .expect("running rtctool completions");
        assert!(output.status.success(), "rtctool completions {shell} failed: {output:?}");
        assert!(
            output.stdout == completion(*shell),
            "rtctool completions {shell} differs from the generator"
        );
    }
}

#[test]
fn every_subcommand_has_a_man_page_with_exit_status() {
    fn walk(cmd: &Command, parents: &[&str], files: &Files) {
        let mut path = parents.to_vec();
        path.push(cmd.get_name());
        let page = Path::new("man").join(format!("{}.{MAN_SECTION}", path.join("-")));
        let content = files.get(&page).unwrap_or_else(|| panic!("no man page {}", page.display()));
        let text = String::from_utf8_lossy(content);
        assert!(text.contains(".SH \"EXIT STATUS\""), "{} has no EXIT STATUS", page.display());
        // roff escapes the hyphen of a name like nat-type.
        let synopsis = format!(".SH SYNOPSIS\n\\fB{}\\fR", path.join(" ").replace('-', "\\-"));
        assert!(text.contains(&synopsis), "{} synopsis does not start with {:?}", page.display(), path);
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, &path, files);
        }
    }
    let files = generate();
    walk(&without_help_subcommand(rtctool::cli::command()), &[], &files);
    let help_pages: Vec<_> = files.keys().filter(|p| p.to_string_lossy().ends_with("-help.1")).collect();
    assert!(help_pages.is_empty(), "man pages for the help subcommand: {help_pages:?}");
}

#[test]
fn differences_catch_missing_changed_and_stale_files() {
    let file = |p: &str, c: &str| (PathBuf::from(p), c.as_bytes().to_vec());
    let want: Files =
        [file("man/a.1", "one\ntwo\n"), file("man/b.1", "b\n"), file("completions/x", "x")].into();
    assert!(differences(&want, &want).is_empty());

    let have: Files =
        [file("man/a.1", "one\nTWO\n"), file("man/old.1", "old\n"), file("completions/x", "x")].into();
    let problems = differences(&want, &have);
    assert_eq!(
        problems,
        [
            "out of date: man/a.1 (line 2: checked in \"TWO\", generated \"two\")",
            "missing: man/b.1",
            "not generated any more (stale): man/old.1",
        ]
    );
}
