//! The call's report: its JSON shape (DESIGN.md's `loopback --json` keys and more), the checks
//! that decide the exit code, and the human rendering.

use std::fmt::Write as _;

use colored::Colorize;
use serde::Serialize;

use super::frame::LatencySummary;
use super::{DataChannelMode, Side};
use crate::core::ice::Candidate;
use crate::core::output::{Align, Output, Table};

/// Everything about one call.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Both peer connections reached `connected` (ICE and DTLS).
    pub connected: bool,
    /// Ctrl-C ended the call early.
    pub interrupted: bool,
    /// Why the call did not connect, or ended early.
    pub error: Option<String>,
    /// What was asked for.
    pub config: ConfigSummary,
    /// Milestones, ms from the offer.
    pub timings_ms: Timings,
    /// Everything that happened, in order.
    pub timeline: Vec<TimelineEntry>,
    /// Every local candidate each side gathered.
    pub candidates: Vec<GatheredCandidate>,
    /// The pair ICE chose (offerer's view).
    pub selected_pair: Option<SelectedPair>,
    /// Media streams.
    pub media: MediaReport,
    /// The data channel (null without one).
    pub data_channel: Option<DataChannelReport>,
    /// The relay's counters when impairing.
    pub impairment: Option<ImpairmentReport>,
    /// What was checked, and how it went.
    pub checks: Vec<Check>,
    /// How long media and data actually flowed, ms.
    pub media_duration_ms: Option<f64>,
    /// From the offer to the end of the report, ms.
    pub done_ms: f64,
}

/// The options of the run.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigSummary {
    /// `none`, `audio`, `video` or `both`.
    pub media: String,
    /// Data channel mode.
    pub datachannel: DataChannelMode,
    /// `--duration`, seconds.
    pub duration_s: f64,
    /// Video bitrate, bit/s.
    pub video_bitrate: u64,
    /// Video frame rate.
    pub fps: u32,
    /// Audio bitrate, bit/s.
    pub audio_bitrate: u64,
    /// Where the peers bound.
    pub bind_address: String,
    /// STUN/TURN servers (passwords as `***`).
    pub ice_servers: Vec<String>,
    /// `--relay-only`.
    pub relay_only: bool,
    /// `--max-loss`, percent.
    pub max_loss_pct: f64,
}

/// The milestones DESIGN.md names, plus a few; ms from the offer, null if never reached.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Building both peer connections (certificates included), before the offer.
    pub setup: f64,
    /// Both sides finished gathering.
    pub gathering: Option<f64>,
    /// First local candidate, offerer.
    pub first_candidate_offerer: Option<f64>,
    /// First local candidate, answerer.
    pub first_candidate_answerer: Option<f64>,
    /// ICE started checking (first side).
    pub ice_checking: Option<f64>,
    /// ICE connected on both sides.
    pub ice_connected: Option<f64>,
    /// Both peer connections connected (DTLS handshake done, SRTP keyed).
    pub dtls_connected: Option<f64>,
    /// The data channel opened on its creator (the offerer), as `onopen` would fire.
    pub data_channel_open: Option<f64>,
    /// First RTP packet received (either side).
    pub first_media: Option<f64>,
    /// First frame completed and verified (either side).
    pub first_frame: Option<f64>,
}

/// One timeline line.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    /// ms from the offer.
    pub ms: f64,
    /// Which peer, or null for the call.
    pub side: Option<Side>,
    /// A stable kebab-case name.
    pub event: String,
    /// More about it.
    pub detail: Option<String>,
}

/// A local candidate and when it came.
#[derive(Debug, Clone, Serialize)]
pub struct GatheredCandidate {
    /// Whose.
    pub side: Side,
    /// ms from the offer.
    pub elapsed_ms: f64,
    /// The candidate (DESIGN.md candidate keys).
    pub candidate: Candidate,
}

/// One end of the selected pair.
#[derive(Debug, Clone, Serialize)]
pub struct PairEnd {
    /// host, srflx, prflx or relay.
    #[serde(rename = "type")]
    pub typ: String,
    /// udp or tcp.
    pub protocol: String,
    /// The address.
    pub address: String,
    /// The port.
    pub port: u16,
}

/// The candidate pair in use.
#[derive(Debug, Clone, Serialize)]
pub struct SelectedPair {
    /// The offerer's end.
    pub local: PairEnd,
    /// The answerer's end as the offerer sees it.
    pub remote: PairEnd,
    /// ICE's current round-trip time, ms.
    pub rtt_ms: Option<f64>,
}

/// All streams.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MediaReport {
    /// One per direction and kind.
    pub streams: Vec<StreamReport>,
}

