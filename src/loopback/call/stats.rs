//! Statistics into the report: each stream's frames, loss, jitter and bitrate from both peers'
//! `getStats`, the selected pair, and the checks a call passes or fails on them. Pure
//! functions of what was measured.

use super::*;

pub(super) fn stream_reports(
    cfg: &Config,
    ssrcs: &HashMap<StreamId, u32>,
    running: &Running,
    stats_o: Option<&RTCStatsReport>,
    stats_a: Option<&RTCStatsReport>,
    transport_rtt_ms: Option<f64>,
) -> Vec<StreamReport> {
    let by_side = |side: Side| match side {
        Side::Offerer => stats_o,
        Side::Answerer => stats_a,
    };
    let mut ids: Vec<StreamId> = ssrcs.keys().copied().collect();
    ids.sort();
    let mut map = lock(&running.receptions);
    ids.into_iter()
        .map(|id| {
            let ssrc = ssrcs[&id];
            let sender = by_side(id.from);
            let receiver = by_side(id.from.other());
            let outbound = find_entry(sender, |e| match e {
                RTCStatsReportEntry::OutboundRtp(o)
                    if o.sent_rtp_stream_stats.rtp_stream_stats.ssrc == ssrc =>
                {
                    Some(o)
                }
                _ => None,
            });
            let inbound = find_entry(receiver, |e| match e {
                RTCStatsReportEntry::InboundRtp(o)
                    if o.received_rtp_stream_stats.rtp_stream_stats.ssrc == ssrc =>
                {
                    Some(o)
                }
                _ => None,
            });
            let sent_frames = running.senders.get(&id).map_or(0, |c| c.frames.load(Ordering::Relaxed));
            let rx = map.get_mut(&id);
            let (unique_lost, expected, own_packets, own_bytes, arrival_jitter, recovered, tally) = match rx {
                Some(rx) => {
                    rx.tally.finish();
                    let lost = rx.assembler.lost();
                    (
                        lost,
                        rx.assembler.unique + lost,
                        rx.packets,
                        rx.payload_bytes,
                        rx.jitter.ms(id.kind.clock_rate()),
                        rx.assembler.out_of_order,
                        Some(rx.tally.clone()),
                    )
                }
                None => (0, 0, 0, 0, 0.0, 0, None),
            };
            // webrtc-rs 0.21's interceptors consume the RTCP its senders get back (receiver
            // reports, NACKs) without counting it, so the receiver's side is what is reported.
            let nacks = inbound.map_or(0, |i| u64::from(i.nack_count));
            let verified = tally.as_ref().map_or(0, |t| t.verified);
            let corrupted = tally.as_ref().map_or(0, |t| t.corrupted);
            let lost_frames = sent_frames.saturating_sub(verified + corrupted);
            let pct = |n: u64, of: u64| if of == 0 { 0.0 } else { round2(n as f64 * 100.0 / of as f64) };
            let jitter_ms = inbound
                .map(|i| i.received_rtp_stream_stats.jitter)
                .filter(|j| *j > 0.0)
                .map(|j| round_millis(j * 1000.0 / f64::from(id.kind.clock_rate())));
            let codec = cfg.codec(id.kind);
            StreamReport {
                stream: id.label(),
                from: id.from.as_str().to_owned(),
                to: id.from.other().as_str().to_owned(),
                kind: id.kind.as_str().to_owned(),
                codec: codec.name().to_owned(),
                source: cfg
                    .file(id.kind)
                    .map_or_else(|| "synthetic".to_owned(), |f| f.path.display().to_string()),
                ssrc,
                packets_sent: outbound.map_or(0, |o| o.sent_rtp_stream_stats.packets_sent),
                bytes_sent: outbound.map_or(0, |o| o.sent_rtp_stream_stats.bytes_sent),
                packets_received: inbound
                    .map_or(own_packets, |i| i.received_rtp_stream_stats.packets_received.max(own_packets)),
                bytes_received: inbound.map_or(own_bytes, |i| i.bytes_received.max(own_bytes)),
                packets_lost: unique_lost,
                loss_pct: pct(unique_lost, expected),
                jitter_ms,
                arrival_jitter_ms: round2(arrival_jitter),
                rtt_ms: transport_rtt_ms,
                nacks,
                recovered_packets: recovered,
                frames: FrameReport {
                    sent: sent_frames,
                    verified,
                    corrupted,
                    late: tally.as_ref().map_or(0, |t| t.late),
                    lost: lost_frames,
                    loss_pct: pct(lost_frames, sent_frames),
                },
                latency_ms: tally.and_then(|t| t.latency_ms),
            }
        })
        .filter(|s| cfg.kinds.iter().any(|k| k.as_str() == s.kind))
        .collect()
}

