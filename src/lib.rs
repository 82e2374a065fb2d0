//! rtctool: a command-line WebRTC toolkit.
//!
//! The library holds everything; the binary only parses arguments and maps errors to exit codes.
//! `core` is shared protocol code (STUN/TURN codec, ICE candidates, output); each subcommand has
//! its own module on top of it.

pub mod call;
pub mod cli;
pub mod core;
pub mod error;
pub mod gather;
pub mod loopback;
pub mod nat;
pub mod pcap;
pub mod sdp;
pub mod signal;
pub mod stun;

pub use error::{Error, ErrorKind, Outcome, Result};

use cli::{Cli, Command};
use core::output::{Mode, Output};

/// Run a parsed command line; `main` maps the result to an exit code.
pub fn run(cli: Cli) -> Result<Outcome> {
    let mode = if cli.json {
        Mode::Json
    } else if cli.ndjson {
        Mode::Ndjson
    } else {
        Mode::Human
    };
    let out = Output::new(cli.color, mode, cli.quiet, cli.verbose);
    match cli.command {
        Command::Stun(cli::StunCommand::Decode(args)) => stun::decode(args.options(), &out),
        Command::Pcap(cmd) => pcap::run(cmd, &out),
        Command::Sdp(cmd) => sdp::run(cmd, &out),
        Command::NatType(args) => nat::run(args.options(), &out),
        Command::Gather(args) => gather::run(args.options(), &out),
        Command::Loopback(args) => loopback::run(args.options(), &out),
        Command::Signal(cli::SignalCommand::Serve(args)) => signal::serve(args.options(), &out),
        Command::Call(args) => call::run(args.options(), &out),
        Command::Completions(args) => completions(args),
    }
}

fn completions(args: cli::CompletionsArgs) -> Result<Outcome> {
    let mut cmd = cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "rtctool", &mut buf);
    match args.output {
        Some(path) => std::fs::write(&path, &buf)
            .map_err(|e| Error::input(format!("writing {}: {e}", path.display())))?,
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&buf)
                .map_err(|e| Error::input(format!("writing completions: {e}")))?
        }
    }
    Ok(Outcome::Clean)
}
