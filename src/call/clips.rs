//! The media clips built into `call`: a 2 s VP8 test pattern and a 2 s Opus chirp, looped, so
//! that a browser can decode what we send and an rtctool at the other end can check every
//! frame against the same clip. `scripts/make-clips.sh` remakes them (vpxenc, opusenc).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::loopback::frame::Ledger;
use crate::loopback::media::Kind;
use crate::loopback::mediafile::MediaFile;

/// 320x240, 15 fps, a key frame every second (IVF).
pub const VIDEO: &[u8] = include_bytes!("clips/pattern.ivf");
/// 48 kHz mono, 20 ms frames (Ogg/Opus).
pub const AUDIO: &[u8] = include_bytes!("clips/chirp.ogg");

/// The clip of `kind`, split into frames once per process.
pub fn clip(kind: Kind) -> Arc<MediaFile> {
    static CLIPS: [OnceLock<Arc<MediaFile>>; 2] = [OnceLock::new(), OnceLock::new()];
    let (slot, name, bytes) = match kind {
        Kind::Video => (&CLIPS[0], "built-in clip pattern.ivf", VIDEO),
        Kind::Audio => (&CLIPS[1], "built-in clip chirp.ogg", AUDIO),
    };
    // The clips are checked by the tests below; a broken one is a build defect.
    slot.get_or_init(|| {
        Arc::new(MediaFile::from_bytes(Path::new(name), bytes).expect("the built-in clips parse"))
    })
    .clone()
}

/// Whether `file` is the built-in clip (of its kind).
pub fn is_clip(file: &Arc<MediaFile>) -> bool {
    Arc::ptr_eq(file, &clip(file.codec.kind()))
}

/// A ledger that recognises every frame of the clip of `kind`, for the receiver.
pub fn ledger(kind: Kind) -> Ledger {
    Ledger::of_clip(clip(kind).frames.iter().map(|(f, _)| f.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loopback::mediafile::FileCodec;

    #[test]
    fn the_clips_parse_and_no_frame_repeats() {
        for (kind, codec, frames) in [(Kind::Video, FileCodec::Vp8, 30), (Kind::Audio, FileCodec::Opus, 100)]
        {
            let c = clip(kind);
            assert_eq!(c.codec, codec);
            assert!(c.frames.len() >= frames, "{} frames", c.frames.len());
            let crcs: std::collections::HashSet<u32> =
                c.frames.iter().map(|(f, _)| crc32fast::hash(f)).collect();
            assert_eq!(crcs.len(), c.frames.len(), "a frame of the {kind:?} clip repeats");
            let mut l = ledger(kind);
            assert_eq!(l.claim(&c.frames[1].0), Some((1, 0)));
        }
        // The first video frame is a key frame (VP8: bit 0 of the first byte clear), so the
        // loop restarts cleanly.
        assert_eq!(clip(Kind::Video).frames[0].0[0] & 1, 0);
    }
}
