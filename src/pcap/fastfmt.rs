//! Allocation-free text for the per-message line of `pcap decode`, which runs once per packet
//! on captures of millions: integers, IPv4 socket addresses, hex and fixed-point times written
//! straight into the line buffer instead of through `core::fmt`.

use std::fmt::Write as _;
use std::net::SocketAddr;

/// A line of output as bytes: appending ASCII costs a byte store, not a UTF-8 encode.
#[derive(Debug, Default, Clone)]
pub struct LineBuf(Vec<u8>);

impl LineBuf {
    #[cfg(test)]
    fn from_text(s: &str) -> Self {
        LineBuf(s.as_bytes().to_vec())
    }
    /// An empty line with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        LineBuf(Vec::with_capacity(n))
    }
    /// Append text.
    pub fn push_str(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }
    /// Append a character.
    pub fn push(&mut self, c: char) {
        if c.is_ascii() {
            self.0.push(c as u8);
        } else {
            self.push_str(c.encode_utf8(&mut [0; 4]));
        }
    }
    fn push_ascii(&mut self, b: u8) {
        self.0.push(b);
    }
    /// Append raw bytes (already encoded text).
    pub fn extend_from_slice(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    /// Empty it, keeping the allocation.
    /// The bytes, to write into (JSON records).
    pub fn vec_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The bytes (UTF-8: only text is ever appended).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// Cut the line at `at` (a character boundary) and return the tail as text.
    pub fn split_off(&mut self, at: usize) -> String {
        let tail = self.0.split_off(at.min(self.0.len()));
        String::from_utf8_lossy(&tail).into_owned()
    }
}

impl std::fmt::Write for LineBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// Two decimal digits for each number below 100.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

impl LineBuf {
    /// Append the first `n` bytes of `buf` with one copy of constant size, cut back to `n`
    /// (for bytes written long before: a copy of `n` bytes would be a call to `memcpy`).
    #[inline]
    pub fn push_prefix<const N: usize>(&mut self, buf: &[u8; N], n: usize) {
        let len = self.0.len();
        self.0.extend_from_slice(buf);
        self.0.truncate(len + n.min(N));
    }

    /// Append text made in place: the line grows by `N` bytes of `fill` (a few wide stores),
    /// `make` writes into them and says how many it used, and the line is cut back to those.
    /// Digits are written straight into the line: made in an array on the stack and copied,
    /// their narrow stores followed by a wide load of the array stall the CPU.
    #[inline]
    fn append_with<const N: usize>(&mut self, fill: u8, make: impl FnOnce(&mut [u8; N]) -> usize) {
        let len = self.0.len();
        self.0.resize(len + N, fill);
        let used = match <&mut [u8; N]>::try_from(&mut self.0[len..]) {
            Ok(room) => make(room),
            Err(_) => 0,
        };
        self.0.truncate(len + used.min(N));
    }
}

/// Number of decimal digits of `n`.
#[inline]
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Write the decimal digits of `n` into `buf[..end]`, right-aligned at `end`, which must leave
/// room for them. Digits are made two at a time, in 32-bit arithmetic once the number fits.
#[inline]
fn digits_into(buf: &mut [u8], end: usize, n: u64) {
    let mut i = end;
    let mut n = n;
    while n > u64::from(u32::MAX) {
        let d = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i] = PAIRS[d];
        buf[i + 1] = PAIRS[d + 1];
    }
    let mut n32 = n as u32;
    while n32 >= 100 {
        let d = (n32 % 100) as usize * 2;
        n32 /= 100;
        i -= 2;
        buf[i] = PAIRS[d];
        buf[i + 1] = PAIRS[d + 1];
    }
    if n32 >= 10 {
        let d = n32 as usize * 2;
        i -= 2;
        buf[i] = PAIRS[d];
        buf[i + 1] = PAIRS[d + 1];
    } else {
        i -= 1;
        buf[i] = b'0' + n32 as u8;
    }
}

