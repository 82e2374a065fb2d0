//! `rtctool sdp show|lint|diff|check`: SDP offers and answers, read losslessly and tolerantly.
//!
//! Layers, bottom up:
//! * [`lines`]: the text as numbered lines with their endings, never failing;
//! * [`model`]: the typed view (session, m-sections, codecs, candidates, ...) borrowing from
//!   the text, every value with its line;
//! * [`lint`], [`diff`], [`check`], [`show`]: the subcommands' logic, usable as a library;
//! * [`input`]: files, stdin and JSON-wrapped descriptions.
//!
//! ```
//! use rtctool::sdp::{lint, Role, Sdp};
//! let sdp = Sdp::parse("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
//!     m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n\
//!     a=ice-ufrag:abc\r\na=ice-pwd:0123456789012345678901\r\n\
//!     a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\na=rtpmap:111 opus/48000/2\r\n");
//! let rules: Vec<_> = lint(&sdp, Some(Role::Offer)).iter().map(|p| p.rule).collect();
//! assert_eq!(rules, ["ice-ufrag-length", "fingerprint-length"]);
//! ```

pub mod check;
pub mod diff;
pub mod input;
pub mod lines;
pub mod lint;
pub mod model;
mod parse;
pub mod show;

use std::io::{self, Write};

use colored::Colorize;

pub use check::{check, CheckProblem, CHECK_RULES};
pub use diff::{diff, Change, KINDS};
pub use input::{decode, read_sdp, SdpInput, Wrapping};
pub use lint::{lint, Rule, RULES};
pub use model::{Direction, Media, Problem, Role, Sdp, Setup, Severity};

use crate::core::output::{self, one_line_safe, terminal_safe, Mode, Output};
use crate::{Error, Outcome, Result};

/// An `rtctool sdp` job, as the command line asks it. Paths are files or `-` (standard input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdpJob {
    /// `sdp show`: the summary of one SDP.
    Show {
        /// The SDP.
        input: String,
    },
    /// `sdp lint`: the problems of one SDP, or the rule list.
    Lint {
        /// The SDP (absent with `list_rules`).
        input: Option<String>,
        /// Lint as an offer or an answer (default: the JSON `type`, else neither).
        role: Option<Role>,
        /// List the rules instead.
        list_rules: bool,
    },
    /// `sdp diff`: what changed from A to B.
    Diff {
        /// The first SDP.
        a: String,
        /// The second SDP.
        b: String,
    },
    /// `sdp check`: whether an answer answers an offer.
    Check {
        /// The offer.
        offer: String,
        /// The answer.
        answer: String,
    },
}

/// Run an `sdp` job.
pub fn run(job: SdpJob, out: &Output) -> Result<Outcome> {
    match job {
        SdpJob::Show { input } => show_command(&input, out),
        SdpJob::Lint { input, role, list_rules } => lint_command(input, role, list_rules, out),
        SdpJob::Diff { a, b } if a == "-" && b == "-" => {
            Err(Error::usage("sdp diff: only one of A and B can be - (standard input is read once)"))
        }
        SdpJob::Check { offer, answer } if offer == "-" && answer == "-" => Err(Error::usage(
            "sdp check: only one of OFFER and ANSWER can be - (standard input is read once)",
        )),
        SdpJob::Diff { a, b } => diff_command(&a, &b, out),
        SdpJob::Check { offer, answer } => check_command(&offer, &answer, out),
    }
}

/// Parses an input, refusing text that has no SDP line at all (exit 3): tolerance is for
/// damaged SDP, not for the wrong file.
pub fn parse_input(input: &SdpInput) -> Result<Sdp<'_>> {
    let sdp = Sdp::parse(&input.text);
    if !sdp.has_sdp_lines() {
        return Err(Error::input(format!(
            "{}: not SDP: no <type>=<value> line (expected v=0, o=..., m=...)",
            input.source
        )));
    }
    Ok(sdp)
}

fn write_out(f: impl FnOnce(&mut io::StdoutLock<'_>) -> io::Result<()>) -> Result<()> {
    let stdout = io::stdout();
    let mut w = stdout.lock();
    f(&mut w).and_then(|()| w.flush()).map_err(Error::output)
}

fn show_command(path: &str, out: &Output) -> Result<Outcome> {
    let input = read_sdp(path)?;
    let sdp = parse_input(&input)?;
    let encoding = input.problems();
    match out.mode {
        Mode::Json => write_out(|w| output::write_json(w, &show::to_json(&sdp, &input, &encoding)))?,
        Mode::Ndjson => write_out(|w| output::write_ndjson(w, &show::to_json(&sdp, &input, &encoding)))?,
        Mode::Human => write_out(|w| write!(w, "{}", show::to_tree(&sdp, &input, input.role())))?,
    }
    Ok(Outcome::Clean)
}

fn role_of(arg: Option<Role>, input: &SdpInput) -> Option<Role> {
    arg.or_else(|| input.role())
}

fn severity_text(s: Severity) -> String {
    match s {
        Severity::Error => s.as_str().red().bold().to_string(),
        Severity::Warning => s.as_str().yellow().bold().to_string(),
        Severity::Info => s.as_str().blue().to_string(),
    }
}

/// `FILE:LINE: severity[rule] mid X: message`, the compiler-style line editors understand.
fn problem_line(source: &str, p: &Problem) -> String {
    let at = p.line.map_or_else(|| source.to_string(), |l| format!("{source}:{l}"));
    let mid = p.mid.as_deref().map_or(String::new(), |m| format!(" (mid {m})"));
    format!("{at}: {}[{}]{mid}: {}", severity_text(p.severity), p.rule, p.message)
}

fn summary(problems: &[&Problem]) -> String {
    let count = |s: Severity| problems.iter().filter(|p| p.severity == s).count();
    let n = |c: usize, w: &str| if c == 1 { format!("1 {w}") } else { format!("{c} {w}s") };
    format!(
        "{}, {}, {}",
        n(count(Severity::Error), "error"),
        n(count(Severity::Warning), "warning"),
        n(count(Severity::Info), "note")
    )
}

#[derive(serde::Serialize)]
struct LintJson<'a> {
    problems: &'a [Problem],
}

