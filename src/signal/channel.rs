//! The signalling channel as a state machine: members, their queues, their parked hanging
//! GETs, and the presence announcements, with time as an input. No sockets: the server shell
//! ([`super::server`]) turns requests into calls here and carries out the [`Actions`] returned.
//!
//! It follows libwebrtc's `peer_channel.cc`: ids count up from 1 and are never reused, a new
//! member learns the others from its sign-in response (itself first) and everyone else learns
//! of it through their hanging GETs (`name,id,1`); a member that signs out, or has had no
//! parked GET for more than 30 s, is announced as `name,id,0`.
//!
//! Where the native server keeps an unbounded queue per member, this one is bounded:
//! - Presence announcements are kept once, in one log every member reads with a cursor, so a
//!   sign-in costs O(1) memory however many members there are (a queue per member would hold
//!   n² entries while n peers sign in). A member whose cursor falls off the log's start has
//!   missed announcements: it is dropped and announced as gone, as the native server drops a
//!   member it cannot deliver to.
//! - Messages queued for a member are bounded in count and bytes; a message that does not fit
//!   is refused to its sender ([`Posted::QueueFull`]), never dropped unseen.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::core::http::Response;

/// How long a member may be without a parked GET before it is dropped (the native server's 30 s).
pub const MEMBER_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest member name, in bytes (the native server's `kMaxNameLength`).
pub const MAX_NAME_LEN: usize = 512;

/// Bounds on what members can make the channel hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Members signed in at once.
    pub max_peers: usize,
    /// Messages queued for one member.
    pub max_queued: usize,
    /// Bytes of messages queued for one member.
    pub max_queued_bytes: usize,
    /// Presence announcements kept for members that have not read them yet.
    pub max_presence_log: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_peers: 20_000, max_queued: 256, max_queued_bytes: 1 << 20, max_presence_log: 1 << 16 }
    }
}

/// Identifies one parked hanging GET (one TCP connection) in the shell.
pub type WaitId = u64;

/// What the shell must do after a call.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Actions {
    /// Answer these parked GETs with these responses (then close them).
    pub answer: Vec<(WaitId, Response)>,
    /// Close these parked GETs without an answer (their member is gone, or parked another GET).
    pub close: Vec<WaitId>,
    /// Members that left, for the log: (id, name, why).
    pub left: Vec<(u32, String, Leave)>,
}

/// Why a member left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    /// `/sign_out`.
    SignedOut,
    /// No parked GET for more than [`MEMBER_TIMEOUT`].
    TimedOut,
    /// It fell behind the presence log.
    Lagged,
}

impl Leave {
    /// A word for the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Leave::SignedOut => "signed-out",
            Leave::TimedOut => "timed-out",
            Leave::Lagged => "lagged",
        }
    }
}

/// The answer to a `/wait`.
#[derive(Debug, PartialEq, Eq)]
pub enum Waited {
    /// Something was queued: answer now.
    Now(Response),
    /// Nothing yet: the GET is parked under its [`WaitId`].
    Parked,
    /// No such member.
    Unknown,
}

/// The answer to a `/message`.
#[derive(Debug, PartialEq, Eq)]
pub enum Posted {
    /// Queued or handed to the target's parked GET: the sender gets 200.
    Delivered,
    /// A message to oneself: sent straight back as the response.
    Echo(Response),
    /// The sender is not a member.
    UnknownSender,
    /// The target is not a member.
    UnknownTarget,
    /// The target's queue is full: refused, so the sender knows.
    QueueFull,
}

#[derive(Debug)]
struct Member {
    name: String,
    /// The parked GET, if any.
    waiting: Option<WaitId>,
    /// When the last GET was answered or closed (or the member signed in).
    since: Instant,
    /// Next presence sequence number to deliver.
    cursor: u64,
    /// Messages from peers, each with the presence sequence number current when queued, so
    /// announcements and messages are delivered in the order they happened.
    queue: VecDeque<(u64, Response)>,
    queued_bytes: usize,
}

