//! The report of one `call`: loopback's shape and keys (timings, timeline, candidates,
//! selected pair, media streams, data channel, checks) seen from this side, plus the peer, every
//! candidate pair ICE formed, and a diagnosis in plain words when the call did not connect.

use std::fmt::Write as _;

use colored::Colorize;
use serde::Serialize;

use crate::core::ice::Candidate;
use crate::core::output::{Align, Output, Table};
use crate::loopback::report::{
    ms, Check, ConfigSummary, DataChannelReport, MediaReport, PairEnd, SelectedPair,
};
use crate::loopback::wire::WireReport;

/// Everything about one call, from this side.
#[derive(Debug, Clone, Serialize)]
pub struct CallReport {
    /// Our peer connection reached `connected` (ICE and DTLS).
    pub connected: bool,
    /// Ctrl-C ended the call early.
    pub interrupted: bool,
    /// Why the call did not connect, or ended early.
    pub error: Option<String>,
    /// caller (we offered) or callee (we answered).
    pub role: &'static str,
    /// Our DTLS role: client or server (null before the answer).
    pub dtls_role: Option<&'static str>,
    /// The signalling server.
    pub signal: String,
    /// Who we were on it.
    pub me: PeerInfo,
    /// Whom we called, or who called us (null if nobody came).
    pub peer: Option<PeerInfo>,
    /// What was asked for.
    pub config: ConfigSummary,
    /// Milestones, ms from the offer (sent by the caller, received by the callee).
    pub timings_ms: CallTimings,
    /// Everything that happened, ms from signing in.
    pub timeline: Vec<Event>,
    /// Every candidate: ours as gathered, the peer's as they came.
    pub candidates: Vec<CallCandidate>,
    /// The pair ICE chose.
    pub selected_pair: Option<SelectedPair>,
    /// Every candidate pair, with its checks.
    pub pairs: Vec<PairReport>,
    /// Media streams, both directions.
    pub media: MediaReport,
    /// The data channel (null without one).
    pub data_channel: Option<DataChannelReport>,
    /// The connectivity checks our sockets sent and received, and their answers (null before
    /// there was a peer connection).
    pub wire: Option<WireReport>,
    /// Plain words on what happened, when it did not go well.
    pub diagnosis: Vec<String>,
    /// What the other end saw, when it is rtctool too and sent its report.
    pub remote_report: Option<serde_json::Value>,
    /// With --nat-check: both sides' NAT behaviour, the predicted cell and whether it matched.
    pub nat_check: Option<super::natcheck::NatCheck>,
    /// What was checked, and how it went.
    pub checks: Vec<Check>,
    /// From signing in to the end of the report, ms.
    pub done_ms: f64,
}

impl CallReport {
    /// Connected over a pair with no relay end.
    pub fn is_direct(&self) -> bool {
        self.connected
            && self.selected_pair.as_ref().is_some_and(|p| p.local.typ != "relay" && p.remote.typ != "relay")
    }
}

/// The closing line of a failed call's diagnosis when no relay could be used.
pub const NO_TURN: &str = "no TURN server was given, so there was no relay to fall back on";

/// A member of the signalling channel.
#[derive(Debug, Clone, Serialize)]
pub struct PeerInfo {
    /// Its name.
    pub name: String,
    /// Its server id.
    pub id: u32,
    /// The rtctool version it announced in its description, if it is rtctool.
    pub rtctool: Option<String>,
}

/// Milestones, ms from the offer; `signed_in` and `peer_found` are ms before it (from sign-in).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallTimings {
    /// From signing in to the offer.
    pub sign_in_to_offer: Option<f64>,
    /// The answer sent (callee) or received (caller).
    pub answer: Option<f64>,
    /// Our gathering complete.
    pub gathering: Option<f64>,
    /// Our first candidate.
    pub first_candidate: Option<f64>,
    /// The peer's first candidate arrived.
    pub first_remote_candidate: Option<f64>,
    /// ICE started checking.
    pub ice_checking: Option<f64>,
    /// ICE connected.
    pub ice_connected: Option<f64>,
    /// The peer connection connected (DTLS done, SRTP keyed).
    pub dtls_connected: Option<f64>,
    /// The data channel opened.
    pub data_channel_open: Option<f64>,
    /// First RTP packet received.
    pub first_media: Option<f64>,
    /// First frame completed.
    pub first_frame: Option<f64>,
}

