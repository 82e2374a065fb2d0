//! Synthetic media: paced senders and verifying receivers (the socket-free parts are in
//! [`super::frame`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::media::Sample;
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use super::frame::{Assembler, FrameTally, JitterEstimator, Ledger, PayloadFormat, RtpView, SyntheticFrame};
use super::mediafile::MediaFile;
use super::peer::{PeerEvent, PeerEventKind};
use super::{Phase, Side};
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Opus payload format, 20 ms frames.
    Audio,
    /// VP8 payload format.
    Video,
}

impl Kind {
    /// `audio` or `video`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Audio => "audio",
            Kind::Video => "video",
        }
    }

    /// RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            Kind::Audio => 48_000,
            Kind::Video => 90_000,
        }
    }
}

/// The RTP payload formats a stream can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Opus, 48 kHz (synthetic audio, or an Ogg/Opus file).
    Opus,
    /// VP8 (synthetic video, or an IVF file).
    Vp8,
    /// VP9 (an IVF file).
    Vp9,
    /// AV1 (an IVF file).
    Av1,
}

impl Codec {
    /// How frames are put back together.
    pub fn format(self) -> PayloadFormat {
        match self {
            Codec::Opus => PayloadFormat::Opus,
            Codec::Vp8 => PayloadFormat::Vp8,
            Codec::Vp9 => PayloadFormat::Vp9,
            Codec::Av1 => PayloadFormat::Av1,
        }
    }

    /// The payload type both peers register it with.
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Opus => 111,
            Codec::Vp8 => 96,
            Codec::Vp9 => 98,
            Codec::Av1 => 41,
        }
    }

    /// `opus`, `VP8`, `VP9`, `AV1`: the MIME subtype.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Opus => "opus",
            Codec::Vp8 => "VP8",
            Codec::Vp9 => "VP9",
            Codec::Av1 => "AV1",
        }
    }

    /// The codec description for webrtc-rs.
    pub fn rtp_codec(self) -> rtc::rtp_transceiver::rtp_sender::RTCRtpCodec {
        let (kind, clock_rate, channels, fmtp) = match self {
            Codec::Opus => ("audio", 48_000, 2, "minptime=10;useinbandfec=1"),
            Codec::Vp8 => ("video", 90_000, 0, ""),
            Codec::Vp9 => ("video", 90_000, 0, "profile-id=0"),
            Codec::Av1 => ("video", 90_000, 0, "profile=0"),
        };
        rtc::rtp_transceiver::rtp_sender::RTCRtpCodec {
            mime_type: format!("{kind}/{}", self.name()),
            clock_rate,
            channels,
            sdp_fmtp_line: fmtp.to_owned(),
            rtcp_feedback: vec![],
        }
    }
}

/// A stream is named by who sends it and what it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId {
    /// The sending side.
    pub from: Side,
    /// Audio or video.
    pub kind: Kind,
}

impl StreamId {
    /// The byte identifying the stream inside its frames.
    pub fn code(self) -> u8 {
        (self.from as u8) << 1 | (self.kind as u8)
    }

    /// `offerer→answerer video`.
    pub fn label(self) -> String {
        format!("{}→{} {}", self.from, self.from.other(), self.kind.as_str())
    }
}

/// How a sender makes frames.
#[derive(Debug, Clone, Copy)]
pub struct FrameSpec {
    /// Time between frames.
    pub interval: Duration,
    /// Bytes per frame.
    pub frame_len: usize,
}

impl FrameSpec {
    /// Frames of `bitrate` bits per second at `fps` frames per second.
    pub fn new(bitrate: u64, fps: u32) -> Self {
        let fps = fps.max(1);
        FrameSpec {
            interval: Duration::from_secs_f64(1.0 / f64::from(fps)),
            frame_len: ((bitrate / 8) / u64::from(fps)).max(super::frame::MIN_FRAME_LEN as u64) as usize,
        }
    }
}

/// What a sender has done.
#[derive(Debug, Default)]
pub struct SendCounters {
    /// Frames written to the track.
    pub frames: AtomicU64,
    /// Their bytes (before packetisation).
    pub bytes: AtomicU64,
    /// Frames the stack refused.
    pub errors: AtomicU64,
}

/// Senders are spawned before the phase becomes [`Phase::Running`] and may be polled before it
/// does: wait for it to leave [`Phase::Connecting`]. True when media is to be sent.
async fn wait_until_started(phase: &mut watch::Receiver<Phase>) -> bool {
    match phase.wait_for(|p| *p != Phase::Connecting).await {
        Ok(p) => *p == Phase::Running,
        Err(_) => false,
    }
}