/// Append a decimal integer.
#[inline]
pub fn push_u64(out: &mut LineBuf, n: u64) {
    out.append_with::<20>(0, |buf| {
        let len = digits(n);
        digits_into(buf, len, n);
        len
    });
}

/// Append a number below 256 (an IPv4 octet) into `buf` at `at`; returns the new end.
#[inline]
fn octet_into(buf: &mut [u8], mut at: usize, n: u8) -> usize {
    if n >= 100 {
        buf[at] = b'0' + n / 100;
        at += 1;
    }
    if n >= 10 {
        buf[at] = b'0' + n / 10 % 10;
        at += 1;
    }
    buf[at] = b'0' + n % 10;
    at + 1
}

/// Append a decimal integer zero-padded to `width` digits.
pub fn push_u64_padded_zero(out: &mut LineBuf, n: u64, width: usize) {
    let len = digits(n);
    out.0.extend(std::iter::repeat_n(b'0', width.saturating_sub(len)));
    push_u64(out, n);
}

/// Append `ip:port` (IPv6 as `[ip]:port`), as `SocketAddr`'s Display does.
pub fn push_sockaddr(out: &mut LineBuf, addr: &SocketAddr) {
    match addr {
        SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            let port = u64::from(v4.port());
            out.append_with::<24>(0, |buf| {
                let mut at = octet_into(buf, 0, a);
                buf[at] = b'.';
                at = octet_into(buf, at + 1, b);
                buf[at] = b'.';
                at = octet_into(buf, at + 1, c);
                buf[at] = b'.';
                at = octet_into(buf, at + 1, d);
                buf[at] = b':';
                let end = at + 1 + digits(port);
                digits_into(buf, end, port);
                end
            });
        }
        SocketAddr::V6(v6) => {
            let _ = write!(out, "[{}]", v6.ip());
            out.push_ascii(b':');
            push_u64(out, u64::from(addr.port()));
        }
    }
}

/// Lower-case hex of 8 bytes: 16 characters.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn hex8(bytes: [u8; 8]) -> [u8; 16] {
    use std::arch::x86_64::*;
    let mut out = [0u8; 16];
    // SAFETY: SSE2 is enabled (it is part of every x86_64 CPU), and the store is of 16 bytes
    // into `out`, which has them. The nibbles are spread over the lanes, and each becomes
    // '0'..'9' or 'a'..'f' by a compare and two adds, all 16 at once.
    unsafe {
        let x = _mm_set_epi64x(0, i64::from_le_bytes(bytes));
        let low = _mm_set1_epi8(0x0f);
        let hi = _mm_and_si128(_mm_srli_epi16::<4>(x), low);
        let lo = _mm_and_si128(x, low);
        let n = _mm_unpacklo_epi8(hi, lo);
        let past_9 = _mm_cmpgt_epi8(n, _mm_set1_epi8(9));
        let letters = _mm_and_si128(past_9, _mm_set1_epi8((b'a' - b'0' - 10) as i8));
        let text = _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8(b'0' as i8)), letters);
        _mm_storeu_si128(out.as_mut_ptr().cast(), text);
    }
    out
}

/// Lower-case hex of 8 bytes: 16 characters.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline]
fn hex8(bytes: [u8; 8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (pair, &b) in out.chunks_exact_mut(2).zip(&bytes) {
        pair.copy_from_slice(&crate::core::stun::hex_pair(b));
    }
    out
}

/// Append lower-case hex.
#[inline]
pub fn push_hex(out: &mut LineBuf, bytes: &[u8]) {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        out.0.extend_from_slice(&hex8(b));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        b[..rest.len()].copy_from_slice(rest);
        out.push_prefix(&hex8(b), 2 * rest.len());
    }
}

/// Whole seconds and microseconds, rounded to the nearest microsecond.
#[inline]
fn seconds_and_micros(ns: u64) -> (u64, u32) {
    let secs = ns / 1_000_000_000;
    let micros = ((ns % 1_000_000_000 + 500) / 1000) as u32;
    if micros == 1_000_000 {
        (secs + 1, 0)
    } else {
        (secs, micros)
    }
}

