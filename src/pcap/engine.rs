//! The dissection pipeline: packets in, messages out (with the messages found inside TURN
//! ChannelData and DATA attributes), problems reported per packet and never fatal.

use std::net::SocketAddr;

use super::dissect::{classify, classify_inner, Body, Via};
use super::flows::{FlowId, FlowTable};
use super::net::{NetDecoder, NetOutcome, Transport};
use super::reader::Packet;
use super::tcp::{Framing, StreamItem, TcpStreams};
use crate::core::output::{count, was};
use crate::core::stun::{attr, Class, Method};

/// One decoded message.
#[derive(Debug, Clone, Copy)]
pub struct Msg<'a> {
    /// Frame number (for TCP, the frame that completed the message).
    pub frame: u64,
    /// Capture time, ns since the epoch.
    pub time_ns: u64,
    /// Source of the packet that carried it.
    pub src: SocketAddr,
    /// Destination of the packet that carried it.
    pub dst: SocketAddr,
    /// UDP or TCP.
    pub transport: Transport,
    /// The flow of `src`, `dst` and `transport` ([`FlowId::NONE`] when those are not the
    /// packet's own, as for STUN quoted in an ICMP error).
    pub flow: FlowId,
    /// Where it was found, when inside another message.
    pub via: Option<Via>,
    /// RFC 4571 framing on TCP.
    pub framing: Option<Framing>,
    /// What it is.
    pub body: Body<'a>,
}

/// What the link types decoded are, for the problem about one that is not.
const KNOWN_LINKS: &str =
    "rtctool decodes Ethernet, Linux cooked (SLL, SLL2), raw IPv4/IPv6 and BSD loopback captures";

/// The frame number of a problem of the capture as a whole (frames count from 1): a damaged
/// record, a bound of a table reached.
pub const CAPTURE: u64 = 0;

/// Receives what the engine finds.
pub trait Sink {
    /// A decoded message.
    fn message(&mut self, msg: &Msg<'_>);
    /// A message found inside `outer` (in its ChannelData frame or DATA attribute), right
    /// after `outer` itself: by default a message like any other, with `via` set.
    fn message_inside<'a>(&mut self, outer: &Msg<'a>, via: Via, body: Body<'a>) {
        self.message(&Msg { via: Some(via), body, ..*outer });
    }
    /// A packet (or stream) that could not be decoded, or with `frame` [`CAPTURE`] a problem of
    /// the capture as a whole; decoding goes on.
    fn problem(&mut self, frame: u64, message: &str);
}

/// The stateful pipeline.
#[derive(Debug, Default)]
pub struct Engine {
    net: NetDecoder,
    flows: FlowTable,
    tcp: TcpStreams,
    items: Vec<StreamItem>,
}

impl Engine {
    /// A pipeline with empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// At the end of the capture: what the bounded state dropped or still holds unfinished
    /// (fragments, TCP messages) and the link types not decoded, as problems of the capture.
    pub fn finish<S: Sink>(&mut self, sink: &mut S) {
        let net = &self.net;
        let fragments = [
            (
                net.evicted,
                "fragmented IP datagram",
                "dropped unassembled: more were pending at once than the bounded reassembly buffer holds",
            ),
            (
                net.oversized,
                "IP fragment",
                "dropped: reaching past 65,535 bytes, more than an IP datagram holds",
            ),
        ];
        for (n, what, why) in fragments.into_iter().filter(|(n, ..)| *n > 0) {
            sink.problem(CAPTURE, &format!("{} {} {why}", count(n, what), was(n)));
        }
        if net.pending_datagrams() > 0 {
            sink.problem(
                CAPTURE,
                &format!(
                    "{} still missing fragments at the end of the capture: not decoded",
                    count(net.pending_datagrams() as u64, "IP datagram")
                ),
            );
        }
        for (linktype, packets) in &net.unknown_links {
            sink.problem(
                CAPTURE,
                &format!(
                    "{} of link type {linktype} {} skipped: {KNOWN_LINKS}",
                    count(*packets, "packet"),
                    was(*packets)
                ),
            );
        }
        self.tcp.finish(&mut self.items);
        for item in self.items.drain(..) {
            if let StreamItem::Problem(p) = item {
                sink.problem(CAPTURE, &p);
            }
        }
    }

