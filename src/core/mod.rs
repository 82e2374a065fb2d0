//! Shared core: protocol codecs and output helpers, no subcommand logic.

pub mod addr;
pub mod dns;
pub mod http;
pub mod ice;
pub mod interrupt;
pub mod output;
pub mod stun;
pub mod tls;
pub mod transact;
pub mod turn;
pub mod udp;
pub mod units;
