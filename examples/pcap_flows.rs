//! A capture of FLOWS distinct flows, each a client's answered Binding request to one server,
//! written as a classic pcap to FILE: the input of scripts/bench-pcap-growth.sh, which times
//! `pcap decode` and `pcap summary` on 100,000 and 1,000,000 flows to show that their cost
//! grows with the capture, not faster.
//!
//!   cargo run --release --example pcap_flows -- FLOWS FILE

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(flows), Some(path)) = (args.get(1).and_then(|n| n.parse::<u32>().ok()), args.get(2)) else {
        eprintln!("usage: pcap_flows FLOWS FILE");
        std::process::exit(2);
    };
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    out.write_all(&[
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0,
    ])?;
    let server = [203, 0, 113, 10];
    for i in 0..flows {
        let client = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let port = 40_000 + (i >> 24) as u16;
        let mut id = [0u8; 12];
        id[..4].copy_from_slice(&i.to_be_bytes());
        for (class, src, dst, sport, dport) in
            [(0x0001u16, client, server, port, 3478), (0x0101, server, client, 3478, port)]
        {
            let mut stun = Vec::with_capacity(20);
            stun.extend_from_slice(&class.to_be_bytes());
            stun.extend_from_slice(&[0, 0, 0x21, 0x12, 0xa4, 0x42]);
            stun.extend_from_slice(&id);
            let mut p = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0];
            p[2..4].copy_from_slice(&((28 + stun.len()) as u16).to_be_bytes());
            p.extend_from_slice(&src);
            p.extend_from_slice(&dst);
            p.extend_from_slice(&sport.to_be_bytes());
            p.extend_from_slice(&dport.to_be_bytes());
            p.extend_from_slice(&((8 + stun.len()) as u16).to_be_bytes());
            p.extend_from_slice(&[0, 0]);
            p.extend_from_slice(&stun);
            out.write_all(&1_700_000_000u32.to_le_bytes())?;
            out.write_all(&(i % 1_000_000).to_le_bytes())?;
            out.write_all(&(p.len() as u32).to_le_bytes())?;
            out.write_all(&(p.len() as u32).to_le_bytes())?;
            out.write_all(&p)?;
        }
    }
    out.flush()
}
