//! When to send a request again and when to give up (RFC 8489 §6.2.1), and how to learn the
//! RTO from measured round trips (RFC 6298, which RFC 8489 points to).

use std::time::Duration;

/// The retransmission schedule of one request over UDP (RFC 8489 §6.2.1).
///
/// The request is sent at 0, RTO, 3×RTO, 7×RTO... (the interval doubles each time) until `rc`
/// requests have been sent; after the last one the client waits `rm` × RTO more before calling
/// the transaction failed. With the RFC defaults (RTO 500 ms, Rc 7, Rm 16) the sends are at 0,
/// 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and the transaction fails at 39.5 s. `limit`, when set,
/// caps the whole transaction (a user's `--timeout`): nothing is sent at or after it, and it
/// fails there at the latest.
///
/// ```
/// use std::time::Duration;
/// use rtctool::core::transact::Retransmit;
/// let r = Retransmit::default();
/// let sends: Vec<_> = r.send_offsets().map(|d| d.as_millis()).collect();
/// assert_eq!(sends, [0, 500, 1500, 3500, 7500, 15500, 31500]);
/// assert_eq!(r.give_up_after(), Duration::from_millis(39_500));
/// let quick = Retransmit { limit: Some(Duration::from_secs(2)), ..r };
/// assert_eq!(quick.send_offsets().count(), 3);
/// assert_eq!(quick.give_up_after(), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retransmit {
    /// The initial retransmission timeout.
    pub rto: Duration,
    /// Rc: how many times the request is sent at most (at least once).
    pub rc: u32,
    /// Rm: the last wait, in multiples of the initial RTO.
    pub rm: u32,
    /// A cap on the whole transaction, whatever the schedule says.
    pub limit: Option<Duration>,
}

impl Default for Retransmit {
    /// The RFC 8489 defaults: RTO 500 ms, Rc 7, Rm 16, no limit.
    fn default() -> Self {
        Retransmit { rto: Duration::from_millis(500), rc: 7, rm: 16, limit: None }
    }
}

impl Retransmit {
    /// A schedule with this initial RTO, Rc and Rm and no limit.
    pub fn new(rto: Duration, rc: u32, rm: u32) -> Self {
        Retransmit { rto, rc, rm, limit: None }
    }

    /// The same schedule, capped at `limit` in total.
    pub fn with_limit(self, limit: Duration) -> Self {
        Retransmit { limit: Some(limit), ..self }
    }

    /// Offset of the `n`th send (0-based) from the first: RTO × (2ⁿ − 1), or `None` past Rc or
    /// at/after the limit.
    pub fn send_offset(&self, n: u32) -> Option<Duration> {
        if n >= self.rc.max(1) {
            return None;
        }
        let factor = 1u32.checked_shl(n).map_or(u32::MAX, |p| p - 1);
        let at = self.rto.saturating_mul(factor);
        match self.limit {
            Some(limit) if n > 0 && at >= limit => None,
            _ => Some(at),
        }
    }

    /// The offsets of every send.
    pub fn send_offsets(&self) -> impl Iterator<Item = Duration> + '_ {
        (0..self.rc.max(1)).map_while(|n| self.send_offset(n))
    }

    /// How many requests this schedule sends.
    pub fn sends(&self) -> u32 {
        self.send_offsets().count() as u32
    }

    /// When, counted from the first send, the transaction is given up without an answer.
    pub fn give_up_after(&self) -> Duration {
        let last = self.send_offsets().last().unwrap_or(Duration::ZERO);
        let end = last.saturating_add(self.rto.saturating_mul(self.rm));
        match self.limit {
            Some(limit) => end.min(limit),
            None => end,
        }
    }
}

/// An RTO learnt from round-trip samples the way RFC 6298 does it (SRTT, RTTVAR, K = 4),
/// bounded below and above. Feed it only unambiguous samples (Karn's rule: not from a
/// transaction that was retransmitted).
///
/// ```
/// use std::time::Duration;
/// use rtctool::core::transact::RtoEstimator;
/// let ms = Duration::from_millis;
/// let mut est = RtoEstimator::new(ms(500), ms(100), ms(3000));
/// assert_eq!(est.rto(), ms(500)); // no sample yet: the initial value
/// est.sample(ms(40));
/// assert_eq!(est.rto(), ms(120)); // SRTT + 4 × RTTVAR = 40 + 4 × 20
/// let mut lan = RtoEstimator::new(ms(500), ms(100), ms(3000));
/// lan.sample(ms(1));
/// assert_eq!(lan.rto(), ms(100)); // never below the floor
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtoEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    initial: Duration,
    min: Duration,
    max: Duration,
}

impl RtoEstimator {
    /// An estimator that answers `initial` until the first sample, and never leaves
    /// `min..=max`.
    pub fn new(initial: Duration, min: Duration, max: Duration) -> Self {
        RtoEstimator { srtt: None, rttvar: Duration::ZERO, initial, min, max: max.max(min) }
    }

    /// Add one round-trip measurement.
    pub fn sample(&mut self, rtt: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            Some(srtt) => {
                // RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|; SRTT = 7/8 SRTT + 1/8 R
                let delta = srtt.abs_diff(rtt);
                self.rttvar = (self.rttvar * 3 + delta) / 4;
                self.srtt = Some((srtt * 7 + rtt) / 8);
            }
        }
    }

    /// The smoothed round-trip time, once there is a sample.
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// The current RTO.
    pub fn rto(&self) -> Duration {
        match self.srtt {
            None => self.initial.clamp(self.min, self.max),
            Some(srtt) => srtt.saturating_add(self.rttvar.saturating_mul(4)).clamp(self.min, self.max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn rfc8489_example_schedule() {
        let r = Retransmit::default();
        assert_eq!(r.sends(), 7);
        assert_eq!(r.send_offset(6), Some(ms(31_500)));
        assert_eq!(r.send_offset(7), None);
        assert_eq!(r.give_up_after(), ms(39_500));
    }

    #[test]
    fn limit_cuts_sends_and_end() {
        let r = Retransmit::new(ms(100), 7, 16).with_limit(ms(800));
        let sends: Vec<_> = r.send_offsets().collect();
        assert_eq!(sends, [ms(0), ms(100), ms(300), ms(700)]);
        assert_eq!(r.give_up_after(), ms(800));
        // a limit below the first retransmission still sends once
        let r = Retransmit::new(ms(100), 7, 16).with_limit(ms(50));
        assert_eq!(r.sends(), 1);
        assert_eq!(r.give_up_after(), ms(50));
    }

    #[test]
    fn degenerate_values_do_not_panic() {
        let r = Retransmit::new(ms(100), 0, 0);
        assert_eq!(r.sends(), 1);
        assert_eq!(r.give_up_after(), ms(0));
        let r = Retransmit::new(Duration::MAX, 40, 40);
        assert_eq!(r.send_offset(39), Some(Duration::MAX));
        assert_eq!(r.give_up_after(), Duration::MAX);
    }

    #[test]
    fn estimator_smooths() {
        let mut e = RtoEstimator::new(ms(500), ms(1), ms(10_000));
        e.sample(ms(100));
        assert_eq!(e.srtt(), Some(ms(100)));
        assert_eq!(e.rto(), ms(300));
        e.sample(ms(100));
        // RTTVAR = 3/4 × 50 = 37.5; RTO = 100 + 150
        assert_eq!(e.rto(), ms(250));
        let mut capped = RtoEstimator::new(ms(500), ms(1), ms(200));
        capped.sample(ms(1000));
        assert_eq!(capped.rto(), ms(200));
    }
}
