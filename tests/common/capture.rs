//! Hand-built captures for the pcap tests: classic pcap files of raw IPv4 packets (or any
//! link type), with UDP and TCP headers around the payloads the tests choose.
#![allow(dead_code)] // each test crate uses some of these

/// A classic pcap (little endian, µs) of raw IPv4 packets.
pub fn pcap(packets: &[(u32, Vec<u8>)]) -> Vec<u8> {
    pcap_of(101, packets.iter().map(|(usec, p)| (*usec, p.as_slice())))
}

/// A classic pcap of the given link type, its packets streamed in (a capture of a million
/// packets is built without holding them twice).
pub fn pcap_of<'a>(linktype: u32, packets: impl IntoIterator<Item = (u32, &'a [u8])>) -> Vec<u8> {
    let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0];
    f.extend_from_slice(&linktype.to_le_bytes());
    for (usec, p) in packets {
        record(&mut f, usec, p);
    }
    f
}

/// One packet record (at 1,700,000,000 s and `usec`) appended to a classic pcap.
pub fn record(f: &mut Vec<u8>, usec: u32, p: &[u8]) {
    f.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    f.extend_from_slice(&usec.to_le_bytes());
    f.extend_from_slice(&(p.len() as u32).to_le_bytes());
    f.extend_from_slice(&(p.len() as u32).to_le_bytes());
    f.extend_from_slice(p);
}

pub fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0];
    p[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

pub fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    u
}

pub fn tcp(sport: u16, dport: u16, seq: u32, data: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(data);
    t
}
