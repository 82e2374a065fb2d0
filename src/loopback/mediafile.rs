//! `--media-file`: real encoded media to send instead of synthetic frames, as webrtc-rs's
//! play-from-disk examples do: IVF (VP8, VP9, AV1) for video, Ogg/Opus for audio.
//!
//! Files are read whole and split into frames here (no decoding): an IVF frame is one video
//! frame; an Ogg page is split into its Opus packets by the segment table (RFC 3533), each one
//! an RTP payload (RFC 7587), its duration from the packet's TOC byte (RFC 6716 §3.1). AV1's
//! RTP payload format rewrites the OBUs (no obu_size fields, no temporal delimiters), so an AV1
//! frame is checked in a canonical form both ends compute ([`super::frame::av1_canonical`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::media::Kind;
use crate::error::{Error, Result};

/// The codecs a file can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileCodec {
    /// IVF `VP80`.
    Vp8,
    /// IVF `VP90`.
    Vp9,
    /// IVF `AV01`.
    Av1,
    /// Ogg/Opus.
    Opus,
}

impl FileCodec {
    /// Audio or video.
    pub fn kind(self) -> Kind {
        match self {
            FileCodec::Opus => Kind::Audio,
            FileCodec::Vp8 | FileCodec::Vp9 | FileCodec::Av1 => Kind::Video,
        }
    }

    /// What the receiver of `frame` must end up with to verify it: the frame itself, or for
    /// AV1 its canonical form (the file's frames were checked to have one when loaded).
    pub fn expected(self, frame: &[u8]) -> std::borrow::Cow<'_, [u8]> {
        match self {
            FileCodec::Av1 => super::frame::av1_canonical(frame).map_or(frame.into(), Into::into),
            _ => frame.into(),
        }
    }
}

/// Frames in order, each with how long it lasts.
pub type Frames = Vec<(Vec<u8>, Duration)>;

/// A file split into frames, each with its duration.
#[derive(Debug, Clone)]
pub struct MediaFile {
    /// Where it came from.
    pub path: PathBuf,
    /// Its codec.
    pub codec: FileCodec,
    /// The frames in order.
    pub frames: Frames,
}

/// The largest media file read (the whole file is held in memory and looped).
pub const MAX_MEDIA_FILE: u64 = 512 << 20;

impl MediaFile {
    /// Read and split `path` (up to [`MAX_MEDIA_FILE`] bytes: `/dev/zero` is refused, not read
    /// forever); an unreadable, oversized or malformed file is an input error.
    pub fn load(path: &Path) -> Result<MediaFile> {
        use std::io::Read;
        let what = |e: String| Error::input(format!("reading {}: {e}", path.display()));
        let mut file = std::fs::File::open(path).map_err(|e| what(e.to_string()))?;
        // The magic first: a file that is neither IVF nor Ogg is refused before the rest is read.
        let mut bytes = Vec::new();
        (&mut file).take(4).read_to_end(&mut bytes).map_err(|e| what(e.to_string()))?;
        if !matches!(bytes.get(..4), Some(b"DKIF" | b"OggS")) {
            return MediaFile::from_bytes(path, &bytes);
        }
        file.take(MAX_MEDIA_FILE - 3).read_to_end(&mut bytes).map_err(|e| what(e.to_string()))?;
        if bytes.len() as u64 > MAX_MEDIA_FILE {
            return Err(what(format!("larger than {} MiB: not a clip to loop", MAX_MEDIA_FILE >> 20)));
        }
        MediaFile::from_bytes(path, &bytes)
    }