/// One timeline line.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// ms from signing in.
    pub ms: f64,
    /// A stable kebab-case name.
    pub event: String,
    /// More about it.
    pub detail: Option<String>,
}

/// A candidate of either end.
#[derive(Debug, Clone, Serialize)]
pub struct CallCandidate {
    /// local or remote.
    pub from: &'static str,
    /// ms from signing in.
    pub elapsed_ms: f64,
    /// The candidate (DESIGN.md candidate keys).
    pub candidate: Candidate,
}

/// One candidate pair as ICE saw it.
#[derive(Debug, Clone, Serialize)]
pub struct PairReport {
    /// Our end.
    pub local: Option<PairEnd>,
    /// The peer's end.
    pub remote: Option<PairEnd>,
    /// frozen, waiting, in-progress, failed or succeeded.
    pub state: String,
    /// Nominated.
    pub nominated: bool,
    /// Connectivity checks sent.
    pub requests_sent: u64,
    /// Checks received from the peer on it.
    pub requests_received: u64,
    /// Answers we sent.
    pub responses_sent: u64,
    /// Answers that came back.
    pub responses_received: u64,
    /// Current RTT, ms.
    pub rtt_ms: Option<f64>,
}

fn end(e: &Option<PairEnd>) -> String {
    e.as_ref()
        .map_or_else(|| "?".to_owned(), |e| format!("{} {} {}:{}", e.typ, e.protocol, e.address, e.port))
}

/// The human report; with -q only the checks and the verdict.
pub fn render(r: &CallReport, out: &Output) -> String {
    let mut s = String::new();
    if !out.quiet {
        let peer = r.peer.as_ref().map_or("nobody".to_owned(), |p| {
            format!(
                "{} (id {}{})",
                p.name,
                p.id,
                p.rtctool.as_ref().map_or(String::new(), |v| format!(", rtctool {v}"))
            )
        });
        let _ = writeln!(
            s,
            "call {} {} via {}, as {} (id {})",
            if r.role == "caller" { "to" } else { "from" },
            peer,
            r.signal,
            r.me.name,
            r.me.id
        );
        let t = &r.timings_ms;
        let _ = writeln!(
            s,
            "timings from the offer (ms): answer {}  first remote candidate {}  ICE connected {}  DTLS connected {}  data channel open {}  first media {}",
            ms(t.answer),
            ms(t.first_remote_candidate),
            ms(t.ice_connected),
            ms(t.dtls_connected),
            ms(t.data_channel_open),
            ms(t.first_media)
        );
        if let Some(p) = &r.selected_pair {
            let _ = writeln!(
                s,
                "selected pair: {} <-> {}  rtt {} ms",
                end(&Some(p.local.clone())),
                end(&Some(p.remote.clone())),
                ms(p.rtt_ms)
            );
        }
        if out.verbose > 0 && !r.pairs.is_empty() {
            let mut table = Table::new(["local", "remote", "state", "nom", "req", "resp", "rtt ms"]);
            for c in [3, 4, 5, 6] {
                table.align(c, Align::Right);
            }
            for p in &r.pairs {
                table.row([
                    end(&p.local),
                    end(&p.remote),
                    p.state.clone(),
                    if p.nominated { "yes".into() } else { String::new() },
                    p.requests_sent.to_string(),
                    p.responses_received.to_string(),
                    ms(p.rtt_ms),
                ]);
            }
            let _ = write!(s, "{table}");
        }
        if !r.media.streams.is_empty() {
            let mut table = Table::new([
                "stream",
                "codec",
                "packets in",
                "frames sent",
                "verified",
                "corrupted",
                "lost %",
            ]);
            for c in [2, 3, 4, 5, 6] {
                table.align(c, Align::Right);
            }
            for st in &r.media.streams {
                table.row([
                    st.stream.clone(),
                    st.codec.clone(),
                    st.packets_received.to_string(),
                    st.frames.sent.to_string(),
                    st.frames.verified.to_string(),
                    st.frames.corrupted.to_string(),
                    format!("{:.1}", st.frames.loss_pct),
                ]);
            }
            let _ = write!(s, "{table}");
        }
        if let Some(dc) = &r.data_channel {
            let _ = writeln!(
                s,
                "data channel: {} sent, {} back, {} corrupted{}",
                dc.messages_sent,
                dc.messages_received,
                dc.corrupted,
                dc.rtt_ms.as_ref().map_or(String::new(), |l| format!(", rtt mean {:.1} ms", l.mean))
            );
        }
        if let Some(n) = &r.nat_check {
            let side = |s: &Option<super::natcheck::NatSide>| {
                s.as_ref().map_or("?".to_owned(), |s| s.nat_type.clone())
            };
            let _ = writeln!(
                s,
                "NAT check: ours {}, the peer's {}; predicted {}; {}",
                side(&n.local),
                side(&n.remote),
                match n.predicted_direct {
                    Some(true) => "a direct path",
                    Some(false) => "no direct path (relay needed)",
                    None => "nothing (a side is unknown)",
                },
                match n.matched {
                    Some(true) => "the call matched",
                    Some(false) => "the call did not match",
                    None => "no comparison",
                }
            );
        }
        for d in &r.diagnosis {
            let _ = writeln!(s, "diagnosis: {d}");
        }
    }
    for c in &r.checks {
        let mark = if c.ok { "ok".green().to_string() } else { "FAIL".red().bold().to_string() };
        let mark = if out.color {
            mark
        } else if c.ok {
            "ok".into()
        } else {
            "FAIL".into()
        };
        let _ = writeln!(s, "{mark:>4}  {}: {}", c.name, c.message);
    }
    s
}

