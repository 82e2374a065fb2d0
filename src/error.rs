//! The project's error type and the exit codes of DESIGN.md.
//!
//! Every command returns `Result<Outcome, Error>`; `main` maps that to the process exit code, so
//! the mapping lives in one place.

use std::fmt;

/// Process exit codes shared by every command.
pub mod exit {
    /// The command worked and found nothing to report.
    pub const OK: i32 = 0;
    /// The command worked and found something (differences, lint errors, a failing server...).
    pub const FOUND: i32 = 1;
    /// Usage error (clap uses 2 as well).
    pub const USAGE: i32 = 2;
    /// Input error: unreadable or unparseable input.
    pub const INPUT: i32 = 3;
    /// Network error: nothing answered, bind failed.
    pub const NETWORK: i32 = 4;
    /// Interrupted (Ctrl-C) before its end, with nothing found in the part that ran: the
    /// shells' 128 + SIGINT, so that a script tells it from a complete run.
    pub const INTERRUPTED: i32 = 130;
}

/// What a command that ran to its end found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report: exit 0.
    Clean,
    /// Something was found (a difference, an error, a failing check): exit 1.
    Found,
    /// Stopped by Ctrl-C before its end, nothing found in what ran: exit 130.
    Interrupted,
}

impl Outcome {
    /// The process exit code for this outcome.
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Clean => exit::OK,
            Outcome::Found => exit::FOUND,
            Outcome::Interrupted => exit::INTERRUPTED,
        }
    }
}

/// Which class of failure an [`Error`] is; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad arguments or a combination of them that cannot work.
    Usage,
    /// Input that cannot be read or parsed (also: a corrupted message).
    Input,
    /// Nothing answered, a bind failed, a timeout.
    Network,
    /// Standard output was closed by its reader (`| head`): the command ends quietly, exit 0.
    OutputClosed,
}

/// An error with the context of what was being done (`reading foo.pcap: ...`).
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Usage, message: message.into() }
    }
    /// An input error.
    pub fn input(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Input, message: message.into() }
    }
    /// A network error.
    pub fn network(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Network, message: message.into() }
    }
    /// Writing the output failed: a closed pipe ends the command quietly
    /// ([`ErrorKind::OutputClosed`]), anything else is an input error (exit 3) that says so.
    pub fn output(e: impl std::borrow::Borrow<std::io::Error>) -> Self {
        let e = e.borrow();
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error { kind: ErrorKind::OutputClosed, message: "the output was closed".into() }
        } else {
            Error { kind: ErrorKind::Input, message: format!("writing output: {e}") }
        }
    }
    /// Prefix the message with what was being done: `context: message`.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Usage => exit::USAGE,
            ErrorKind::Input => exit::INPUT,
            ErrorKind::Network => exit::NETWORK,
            ErrorKind::OutputClosed => exit::OK,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The result type of the project's fallible operations.
pub type Result<T> = std::result::Result<T, Error>;