/// One RTP stream, sender and receiver together.
#[derive(Debug, Clone, Serialize)]
pub struct StreamReport {
    /// `offerer→answerer video`.
    pub stream: String,
    /// Sender: offerer or answerer (loopback), local or remote (call).
    pub from: String,
    /// Receiver.
    pub to: String,
    /// audio or video.
    pub kind: String,
    /// The payload format.
    pub codec: String,
    /// `synthetic`, or the --media-file played.
    pub source: String,
    /// SSRC.
    pub ssrc: u32,
    /// RTP packets the sender sent (webrtc-rs outbound-rtp).
    pub packets_sent: u64,
    /// Their bytes.
    pub bytes_sent: u64,
    /// RTP packets the receiver got, retransmissions included.
    pub packets_received: u64,
    /// Their payload bytes.
    pub bytes_received: u64,
    /// Packets never received, after retransmission (sequence-number range minus unique packets).
    pub packets_lost: u64,
    /// In percent of the packets expected.
    pub loss_pct: f64,
    /// Interarrival jitter from webrtc-rs's receiver reports, converted from RTP units to ms.
    pub jitter_ms: Option<f64>,
    /// The same RFC 3550 estimate computed here on every packet's arrival, ms.
    pub arrival_jitter_ms: f64,
    /// Round-trip time of the transport the stream runs on (all streams share it under
    /// BUNDLE): ICE consent checks on the selected pair, ms. webrtc-rs 0.21 reports no RTCP RTT.
    pub rtt_ms: Option<f64>,
    /// NACK messages the receiver sent (webrtc-rs inbound-rtp nackCount).
    pub nacks: u64,
    /// Packets that arrived after later ones: the retransmissions that repaired losses (the
    /// path does not reorder).
    pub recovered_packets: u64,
    /// Frame verification.
    pub frames: FrameReport,
    /// Time from making a frame to completing it at the receiver.
    pub latency_ms: Option<LatencySummary>,
}

/// What became of a stream's frames.
#[derive(Debug, Clone, Serialize)]
pub struct FrameReport {
    /// Made and written to the track.
    pub sent: u64,
    /// Completed and verified.
    pub verified: u64,
    /// Completed but failing verification.
    pub corrupted: u64,
    /// Verified, but completed after a newer frame.
    pub late: u64,
    /// Never completed.
    pub lost: u64,
    /// `lost` in percent of `sent`.
    pub loss_pct: f64,
}

/// The data channel's figures.
#[derive(Debug, Clone, Serialize)]
pub struct DataChannelReport {
    /// ping or bulk.
    pub mode: DataChannelMode,
    /// Open on the creator, ms from the offer.
    pub open_ms: Option<f64>,
    /// Payload bytes delivered (bulk: received and verified; ping: both ways).
    pub bytes: u64,
    /// Messages sent (pings, or bulk messages).
    pub messages_sent: u64,
    /// Messages delivered intact (echoes, or bulk messages in order).
    pub messages_received: u64,
    /// Messages failing verification or out of order.
    pub corrupted: u64,
    /// Bulk throughput in Mbit/s (10^6 bit/s), first to last message received.
    pub throughput_mbps: Option<f64>,
    /// Ping round trips through SCTP, ms.
    pub rtt_ms: Option<LatencySummary>,
}

/// The relay's view when impairing.
#[derive(Debug, Clone, Serialize)]
pub struct ImpairmentReport {
    /// `--loss`, percent.
    pub loss_pct: f64,
    /// `--delay`, ms.
    pub delay_ms: f64,
    /// `--jitter`, ms.
    pub jitter_ms: f64,
    /// Packets passed on, both directions.
    pub forwarded: u64,
    /// Packets dropped, both directions.
    pub dropped: u64,
    /// `dropped` in percent of all.
    pub observed_loss_pct: f64,
}

/// One pass/fail check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// A stable name.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found.
    pub message: String,
}

/// Milliseconds with one decimal, or `-` when not reached.
pub(crate) fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

fn mbit(bytes: u64, secs: f64) -> String {
    if secs <= 0.0 {
        return "-".into();
    }
    format!("{:.2}", bytes as f64 * 8.0 / secs / 1e6)
}

