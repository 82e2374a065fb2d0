//! rtctool: a command-line WebRTC toolkit.
//!
//! The library holds everything; the binary only parses arguments and maps errors to exit codes.
//! `core` is shared protocol code (STUN/TURN codec and client, ICE candidates and servers,
//! output); each subcommand has its own module on top of it, with its own options type. Only
//! [`cli`] knows clap's arguments: it turns them into those options and dispatches
//! ([`cli::run`]).

pub mod call;
pub mod cli;
pub mod core;
pub mod error;
pub mod exporter;
pub mod gather;
pub mod loopback;
pub mod nat;
pub mod pcap;
pub mod sdp;
pub mod signal;
pub mod stun;
pub mod turnload;

pub use error::{Error, ErrorKind, Outcome, Result};