/// Append `.` and six decimals (`micros` < 1,000,000) as three independent pairs.
#[inline]
fn push_micros(out: &mut LineBuf, micros: u32) {
    out.append_with::<8>(0, |buf| {
        buf[0] = b'.';
        for (i, pair) in [micros / 10_000, micros / 100 % 100, micros % 100].into_iter().enumerate() {
            let d = pair as usize * 2;
            buf[1 + 2 * i] = PAIRS[d];
            buf[2 + 2 * i] = PAIRS[d + 1];
        }
        7
    });
}

/// A number kept as text from one line to the next, for numbers that mostly repeat or step by
/// one (frame numbers, whole seconds): the text steps with the number instead of being made
/// from it again.
#[derive(Debug, Clone, Default)]
pub struct Counter {
    /// The number whose digits `text` holds (`None`: none yet).
    n: Option<u64>,
    text: [u8; 20],
    len: usize,
}

impl Counter {
    /// Append `n` right-aligned in `width` columns (as `{n:>width}`).
    #[inline(always)]
    pub fn push_padded(&mut self, out: &mut LineBuf, n: u64, width: usize) {
        if self.n != Some(n) {
            if self.n.and_then(|p| p.checked_add(1)) == Some(n) {
                self.step();
            } else {
                self.set(n);
            }
            self.n = Some(n);
        }
        let pad = width.saturating_sub(self.len);
        if pad > 0 {
            const SPACES: [u8; 20] = [b' '; 20];
            if pad <= SPACES.len() {
                out.push_prefix(&SPACES, pad);
            } else {
                out.0.extend(std::iter::repeat_n(b' ', pad));
            }
        }
        out.push_prefix(&self.text, self.len);
    }

    /// Make the text afresh.
    #[cold]
    #[inline(never)]
    fn set(&mut self, n: u64) {
        self.len = digits(n);
        digits_into(&mut self.text, self.len, n);
    }

    /// Add one to the text.
    #[inline]
    fn step(&mut self) {
        let mut i = self.len;
        while i > 0 {
            i -= 1;
            if self.text[i] != b'9' {
                self.text[i] += 1;
                return;
            }
            self.text[i] = b'0';
        }
        // Every digit was a 9 (a number below u64::MAX, so it has at most 19 of them).
        self.text[0] = b'1';
        self.text[self.len] = b'0';
        self.len += 1;
    }
}

/// Append seconds with six decimals, right-aligned in `width` columns (`{:>width.6}` of the
/// seconds, without going through floating point). The whole seconds are kept as text in
/// `secs` from one call to the next.
#[inline]
pub fn push_seconds(out: &mut LineBuf, secs: &mut Counter, ns: u64, width: usize) {
    let (whole, micros) = seconds_and_micros(ns);
    secs.push_padded(out, whole, width.saturating_sub(7));
    push_micros(out, micros);
}

