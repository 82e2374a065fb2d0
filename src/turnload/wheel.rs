//! A hashed timer wheel for pacing: every client is due at some tick; advancing the wheel to
//! now hands out the clients that are due, in tick order, at O(1) per client whatever their
//! number. A client due further away than one turn of the wheel waits out the extra turns.

/// Slots of the wheel (a power of two).
const SLOTS: usize = 4096;

/// The wheel: ticks are a fixed duration (the caller's), counted from 0.
#[derive(Debug)]
pub struct Wheel {
    slots: Vec<Vec<(u64, u32)>>,
    /// The next tick not yet handed out.
    next: u64,
    len: usize,
    /// Entries being handed out (kept, so an advance allocates nothing).
    ready: Vec<(u32, u64)>,
}

impl Default for Wheel {
    fn default() -> Self {
        Wheel::new()
    }
}

impl Wheel {
    /// A wheel with no slots, holding nothing and allocating nothing: what stands in the
    /// owner's field while the wheel is out being advanced (`std::mem::replace`); never
    /// scheduled on.
    pub const EMPTY: Wheel = Wheel { slots: Vec::new(), next: 0, len: 0, ready: Vec::new() };

    pub fn new() -> Self {
        Wheel { slots: (0..SLOTS).map(|_| Vec::new()).collect(), next: 0, len: 0, ready: Vec::new() }
    }

    /// Schedule `id` at `tick` (a tick already passed is handed out at the next advance).
    pub fn schedule(&mut self, id: u32, tick: u64) {
        let tick = tick.max(self.next);
        self.slots[(tick as usize) & (SLOTS - 1)].push((tick, id));
        self.len += 1;
    }

    /// Drop every entry (the wheel keeps its time).
    pub fn clear(&mut self) {
        for slot in &mut self.slots {
            slot.clear();
        }
        self.len = 0;
    }

    /// Hand every entry due at or before `now` (a tick) to `due`, with its tick. Entries that
    /// `due` schedules again for a tick already passed come out at the next advance.
    pub fn advance(&mut self, now: u64, mut due: impl FnMut(&mut Self, u32, u64)) {
        if self.len == 0 {
            self.next = self.next.max(now + 1);
            return;
        }
        let mut ready = std::mem::take(&mut self.ready);
        if now >= self.next + SLOTS as u64 {
            // A long pause (more than a turn): one sweep of every slot, in tick order.
            for slot in &mut self.slots {
                slot.retain(|&(t, id)| {
                    if t <= now {
                        ready.push((id, t));
                        false
                    } else {
                        true
                    }
                });
            }
            ready.sort_unstable_by_key(|&(_, t)| t);
            self.len -= ready.len();
            self.next = now + 1;
            for (id, t) in ready.drain(..) {
                due(self, id, t);
            }
            self.ready = ready;
            return;
        }
        while self.next <= now {
            let slot = &mut self.slots[(self.next as usize) & (SLOTS - 1)];
            let tick = self.next;
            slot.retain(|&(t, id)| {
                if t <= tick {
                    ready.push((id, t));
                    false
                } else {
                    true
                }
            });
            self.next += 1;
            self.len -= ready.len();
            for (id, t) in ready.drain(..) {
                due(self, id, t);
            }
        }
        self.ready = ready;
    }

    /// The earliest tick with an entry, looking at most one turn ahead (`None`: nothing within
    /// a turn, or nothing at all).
    pub fn next_due(&self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        (self.next..self.next + SLOTS as u64)
            .find(|&t| self.slots[(t as usize) & (SLOTS - 1)].iter().any(|&(due, _)| due <= t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_in_tick_order_and_reschedules() {
        let mut w = Wheel::new();
        w.schedule(1, 5);
        w.schedule(2, 3);
        w.schedule(3, 5 + SLOTS as u64); // a turn later, same slot
        assert_eq!(w.next_due(), Some(3));
        let mut got = Vec::new();
        w.advance(5, |w, id, t| {
            got.push((id, t));
            if id == 2 {
                w.schedule(2, t + 10);
            }
        });
        assert_eq!(got, vec![(2, 3), (1, 5)]);
        assert_eq!(w.len, 2);
        assert_eq!(w.next_due(), Some(13));
        got.clear();
        w.advance(5 + SLOTS as u64, |_, id, t| got.push((id, t)));
        assert_eq!(got, vec![(2, 13), (3, 5 + SLOTS as u64)]);
        assert_eq!(w.len, 0);
    }

    #[test]
    fn a_long_pause_loses_nothing() {
        let mut w = Wheel::new();
        for id in 0..100 {
            w.schedule(id, u64::from(id) * 97);
        }
        let mut got = 0;
        w.advance(10 * SLOTS as u64, |_, _, _| got += 1);
        assert_eq!(got, 100);
        w.schedule(7, 0);
        let mut late = Vec::new();
        w.advance(10 * SLOTS as u64 + 1, |_, id, _| late.push(id));
        assert_eq!(late, vec![7], "a tick in the past comes out at once");
    }
}