#[derive(Debug)]
struct Presence {
    about: u32,
    entry: String,
}

/// The channel.
#[derive(Debug)]
pub struct Channel {
    limits: Limits,
    members: BTreeMap<u32, Member>,
    last_id: u32,
    /// Presence announcements; `log[0]` has sequence number `log_start`.
    log: VecDeque<Presence>,
    log_start: u64,
}

/// What a sign-in gets back.
#[derive(Debug, PartialEq, Eq)]
pub enum SignedIn {
    /// The new member's id and the response (`200 Added`, the member list, itself first).
    Added(u32, Response),
    /// The channel is full.
    Full,
}

impl Channel {
    /// An empty channel.
    pub fn new(limits: Limits) -> Self {
        Channel { limits, members: BTreeMap::new(), last_id: 0, log: VecDeque::new(), log_start: 0 }
    }

    /// Members signed in.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// No member signed in.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// A member's name.
    pub fn name(&self, id: u32) -> Option<&str> {
        self.members.get(&id).map(|m| m.name.as_str())
    }

    fn log_end(&self) -> u64 {
        self.log_start + self.log.len() as u64
    }

    /// `GET /sign_in?<name>`: the raw query is the name; empty gives `peer_<id>`, commas
    /// become `_`, at most [`MAX_NAME_LEN`] bytes.
    pub fn sign_in(&mut self, raw_name: &str, now: Instant, actions: &mut Actions) -> SignedIn {
        if self.members.len() >= self.limits.max_peers {
            return SignedIn::Full;
        }
        self.last_id += 1;
        let id = self.last_id;
        let name = member_name(raw_name, id);
        let announcement = entry(&name, id, true);
        // The new member first, then everyone already here (it is not among them yet).
        let mut body = announcement.clone();
        for (&other, m) in &self.members {
            body.push_str(&entry(&m.name, other, true));
        }
        // The new member starts reading after its own announcement: the list told it the rest.
        self.members.insert(
            id,
            Member {
                name,
                waiting: None,
                since: now,
                cursor: self.log_end() + 1,
                queue: VecDeque::new(),
                queued_bytes: 0,
            },
        );
        self.announce(id, announcement, now, actions);
        let response = Response {
            status: "200 Added".into(),
            content_type: "text/plain".into(),
            pragma: Some(id),
            body: body.into(),
        };
        SignedIn::Added(id, response)
    }

    /// `GET /wait?peer_id=<id>`: answer with what is queued, or park the GET as `wait`.
    pub fn wait(&mut self, id: u32, wait: WaitId, now: Instant, actions: &mut Actions) -> Waited {
        let log_start = self.log_start;
        let Some(m) = self.members.get_mut(&id) else { return Waited::Unknown };
        if m.cursor < log_start {
            self.remove(id, Leave::Lagged, now, actions);
            return Waited::Unknown;
        }
        if let Some(r) = self.next_for(id) {
            // A GET answered at once is the member at work, as much as a parked one. (The
            // native server restarts the clock only for parked GETs, so a member always behind
            // on its queue times out while it polls.)
            if let Some(m) = self.members.get_mut(&id) {
                m.since = now;
            }
            return Waited::Now(r);
        }
        let m = self.members.get_mut(&id).expect("member checked above");
        if let Some(old) = m.waiting.replace(wait) {
            // A second GET for the same member: the native server forgets the first one; we
            // close it so it does not hang until its client gives up.
            actions.close.push(old);
        }
        Waited::Parked
    }

    /// A parked GET's connection closed (or the shell could not deliver to it).
    pub fn wait_closed(&mut self, id: u32, wait: WaitId, now: Instant) {
        if let Some(m) = self.members.get_mut(&id) {
            if m.waiting == Some(wait) {
                m.waiting = None;
                m.since = now;
            }
        }
    }

