//! The data channel: echoed ping messages (RTT, verification) or a bulk transfer (throughput).
//!
//! Messages say what they are in their first byte, carry a sequence number and end in a CRC-32,
//! so the receiver checks each one and the order (the channel is reliable and ordered).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::sync::{mpsc, watch};
use webrtc::data_channel::{DataChannel, DataChannelEvent};

use super::peer::{PeerEvent, PeerEventKind};
use super::{lock, DataChannelMode, Phase, Side};

/// Bytes a data channel may have queued before `send` waits (the SCTP window is about 1 MiB;
/// a few windows keep it full without letting latency grow without bound).
pub const SEND_BUFFER_LIMIT: usize = 4 * 1024 * 1024;
/// Bulk message size: 16 KiB, what every browser accepts.
pub const BULK_MESSAGE: usize = 16 * 1024;
/// Time between pings.
pub const PING_INTERVAL: Duration = Duration::from_millis(50);

const PING: u8 = b'P';
const ECHO: u8 = b'E';
const BULK: u8 = b'B';
const PING_LEN: usize = 17;

/// What the data channel did, both ends.
#[derive(Debug, Default)]
pub struct DcCounters {
    /// Pings sent by the offerer.
    pub pings_sent: AtomicU64,
    /// Echoes that came back intact.
    pub echoes: AtomicU64,
    /// Messages that failed verification (either end), or came out of order.
    pub corrupted: AtomicU64,
    /// Round-trip times of pings, µs.
    pub rtts_us: Mutex<Vec<u64>>,
    /// Bulk messages and bytes sent.
    pub bulk_sent: AtomicU64,
    /// Bulk bytes sent.
    pub bulk_sent_bytes: AtomicU64,
    /// Bulk messages received intact and in order.
    pub bulk_received: AtomicU64,
    /// Bulk bytes received.
    pub bulk_received_bytes: AtomicU64,
    /// First and last bulk arrival.
    pub bulk_window: Mutex<Option<(Instant, Instant)>>,
    /// Send errors (the channel closed under us).
    pub send_errors: AtomicU64,
    /// Messages of another peer's own (not ours) echoed back unchanged.
    pub foreign_echoed: AtomicU64,
    /// Pings echoed by the answerer.
    pub pings_echoed: AtomicU64,
}

fn ping_message(tag: u8, seq: u32, sent_us: u64) -> BytesMut {
    let mut m = BytesMut::with_capacity(PING_LEN);
    m.extend_from_slice(&[tag]);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&sent_us.to_be_bytes());
    let crc = crc32fast::hash(&m[1..13]);
    m.extend_from_slice(&crc.to_be_bytes());
    m
}

/// (seq, sent_us) of an intact ping or echo.
fn parse_ping(m: &[u8]) -> Option<(u32, u64)> {
    if m.len() != PING_LEN || crc32fast::hash(&m[1..13]).to_be_bytes() != m[13..17] {
        return None;
    }
    let seq = u32::from_be_bytes([m[1], m[2], m[3], m[4]]);
    let mut t = [0u8; 8];
    t.copy_from_slice(&m[5..13]);
    Some((seq, u64::from_be_bytes(t)))
}

/// A bulk message: tag, 64-bit sequence number, filler, CRC-32 of all before it.
fn bulk_message(template: &[u8], seq: u64) -> BytesMut {
    let mut m = BytesMut::from(template);
    m[1..9].copy_from_slice(&seq.to_be_bytes());
    let end = m.len() - 4;
    let crc = crc32fast::hash(&m[..end]);
    m[end..].copy_from_slice(&crc.to_be_bytes());
    m
}

fn bulk_seq(m: &[u8]) -> Option<u64> {
    if m.len() < 13 || m[0] != BULK {
        return None;
    }
    let end = m.len() - 4;
    if crc32fast::hash(&m[..end]).to_be_bytes() != m[end..] {
        return None;
    }
    let mut s = [0u8; 8];
    s.copy_from_slice(&m[1..9]);
    Some(u64::from_be_bytes(s))
}

fn milestone(events: &mpsc::UnboundedSender<PeerEvent>, side: Side, event: &'static str) {
    let _ = events.send(PeerEvent {
        at: Instant::now(),
        side,
        kind: PeerEventKind::Milestone { event, detail: None },
    });
}