    /// Split a file already in memory (`path` names it in messages and reports).
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<MediaFile> {
        let what = |e: String| Error::input(format!("reading {}: {e}", path.display()));
        let (codec, frames) = match bytes.get(..4) {
            Some(b"DKIF") => parse_ivf(bytes).map_err(what)?,
            Some(b"OggS") => (FileCodec::Opus, parse_ogg_opus(bytes).map_err(what)?),
            _ => return Err(what("neither IVF (DKIF) nor Ogg (OggS)".into())),
        };
        if frames.is_empty() {
            return Err(what("no frames".into()));
        }
        Ok(MediaFile { path: path.to_owned(), codec, frames })
    }
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// IVF: a 32-byte header (signature, version, header size, FourCC, size, time base, frame
/// count), then frames of a 12-byte header (size, 64-bit timestamp in time-base units) and data.
pub fn parse_ivf(b: &[u8]) -> std::result::Result<(FileCodec, Frames), String> {
    let short = || "the IVF header is cut short".to_owned();
    let header_size = usize::from(le16(b, 6).ok_or_else(short)?);
    let codec = match b.get(8..12).ok_or_else(short)? {
        b"VP80" => FileCodec::Vp8,
        b"VP90" => FileCodec::Vp9,
        b"AV01" => FileCodec::Av1,
        other => {
            return Err(format!(
                "unsupported FourCC {:?} (VP80, VP90 or AV01)",
                String::from_utf8_lossy(other)
            ))
        }
    };
    let den = le32(b, 16).ok_or_else(short)?;
    let num = le32(b, 20).ok_or_else(short)?;
    if den == 0 || num == 0 {
        return Err(format!("time base {num}/{den} is not usable"));
    }
    let tick = Duration::from_secs_f64(f64::from(num) / f64::from(den));
    let mut at = header_size.max(32);
    let mut raw: Vec<(Vec<u8>, u64)> = Vec::new();
    while at < b.len() {
        let size = le32(b, at).ok_or_else(|| format!("frame header at offset {at} is cut short"))? as usize;
        let ts = le64(b, at + 4).ok_or_else(|| format!("frame header at offset {at} is cut short"))?;
        let data = b
            .get(at + 12..at + 12 + size)
            .ok_or_else(|| format!("frame at offset {at} says {size} bytes, the file ends before"))?;
        raw.push((data.to_vec(), ts));
        at += 12 + size;
    }
    // A frame lasts until the next one starts; the last as long as the one before it (or one
    // time-base tick, at least 1 ms).
    let mut frames = Vec::with_capacity(raw.len());
    for i in 0..raw.len() {
        let ticks = match (raw.get(i + 1), i.checked_sub(1).and_then(|p| raw.get(p))) {
            (Some(next), _) => next.1.saturating_sub(raw[i].1),
            (None, Some(prev)) => raw[i].1.saturating_sub(prev.1),
            (None, None) => 1,
        };
        let d = tick
            .saturating_mul(u32::try_from(ticks.max(1)).unwrap_or(u32::MAX))
            .max(Duration::from_millis(1));
        let d = d.min(Duration::from_secs(1));
        let data = std::mem::take(&mut raw[i].0);
        if codec == FileCodec::Av1 {
            let canonical =
                super::frame::av1_canonical(&data).map_err(|e| format!("AV1 frame {}: {e}", i + 1))?;
            if canonical.is_empty() {
                // Only what the payload format leaves out (temporal delimiters, padding): no
                // packet would carry it. Its time goes to the frame before.
                if let Some(last) = frames.last_mut() {
                    let (_, before): &mut (Vec<u8>, Duration) = last;
                    *before = (*before + d).min(Duration::from_secs(1));
                }
                continue;
            }
        }
        frames.push((data, d));
    }
    Ok((codec, frames))
}

/// Ogg pages (RFC 3533): "OggS", version, type, granule, serial, sequence, CRC, segment count,
/// segment table, data. Segments of 255 bytes continue a packet, a shorter one ends it (packets
/// may span pages). Only the first logical stream is read. Its first packet must be OpusHead,
/// the second OpusTags; the rest are audio.
pub fn parse_ogg_opus(b: &[u8]) -> std::result::Result<Frames, String> {
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut partial: Vec<u8> = Vec::new();
    let mut first_serial = None;
    let mut at = 0;
    while at < b.len() {
        if b.get(at..at + 4) != Some(b"OggS") {
            return Err(format!("no Ogg page at offset {at}"));
        }
        let count = usize::from(*b.get(at + 26).ok_or_else(|| format!("page header at {at} is cut short"))?);
        let table =
            b.get(at + 27..at + 27 + count).ok_or_else(|| format!("segment table at {at} is cut short"))?;
        let mut data = at + 27 + count;
        let page_len = 27 + count + table.iter().map(|&l| usize::from(l)).sum::<usize>();
        let page = b.get(at..at + page_len).ok_or_else(|| format!("page at offset {at} is cut short"))?;
        let stored = le32(page, 22).unwrap_or(0);
        if ogg_crc(page) != stored {
            return Err(format!("page at offset {at} fails its CRC"));
        }
        // Several logical streams may be interleaved (a multiplexed file): play the first.
        let serial = le32(page, 14).unwrap_or(0);
        if *first_serial.get_or_insert(serial) != serial {
            at += page_len;
            continue;
        }
        for &len in table {
            let len = usize::from(len);
            let seg = b.get(data..data + len).ok_or_else(|| format!("page at offset {at} is cut short"))?;
            partial.extend_from_slice(seg);
            data += len;
            if len < 255 {
                packets.push(std::mem::take(&mut partial));
            }
        }
        at = data;
    }
    let mut iter = packets.into_iter();
    match iter.next() {
        Some(head) if head.starts_with(b"OpusHead") => {}
        _ => return Err("not an Ogg/Opus file (the first packet is not OpusHead)".into()),
    }
    match iter.next() {
        Some(tags) if tags.starts_with(b"OpusTags") => {}
        _ => return Err("the OpusTags packet is missing".into()),
    }
    iter.filter(|p| !p.is_empty())
        .map(|p| {
            opus_duration(&p).map(|d| (p, d)).ok_or_else(|| "an Opus packet with a bad TOC byte".to_owned())
        })
        .collect()
}

/// The CRC of an Ogg page (RFC 3533: polynomial 0x04c11db7, not reflected, initial 0), with its
/// own CRC field (bytes 22..26) taken as zero.
pub fn ogg_crc(page: &[u8]) -> u32 {
    let mut crc = 0u32;
    for (i, &byte) in page.iter().enumerate() {
        let byte = if (22..26).contains(&i) { 0 } else { byte };
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04c1_1db7 } else { crc << 1 };
        }
    }
    crc
}