    /// A response handed to a parked GET could not be written: put it back at the front.
    pub fn undeliverable(&mut self, id: u32, wait: WaitId, response: Response, now: Instant) {
        self.wait_closed(id, wait, now);
        let Some(m) = self.members.get_mut(&id) else { return };
        if response.pragma == Some(id) {
            // A presence announcement: read it again from the log.
            m.cursor = m.cursor.saturating_sub(1).max(self.log_start);
        } else {
            m.queued_bytes += response.body.len();
            let seq = m.queue.front().map_or(m.cursor, |(s, _)| *s).min(m.cursor);
            m.queue.push_front((seq, response));
        }
    }

    /// `POST /message?peer_id=<from>&to=<to>`.
    pub fn message(
        &mut self,
        from: u32,
        to: u32,
        content_type: &str,
        body: Vec<u8>,
        actions: &mut Actions,
        now: Instant,
    ) -> Posted {
        if !self.members.contains_key(&from) {
            return Posted::UnknownSender;
        }
        let response = Response {
            status: "200 OK".into(),
            content_type: content_type.to_owned(),
            pragma: Some(from),
            body,
        };
        if from == to {
            return Posted::Echo(response);
        }
        let seq = self.log_end();
        let limits = self.limits;
        let Some(target) = self.members.get_mut(&to) else { return Posted::UnknownTarget };
        if target.queue.len() >= limits.max_queued
            || target.queued_bytes + response.body.len() > limits.max_queued_bytes
        {
            return Posted::QueueFull;
        }
        target.queued_bytes += response.body.len();
        target.queue.push_back((seq, response));
        self.wake(to, actions, now);
        Posted::Delivered
    }

    /// `GET /sign_out?peer_id=<id>`: true when it was a member.
    pub fn sign_out(&mut self, id: u32, now: Instant, actions: &mut Actions) -> bool {
        if !self.members.contains_key(&id) {
            return false;
        }
        self.remove(id, Leave::SignedOut, now, actions);
        true
    }

    /// Drop the members that have had no parked GET for more than [`MEMBER_TIMEOUT`].
    pub fn expire(&mut self, now: Instant, actions: &mut Actions) {
        let stale: Vec<u32> = self
            .members
            .iter()
            .filter(|(_, m)| m.waiting.is_none() && now.saturating_duration_since(m.since) > MEMBER_TIMEOUT)
            .map(|(&id, _)| id)
            .collect();
        for id in stale {
            self.remove(id, Leave::TimedOut, now, actions);
        }
    }

    fn remove(&mut self, id: u32, why: Leave, now: Instant, actions: &mut Actions) {
        let Some(m) = self.members.remove(&id) else { return };
        if let Some(w) = m.waiting {
            actions.close.push(w);
        }
        actions.left.push((id, m.name.clone(), why));
        self.announce(id, entry(&m.name, id, false), now, actions);
    }

    /// Log an announcement about `about` and hand it to every parked GET.
    fn announce(&mut self, about: u32, entry: String, now: Instant, actions: &mut Actions) {
        self.log.push_back(Presence { about, entry });
        self.trim_log(now, actions);
        let waiting: Vec<u32> = self
            .members
            .iter()
            .filter(|(&id, m)| id != about && m.waiting.is_some())
            .map(|(&id, _)| id)
            .collect();
        for id in waiting {
            self.wake(id, actions, now);
        }
    }

    /// Forget announcements every member has read; past the bound, drop the members furthest
    /// behind (announcing them gone, which the others then read).
    fn trim_log(&mut self, now: Instant, actions: &mut Actions) {
        let min_cursor = self.members.values().map(|m| m.cursor).min().unwrap_or(self.log_end());
        while self.log_start < min_cursor && !self.log.is_empty() {
            self.log.pop_front();
            self.log_start += 1;
        }
        if self.log.len() <= self.limits.max_presence_log {
            return;
        }
        let excess = (self.log.len() - self.limits.max_presence_log) as u64;
        let new_start = self.log_start + excess;
        for _ in 0..excess {
            self.log.pop_front();
        }
        self.log_start = new_start;
        let lagging: Vec<u32> =
            self.members.iter().filter(|(_, m)| m.cursor < new_start).map(|(&id, _)| id).collect();
        for id in lagging {
            // Their announcements go to the end of the log, which the others are reading.
            self.remove(id, Leave::Lagged, now, actions);
        }
    }

