//! Fixed-size measurement state: a log-linear histogram of microseconds (about 3% precision,
//! a fixed array, no allocation per sample) and the per-stream receive state that tells
//! delivered, duplicated and reordered packets apart and keeps RFC 3550's interarrival jitter.

/// Values below this are counted exactly.
const LINEAR: u64 = 64;
/// Sub-buckets per power of two above [`LINEAR`].
const SUB: u64 = 32;
/// Powers of two covered above [`LINEAR`] (up to 2^46 µs, about two years).
const OCTAVES: u64 = 40;
const BUCKETS: usize = (LINEAR + OCTAVES * SUB) as usize;

/// A histogram of microsecond values.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram").field("total", &self.total).field("max", &self.max).finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: Box::new([0; BUCKETS]), total: 0, max: 0 }
    }
}

fn bucket(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    // v >= 64: its top bit is at position e >= 6; keep 5 bits below it.
    let e = 63 - u64::from(v.leading_zeros());
    let shift = e - 5;
    let index = LINEAR + (e - 6) * SUB + ((v >> shift) - SUB);
    (index as usize).min(BUCKETS - 1)
}

/// The smallest value of a bucket (what a percentile reports).
fn lower_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let octave = (i - LINEAR) / SUB;
    let sub = (i - LINEAR) % SUB;
    (SUB + sub) << (octave + 1)
}

impl Histogram {
    /// Count one value.
    pub fn record(&mut self, micros: u64) {
        self.counts[bucket(micros)] += 1;
        self.total += 1;
        self.max = self.max.max(micros);
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest value, exactly.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value at or below which `p` percent of the values are (a bucket's lower bound,
    /// never above the maximum); `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(lower_bound(i).min(self.max));
            }
        }
        Some(self.max)
    }

    /// Add another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        self.counts.fill(0);
        self.total = 0;
        self.max = 0;
    }
}

/// How many sequence numbers below the highest one a stream remembers for duplicate detection.
const WINDOW: u32 = 1024;

/// What a packet was to its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// A new packet, in order (a gap before it may fill later).
    InOrder,
    /// A new packet older than one already received.
    Reordered,
    /// A packet received before.
    Duplicate,
    /// Older than the window: cannot tell; counted as reordered and delivered.
    TooOld,
}

/// The receive side of one stream (one sender to one receiver): fixed size.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    highest: Option<u32>,
    /// Bit i: sequence `highest - i` arrived.
    seen: [u64; (WINDOW / 64) as usize],
    /// RFC 3550 interarrival jitter, in microseconds.
    jitter: f64,
    last_transit: Option<i64>,
}

impl Stream {
    /// A packet with sequence `seq` arrived with this one-way transit time (µs; any fixed
    /// offset cancels out of the jitter).
    pub fn arrive(&mut self, seq: u32, transit_us: i64) -> Arrival {
        let arrival = match self.highest {
            None => {
                self.highest = Some(seq);
                self.seen = [0; (WINDOW / 64) as usize];
                self.set(0);
                Arrival::InOrder
            }
            Some(h) if seq > h => {
                self.shift(seq - h);
                self.highest = Some(seq);
                self.set(0);
                Arrival::InOrder
            }
            Some(h) if h - seq >= WINDOW => Arrival::TooOld,
            Some(h) => {
                let back = h - seq;
                if self.get(back) {
                    return Arrival::Duplicate;
                }
                self.set(back);
                Arrival::Reordered
            }
        };
        if let Some(last) = self.last_transit {
            let d = (transit_us - last).unsigned_abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit_us);
        arrival
    }

    /// The stream's interarrival jitter, in microseconds.
    pub fn jitter_us(&self) -> f64 {
        self.jitter
    }

    fn get(&self, back: u32) -> bool {
        self.seen[(back / 64) as usize] >> (back % 64) & 1 == 1
    }

    fn set(&mut self, back: u32) {
        self.seen[(back / 64) as usize] |= 1 << (back % 64);
    }

    /// Move the window up by `n` sequence numbers.
    fn shift(&mut self, n: u32) {
        if n >= WINDOW {
            self.seen = [0; (WINDOW / 64) as usize];
            return;
        }
        let (words, bits) = ((n / 64) as usize, n % 64);
        let len = self.seen.len();
        for i in (0..len).rev() {
            let from = i.checked_sub(words);
            let mut v = from.map_or(0, |f| self.seen[f] << bits);
            if bits > 0 {
                if let Some(f) = from.and_then(|f| f.checked_sub(1)) {
                    v |= self.seen[f] >> (64 - bits);
                }
            }
            self.seen[i] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_close() {
        let mut last = 0;
        for v in (0..200_000u64).step_by(7).chain([1 << 30, (1 << 44) + 12345]) {
            let b = bucket(v);
            assert!(b >= last, "{v}");
            last = b;
            let lo = lower_bound(b);
            assert!(lo <= v, "{v}: {lo}");
            assert!(v < LINEAR || (v - lo) as f64 / v as f64 <= 1.0 / 32.0 + 1e-9, "{v}: {lo}");
        }
    }

    #[test]
    fn percentiles() {
        let mut h = Histogram::default();
        assert_eq!(h.percentile(50.0), None);
        for v in 1..=1000 {
            h.record(v);
        }
        let p50 = h.percentile(50.0).unwrap();
        assert!((484..=500).contains(&p50), "{p50}");
        let p99 = h.percentile(99.0).unwrap();
        assert!((960..=990).contains(&p99), "{p99}");
        assert_eq!(h.percentile(100.0), Some(992), "the top bucket's lower bound");
        assert_eq!(h.max(), 1000);
        let mut other = Histogram::default();
        other.record(5000);
        h.merge(&other);
        assert_eq!((h.count(), h.max()), (1001, 5000));
        // Beyond the range: the last bucket, never above the maximum.
        let mut huge = Histogram::default();
        huge.record(u64::MAX);
        assert_eq!(huge.percentile(50.0), Some(lower_bound(BUCKETS - 1)));
    }

    #[test]
    fn streams_tell_duplicates_and_reordering() {
        let mut s = Stream::default();
        assert_eq!(s.arrive(0, 100), Arrival::InOrder);
        assert_eq!(s.arrive(2, 100), Arrival::InOrder);
        assert_eq!(s.arrive(1, 100), Arrival::Reordered);
        assert_eq!(s.arrive(1, 100), Arrival::Duplicate);
        assert_eq!(s.arrive(2, 100), Arrival::Duplicate);
        assert_eq!(s.arrive(200, 100), Arrival::InOrder);
        assert_eq!(s.arrive(70, 100), Arrival::Reordered, "across a word of the window");
        assert_eq!(s.arrive(70, 100), Arrival::Duplicate);
        assert_eq!(s.arrive(2, 100), Arrival::Duplicate, "still remembered after the shift");
        assert_eq!(s.arrive(5000, 100), Arrival::InOrder);
        assert_eq!(s.arrive(200, 100), Arrival::TooOld);
        assert_eq!(s.jitter_us(), 0.0, "constant transit: no jitter");
        let mut j = Stream::default();
        for (seq, transit) in [(0, 100), (1, 300), (2, 100), (3, 300)] {
            j.arrive(seq, transit);
        }
        assert!(j.jitter_us() > 30.0, "{}", j.jitter_us());
    }
}