/// The human report; with -q only the checks and the verdict.
pub fn render(r: &Report, out: &Output) -> String {
    let mut s = String::new();
    if out.quiet {
        render_checks(r, &mut s);
        return s;
    }
    let c = &r.config;
    let _ = writeln!(
        s,
        "{} media {}, data channel {}, {} s{}",
        "loopback call:".bold(),
        c.media,
        serde_json::to_value(c.datachannel)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        c.duration_s,
        if c.relay_only { ", relay only" } else { "" }
    );
    let _ = writeln!(
        s,
        "setup {:.1} ms (both peer connections, certificates), then from the offer:",
        r.timings_ms.setup
    );
    let _ = writeln!(s);

    let mut t = Table::new(["ms", "side", "event", ""]);
    t.align(0, Align::Right);
    let mut candidate_shown = [false; 2];
    for e in &r.timeline {
        // One candidate per side is enough to read the timeline; -v shows them all.
        if e.event == "candidate" && out.verbose == 0 {
            if let Some(side) = e.side {
                if std::mem::replace(&mut candidate_shown[side as usize], true) {
                    continue;
                }
            }
        }
        t.row([
            format!("{:.1}", e.ms),
            e.side.map_or(String::new(), |s| s.to_string()),
            e.event.clone(),
            e.detail.clone().unwrap_or_default(),
        ]);
    }
    s.push_str(&t.to_string());
    s.push('\n');

    if let Some(p) = &r.selected_pair {
        let _ = writeln!(
            s,
            "{} {} {} {}:{} ⇄ {} {} {}:{}{}",
            "selected pair".bold(),
            p.local.typ,
            p.local.protocol,
            p.local.address,
            p.local.port,
            p.remote.typ,
            p.remote.protocol,
            p.remote.address,
            p.remote.port,
            p.rtt_ms.map_or(String::new(), |v| format!(", RTT {v:.2} ms")),
        );
        if r.impairment.is_some() {
            let _ = writeln!(
                s,
                "              (the remote end is the impairment relay's stand-in for the answerer)"
            );
        }
    }
    if let Some(i) = &r.impairment {
        let _ = writeln!(
            s,
            "{} loss {}%, delay {} ms, jitter ±{} ms: {} forwarded, {} dropped ({:.1}%)",
            "impairment".bold(),
            i.loss_pct,
            i.delay_ms,
            i.jitter_ms,
            i.forwarded,
            i.dropped,
            i.observed_loss_pct
        );
    }

    if !r.media.streams.is_empty() {
        let secs = r.media_duration_ms.unwrap_or(0.0) / 1000.0;
        let mut t = Table::new([
            "stream",
            "codec",
            "pkts sent",
            "pkts recv",
            "lost",
            "Mbit/s",
            "jitter ms",
            "rtt ms",
            "nacks",
            "repaired",
            "frames sent",
            "ok",
            "corrupt",
            "late",
            "lost",
            "p95 ms",
        ]);
        for col in 2..16 {
            t.align(col, Align::Right);
        }
        for st in &r.media.streams {
            let f = &st.frames;
            let corrupt =
                if f.corrupted > 0 { f.corrupted.to_string().red().to_string() } else { "0".into() };
            t.row([
                st.stream.clone(),
                st.codec.clone(),
                st.packets_sent.to_string(),
                st.packets_received.to_string(),
                format!("{} ({:.1}%)", st.packets_lost, st.loss_pct),
                mbit(st.bytes_received, secs),
                ms(st.jitter_ms.or(Some(st.arrival_jitter_ms))),
                ms(st.rtt_ms),
                st.nacks.to_string(),
                st.recovered_packets.to_string(),
                f.sent.to_string(),
                f.verified.to_string(),
                corrupt,
                f.late.to_string(),
                format!("{} ({:.1}%)", f.lost, f.loss_pct),
                ms(st.latency_ms.map(|l| l.p95)),
            ]);
        }
        s.push('\n');
        s.push_str(&t.to_string());
    }

    if let Some(d) = &r.data_channel {
        s.push('\n');
        match d.mode {
            DataChannelMode::Bulk => {
                let _ = writeln!(
                    s,
                    "{} bulk: {} messages, {:.1} MB delivered in order and verified, {} Mbit/s (10^6 bit/s){}",
                    "data channel".bold(),
                    d.messages_received,
                    d.bytes as f64 / 1e6,
                    d.throughput_mbps.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}")),
                    if d.corrupted > 0 { format!(", {} corrupted", d.corrupted) } else { String::new() },
                );
            }
            _ => {
                let _ = writeln!(
                    s,
                    "{} ping: {} sent, {} echoed intact{}, RTT {}",
                    "data channel".bold(),
                    d.messages_sent,
                    d.messages_received,
                    if d.corrupted > 0 { format!(", {} corrupted", d.corrupted) } else { String::new() },
                    d.rtt_ms.map_or_else(
                        || "-".to_owned(),
                        |l| format!("mean {:.2} ms, p95 {:.2} ms, max {:.2} ms", l.mean, l.p95, l.max)
                    ),
                );
            }
        }
    }

    s.push('\n');
    render_checks(r, &mut s);
    s
}

fn render_checks(r: &Report, s: &mut String) {
    for check in &r.checks {
        let mark = if check.ok { "ok".green().to_string() } else { "FAIL".red().bold().to_string() };
        let _ = writeln!(s, "{mark:>4}  {}: {}", check.name, check.message);
    }
    let verdict = if !r.connected {
        "not connected".red().bold().to_string()
    } else if r.checks.iter().all(|c| c.ok) {
        "connected, every check passed".green().bold().to_string()
    } else {
        "connected, some checks failed".yellow().bold().to_string()
    };
    let _ = writeln!(s, "{verdict}{}", if r.interrupted { " (interrupted)" } else { "" });
}