    /// If `id` has a parked GET and something to read, answer it.
    fn wake(&mut self, id: u32, actions: &mut Actions, now: Instant) {
        let Some(m) = self.members.get(&id) else { return };
        let Some(wait) = m.waiting else { return };
        if let Some(r) = self.next_for(id) {
            let m = self.members.get_mut(&id).expect("member checked above");
            m.waiting = None;
            m.since = now;
            actions.answer.push((wait, r));
        }
    }

    /// The next thing `id` should read: an announcement or a message, in the order they came.
    fn next_for(&mut self, id: u32) -> Option<Response> {
        let log_start = self.log_start;
        let log_end = self.log_end();
        let m = self.members.get_mut(&id)?;
        // Skip announcements about itself.
        while m.cursor < log_end && self.log[(m.cursor - log_start) as usize].about == id {
            m.cursor += 1;
        }
        let presence = (m.cursor >= log_start && m.cursor < log_end).then_some(m.cursor);
        let message = m.queue.front().map(|(seq, _)| *seq);
        match (presence, message) {
            (Some(p), Some(q)) if q <= p => Some(pop_message(m)),
            (None, Some(_)) => Some(pop_message(m)),
            (Some(p), _) => {
                m.cursor = p + 1;
                let entry = self.log[(p - log_start) as usize].entry.clone();
                Some(Response {
                    status: "200 OK".into(),
                    content_type: "text/plain".into(),
                    pragma: Some(id),
                    body: entry.into_bytes(),
                })
            }
            (None, None) => None,
        }
    }
}

fn pop_message(m: &mut Member) -> Response {
    let (_, r) = m.queue.pop_front().expect("queue checked non-empty");
    m.queued_bytes -= r.body.len();
    r
}

/// `name,id,connected\n`.
fn entry(name: &str, id: u32, connected: bool) -> String {
    format!("{name},{id},{}\n", u8::from(connected))
}

