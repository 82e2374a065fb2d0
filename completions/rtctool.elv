
use builtin;
use str;

set edit:completion:arg-completer[rtctool] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'rtctool'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'rtctool'= {
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand --version 'Print version'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand stun 'Decode and verify STUN/TURN messages'
            cand pcap 'Dissect STUN/TURN (and the DTLS/RTP/RTCP beside it) in pcap/pcapng captures'
            cand sdp 'Show, lint, diff and check SDP offers and answers'
            cand nat-type 'Find out what NAT (if any) is between this host and the Internet (RFC 5780)'
            cand gather 'Gather ICE candidates like a browser, with a verdict on every STUN/TURN server'
            cand loopback 'Run a whole WebRTC call between two peers in this process, and measure it'
            cand call 'Call a peer (or wait for its call) through a peerconnection signalling server, and measure it'
            cand signal 'Signalling: a server compatible with libwebrtc''s peerconnection_server'
            cand exporter 'A Prometheus exporter for STUN and TURN servers (blackbox-exporter style)'
            cand turn 'TURN: a load generator'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;stun'= {
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand decode 'Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;stun;decode'= {
            cand --password 'Password for MESSAGE-INTEGRITY (short-term, or long-term with --username/--realm)'
            cand --username 'Username for a long-term credential (default: the message''s USERNAME)'
            cand --realm 'Realm for a long-term credential (default: the message''s REALM). Giving --realm or --username selects the long-term credential mechanism'
            cand --format 'Treat INPUT as this encoding instead of detecting it'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;stun;help'= {
            cand decode 'Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;stun;help;decode'= {
        }
        &'rtctool;stun;help;help'= {
        }
        &'rtctool;pcap'= {
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand decode 'One line per STUN/TURN/DTLS/RTP/RTCP message, or full trees (-V), or JSON records'
            cand summary 'Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;pcap;decode'= {
            cand --turn-user 'TURN username: MESSAGE-INTEGRITY of its requests (and their responses) is verified with the realm found in the capture'
            cand --turn-password 'TURN password (with --turn-user)'
            cand --ice-pwd 'ICE password for connectivity checks: UFRAG:PWD ties it to the agent with that ufrag; a bare PWD is tried on every check (a mismatch is then `unchecked`). Repeatable'
            cand --sdp 'SDP offer or answer whose a=ice-ufrag/a=ice-pwd verify the connectivity checks. Repeatable'
            cand --only 'Only these kinds (repeatable or comma-separated)'
            cand --flow 'Only packets from or to this address (ADDR or ADDR:PORT; IPv6 as [ADDR]:PORT)'
            cand --txid 'Only this STUN transaction (hex, a prefix is enough)'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -V 'Show every attribute as a tree under each STUN/ChannelData line'
            cand --tree 'Show every attribute as a tree under each STUN/ChannelData line'
            cand --errors 'Only problems: error responses, bad FINGERPRINT or integrity, unanswered requests'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;pcap;summary'= {
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;pcap;help'= {
            cand decode 'One line per STUN/TURN/DTLS/RTP/RTCP message, or full trees (-V), or JSON records'
            cand summary 'Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;pcap;help;decode'= {
        }
        &'rtctool;pcap;help;summary'= {
        }
        &'rtctool;pcap;help;help'= {
        }
        &'rtctool;sdp'= {
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand show 'Summarise an SDP: per m-section codecs, extensions, streams, candidates, ICE and DTLS'
            cand lint 'Find every problem in an SDP, each with rule id, severity, line, mid and explanation'
            cand diff 'What changed between two SDPs, semantically (ICE restart, codecs, direction...)'
            cand check 'Check an answer against its offer (m-sections, mids, codecs, rtcp-fb, BUNDLE, roles)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;sdp;show'= {
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;sdp;lint'= {
            cand --as 'Lint as an offer or an answer (default: the JSON type, else role rules are skipped)'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand --list-rules 'Print every rule id with its severity and what it checks, then exit'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;sdp;diff'= {
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;sdp;check'= {
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;sdp;help'= {
            cand show 'Summarise an SDP: per m-section codecs, extensions, streams, candidates, ICE and DTLS'
            cand lint 'Find every problem in an SDP, each with rule id, severity, line, mid and explanation'
            cand diff 'What changed between two SDPs, semantically (ICE restart, codecs, direction...)'
            cand check 'Check an answer against its offer (m-sections, mids, codecs, rtcp-fb, BUNDLE, roles)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;sdp;help;show'= {
        }
        &'rtctool;sdp;help;lint'= {
        }
        &'rtctool;sdp;help;diff'= {
        }
        &'rtctool;sdp;help;check'= {
        }
        &'rtctool;sdp;help;help'= {
        }
        &'rtctool;nat-type'= {
            cand --server2 'A second STUN server (RFC 5780 not needed): with a server that lacks RFC 5780, the mapping behaviour is still found by comparing the mappings from the two'
            cand --local 'Send the mapping tests from this local address and port'
            cand --timeout 'How long to wait for the server''s first answer (and for DNS): 800ms, 2s, 1.5s...'
            cand --lifetime 'Also measure how long an idle UDP binding lives (up to MAX, default 5m): bindings probed after growing idle times, then bisected. Takes about twice the lifetime found'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -4 'Use IPv4 only'
            cand --ipv4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand --ipv6 'Use IPv6 only'
            cand --hairpin 'Also test hairpinning: send from a second socket to our own public address'
            cand --tcp 'Also find the mapping behaviour of TCP: three connections from one local port, to the server''s primary address, its alternate IP, and its alternate IP and port (TCP has no filtering test: the server would have to connect in)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;gather'= {
            cand --stun 'A STUN server: stun:HOST[:PORT], stuns:HOST[:PORT] (TLS) or HOST[:PORT] (repeatable); --stun alone is the Trickle ICE page''s default, stun:stun.l.google.com:19302'
            cand --turn 'A TURN server: turn:[USER[:PASS]@]HOST[:PORT][?transport=udp|tcp], or turns:... over TLS (port 5349 by default) (repeatable)'
            cand -u 'TURN username (when the URL has none)'
            cand --username 'TURN username (when the URL has none)'
            cand --password 'TURN password (when the URL has none; RTCTOOL_TURN_PASSWORD keeps it out of the shell history)'
            cand --password-file 'Read the TURN password from the first line of this file'
            cand --auth-secret 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed'
            cand --auth-secret-file 'Read the TURN REST secret from the first line of this file'
            cand --auth-ttl 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...'
            cand --prometheus 'Also write the results as Prometheus metrics (OpenMetrics text, the exporter''s rtctool_probe_* gauges by target and local address) to FILE, for node_exporter''s textfile collector; `-` writes them to standard output instead of the report'
            cand -i 'Only this interface (a name like eth0, or one of its addresses); repeatable. Naming a loopback interface includes its addresses'
            cand --interface 'Only this interface (a name like eth0, or one of its addresses); repeatable. Naming a loopback interface includes its addresses'
            cand --timeout 'How long gathering may take at most (DNS, connections and retransmissions included): 800ms, 3s...'
            cand --ca-file 'Trust the CA certificates in this PEM file (for turns:/stuns:) instead of the system''s'
            cand --engine 'Who gathers: diag (rtctool''s own STUN/TURN client, every failure explained) or webrtc (a real WebRTC stack, webrtc-rs: what an application sees, and no more)'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand --relay-only 'Relay candidates only (iceTransportPolicy "relay"): no host or srflx, STUN servers unused'
            cand --no-relay-test 'Do not test that each allocation relays (by default data goes through it both ways, to and from a UDP socket of ours, for up to 2 s after the allocation)'
            cand -4 'IPv4 only'
            cand --ipv4 'IPv4 only'
            cand -6 'IPv6 only'
            cand --ipv6 'IPv6 only'
            cand --loopback 'Include loopback addresses (127.0.0.1, ::1)'
            cand --link-local 'Include link-local addresses (169.254.0.0/16, fe80::/10)'
            cand --tcp 'Also TCP host candidates (tcptype active, port 9, as browsers advertise them)'
            cand --insecure 'Do not check the TLS certificate of turns:/stuns: servers'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;loopback'= {
            cand --duration 'How long media and data flow once the call is up (0: stop as soon as it is up)'
            cand --media 'Which synthetic media each peer sends'
            cand --media-file 'Send this file instead of synthetic frames, in a loop: IVF (VP8, VP9, AV1) for video, Ogg/Opus for audio; each received frame is checked against what was sent. Repeatable (one per kind)'
            cand --bitrate 'Video bitrate: bits per second, with k or M (10^3, 10^6) allowed: 500k, 2.5M'
            cand --fps 'Video frames per second (1 to 120)'
            cand --datachannel 'What the data channel does: ping (echoed, verified messages), bulk (send as fast as flow control allows, measure throughput) or none'
            cand --ice-server 'A STUN or TURN server: stun:HOST[:PORT] or turn:[USER[:PASS]@]HOST[:PORT] (webrtc-rs relays over UDP only: no turns: or ?transport=tcp). Repeatable'
            cand --username 'TURN username when not in the URL (else RTCTOOL_TURN_USERNAME)'
            cand --password 'TURN password when not in the URL (else RTCTOOL_TURN_PASSWORD). Never printed'
            cand --auth-secret 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed'
            cand --auth-secret-file 'Read the TURN REST secret from the first line of this file'
            cand --auth-ttl 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...'
            cand --loss 'Drop this percentage of packets in each direction (0 to 100)'
            cand --delay 'Delay every packet by this much one way: 40ms, 0.1s (a bare number is milliseconds)'
            cand --jitter 'Vary each packet''s delay within +/- this (without reordering): 10ms'
            cand --max-loss 'Fail (exit 1) when a stream loses more than this percentage of its frames'
            cand --timeout 'How long the call may take to connect (ICE, DTLS, data channel) before giving up'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand --throughput 'Bulk data-channel transfer for the whole --duration (same as --datachannel bulk)'
            cand --relay-only 'Use relay candidates only: the call goes through the TURN server(s) of --ice-server'
            cand -6 'Bind the peers to ::1 instead of 127.0.0.1'
            cand --ipv6 'Bind the peers to ::1 instead of 127.0.0.1'
            cand --lossless-setup 'With --loss, drop nothing until the call is up (ICE, DTLS and the data channel), so only the media and data phase is lossy; --delay and --jitter apply throughout'
            cand --stock-timers 'Keep webrtc-rs''s default timers (200 ms ICE checks) and do not wake its driver while connecting: the library''s out-of-the-box connect time, for comparison'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;call'= {
            cand --signal 'The signalling server: http://HOST[:PORT] (port 8888 by default)'
            cand --name 'The name to sign in with (default: rtctool-PID)'
            cand --to 'Call this member (its name, or its id)'
            cand --ice-server 'A STUN or TURN server: stun:HOST[:PORT] or turn:[USER[:PASS]@]HOST[:PORT] (webrtc-rs relays over UDP only: no turns: or ?transport=tcp). Repeatable'
            cand --username 'TURN username when not in the URL (else RTCTOOL_TURN_USERNAME)'
            cand --password 'TURN password when not in the URL (else RTCTOOL_TURN_PASSWORD). Never printed'
            cand --auth-secret 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed'
            cand --auth-secret-file 'Read the TURN REST secret from the first line of this file'
            cand --auth-ttl 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...'
            cand --relay-wait 'How long ICE waits for a direct pair to answer before it takes a relay pair, counted from the start of the checks (webrtc-rs does not switch pairs once one is selected, so a relay taken early stays). Default: 60 ms plus 4 round trips to the TURN server, measured with a Binding request while signing in (2 s when it does not answer)'
            cand --duration 'How long media and data flow once the call is up'
            cand --timeout 'How long signing in, finding the peer and connecting may take'
            cand --media 'Which media we send'
            cand --datachannel 'What the data channel does (the caller opens it; the callee echoes)'
            cand --media-source 'What to send for a kind without a --media-file: the built-in VP8/Opus clips (which browsers decode), or synthetic frames'
            cand --media-file 'Play this file instead: IVF (VP8, VP9, AV1) or Ogg/Opus (one per kind)'
            cand --bind 'The local address to gather host candidates on (default: every interface)'
            cand --max-loss 'Fail (exit 1) when a verified stream loses more than this percentage of its frames'
            cand --dtls-role 'Our DTLS role when we answer: client (a=setup:active, as browsers answer) or server (a=setup:passive). When we call, the answer decides'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand --wait 'Wait for a member''s offer and answer it'
            cand --relay-only 'Use relay candidates only'
            cand --nat-check 'First run nat-type''s RFC 5780 tests against the (first) STUN server, swap the result with an rtctool peer, and report the predicted cell of the NAT traversal table (direct path or relay) and whether the call matched it. Our NAT''s filtering also orders the checks: behind one that filters by address at most, ours to the peer''s public address go at once; behind one that filters by address and port, they wait 100 ms'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;signal'= {
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand serve 'Run a signalling server that speaks libwebrtc''s peerconnection_server protocol'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;signal;serve'= {
            cand --listen 'Where to listen: ADDR:PORT ([::]:8888 for IPv6)'
            cand --max-peers 'Members signed in at once'
            cand --max-connections 'Open connections at once, parked hanging GETs included (the open-file limit is raised to fit when it can be)'
            cand --max-body 'Largest message body, in bytes'
            cand --max-queued 'Messages queued for one member that has no hanging GET parked'
            cand --request-timeout 'Time a client has to send its whole request, and to read the answer'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;signal;help'= {
            cand serve 'Run a signalling server that speaks libwebrtc''s peerconnection_server protocol'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;signal;help;serve'= {
        }
        &'rtctool;signal;help;help'= {
        }
        &'rtctool;exporter'= {
            cand --listen 'Where to listen: ADDR:PORT'
            cand --config 'The configuration file (TOML): modules, background targets, limits'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;turn'= {
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand load 'Load a TURN server: N allocations relaying paced traffic to each other; delivered, lost, duplicated and reordered packets, one-way delay, jitter, allocation latency'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;turn;load'= {
            cand --server 'The TURN server: turn:[USER[:PASS]@]HOST[:PORT][?transport=tcp] (UDP, or TCP), or turns:HOST[:PORT] (TLS over TCP)'
            cand -u 'TURN username (when the URL has none)'
            cand --username 'TURN username (when the URL has none)'
            cand --password 'TURN password (when the URL has none; RTCTOOL_TURN_PASSWORD keeps it out of the shell history)'
            cand --password-file 'Read the TURN password from the first line of this file'
            cand --auth-secret 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed'
            cand --auth-secret-file 'Read the TURN REST secret from the first line of this file'
            cand --auth-ttl 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...'
            cand --clients 'Allocations (each on a UDP socket of its own)'
            cand --alloc-rate 'Allocations started per second (default: as fast as answered, 64 outstanding)'
            cand --rate 'Packets per second each client sends'
            cand --size 'Bytes per packet (TURN payload)'
            cand --duration 'How long to send (each step, with --ramp), or to hold the allocations'
            cand --ramp-step 'Packets per second added per client at each step (default: --rate)'
            cand --ramp-until 'The ramp ends after a step with more loss than this (percent)'
            cand --ramp-steps 'Steps of the ramp, at most'
            cand --max-loss 'Exit 1 when more than this percentage of packets is lost (the first step''s, with --ramp)'
            cand --timeout 'Bounds each request, and the allocation, binding and release stages'
            cand --bind 'The local address to send from'
            cand --ca-file 'Trust the CA certificates in this PEM file (for turns:/stuns:) instead of the system''s'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand --alloc-only 'Only allocate: hold the allocations for --duration, then release them'
            cand --send-indication 'Relay with Send and Data indications instead of channels'
            cand --ramp 'Raise the rate step by step until a step loses more than --ramp-until'
            cand --yes 'Allow a --duration over 300 s'
            cand --insecure 'Do not check the TLS certificate of turns:/stuns: servers'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;turn;help'= {
            cand load 'Load a TURN server: N allocations relaying paced traffic to each other; delivered, lost, duplicated and reordered packets, one-way delay, jitter, allocation latency'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;turn;help;load'= {
        }
        &'rtctool;turn;help;help'= {
        }
        &'rtctool;completions'= {
            cand -o 'Write to this file instead of stdout'
            cand --output 'Write to this file instead of stdout'
            cand --color 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More detail (repeat for more)'
            cand --verbose 'More detail (repeat for more)'
            cand --json 'Print one JSON document on stdout when the command ends'
            cand --ndjson 'Stream one JSON object per line on stdout as things happen'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'rtctool;help'= {
            cand stun 'Decode and verify STUN/TURN messages'
            cand pcap 'Dissect STUN/TURN (and the DTLS/RTP/RTCP beside it) in pcap/pcapng captures'
            cand sdp 'Show, lint, diff and check SDP offers and answers'
            cand nat-type 'Find out what NAT (if any) is between this host and the Internet (RFC 5780)'
            cand gather 'Gather ICE candidates like a browser, with a verdict on every STUN/TURN server'
            cand loopback 'Run a whole WebRTC call between two peers in this process, and measure it'
            cand call 'Call a peer (or wait for its call) through a peerconnection signalling server, and measure it'
            cand signal 'Signalling: a server compatible with libwebrtc''s peerconnection_server'
            cand exporter 'A Prometheus exporter for STUN and TURN servers (blackbox-exporter style)'
            cand turn 'TURN: a load generator'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;help;stun'= {
            cand decode 'Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin)'
        }
        &'rtctool;help;stun;decode'= {
        }
        &'rtctool;help;pcap'= {
            cand decode 'One line per STUN/TURN/DTLS/RTP/RTCP message, or full trees (-V), or JSON records'
            cand summary 'Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams'
        }
        &'rtctool;help;pcap;decode'= {
        }
        &'rtctool;help;pcap;summary'= {
        }
        &'rtctool;help;sdp'= {
            cand show 'Summarise an SDP: per m-section codecs, extensions, streams, candidates, ICE and DTLS'
            cand lint 'Find every problem in an SDP, each with rule id, severity, line, mid and explanation'
            cand diff 'What changed between two SDPs, semantically (ICE restart, codecs, direction...)'
            cand check 'Check an answer against its offer (m-sections, mids, codecs, rtcp-fb, BUNDLE, roles)'
        }
        &'rtctool;help;sdp;show'= {
        }
        &'rtctool;help;sdp;lint'= {
        }
        &'rtctool;help;sdp;diff'= {
        }
        &'rtctool;help;sdp;check'= {
        }
        &'rtctool;help;nat-type'= {
        }
        &'rtctool;help;gather'= {
        }
        &'rtctool;help;loopback'= {
        }
        &'rtctool;help;call'= {
        }
        &'rtctool;help;signal'= {
            cand serve 'Run a signalling server that speaks libwebrtc''s peerconnection_server protocol'
        }
        &'rtctool;help;signal;serve'= {
        }
        &'rtctool;help;exporter'= {
        }
        &'rtctool;help;turn'= {
            cand load 'Load a TURN server: N allocations relaying paced traffic to each other; delivered, lost, duplicated and reordered packets, one-way delay, jitter, allocation latency'
        }
        &'rtctool;help;turn;load'= {
        }
        &'rtctool;help;completions'= {
        }
        &'rtctool;help;help'= {
        }
    ]
    $completions[$command]
}
