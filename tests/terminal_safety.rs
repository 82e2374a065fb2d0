//! Text from the network or a file never reaches the terminal raw (issue 18): a STUN server's
//! SOFTWARE and an SDP's mids and attributes with escape sequences (a window title, screen
//! clearing) and bidi overrides are shown escaped in human output, absurdly long values cut;
//! JSON keeps them as they are.

use std::net::UdpSocket;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");
const NASTY: &str = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}txt";

fn run(args: &[&str], stdin: Option<&[u8]>) -> (i32, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["--color", "never"]).args(args);
    let out = match stdin {
        Some(bytes) => {
            use std::io::Write;
            let mut child = cmd
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(bytes).unwrap();
            child.wait_with_output().unwrap()
        }
        None => cmd.output().unwrap(),
    };
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn assert_safe(text: &str) {
    assert!(!text.contains('\u{1b}'), "a raw ESC reached the terminal:\n{text:?}");
    assert!(!text.contains('\u{7}') && !text.contains('\u{202e}'), "{text:?}");
}

#[test]
fn sdp_values_are_escaped_in_every_human_output() {
    let sdp = format!(
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE {NASTY}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:{NASTY}\r\na=rtpmap:111 {NASTY}/48000/2\r\na=x-long:{}\r\n",
        "y".repeat(70_000)
    );
    let dir = std::env::temp_dir().join(format!("rtctool-terminal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("nasty.sdp");
    std::fs::write(&file, &sdp).unwrap();
    let path = file.to_str().unwrap();
    let clean = dir.join("clean.sdp");
    std::fs::write(&clean, sdp.replace(NASTY, "a")).unwrap();
    for args in [
        vec!["sdp", "show", path],
        vec!["sdp", "lint", path],
        vec!["sdp", "diff", clean.to_str().unwrap(), path],
    ] {
        let (_, text) = run(&args, None);
        assert_safe(&text);
        assert!(text.contains("\\u{1b}]0;pwned"), "{args:?}: the text is shown, escaped:\n{text}");
        assert!(
            text.lines().all(|l| l.chars().count() < 2200),
            "{args:?}: a 70,000-character line was not cut"
        );
    }
    // JSON is for programs: the value as it is (escaped by JSON itself).
    let (_, json) = run(&["--json", "sdp", "show", path], None);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v.to_string().contains("pwned"));
    assert!(v["media"][0]["mid"].as_str().unwrap().contains('\u{1b}'), "{}", v["media"][0]["mid"]);
}

/// A STUN server whose SOFTWARE is hostile: gather's table and verbose steps escape it.
#[test]
fn a_stun_servers_software_is_escaped() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let software = format!("{NASTY}{}", "z".repeat(3000));
    let responder = std::thread::spawn(move || {
        server.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 1500];
        for _ in 0..1 {
            let Ok((n, from)) = server.recv_from(&mut buf) else { return };
            if n < 20 {
                continue;
            }
            let mut attrs = Vec::new();
            // XOR-MAPPED-ADDRESS
            let std::net::SocketAddr::V4(v4) = from else { return };
            attrs.extend_from_slice(&[0x00, 0x20, 0x00, 0x08, 0x00, 0x01]);
            attrs.extend_from_slice(&(v4.port() ^ 0x2112).to_be_bytes());
            attrs.extend_from_slice(&(u32::from(*v4.ip()) ^ 0x2112_a442).to_be_bytes());
            // SOFTWARE, padded
            attrs.extend_from_slice(&[0x80, 0x22]);
            attrs.extend_from_slice(&(software.len() as u16).to_be_bytes());
            attrs.extend_from_slice(software.as_bytes());
            while attrs.len() % 4 != 0 {
                attrs.push(0);
            }
            let mut msg = vec![0x01, 0x01];
            msg.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
            msg.extend_from_slice(&buf[4..20]);
            msg.extend_from_slice(&attrs);
            let _ = server.send_to(&msg, from);
        }
    });
    let url = format!("stun:{addr}");
    let (code, text) = run(&["gather", "--stun", &url, "-i", "lo", "-4", "-v", "--timeout", "2s"], None);
    assert_eq!(code, 0, "{text}");
    assert_safe(&text);
    assert!(text.contains("evil\\u{1b}]0;pwned\\u{7}"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() < 2300), "the 3,000-character SOFTWARE is cut");
    drop(responder);
}