/// The name as the native server makes it from the raw query.
fn member_name(raw: &str, id: u32) -> String {
    if raw.is_empty() {
        return format!("peer_{id}");
    }
    let mut end = raw.len().min(MAX_NAME_LEN);
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    raw[..end].replace(',', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Response) -> &str {
        std::str::from_utf8(&r.body).unwrap()
    }

    fn added(c: &mut Channel, name: &str, now: Instant, a: &mut Actions) -> (u32, Response) {
        match c.sign_in(name, now, a) {
            SignedIn::Added(id, r) => (id, r),
            SignedIn::Full => panic!("full"),
        }
    }

    #[test]
    fn sign_in_lists_the_new_member_first_and_tells_the_others() {
        let t = Instant::now();
        let mut c = Channel::new(Limits::default());
        let mut a = Actions::default();
        let (alice, r) = added(&mut c, "alice", t, &mut a);
        assert_eq!((alice, r.status.as_str(), r.pragma, body(&r)), (1, "200 Added", Some(1), "alice,1,1\n"));
        assert_eq!(c.wait(alice, 100, t, &mut a), Waited::Parked);
        let (bob, r) = added(&mut c, "", t, &mut a);
        assert_eq!(body(&r), "peer_2,2,1\nalice,1,1\n");
        // Alice's parked GET is answered with the announcement, Pragma her own id.
        assert_eq!(a.answer.len(), 1);
        let (wait, n) = &a.answer[0];
        assert_eq!((*wait, n.pragma, body(n)), (100, Some(alice), "peer_2,2,1\n"));
        // Bob has nothing to read: he learnt of Alice from his list.
        assert_eq!(c.wait(bob, 101, t, &mut a), Waited::Parked);
    }

    #[test]
    fn messages_carry_the_sender_id_and_keep_their_order_with_announcements() {
        let t = Instant::now();
        let mut c = Channel::new(Limits::default());
        let mut a = Actions::default();
        let (alice, _) = added(&mut c, "alice", t, &mut a);
        let (bob, _) = added(&mut c, "bob", t, &mut a);
        assert_eq!(c.message(bob, alice, "text/plain", b"offer".to_vec(), &mut a, t), Posted::Delivered);
        let (_carol, _) = added(&mut c, "a,b", t, &mut a);
        // Alice reads: bob's arrival, bob's message, carol's arrival.
        let mut read = Vec::new();
        for w in 0..3 {
            match c.wait(alice, w, t, &mut a) {
                Waited::Now(r) => read.push((r.pragma, body(&r).to_owned())),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            read,
            vec![
                (Some(alice), "bob,2,1\n".to_owned()),
                (Some(bob), "offer".to_owned()),
                (Some(alice), "a_b,3,1\n".to_owned())
            ]
        );
        assert_eq!(c.wait(alice, 9, t, &mut a), Waited::Parked);
    }

    #[test]
    fn echo_unknown_peers_and_full_queues() {
        let t = Instant::now();
        let limits = Limits { max_queued: 2, ..Limits::default() };
        let mut c = Channel::new(limits);
        let mut a = Actions::default();
        let (alice, _) = added(&mut c, "alice", t, &mut a);
        let (bob, _) = added(&mut c, "bob", t, &mut a);
        assert!(
            matches!(c.message(alice, alice, "x/y", b"me".to_vec(), &mut a, t), Posted::Echo(r) if r.content_type == "x/y")
        );
        assert_eq!(c.message(alice, 99, "text/plain", b"?".to_vec(), &mut a, t), Posted::UnknownTarget);
        assert_eq!(c.message(99, alice, "text/plain", b"?".to_vec(), &mut a, t), Posted::UnknownSender);
        assert_eq!(c.message(alice, bob, "text/plain", b"1".to_vec(), &mut a, t), Posted::Delivered);
        assert_eq!(c.message(alice, bob, "text/plain", b"2".to_vec(), &mut a, t), Posted::Delivered);
        assert_eq!(c.message(alice, bob, "text/plain", b"3".to_vec(), &mut a, t), Posted::QueueFull);
        // Nothing already queued was lost.
        let Waited::Now(r) = c.wait(bob, 1, t, &mut a) else { panic!() };
        assert_eq!(body(&r), "1");
    }

    #[test]
    fn sign_out_and_timeout_are_announced() {
        let t = Instant::now();
        let mut c = Channel::new(Limits::default());
        let mut a = Actions::default();
        let (alice, _) = added(&mut c, "alice", t, &mut a);
        let (bob, _) = added(&mut c, "bob", t, &mut a);
        let (carol, _) = added(&mut c, "carol", t, &mut a);
        // Alice and Bob read what is pending, then park.
        while let Waited::Now(_) = c.wait(alice, 10, t, &mut a) {}
        while let Waited::Now(_) = c.wait(bob, 20, t, &mut a) {}
        let mut a = Actions::default();
        assert!(c.sign_out(carol, t, &mut a));
        assert_eq!(a.answer.len(), 2);
        assert!(a.answer.iter().all(|(_, r)| body(r) == "carol,3,0\n"));
        assert!(!c.sign_out(carol, t, &mut a));
        // Nobody parks for 31 s: both time out. Alice's GET was answered, Bob's too.
        let mut a = Actions::default();
        c.expire(t + Duration::from_secs(29), &mut a);
        assert_eq!(c.len(), 2);
        c.expire(t + Duration::from_secs(31), &mut a);
        assert!(c.is_empty());
        assert_eq!(
            a.left.iter().map(|(id, _, w)| (*id, *w)).collect::<Vec<_>>(),
            vec![(alice, Leave::TimedOut), (bob, Leave::TimedOut)]
        );
    }

    #[test]
    fn a_parked_member_does_not_time_out_and_a_closed_wait_restarts_the_clock() {
        let t = Instant::now();
        let mut c = Channel::new(Limits::default());
        let mut a = Actions::default();
        let (alice, _) = added(&mut c, "alice", t, &mut a);
        assert_eq!(c.wait(alice, 5, t, &mut a), Waited::Parked);
        c.expire(t + Duration::from_secs(100), &mut a);
        assert_eq!(c.len(), 1);
        c.wait_closed(alice, 5, t + Duration::from_secs(100));
        c.expire(t + Duration::from_secs(120), &mut a);
        assert_eq!(c.len(), 1);
        c.expire(t + Duration::from_secs(131), &mut a);
        assert!(c.is_empty());
    }

    #[test]
    fn a_member_whose_gets_are_answered_at_once_does_not_time_out() {
        let t = Instant::now();
        let mut c = Channel::new(Limits::default());
        let mut a = Actions::default();
        let (alice, _) = added(&mut c, "alice", t, &mut a);
        let (bob, _) = added(&mut c, "bob", t, &mut a);
        // Bob keeps posting; Alice reads each message the moment she asks, never parking.
        for s in 1..=40 {
            let now = t + Duration::from_secs(s);
            assert_eq!(c.message(bob, alice, "text/plain", b"x".to_vec(), &mut a, now), Posted::Delivered);
            assert!(matches!(c.wait(alice, s, now, &mut a), Waited::Now(_)));
            assert_eq!(c.wait(bob, 1000 + s, now, &mut a), Waited::Parked);
            c.expire(now, &mut a);
        }
        assert!(c.name(alice).is_some(), "alice polled every second and was dropped");
    }

    #[test]
    fn a_second_wait_closes_the_first_and_undeliverable_answers_come_back() {
        let t = Instant::now();
        let mut c = Channel::new(Limits::default());
        let mut a = Actions::default();
        let (alice, _) = added(&mut c, "alice", t, &mut a);
        let (bob, _) = added(&mut c, "bob", t, &mut a);
        while let Waited::Now(_) = c.wait(alice, 1, t, &mut a) {}
        assert_eq!(c.wait(alice, 2, t, &mut a), Waited::Parked);
        assert_eq!(a.close, vec![1]);
        let mut a = Actions::default();
        c.message(bob, alice, "text/plain", b"hi".to_vec(), &mut a, t);
        let (w, r) = a.answer.pop().unwrap();
        assert_eq!(w, 2);
        c.undeliverable(alice, w, r, t);
        let Waited::Now(again) = c.wait(alice, 3, t, &mut a) else { panic!() };
        assert_eq!(body(&again), "hi");
    }

    #[test]
    fn the_presence_log_is_bounded_and_laggards_are_dropped() {
        let t = Instant::now();
        let limits = Limits { max_presence_log: 8, ..Limits::default() };
        let mut c = Channel::new(limits);
        let mut a = Actions::default();
        let (sleeper, _) = added(&mut c, "sleeper", t, &mut a);
        for i in 0..20 {
            added(&mut c, &format!("p{i}"), t, &mut a);
        }
        assert!(c.name(sleeper).is_none(), "the member that read nothing was dropped");
        assert!(a.left.iter().any(|(id, _, w)| *id == sleeper && *w == Leave::Lagged));
        assert!(c.log.len() <= 8 + 21, "{}", c.log.len());
        assert_eq!(c.wait(sleeper, 1, t, &mut a), Waited::Unknown);
    }

    #[test]
    fn the_channel_refuses_members_past_its_bound_and_names_are_cut() {
        let t = Instant::now();
        let mut c = Channel::new(Limits { max_peers: 1, ..Limits::default() });
        let mut a = Actions::default();
        let long = "é".repeat(400);
        let (_, r) = added(&mut c, &long, t, &mut a);
        assert!(body(&r).len() <= MAX_NAME_LEN + 8);
        assert_eq!(c.sign_in("two", t, &mut a), SignedIn::Full);
    }
}
