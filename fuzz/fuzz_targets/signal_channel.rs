//! The signalling server's channel (sign-in, hanging GETs, messages, sign-out, expiry: the
//! sans-IO core of `rtctool signal serve`) driven by an arbitrary script of client operations,
//! with small limits so they are reached: it never panics and never holds more than the
//! limits allow.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtctool::signal::channel::{Actions, Channel, Limits, SignedIn};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_peers: 6, max_queued: 3, max_queued_bytes: 64, max_presence_log: 8 };
    let mut ch = Channel::new(limits);
    let mut now = Instant::now();
    let mut actions = Actions::default();
    let mut last = Actions::default();
    let mut wait_id = 0u64;
    let mut ops = data.chunks(3);
    while let Some(op) = ops.next() {
        let (a, b) = (op.get(1).copied().unwrap_or(0), op.get(2).copied().unwrap_or(0));
        let (id, to) = (u32::from(a % 8), u32::from(b % 8));
        match op[0] % 7 {
            0 => {
                let name = String::from_utf8_lossy(&op[1..]);
                if let SignedIn::Added(id, r) = ch.sign_in(&name, now, &mut actions) {
                    assert_eq!(r.pragma, Some(id));
                }
            }
            1 => {
                wait_id += 1;
                let _ = ch.wait(id, wait_id, now, &mut actions);
            }
            2 => ch.wait_closed(id, wait_id, now),
            3 => {
                let body = ops.next().map(<[u8]>::to_vec).unwrap_or_default();
                let _ = ch.message(id, to, "text/plain", body, &mut actions, now);
            }
            4 => {
                let _ = ch.sign_out(id, now, &mut actions);
            }
            5 => {
                now += Duration::from_secs(u64::from(a));
                ch.expire(now, &mut actions);
            }
            _ => {
                // A parked GET's answer that could not be written: back to its member.
                if let Some((w, r)) = last.answer.pop() {
                    ch.undeliverable(id, w, r, now);
                }
            }
        }
        assert!(ch.len() <= limits.max_peers);
        let _ = ch.name(id);
        last = std::mem::take(&mut actions);
    }
});