/// The duration of an Opus packet from its TOC byte and frame count (RFC 6716 §3.1, §3.2).
pub fn opus_duration(p: &[u8]) -> Option<Duration> {
    let toc = *p.first()?;
    let config = toc >> 3;
    let frame_us: u64 = match config {
        0..=11 => [10_000, 20_000, 40_000, 60_000][usize::from(config % 4)],
        12..=15 => [10_000, 20_000][usize::from(config % 2)],
        _ => [2_500, 5_000, 10_000, 20_000][usize::from(config % 4)],
    };
    let frames = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        _ => u64::from(*p.get(1)? & 0x3f),
    };
    (frames > 0).then(|| Duration::from_micros(frame_us * frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ivf(fourcc: &[u8; 4], frames: &[(&[u8], u64)]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"DKIF");
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&32u16.to_le_bytes());
        b.extend_from_slice(fourcc);
        b.extend_from_slice(&640u16.to_le_bytes());
        b.extend_from_slice(&480u16.to_le_bytes());
        b.extend_from_slice(&30u32.to_le_bytes()); // denominator
        b.extend_from_slice(&1u32.to_le_bytes()); // numerator
        b.extend_from_slice(&(frames.len() as u32).to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        for (data, ts) in frames {
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(&ts.to_le_bytes());
            b.extend_from_slice(data);
        }
        b
    }

    fn ogg_page(segments: &[&[u8]], kind: u8) -> Vec<u8> {
        let mut table = Vec::new();
        let mut data = Vec::new();
        for s in segments {
            let mut n = s.len();
            while n >= 255 {
                table.push(255);
                n -= 255;
            }
            table.push(n as u8);
            data.extend_from_slice(s);
        }
        let mut b = b"OggS".to_vec();
        b.push(0);
        b.push(kind);
        b.extend_from_slice(&[0; 8 + 4 + 4 + 4]);
        b.push(table.len() as u8);
        b.extend_from_slice(&table);
        b.extend_from_slice(&data);
        let crc = ogg_crc(&b);
        b[22..26].copy_from_slice(&crc.to_le_bytes());
        b
    }

    #[test]
    fn ivf_frames_and_durations() {
        let file = ivf(b"VP80", &[(b"aaaa", 0), (b"bb", 1), (b"c", 3)]);
        let (codec, frames) = parse_ivf(&file).unwrap();
        assert_eq!(codec, FileCodec::Vp8);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].0, b"aaaa");
        assert_eq!(frames[1].1.as_millis(), 66);
        assert_eq!(frames[2].1.as_millis(), 66);
        assert!(parse_ivf(&ivf(b"H264", &[])).unwrap_err().contains("AV01"));
        assert!(parse_ivf(&file[..file.len() - 1]).unwrap_err().contains("ends before"));
        assert!(parse_ivf(&file[..10]).is_err());
    }

    #[test]
    fn av1_frames_are_checked_and_delimiter_only_ones_folded_into_the_one_before() {
        let frame: &[u8] = &[0x12, 0x00, 0x32, 0x02, 7, 8]; // temporal delimiter, frame OBU
        let delimiter_only: &[u8] = &[0x12, 0x00];
        let file = ivf(b"AV01", &[(frame, 0), (delimiter_only, 1), (frame, 2), (frame, 3)]);
        let (codec, frames) = parse_ivf(&file).unwrap();
        assert_eq!(codec, FileCodec::Av1);
        assert_eq!(frames.len(), 3, "the delimiter-only frame carries nothing to send");
        assert_eq!(frames[0].1.as_millis(), 66, "its time went to the frame before");
        // The receiver checks the canonical form: the frame OBU without its size field.
        assert_eq!(&*codec.expected(frame), &[3, 0x30, 7, 8]);
        assert_eq!(&*FileCodec::Vp8.expected(frame), frame);
        let damaged: &[u8] = &[0x32, 0x09, 7, 8];
        let err = parse_ivf(&ivf(b"AV01", &[(frame, 0), (damaged, 1)])).unwrap_err();
        assert!(err.contains("AV1 frame 2") && err.contains("runs past the end"), "{err}");
    }

    #[test]
    fn ogg_pages_split_into_opus_packets_with_their_durations() {
        let big = vec![0x78u8; 300]; // config 15 (hybrid 20 ms), one frame; spans two segments
        let mut file = ogg_page(&[b"OpusHead\x01\x02"], 2);
        file.extend(ogg_page(&[b"OpusTags...."], 0));
        file.extend(ogg_page(&[&[0xfc, 1, 2], &big, &[0x0b, 9]], 0));
        let packets = parse_ogg_opus(&file).unwrap();
        assert_eq!(packets.len(), 3);
        assert_eq!(packets[0].1, Duration::from_millis(20)); // CELT FB 20 ms, code 0
        assert_eq!(packets[1].0.len(), 300);
        assert_eq!(packets[2].1, Duration::from_millis(180)); // SILK 20 ms, code 3 with 9 frames
        assert!(parse_ogg_opus(&ogg_page(&[b"OpusTags"], 0)).is_err());
        let mut damaged = file.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(parse_ogg_opus(&damaged).unwrap_err().contains("CRC"));
        assert!(parse_ogg_opus(b"OggS").is_err());
    }

    #[test]
    fn opus_toc_durations() {
        assert_eq!(opus_duration(&[0xf8]), Some(Duration::from_millis(20))); // CELT 20 ms
        assert_eq!(opus_duration(&[0x01 << 3 | 1]), Some(Duration::from_millis(40))); // SILK 20 ms x2
        assert_eq!(opus_duration(&[0x03, 3]), Some(Duration::from_millis(30))); // 10 ms x3
        assert_eq!(opus_duration(&[0x03, 0]), None);
        assert_eq!(opus_duration(&[]), None);
    }
}