/// The offerer's end: read events (open, echoes) on one task, send on another.
pub fn spawn_offerer(
    dc: Arc<dyn DataChannel>,
    mode: DataChannelMode,
    call_start: Instant,
    phase: watch::Receiver<Phase>,
    counters: Arc<DcCounters>,
    events: mpsc::UnboundedSender<PeerEvent>,
) {
    let (open_tx, open_rx) = watch::channel(false);
    {
        let dc = dc.clone();
        let counters = counters.clone();
        tokio::spawn(async move {
            while let Some(event) = dc.poll().await {
                match event {
                    DataChannelEvent::OnOpen => {
                        milestone(&events, Side::Offerer, "data-channel-open");
                        let _ = open_tx.send(true);
                    }
                    // An echo, or the ping itself sent back unchanged (a browser page's echo).
                    DataChannelEvent::OnMessage(msg) => match (msg.data.first(), parse_ping(&msg.data)) {
                        (Some(&ECHO | &PING), Some((_, sent_us))) => {
                            let now_us = call_start.elapsed().as_micros() as u64;
                            counters.echoes.fetch_add(1, Ordering::Relaxed);
                            lock(&counters.rtts_us).push(now_us.saturating_sub(sent_us));
                        }
                        _ => {
                            counters.corrupted.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                    DataChannelEvent::OnClose => break,
                    _ => {}
                }
            }
        });
    }
    tokio::spawn(send_loop(dc, mode, call_start, phase, open_rx, counters));
}

async fn send_loop(
    dc: Arc<dyn DataChannel>,
    mode: DataChannelMode,
    call_start: Instant,
    mut phase: watch::Receiver<Phase>,
    mut open: watch::Receiver<bool>,
    counters: Arc<DcCounters>,
) {
    if open.wait_for(|&o| o).await.is_err() || phase.wait_for(|p| *p != Phase::Connecting).await.is_err() {
        return;
    }
    match mode {
        DataChannelMode::None => {}
        DataChannelMode::Ping => {
            let mut ticker = tokio::time::interval(PING_INTERVAL);
            let mut seq = 0u32;
            while *phase.borrow() == Phase::Running {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = phase.changed() => continue,
                }
                if *phase.borrow() != Phase::Running {
                    break;
                }
                let sent_us = call_start.elapsed().as_micros() as u64;
                if dc.send(ping_message(PING, seq, sent_us)).await.is_err() {
                    counters.send_errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                counters.pings_sent.fetch_add(1, Ordering::Relaxed);
                seq = seq.wrapping_add(1);
            }
        }
        DataChannelMode::Bulk => {
            let mut template = vec![0u8; BULK_MESSAGE];
            template[0] = BULK;
            for (i, b) in template.iter_mut().enumerate().skip(9) {
                *b = (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0];
            }
            let mut seq = 0u64;
            while *phase.borrow() == Phase::Running {
                let message = bulk_message(&template, seq);
                // send() waits while SEND_BUFFER_LIMIT bytes are queued: that is the flow control.
                let sent = tokio::select! {
                    r = dc.send(message) => r,
                    _ = phase.changed() => continue,
                };
                if sent.is_err() {
                    counters.send_errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                counters.bulk_sent.fetch_add(1, Ordering::Relaxed);
                counters.bulk_sent_bytes.fetch_add(BULK_MESSAGE as u64, Ordering::Relaxed);
                seq += 1;
            }
        }
    }
}

/// The answerer's end: echo pings, verify and count bulk data. With `echo_foreign`, any
/// other message (a browser's, say) is echoed back unchanged instead of counted as corrupted.
pub fn spawn_answerer(
    dc: Arc<dyn DataChannel>,
    counters: Arc<DcCounters>,
    events: mpsc::UnboundedSender<PeerEvent>,
    echo_foreign: bool,
) {
    tokio::spawn(async move {
        let mut next_bulk = 0u64;
        while let Some(event) = dc.poll().await {
            match event {
                DataChannelEvent::OnOpen => milestone(&events, Side::Answerer, "data-channel-open"),
                DataChannelEvent::OnMessage(msg) => {
                    let data = &msg.data;
                    match data.first() {
                        Some(&PING) => match parse_ping(data) {
                            Some((seq, sent_us)) => {
                                if dc.send(ping_message(ECHO, seq, sent_us)).await.is_err() {
                                    counters.send_errors.fetch_add(1, Ordering::Relaxed);
                                } else {
                                    counters.pings_echoed.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            None => {
                                counters.corrupted.fetch_add(1, Ordering::Relaxed);
                            }
                        },
                        Some(&BULK) => {
                            let now = Instant::now();
                            match bulk_seq(data) {
                                Some(seq) if seq == next_bulk => {
                                    next_bulk += 1;
                                    counters.bulk_received.fetch_add(1, Ordering::Relaxed);
                                    counters
                                        .bulk_received_bytes
                                        .fetch_add(data.len() as u64, Ordering::Relaxed);
                                    let mut w = lock(&counters.bulk_window);
                                    *w = Some(w.map_or((now, now), |(first, _)| (first, now)));
                                }
                                _ => {
                                    counters.corrupted.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                        _ if echo_foreign => {
                            counters.foreign_echoed.fetch_add(1, Ordering::Relaxed);
                            // Unchanged means of the same kind too: text stays text.
                            let sent = match (msg.is_string, std::str::from_utf8(data)) {
                                (true, Ok(text)) => dc.send_text(text).await,
                                _ => dc.send(BytesMut::from(&data[..])).await,
                            };
                            if sent.is_err() {
                                counters.send_errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        _ => {
                            counters.corrupted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                DataChannelEvent::OnClose => break,
                _ => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_and_bulk_messages_verify_and_damage_is_caught() {
        let p = ping_message(PING, 7, 123);
        assert_eq!(parse_ping(&p), Some((7, 123)));
        let mut bad = p.clone();
        bad[6] ^= 1;
        assert_eq!(parse_ping(&bad), None);

        let mut template = vec![0u8; 64];
        template[0] = BULK;
        let m = bulk_message(&template, 42);
        assert_eq!(bulk_seq(&m), Some(42));
        let mut bad = m.clone();
        bad[30] ^= 0x80;
        assert_eq!(bulk_seq(&bad), None);
        assert_eq!(bulk_seq(&m[..12]), None);
    }
}