/// Send synthetic frames on `local` while the phase is [`Phase::Running`].
#[allow(clippy::too_many_arguments)]
pub async fn send_frames(
    stream: StreamId,
    track: Arc<TrackLocalStaticSample>,
    ssrc: u32,
    payload_type: u8,
    spec: FrameSpec,
    call_start: Instant,
    mut phase: watch::Receiver<Phase>,
    counters: Arc<SendCounters>,
) {
    if !wait_until_started(&mut phase).await {
        return;
    }
    let mut ticker = tokio::time::interval(spec.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seq = 0u32;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            changed = phase.changed() => {
                if changed.is_err() { return; }
            }
        }
        if *phase.borrow() != Phase::Running {
            return;
        }
        let now = Instant::now();
        let frame = SyntheticFrame {
            stream: stream.code(),
            seq,
            sent_us: now.saturating_duration_since(call_start).as_micros() as u64,
            len: spec.frame_len,
        };
        let data = frame.encode();
        let len = data.len() as u64;
        let sample = Sample { data: Bytes::from(data), duration: spec.interval, ..Sample::new(now) };
        match track.sample_writer(ssrc, payload_type).write_sample(&sample).await {
            Ok(()) => {
                counters.frames.fetch_add(1, Ordering::Relaxed);
                counters.bytes.fetch_add(len, Ordering::Relaxed);
            }
            Err(_) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        seq = seq.wrapping_add(1);
    }
}

/// What a receiver has seen of one stream.
#[derive(Debug)]
pub struct Reception {
    /// The stream's SSRC.
    pub ssrc: u32,
    /// RTP packets received (retransmissions and duplicates included).
    pub packets: u64,
    /// Their payload bytes.
    pub payload_bytes: u64,
    /// Frame reassembly.
    pub assembler: Assembler,
    /// Verification results.
    pub tally: FrameTally,
    /// RFC 3550 jitter from arrival times.
    pub jitter: JitterEstimator,
    /// When the first packet came.
    pub first_packet: Option<Instant>,
    /// When the first verified frame was completed.
    pub first_frame: Option<Instant>,
}

/// Everything received, per stream.
pub type Receptions = Arc<Mutex<HashMap<StreamId, Reception>>>;

/// How the receiver of each stream reassembles and checks its frames.
pub type ReceivePlan = Arc<HashMap<StreamId, (Codec, Option<Arc<Mutex<Ledger>>>)>>;

/// Read a remote track until it ends, verifying every frame.
pub async fn receive_track(
    at: Side,
    track: Arc<dyn TrackRemote>,
    call_start: Instant,
    receptions: Receptions,
    plan: ReceivePlan,
    events: mpsc::UnboundedSender<PeerEvent>,
) {
    let kind = match track.kind().await {
        rtc::rtp_transceiver::rtp_sender::RtpCodecKind::Audio => Kind::Audio,
        _ => Kind::Video,
    };
    let stream = StreamId { from: at.other(), kind };
    let (codec, ledger) = plan.get(&stream).cloned().unwrap_or((
        match kind {
            Kind::Audio => Codec::Opus,
            Kind::Video => Codec::Vp8,
        },
        None,
    ));
    let ssrc = track.ssrcs().await.first().copied().unwrap_or(0);
    let milestone = |event: &'static str| {
        let _ = events.send(PeerEvent {
            at: Instant::now(),
            side: at,
            kind: PeerEventKind::Milestone { event, detail: Some(stream.label()) },
        });
    };
    while let Some(event) = track.poll().await {
        let TrackRemoteEvent::OnRtpPacket(packet) = event else {
            if matches!(event, TrackRemoteEvent::OnEnded) {
                break;
            }
            continue;
        };
        let now = Instant::now();
        let (first_packet, first_frame) = {
            let mut map = super::lock(&receptions);
            let rx = map.entry(stream).or_insert_with(|| Reception {
                ssrc: if ssrc != 0 { ssrc } else { packet.header.ssrc },
                packets: 0,
                payload_bytes: 0,
                assembler: Assembler::new(codec.format()),
                tally: FrameTally::default(),
                jitter: JitterEstimator::default(),
                first_packet: None,
                first_frame: None,
            });
            rx.packets += 1;
            rx.payload_bytes += packet.payload.len() as u64;
            rx.jitter.push(now, packet.header.timestamp, kind.clock_rate());
            let first_packet = rx.first_packet.is_none();
            rx.first_packet.get_or_insert(now);
            let view = RtpView {
                seq: packet.header.sequence_number,
                timestamp: packet.header.timestamp,
                marker: packet.header.marker,
                payload: &packet.payload,
            };
            let mut first_frame = false;
            if let Some(frame) = rx.assembler.push(view) {
                let before = rx.tally.verified;
                let age = now.saturating_duration_since(call_start);
                match &ledger {
                    Some(ledger) => rx.tally.record_against(&mut super::lock(ledger), &frame.data, age),
                    None => rx.tally.record(&frame.data, age),
                }
                if before == 0 && rx.tally.verified == 1 {
                    rx.first_frame = Some(now);
                    first_frame = true;
                }
            }
            (first_packet, first_frame)
        };
        if first_packet {
            milestone("first-rtp");
        }
        if first_frame {
            milestone("first-frame");
        }
    }
}