    /// Dissect one packet.
    pub fn packet<S: Sink>(&mut self, pkt: &Packet<'_>, sink: &mut S) {
        let truncated = (pkt.data.len() as u64) < pkt.orig_len;
        let Engine { net, flows, tcp, items } = self;
        let seg = match net.decode(pkt.linktype, pkt.data, truncated) {
            NetOutcome::Segment(seg) => seg,
            NetOutcome::Fragment => return,
            NetOutcome::IcmpError { icmp_type, code, reporter, quoted } => {
                let body = classify_inner(quoted.payload);
                if !matches!(body, Body::Other) {
                    let why = icmp_reason(quoted.src.is_ipv4(), icmp_type, code);
                    sink.problem(
                        pkt.frame,
                        &format!("{reporter} reports {why} for {} → {}", quoted.src, quoted.dst),
                    );
                    let msg = Msg {
                        frame: pkt.frame,
                        time_ns: pkt.time_ns,
                        src: quoted.src,
                        dst: quoted.dst,
                        transport: quoted.transport,
                        flow: FlowId::NONE,
                        via: Some(Via::IcmpError),
                        framing: None,
                        body,
                    };
                    sink.message(&msg);
                }
                return;
            }
            NetOutcome::Ignored => return,
            NetOutcome::UnknownLink(linktype) => {
                sink.problem(pkt.frame, &format!("link type {linktype} is not decoded: {KNOWN_LINKS}"));
                return;
            }
            NetOutcome::Malformed(why) => {
                sink.problem(pkt.frame, &why);
                return;
            }
        };
        let flow = flows.id(seg.transport, seg.src, seg.dst);
        let base = Msg {
            frame: pkt.frame,
            time_ns: pkt.time_ns,
            src: seg.src,
            dst: seg.dst,
            transport: seg.transport,
            flow,
            via: None,
            framing: None,
            body: Body::Other,
        };
        match seg.tcp {
            None => {
                if seg.payload.is_empty() {
                    return;
                }
                let body = classify(seg.payload, Transport::Udp, seg.src, seg.dst, flows.stun_seen(flow));
                if let Body::Stun(m) = &body {
                    if !m.length().is_multiple_of(4) {
                        sink.problem(pkt.frame, &super::dissect::unaligned_problem(m.length()));
                    }
                }
                if seg.truncated && matches!(body, Body::Other) && seg.payload.first().is_some_and(|b| *b < 4)
                {
                    sink.problem(pkt.frame, "packet cut short by the capture's snap length");
                }
                emit(flows, Msg { body, ..base }, sink);
            }
            Some(info) => {
                let not_stun = tcp.segment(seg.src, seg.dst, info, seg.payload, flows.stun_seen(flow), items);
                if not_stun && items.is_empty() && !seg.payload.is_empty() {
                    // Counted as what it is, like a UDP datagram that is not STUN.
                    emit(flows, base, sink);
                }
                for item in items.drain(..) {
                    match item {
                        StreamItem::Problem(p) => sink.problem(pkt.frame, &p),
                        StreamItem::Frame { at, framing } => {
                            let bytes = tcp.frame(at);
                            let body =
                                classify_frame(bytes, framing, seg.src, seg.dst, flows.stun_seen(flow));
                            let framing = (framing == Framing::Rfc4571).then_some(Framing::Rfc4571);
                            emit(flows, Msg { body, framing, ..base }, sink);
                        }
                    }
                }
            }
        }
    }
}

/// A framed TCP message: plain framing has already delimited STUN or ChannelData.
fn classify_frame<'a>(
    bytes: &'a [u8],
    framing: Framing,
    src: SocketAddr,
    dst: SocketAddr,
    stun_seen: bool,
) -> Body<'a> {
    match framing {
        Framing::Plain => match classify_inner(bytes) {
            Body::Other => match crate::core::stun::ChannelData::new_checked(bytes) {
                Ok(cd) => Body::ChannelData(cd),
                Err(_) => Body::Other,
            },
            body => body,
        },
        Framing::Rfc4571 => classify(bytes, Transport::Tcp, src, dst, stun_seen),
    }
}

/// Emit a message and the ones inside it.
#[inline(always)]
fn emit<S: Sink>(flows: &mut FlowTable, msg: Msg<'_>, sink: &mut S) {
    sink.message(&msg);
    match msg.body {
        Body::Stun(m) => {
            flows.mark_stun(msg.flow);
            let method = m.method();
            let carries_data =
                m.class() == Class::Indication && (method == Method::SEND || method == Method::DATA);
            if carries_data && msg.via.is_none() {
                if let Some(data) = m.into_attributes().filter_map(Result::ok).find(|a| a.typ == attr::DATA) {
                    let body = classify_inner(data.value);
                    sink.message_inside(&msg, Via::DataAttribute, body);
                }
            }
        }
        Body::ChannelData(cd) if msg.via.is_none() => {
            let data: &[u8] = cd.into_data();
            let body = classify_inner(data);
            sink.message_inside(&msg, Via::ChannelData, body);
        }
        _ => {}
    }
}

fn icmp_reason(v4: bool, t: u8, code: u8) -> String {
    let text = match (v4, t, code) {
        (true, 3, 0) => "network unreachable",
        (true, 3, 1) => "host unreachable",
        (true, 3, 3) => "port unreachable",
        (true, 3, 4) => "fragmentation needed",
        (true, 3, 13) => "communication administratively prohibited",
        (true, 3, _) => "destination unreachable",
        (true, 11, _) => "time exceeded",
        (true, 12, _) => "parameter problem",
        (false, 1, 4) => "port unreachable",
        (false, 1, 1) => "communication administratively prohibited",
        (false, 1, _) => "destination unreachable",
        (false, 2, _) => "packet too big",
        (false, 3, _) => "time exceeded",
        _ => "an ICMP error",
    };
    format!("ICMP {text} (type {t}, code {code})")
}