/// The first entry of a report that `pick` accepts.
pub(crate) fn find_entry<'a, T>(
    report: Option<&'a RTCStatsReport>,
    pick: impl Fn(&'a RTCStatsReportEntry) -> Option<&'a T>,
) -> Option<&'a T> {
    report?.iter().find_map(pick)
}

pub(crate) fn dc_report(mode: DataChannelMode, dc: &DcCounters, open_ms: Option<f64>) -> DataChannelReport {
    let corrupted = dc.corrupted.load(Ordering::Relaxed);
    match mode {
        DataChannelMode::Bulk => {
            let bytes = dc.bulk_received_bytes.load(Ordering::Relaxed);
            let throughput = (*lock(&dc.bulk_window)).and_then(|(first, last)| {
                let secs = last.saturating_duration_since(first).as_secs_f64();
                (secs > 0.0).then(|| round2(bytes as f64 * 8.0 / secs / 1e6))
            });
            DataChannelReport {
                mode,
                open_ms,
                bytes,
                messages_sent: dc.bulk_sent.load(Ordering::Relaxed),
                messages_received: dc.bulk_received.load(Ordering::Relaxed),
                corrupted,
                throughput_mbps: throughput,
                rtt_ms: None,
            }
        }
        _ => {
            let echoes = dc.echoes.load(Ordering::Relaxed);
            DataChannelReport {
                mode,
                open_ms,
                bytes: echoes * 2 * 17,
                messages_sent: dc.pings_sent.load(Ordering::Relaxed),
                messages_received: echoes,
                corrupted,
                throughput_mbps: None,
                rtt_ms: LatencySummary::from_micros(lock(&dc.rtts_us).clone()),
            }
        }
    }
}

/// One side's selected pair: (its local end, its remote end, RTT in ms), each when found.
pub(crate) fn pair_ends(report: &RTCStatsReport) -> Option<(Option<PairEnd>, Option<PairEnd>, Option<f64>)> {
    let transport = report.transport()?;
    let pair = report
        .candidate_pairs()
        .find(|p| p.stats.id == transport.selected_candidate_pair_id)
        .or_else(|| report.candidate_pairs().find(|p| p.nominated))?;
    let rtt =
        (pair.current_round_trip_time > 0.0).then(|| round_millis(pair.current_round_trip_time * 1000.0));
    Some((
        candidate_end(report, &pair.local_candidate_id, true),
        candidate_end(report, &pair.remote_candidate_id, false),
        rtt,
    ))
}

/// The candidate a pair refers to, local or remote, as a pair end. webrtc-rs names a candidate
/// `RTCLocalIceCandidate_<id>` but its pair refers to `<id>`.
pub(crate) fn candidate_end(report: &RTCStatsReport, id: &str, local: bool) -> Option<PairEnd> {
    report.iter().find_map(|e| {
        let c = match e {
            RTCStatsReportEntry::LocalCandidate(c) if local && c.stats.id.ends_with(id) => c,
            RTCStatsReportEntry::RemoteCandidate(c) if !local && c.stats.id.ends_with(id) => c,
            _ => return None,
        };
        Some(PairEnd {
            typ: c.candidate_type.to_string(),
            protocol: c.protocol.clone(),
            address: c.address.clone().unwrap_or_default(),
            port: c.port,
        })
    })
}

/// The data channel's check: it opened, and (once media and data ran) every message came
/// back intact. `words` are (came back, came back and verified) in the caller's terms.
pub(crate) fn dc_check(dc: &DataChannelReport, ran: bool, words: (&str, &str)) -> Check {
    let (ok, message) = if dc.open_ms.is_none() {
        (false, "did not open".to_owned())
    } else if !ran {
        (true, format!("open at {:.1} ms", dc.open_ms.unwrap_or_default()))
    } else if dc.corrupted > 0 {
        (false, format!("{} messages corrupted or out of order", dc.corrupted))
    } else if dc.messages_sent == 0 || dc.messages_received < dc.messages_sent {
        (false, format!("{} of {} messages {}", dc.messages_received, dc.messages_sent, words.0))
    } else {
        (true, format!("{} of {} messages {}", dc.messages_received, dc.messages_sent, words.1))
    };
    Check { name: "data channel".to_owned(), ok, message }
}