/// Send a file's frames on `track` while the phase is [`Phase::Running`], from the start again
/// when it ends, each noted in `ledger` (when there is one) for the receiver to check against.
#[allow(clippy::too_many_arguments)]
pub async fn send_file_frames(
    track: Arc<TrackLocalStaticSample>,
    ssrc: u32,
    payload_type: u8,
    file: Arc<MediaFile>,
    call_start: Instant,
    mut phase: watch::Receiver<Phase>,
    counters: Arc<SendCounters>,
    ledger: Option<Arc<Mutex<Ledger>>>,
) {
    if !wait_until_started(&mut phase).await {
        return;
    }
    // Paced by the frames' own durations against a running deadline, so parsing and writing
    // time does not accumulate as drift.
    let mut deadline = tokio::time::Instant::now();
    for (data, duration) in file.frames.iter().cycle() {
        if *phase.borrow() != Phase::Running {
            return;
        }
        let now = Instant::now();
        let sent_us = now.saturating_duration_since(call_start).as_micros() as u64;
        if let Some(ledger) = &ledger {
            super::lock(ledger).record(&file.codec.expected(data), sent_us);
        }
        let sample = Sample { data: Bytes::copy_from_slice(data), duration: *duration, ..Sample::new(now) };
        match track.sample_writer(ssrc, payload_type).write_sample(&sample).await {
            Ok(()) => {
                counters.frames.fetch_add(1, Ordering::Relaxed);
                counters.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            }
            Err(_) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        deadline += *duration;
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            changed = phase.changed() => {
                if changed.is_err() { return; }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::media_stream::MediaStreamTrack;
    use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind};

    fn track(kind: Kind) -> Arc<TrackLocalStaticSample> {
        let codec_kind = match kind {
            Kind::Audio => RtpCodecKind::Audio,
            Kind::Video => RtpCodecKind::Video,
        };
        let track = MediaStreamTrack::new(
            "s".into(),
            "t".into(),
            "test".into(),
            codec_kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters { ssrc: Some(7), ..Default::default() },
                codec: Codec::Opus.rtp_codec(),
                ..Default::default()
            }],
        );
        Arc::new(TrackLocalStaticSample::new(Instant::now(), track).unwrap())
    }

    /// Tasks spawned while the call still connects, and polled before it starts: they must wait
    /// for the start, not give up (a race once seen under load, where a stream sent nothing).
    #[tokio::test]
    async fn senders_polled_before_the_start_still_send() {
        let (tx, rx) = watch::channel(Phase::Connecting);
        let synthetic = Arc::new(SendCounters::default());
        let from_file = Arc::new(SendCounters::default());
        let file = Arc::new(MediaFile {
            path: "clip.ogg".into(),
            codec: super::super::mediafile::FileCodec::Opus,
            frames: vec![(vec![0xf8, 1, 2, 3], Duration::from_millis(20))],
        });
        let spec = FrameSpec::new(32_000, 50);
        let a = tokio::spawn(send_frames(
            StreamId { from: Side::Offerer, kind: Kind::Audio },
            track(Kind::Audio),
            7,
            111,
            spec,
            Instant::now(),
            rx.clone(),
            synthetic.clone(),
        ));
        let b = tokio::spawn(send_file_frames(
            track(Kind::Audio),
            7,
            111,
            file,
            Instant::now(),
            rx.clone(),
            from_file.clone(),
            Some(Arc::new(Mutex::new(Ledger::default()))),
        ));
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(!a.is_finished() && !b.is_finished(), "a sender gave up before the start");
        tx.send(Phase::Running).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        tx.send(Phase::Stopping).unwrap();
        a.await.unwrap();
        b.await.unwrap();
        for c in [&synthetic, &from_file] {
            let tried = c.frames.load(Ordering::Relaxed) + c.errors.load(Ordering::Relaxed);
            assert!(tried >= 2, "{c:?}");
        }
    }
}