/// What the evidence says about a call that did not connect (or connected only by relay).
pub fn diagnose(r: &CallReport) -> Vec<String> {
    let mut out = Vec::new();
    let local = r.candidates.iter().filter(|c| c.from == "local").count();
    let remote = r.candidates.iter().filter(|c| c.from == "remote").count();
    if r.peer.is_none() {
        out.push(if r.role == "caller" {
            "the peer never signed in to the signalling server".to_owned()
        } else {
            "no peer sent an offer".to_owned()
        });
        return out;
    }
    if r.role == "caller" && r.timings_ms.answer.is_none() {
        out.push("the answer never came".to_owned());
        return out;
    }
    if !r.connected {
        if local == 0 {
            out.push("we gathered no candidates".to_owned());
        }
        if remote == 0 {
            out.push("the peer sent no candidates (neither trickled nor in its description)".to_owned());
        }
        let answered = r.pairs.iter().filter(|p| p.responses_received > 0).count();
        let heard = r.pairs.iter().filter(|p| p.requests_received > 0).count();
        if !r.pairs.is_empty() && answered == 0 {
            out.push(format!(
                "no pair got a response: {} checked, {} sent{}",
                crate::core::units::count(r.pairs.len() as u64, "pair"),
                crate::core::units::count(r.pairs.iter().map(|p| p.requests_sent).sum::<u64>(), "request"),
                if heard == 0 { ", and no check from the peer arrived" } else { "" }
            ));
        }
        if r.config.ice_servers.iter().all(|u| !u.starts_with("turn")) {
            out.push(NO_TURN.to_owned());
        }
    } else if let Some(p) = &r.selected_pair {
        if p.local.typ == "relay" || p.remote.typ == "relay" {
            let direct_ok = r.pairs.iter().any(|q| {
                q.responses_received > 0
                    && q.local.as_ref().is_some_and(|l| l.typ != "relay")
                    && q.remote.as_ref().is_some_and(|e| e.typ != "relay")
            });
            if !direct_ok {
                out.push("the call went through the relay: no direct pair was selected".to_owned());
            }
        }
    }
    out
}
