#!/usr/bin/env bash
# Remake the media clips built into `rtctool call` (src/call/clips/): a 2 s VP8 test pattern
# (320x240, 15 fps, a key frame every second) and a 2 s Opus chirp (48 kHz mono, 20 ms
# frames), so that a browser can decode what call sends and the receiving rtctool can check
# every frame against the clip it also holds.
#
#   scripts/make-clips.sh            # needs vpxenc and opusenc (apt-get install vpx-tools opus-tools)
#
# The pattern and the chirp are computed here (python3), so every frame differs from every
# other: a frame is recognised by its CRC-32, and a repeat inside the clip would be ambiguous.
# The encoders are deterministic for the same input and settings, but different versions may
# produce different bytes; the clips are checked in, so rebuilding is only needed to change them.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=src/call/clips
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in vpxenc opusenc python3; do
    command -v "$tool" >/dev/null || { echo "make-clips.sh: $tool is missing (apt-get install vpx-tools opus-tools)" >&2; exit 1; }
done

python3 - "$tmp" <<'EOF'
import math, struct, sys, wave
tmp = sys.argv[1]
w, h, fps, seconds = 320, 240, 15, 2
with open(f"{tmp}/pattern.y4m", "wb") as f:
    f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
    for n in range(fps * seconds):
        f.write(b"FRAME\n")
        # Luma: moving diagonal bars and a bar whose height counts the frame.
        y = bytearray(w * h)
        for r in range(h):
            for c in range(w):
                v = ((c + r + 8 * n) // 16) % 2 * 160 + 40
                if c < 20 and r > h - 8 * (n % 30) - 8:
                    v = 235
                y[r * w + c] = v
        f.write(y)
        # Chroma: a hue that turns with the frame number.
        u = 128 + int(100 * math.cos(2 * math.pi * n / (fps * seconds)))
        v = 128 + int(100 * math.sin(2 * math.pi * n / (fps * seconds)))
        f.write(bytes([u]) * (w * h // 4))
        f.write(bytes([v]) * (w * h // 4))
rate = 48000
with wave.open(f"{tmp}/chirp.wav", "wb") as wv:
    wv.setnchannels(1)
    wv.setsampwidth(2)
    wv.setframerate(rate)
    frames = bytearray()
    phase = 0.0
    for i in range(rate * seconds):
        t = i / rate
        freq = 300 + 600 * t / seconds  # 300 Hz to 900 Hz: no two 20 ms frames alike
        phase += 2 * math.pi * freq / rate
        frames += struct.pack("<h", int(8000 * math.sin(phase)))
    wv.writeframes(bytes(frames))
EOF

vpxenc --codec=vp8 --ivf --fps=15/1 --target-bitrate=300 --kf-max-dist=15 --kf-min-dist=15 \
    --end-usage=cbr --lag-in-frames=0 --error-resilient=1 --threads=1 --passes=1 \
    -o "$out/pattern.ivf" "$tmp/pattern.y4m" 2>/dev/null
opusenc --quiet --bitrate 32 --framesize 20 --comp 10 --serial 1 "$tmp/chirp.wav" "$out/chirp.ogg"
ls -l "$out"