/// The pair in use, from the offerer's statistics. Its remote candidate is sometimes missing
/// from them (a candidate first learnt as peer-reflexive keeps another id in webrtc-rs); the
/// answerer's own local end of its selected pair is then the remote end.
pub(super) fn selected_pair(
    offerer: Option<&RTCStatsReport>,
    answerer: Option<&RTCStatsReport>,
) -> Option<SelectedPair> {
    let (local, remote, rtt) = pair_ends(offerer?)?;
    let (their_local, _, their_rtt) = answerer.and_then(pair_ends).unwrap_or((None, None, None));
    Some(SelectedPair { local: local?, remote: remote.or(their_local)?, rtt_ms: rtt.or(their_rtt) })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn checks(
    cfg: &Config,
    connected: bool,
    error: Option<&str>,
    t: &Timings,
    streams: &[StreamReport],
    dc: Option<&DataChannelReport>,
    pair: Option<&SelectedPair>,
    media_ran: bool,
) -> Vec<Check> {
    let mut out = Vec::new();
    let check = |name: &str, ok: bool, message: String| Check { name: name.to_owned(), ok, message };
    out.push(check(
        "connected",
        connected,
        match (connected, error) {
            (true, _) => format!(
                "ICE connected at {} ms, DTLS at {} ms",
                t.ice_connected.map_or("-".into(), |v| format!("{v:.1}")),
                t.dtls_connected.map_or("-".into(), |v| format!("{v:.1}"))
            ),
            (false, Some(e)) => e.to_owned(),
            (false, None) => "did not connect".into(),
        },
    ));
    if !connected {
        return out;
    }
    if cfg.relay_only {
        let ok = pair.is_some_and(|p| p.local.typ == "relay" && p.remote.typ == "relay");
        out.push(check(
            "relay pair",
            ok,
            pair.map_or("no selected pair in the statistics".into(), |p| {
                format!("{} / {}", p.local.typ, p.remote.typ)
            }),
        ));
    }
    if let Some(dc) = dc {
        out.push(dc_check(dc, media_ran && !cfg.duration.is_zero(), ("delivered", "delivered and verified")));
    }
    if media_ran && !cfg.duration.is_zero() {
        for s in streams {
            let f = &s.frames;
            let ok = f.verified > 0 && f.corrupted == 0 && f.loss_pct <= cfg.max_loss;
            let mut msg = format!(
                "{}/{} frames verified, {} corrupted, {} lost ({:.1}%",
                f.verified, f.sent, f.corrupted, f.lost, f.loss_pct
            );
            msg.push_str(&format!(", at most {}% allowed)", cfg.max_loss));
            out.push(check(&format!("frames {}", s.stream), ok, msg));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(relay_only: bool) -> Config {
        let opts = crate::loopback::LoopbackOptions {
            duration: Duration::from_secs(1),
            media: crate::loopback::MediaKind::Audio,
            media_files: Vec::new(),
            bitrate: 1_000_000,
            fps: 30,
            datachannel: DataChannelMode::None,
            ice: crate::loopback::IceOptions::default(),
            relay_only: false,
            ipv6: false,
            loss: None,
            delay: None,
            jitter: None,
            lossless_setup: false,
            max_loss: 5.0,
            timeout: Duration::from_secs(10),
            stock_timers: false,
        };
        let mut cfg = Config::from_options(&opts).unwrap();
        cfg.relay_only = relay_only;
        cfg
    }

    fn end(typ: &str) -> PairEnd {
        PairEnd { typ: typ.into(), address: "127.0.0.1".into(), port: 5000, protocol: "udp".into() }
    }

    #[test]
    fn a_call_that_did_not_connect_has_one_failed_check_saying_why() {
        let t = Timings::default();
        let got = checks(&config(false), false, Some("ICE failed"), &t, &[], None, None, false);
        assert_eq!(got.len(), 1);
        assert!(!got[0].ok);
        assert_eq!(got[0].message, "ICE failed");
    }

    #[test]
    fn relay_only_calls_must_select_a_relay_pair() {
        let t = Timings { ice_connected: Some(5.0), dtls_connected: Some(9.0), ..Timings::default() };
        let host = SelectedPair { local: end("host"), remote: end("host"), rtt_ms: None };
        let got = checks(&config(true), true, None, &t, &[], None, Some(&host), false);
        let relay = got.iter().find(|c| c.name == "relay pair").unwrap();
        assert!(!relay.ok, "{}", relay.message);
        assert_eq!(relay.message, "host / host");
        let relayed = SelectedPair { local: end("relay"), remote: end("relay"), rtt_ms: Some(1.0) };
        let got = checks(&config(true), true, None, &t, &[], None, Some(&relayed), false);
        assert!(got.iter().all(|c| c.ok), "{got:?}");
        assert!(got[0].message.starts_with("ICE connected at 5.0 ms, DTLS at 9.0 ms"));
    }
}
