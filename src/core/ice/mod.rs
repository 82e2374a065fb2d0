//! ICE basics shared by the SDP, gathering and pcap commands.
//!
//! * [`candidate`]: `a=candidate:` lines (RFC 8839 grammar plus browser extensions), parsed
//!   leniently, formatted canonically, serialised to a stable JSON shape.
//! * [`priority`](mod@priority): candidate and pair priorities (RFC 8445 §5.1.2, §6.1.2.3)
//!   and what a priority reveals about the candidate type and, for Chromium relays, the TURN
//!   transport.
//! * [`foundation`](mod@foundation): candidate foundations (RFC 8445 §5.1.1.3) for locally
//!   gathered candidates.
//! * [`url`]: `stun:`/`turn:` URIs (RFC 7064, RFC 7065);
//! * [`credentials`]: TURN credentials from the URL, the flags or the environment, whose
//!   password is never printed.
//! * [`server`]: a STUN/TURN server with its credentials settled, as every command takes it.
//!
//! The most used items are re-exported here.

pub mod candidate;
pub mod credentials;
pub mod foundation;
pub mod priority;
pub mod server;
pub mod url;

pub use candidate::{Candidate, CandidateError, CandidateType, TcpType};
pub use credentials::{
    resolve_credentials, turn_credentials, Credentials, RestAuth, RestOptions, Secret, TurnEnv,
};
pub use foundation::foundation;
pub use priority::{pair_priority, priority, PriorityParts};
pub use server::IceServer;
pub use url::{EffectiveTransport, IceUrl, Scheme, Transport, UrlError};