/// FxHash (rustc's hasher, from `rustc-hash`): fast for keys that are already random, such as
/// STUN transaction ids. Not DoS-resistant, which is fine for keys read from a file.
pub type FxBuild = rustc_hash::FxBuildHasher;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_core_fmt() {
        let mut numbers = vec![0u64, 7, 10, 99, 100, 65535, 1 << 40, u64::MAX, u64::MAX - 1];
        for p in 0..20 {
            let t = 10u64.pow(p);
            numbers.extend([t - 1, t, t + 1]);
        }
        numbers.extend([u64::from(u32::MAX), u64::from(u32::MAX) + 1, 100_000_000 * 4_294_967_296]);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            numbers.extend([x, x >> 20, x >> 40, x >> 58]);
        }
        for n in numbers {
            let mut s = LineBuf::default();
            push_u64(&mut s, n);
            assert_eq!(s.as_bytes(), n.to_string().as_bytes());
            let mut s = LineBuf::default();
            Counter::default().push_padded(&mut s, n, 6);
            assert_eq!(s.as_bytes(), format!("{n:>6}").as_bytes());
        }
        for a in ["203.0.113.10:3478", "0.0.0.0:0", "9.10.99.255:65535", "100.1.0.250:1", "[2001:db8::1]:443"]
        {
            let a: SocketAddr = a.parse().unwrap();
            let mut s = LineBuf::default();
            push_sockaddr(&mut s, &a);
            assert_eq!(s.as_bytes(), a.to_string().as_bytes());
        }
        for ns in [0u64, 286_000, 11_107_600_123, 999_999_999_700, 5_000_000_000, 123_456_789_999_999_999] {
            for width in [0, 8, 11, 30] {
                let mut s = LineBuf::default();
                push_seconds(&mut s, &mut Counter::default(), ns, width);
                let expected = format!("{:>w$.6}", ns as f64 / 1e9, w = width);
                assert_eq!(s.as_bytes(), expected.as_bytes(), "{ns} in {width}");
            }
        }
        let mut s = LineBuf::default();
        push_seconds(&mut s, &mut Counter::default(), u64::MAX, 11);
        assert_eq!(s.as_bytes(), b"18446744073.709552");
        for n in [0u64, 5, 123_456, u64::MAX] {
            for width in [0, 6, 25] {
                let mut s = LineBuf::default();
                Counter::default().push_padded(&mut s, n, width);
                assert_eq!(s.as_bytes(), format!("{n:>width$}").as_bytes());
            }
        }
        for len in 0..=33 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let mut s = LineBuf::default();
            push_hex(&mut s, &bytes);
            let expected = crate::core::stun::hex(&bytes);
            assert_eq!(s.as_bytes(), expected.as_bytes());
        }
        let every: Vec<u8> = (0..=255).collect();
        let mut s = LineBuf::default();
        push_hex(&mut s, &every);
        let expected = crate::core::stun::hex(&every);
        assert_eq!(s.as_bytes(), expected.as_bytes());
        for a in ["1.2.3.4:5", "255.255.255.255:65535", "10.0.0.1:0"] {
            let a: SocketAddr = a.parse().unwrap();
            let mut s = LineBuf::from_text("x");
            push_sockaddr(&mut s, &a);
            assert_eq!(s.as_bytes(), format!("x{a}").as_bytes());
        }
    }

    /// A counter kept from call to call writes what a fresh conversion writes: stepping by one
    /// across carries and new lengths, repeating, and jumping.
    #[test]
    fn counter_text_follows_the_number() {
        let mut counter = Counter::default();
        let mut seconds = Counter::default();
        let mut numbers: Vec<u64> = (0..1200).chain(9_990..10_010).chain(99_999..100_002).collect();
        numbers.extend([5, 5, 5, 1_000_000, 999_999, 1_000_000, 1_000_001, 42, 43, 43, 44]);
        numbers.extend([
            u64::MAX - 2,
            u64::MAX - 1,
            u64::MAX,
            0,
            1,
            9_999_999_999_999_999_999,
            10_000_000_000_000_000_000,
        ]);
        for (i, &n) in numbers.iter().enumerate() {
            for width in [0, 6, 25] {
                let mut s = LineBuf::from_text("x");
                counter.push_padded(&mut s, n, width);
                assert_eq!(
                    s.as_bytes(),
                    format!("x{n:>width$}").as_bytes(),
                    "{n} after {:?}",
                    numbers.get(i.wrapping_sub(1))
                );
            }
            // Times whose whole seconds step, repeat and jump (with rounding up to a second).
            let ns = n.wrapping_mul(400_000_123) / 3 + if n % 7 == 0 { 999_999_600 } else { 0 };
            let mut s = LineBuf::default();
            push_seconds(&mut s, &mut seconds, ns, 11);
            let us = (u128::from(ns) + 500) / 1000;
            let expected = format!("{:>4}.{:06}", us / 1_000_000, us % 1_000_000);
            assert_eq!(s.as_bytes(), expected.as_bytes(), "{ns}");
        }
    }
}