fn lint_command(path: Option<String>, role: Option<Role>, list_rules: bool, out: &Output) -> Result<Outcome> {
    if list_rules {
        #[derive(serde::Serialize)]
        struct RuleJson {
            id: &'static str,
            severity: Severity,
            summary: &'static str,
        }
        let rules = || RULES.iter().map(|r| RuleJson { id: r.id, severity: r.severity, summary: r.summary });
        match out.mode {
            Mode::Json => {
                let rules: Vec<RuleJson> = rules().collect();
                write_out(|w| output::write_json(w, &serde_json::json!({ "rules": rules })))?
            }
            Mode::Ndjson => write_out(|w| rules().try_for_each(|r| output::write_ndjson(w, &r)))?,
            Mode::Human => write_out(|w| w.write_all(lint::rules_text().as_bytes()))?,
        }
        return Ok(Outcome::Clean);
    }
    let Some(path) = path else {
        return Err(Error::usage("sdp lint needs FILE (or --list-rules)"));
    };
    let input = read_sdp(&path)?;
    let sdp = parse_input(&input)?;
    let role = role_of(role, &input);
    let mut problems = input.problems();
    problems.extend(lint(&sdp, role));
    match out.mode {
        Mode::Json => write_out(|w| output::write_json(w, &LintJson { problems: &problems }))?,
        Mode::Ndjson => write_out(|w| problems.iter().try_for_each(|p| output::write_ndjson(w, p)))?,
        Mode::Human => write_out(|w| {
            for p in &problems {
                writeln!(w, "{}", terminal_safe(&problem_line(&input.source, p)))?;
            }
            if !out.quiet {
                if problems.is_empty() {
                    writeln!(w, "{}: no problems", input.source)?;
                } else {
                    writeln!(w, "{}: {}", input.source, summary(&problems.iter().collect::<Vec<_>>()))?;
                }
            }
            Ok(())
        })?,
    }
    Ok(if problems.iter().any(|p| p.severity == Severity::Error) { Outcome::Found } else { Outcome::Clean })
}

#[derive(serde::Serialize)]
struct DiffJson<'a> {
    changes: &'a [Change],
}

fn diff_command(a: &str, b: &str, out: &Output) -> Result<Outcome> {
    let (ia, ib) = (read_sdp(a)?, read_sdp(b)?);
    let (a, b) = (parse_input(&ia)?, parse_input(&ib)?);
    let changes = diff(&a, &b);
    match out.mode {
        Mode::Json => write_out(|w| output::write_json(w, &DiffJson { changes: &changes }))?,
        Mode::Ndjson => write_out(|w| changes.iter().try_for_each(|c| output::write_ndjson(w, c)))?,
        Mode::Human => write_out(|w| {
            writeln!(w, "{} {}", "---".red(), ia.source)?;
            writeln!(w, "{} {}", "+++".green(), ib.source)?;
            if changes.is_empty() {
                if !out.quiet {
                    writeln!(w, "no semantic differences")?;
                }
                return Ok(());
            }
            let mut current: Option<Option<&str>> = None;
            for c in &changes {
                if current != Some(c.mid.as_deref()) {
                    current = Some(c.mid.as_deref());
                    match c.mid.as_deref() {
                        None => writeln!(w, "{}", "session".bold())?,
                        Some(m) => writeln!(w, "{}", format!("mid {}", one_line_safe(m)).bold().cyan())?,
                    }
                }
                writeln!(w, "  {}  {}", c.kind.yellow(), terminal_safe(&c.message))?;
            }
            if !out.quiet {
                let n = changes.len();
                writeln!(w, "{n} change{}", if n == 1 { "" } else { "s" })?;
            }
            Ok(())
        })?,
    }
    Ok(if changes.is_empty() { Outcome::Clean } else { Outcome::Found })
}

#[derive(serde::Serialize)]
struct CheckJson<'a> {
    problems: &'a [CheckProblem],
}

fn check_command(offer: &str, answer: &str, out: &Output) -> Result<Outcome> {
    let (io, ia) = (read_sdp(offer)?, read_sdp(answer)?);
    let (offer, answer) = (parse_input(&io)?, parse_input(&ia)?);
    let mut problems = check::role_mismatch(io.role(), ia.role());
    problems.extend(check(&offer, &answer));
    match out.mode {
        Mode::Json => write_out(|w| output::write_json(w, &CheckJson { problems: &problems }))?,
        Mode::Ndjson => write_out(|w| problems.iter().try_for_each(|p| output::write_ndjson(w, p)))?,
        Mode::Human => write_out(|w| {
            for p in &problems {
                let source = if p.side == Role::Offer { &io.source } else { &ia.source };
                writeln!(w, "{}", terminal_safe(&problem_line(source, &p.problem)))?;
            }
            if !out.quiet {
                if problems.is_empty() {
                    writeln!(w, "{} answers {}: no problems", ia.source, io.source)?;
                } else {
                    let all: Vec<&Problem> = problems.iter().map(|p| &p.problem).collect();
                    writeln!(w, "{} against {}: {}", ia.source, io.source, summary(&all))?;
                }
            }
            Ok(())
        })?,
    }
    Ok(if problems.iter().any(|p| p.problem.severity == Severity::Error) {
        Outcome::Found
    } else {
        Outcome::Clean
    })
}
