
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'rtctool' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'rtctool'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'rtctool' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('stun', 'stun', [CompletionResultType]::ParameterValue, 'Decode and verify STUN/TURN messages')
            [CompletionResult]::new('pcap', 'pcap', [CompletionResultType]::ParameterValue, 'Dissect STUN/TURN (and the DTLS/RTP/RTCP beside it) in pcap/pcapng captures')
            [CompletionResult]::new('sdp', 'sdp', [CompletionResultType]::ParameterValue, 'Show, lint, diff and check SDP offers and answers')
            [CompletionResult]::new('nat-type', 'nat-type', [CompletionResultType]::ParameterValue, 'Find out what NAT (if any) is between this host and the Internet (RFC 5780)')
            [CompletionResult]::new('gather', 'gather', [CompletionResultType]::ParameterValue, 'Gather ICE candidates like a browser, with a verdict on every STUN/TURN server')
            [CompletionResult]::new('loopback', 'loopback', [CompletionResultType]::ParameterValue, 'Run a whole WebRTC call between two peers in this process, and measure it')
            [CompletionResult]::new('call', 'call', [CompletionResultType]::ParameterValue, 'Call a peer (or wait for its call) through a peerconnection signalling server, and measure it')
            [CompletionResult]::new('signal', 'signal', [CompletionResultType]::ParameterValue, 'Signalling: a server compatible with libwebrtc''s peerconnection_server')
            [CompletionResult]::new('exporter', 'exporter', [CompletionResultType]::ParameterValue, 'A Prometheus exporter for STUN and TURN servers (blackbox-exporter style)')
            [CompletionResult]::new('turn', 'turn', [CompletionResultType]::ParameterValue, 'TURN: a load generator')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;stun' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;stun;decode' {
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for MESSAGE-INTEGRITY (short-term, or long-term with --username/--realm)')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Username for a long-term credential (default: the message''s USERNAME)')
            [CompletionResult]::new('--realm', '--realm', [CompletionResultType]::ParameterName, 'Realm for a long-term credential (default: the message''s REALM). Giving --realm or --username selects the long-term credential mechanism')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Treat INPUT as this encoding instead of detecting it')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;stun;help' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;stun;help;decode' {
            break
        }
        'rtctool;stun;help;help' {
            break
        }
        'rtctool;pcap' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'One line per STUN/TURN/DTLS/RTP/RTCP message, or full trees (-V), or JSON records')
            [CompletionResult]::new('summary', 'summary', [CompletionResultType]::ParameterValue, 'Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;pcap;decode' {
            [CompletionResult]::new('--turn-user', '--turn-user', [CompletionResultType]::ParameterName, 'TURN username: MESSAGE-INTEGRITY of its requests (and their responses) is verified with the realm found in the capture')
            [CompletionResult]::new('--turn-password', '--turn-password', [CompletionResultType]::ParameterName, 'TURN password (with --turn-user)')
            [CompletionResult]::new('--ice-pwd', '--ice-pwd', [CompletionResultType]::ParameterName, 'ICE password for connectivity checks: UFRAG:PWD ties it to the agent with that ufrag; a bare PWD is tried on every check (a mismatch is then `unchecked`). Repeatable')
            [CompletionResult]::new('--sdp', '--sdp', [CompletionResultType]::ParameterName, 'SDP offer or answer whose a=ice-ufrag/a=ice-pwd verify the connectivity checks. Repeatable')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Only these kinds (repeatable or comma-separated)')
            [CompletionResult]::new('--flow', '--flow', [CompletionResultType]::ParameterName, 'Only packets from or to this address (ADDR or ADDR:PORT; IPv6 as [ADDR]:PORT)')
            [CompletionResult]::new('--txid', '--txid', [CompletionResultType]::ParameterName, 'Only this STUN transaction (hex, a prefix is enough)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Show every attribute as a tree under each STUN/ChannelData line')
            [CompletionResult]::new('--tree', '--tree', [CompletionResultType]::ParameterName, 'Show every attribute as a tree under each STUN/ChannelData line')
            [CompletionResult]::new('--errors', '--errors', [CompletionResultType]::ParameterName, 'Only problems: error responses, bad FINGERPRINT or integrity, unanswered requests')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;pcap;summary' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;pcap;help' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'One line per STUN/TURN/DTLS/RTP/RTCP message, or full trees (-V), or JSON records')
            [CompletionResult]::new('summary', 'summary', [CompletionResultType]::ParameterValue, 'Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;pcap;help;decode' {
            break
        }
        'rtctool;pcap;help;summary' {
            break
        }
        'rtctool;pcap;help;help' {
            break
        }
        'rtctool;sdp' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Summarise an SDP: per m-section codecs, extensions, streams, candidates, ICE and DTLS')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Find every problem in an SDP, each with rule id, severity, line, mid and explanation')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'What changed between two SDPs, semantically (ICE restart, codecs, direction...)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check an answer against its offer (m-sections, mids, codecs, rtcp-fb, BUNDLE, roles)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;sdp;show' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;sdp;lint' {
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Lint as an offer or an answer (default: the JSON type, else role rules are skipped)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('--list-rules', '--list-rules', [CompletionResultType]::ParameterName, 'Print every rule id with its severity and what it checks, then exit')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;sdp;diff' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;sdp;check' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;sdp;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Summarise an SDP: per m-section codecs, extensions, streams, candidates, ICE and DTLS')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Find every problem in an SDP, each with rule id, severity, line, mid and explanation')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'What changed between two SDPs, semantically (ICE restart, codecs, direction...)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check an answer against its offer (m-sections, mids, codecs, rtcp-fb, BUNDLE, roles)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;sdp;help;show' {
            break
        }
        'rtctool;sdp;help;lint' {
            break
        }
        'rtctool;sdp;help;diff' {
            break
        }
        'rtctool;sdp;help;check' {
            break
        }
        'rtctool;sdp;help;help' {
            break
        }
        'rtctool;nat-type' {
            [CompletionResult]::new('--server2', '--server2', [CompletionResultType]::ParameterName, 'A second STUN server (RFC 5780 not needed): with a server that lacks RFC 5780, the mapping behaviour is still found by comparing the mappings from the two')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Send the mapping tests from this local address and port')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the server''s first answer (and for DNS): 800ms, 2s, 1.5s...')
            [CompletionResult]::new('--lifetime', '--lifetime', [CompletionResultType]::ParameterName, 'Also measure how long an idle UDP binding lives (up to MAX, default 5m): bindings probed after growing idle times, then bisected. Takes about twice the lifetime found')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--hairpin', '--hairpin', [CompletionResultType]::ParameterName, 'Also test hairpinning: send from a second socket to our own public address')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Also find the mapping behaviour of TCP: three connections from one local port, to the server''s primary address, its alternate IP, and its alternate IP and port (TCP has no filtering test: the server would have to connect in)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;gather' {
            [CompletionResult]::new('--stun', '--stun', [CompletionResultType]::ParameterName, 'A STUN server: stun:HOST[:PORT], stuns:HOST[:PORT] (TLS) or HOST[:PORT] (repeatable); --stun alone is the Trickle ICE page''s default, stun:stun.l.google.com:19302')
            [CompletionResult]::new('--turn', '--turn', [CompletionResultType]::ParameterName, 'A TURN server: turn:[USER[:PASS]@]HOST[:PORT][?transport=udp|tcp], or turns:... over TLS (port 5349 by default) (repeatable)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'TURN username (when the URL has none)')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'TURN username (when the URL has none)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'TURN password (when the URL has none; RTCTOOL_TURN_PASSWORD keeps it out of the shell history)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the TURN password from the first line of this file')
            [CompletionResult]::new('--auth-secret', '--auth-secret', [CompletionResultType]::ParameterName, 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed')
            [CompletionResult]::new('--auth-secret-file', '--auth-secret-file', [CompletionResultType]::ParameterName, 'Read the TURN REST secret from the first line of this file')
            [CompletionResult]::new('--auth-ttl', '--auth-ttl', [CompletionResultType]::ParameterName, 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...')
            [CompletionResult]::new('--prometheus', '--prometheus', [CompletionResultType]::ParameterName, 'Also write the results as Prometheus metrics (OpenMetrics text, the exporter''s rtctool_probe_* gauges by target and local address) to FILE, for node_exporter''s textfile collector; `-` writes them to standard output instead of the report')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Only this interface (a name like eth0, or one of its addresses); repeatable. Naming a loopback interface includes its addresses')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Only this interface (a name like eth0, or one of its addresses); repeatable. Naming a loopback interface includes its addresses')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long gathering may take at most (DNS, connections and retransmissions included): 800ms, 3s...')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for turns:/stuns:) instead of the system''s')
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'Who gathers: diag (rtctool''s own STUN/TURN client, every failure explained) or webrtc (a real WebRTC stack, webrtc-rs: what an application sees, and no more)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('--relay-only', '--relay-only', [CompletionResultType]::ParameterName, 'Relay candidates only (iceTransportPolicy "relay"): no host or srflx, STUN servers unused')
            [CompletionResult]::new('--no-relay-test', '--no-relay-test', [CompletionResultType]::ParameterName, 'Do not test that each allocation relays (by default data goes through it both ways, to and from a UDP socket of ours, for up to 2 s after the allocation)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'IPv4 only')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'IPv6 only')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'IPv6 only')
            [CompletionResult]::new('--loopback', '--loopback', [CompletionResultType]::ParameterName, 'Include loopback addresses (127.0.0.1, ::1)')
            [CompletionResult]::new('--link-local', '--link-local', [CompletionResultType]::ParameterName, 'Include link-local addresses (169.254.0.0/16, fe80::/10)')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Also TCP host candidates (tcptype active, port 9, as browsers advertise them)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not check the TLS certificate of turns:/stuns: servers')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;loopback' {
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long media and data flow once the call is up (0: stop as soon as it is up)')
            [CompletionResult]::new('--media', '--media', [CompletionResultType]::ParameterName, 'Which synthetic media each peer sends')
            [CompletionResult]::new('--media-file', '--media-file', [CompletionResultType]::ParameterName, 'Send this file instead of synthetic frames, in a loop: IVF (VP8, VP9, AV1) for video, Ogg/Opus for audio; each received frame is checked against what was sent. Repeatable (one per kind)')
            [CompletionResult]::new('--bitrate', '--bitrate', [CompletionResultType]::ParameterName, 'Video bitrate: bits per second, with k or M (10^3, 10^6) allowed: 500k, 2.5M')
            [CompletionResult]::new('--fps', '--fps', [CompletionResultType]::ParameterName, 'Video frames per second (1 to 120)')
            [CompletionResult]::new('--datachannel', '--datachannel', [CompletionResultType]::ParameterName, 'What the data channel does: ping (echoed, verified messages), bulk (send as fast as flow control allows, measure throughput) or none')
            [CompletionResult]::new('--ice-server', '--ice-server', [CompletionResultType]::ParameterName, 'A STUN or TURN server: stun:HOST[:PORT] or turn:[USER[:PASS]@]HOST[:PORT] (webrtc-rs relays over UDP only: no turns: or ?transport=tcp). Repeatable')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'TURN username when not in the URL (else RTCTOOL_TURN_USERNAME)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'TURN password when not in the URL (else RTCTOOL_TURN_PASSWORD). Never printed')
            [CompletionResult]::new('--auth-secret', '--auth-secret', [CompletionResultType]::ParameterName, 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed')
            [CompletionResult]::new('--auth-secret-file', '--auth-secret-file', [CompletionResultType]::ParameterName, 'Read the TURN REST secret from the first line of this file')
            [CompletionResult]::new('--auth-ttl', '--auth-ttl', [CompletionResultType]::ParameterName, 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...')
            [CompletionResult]::new('--loss', '--loss', [CompletionResultType]::ParameterName, 'Drop this percentage of packets in each direction (0 to 100)')
            [CompletionResult]::new('--delay', '--delay', [CompletionResultType]::ParameterName, 'Delay every packet by this much one way: 40ms, 0.1s (a bare number is milliseconds)')
            [CompletionResult]::new('--jitter', '--jitter', [CompletionResultType]::ParameterName, 'Vary each packet''s delay within +/- this (without reordering): 10ms')
            [CompletionResult]::new('--max-loss', '--max-loss', [CompletionResultType]::ParameterName, 'Fail (exit 1) when a stream loses more than this percentage of its frames')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the call may take to connect (ICE, DTLS, data channel) before giving up')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('--throughput', '--throughput', [CompletionResultType]::ParameterName, 'Bulk data-channel transfer for the whole --duration (same as --datachannel bulk)')
            [CompletionResult]::new('--relay-only', '--relay-only', [CompletionResultType]::ParameterName, 'Use relay candidates only: the call goes through the TURN server(s) of --ice-server')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Bind the peers to ::1 instead of 127.0.0.1')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Bind the peers to ::1 instead of 127.0.0.1')
            [CompletionResult]::new('--lossless-setup', '--lossless-setup', [CompletionResultType]::ParameterName, 'With --loss, drop nothing until the call is up (ICE, DTLS and the data channel), so only the media and data phase is lossy; --delay and --jitter apply throughout')
            [CompletionResult]::new('--stock-timers', '--stock-timers', [CompletionResultType]::ParameterName, 'Keep webrtc-rs''s default timers (200 ms ICE checks) and do not wake its driver while connecting: the library''s out-of-the-box connect time, for comparison')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;call' {
            [CompletionResult]::new('--signal', '--signal', [CompletionResultType]::ParameterName, 'The signalling server: http://HOST[:PORT] (port 8888 by default)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The name to sign in with (default: rtctool-PID)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Call this member (its name, or its id)')
            [CompletionResult]::new('--ice-server', '--ice-server', [CompletionResultType]::ParameterName, 'A STUN or TURN server: stun:HOST[:PORT] or turn:[USER[:PASS]@]HOST[:PORT] (webrtc-rs relays over UDP only: no turns: or ?transport=tcp). Repeatable')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'TURN username when not in the URL (else RTCTOOL_TURN_USERNAME)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'TURN password when not in the URL (else RTCTOOL_TURN_PASSWORD). Never printed')
            [CompletionResult]::new('--auth-secret', '--auth-secret', [CompletionResultType]::ParameterName, 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed')
            [CompletionResult]::new('--auth-secret-file', '--auth-secret-file', [CompletionResultType]::ParameterName, 'Read the TURN REST secret from the first line of this file')
            [CompletionResult]::new('--auth-ttl', '--auth-ttl', [CompletionResultType]::ParameterName, 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...')
            [CompletionResult]::new('--relay-wait', '--relay-wait', [CompletionResultType]::ParameterName, 'How long ICE waits for a direct pair to answer before it takes a relay pair, counted from the start of the checks (webrtc-rs does not switch pairs once one is selected, so a relay taken early stays). Default: 60 ms plus 4 round trips to the TURN server, measured with a Binding request while signing in (2 s when it does not answer)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long media and data flow once the call is up')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long signing in, finding the peer and connecting may take')
            [CompletionResult]::new('--media', '--media', [CompletionResultType]::ParameterName, 'Which media we send')
            [CompletionResult]::new('--datachannel', '--datachannel', [CompletionResultType]::ParameterName, 'What the data channel does (the caller opens it; the callee echoes)')
            [CompletionResult]::new('--media-source', '--media-source', [CompletionResultType]::ParameterName, 'What to send for a kind without a --media-file: the built-in VP8/Opus clips (which browsers decode), or synthetic frames')
            [CompletionResult]::new('--media-file', '--media-file', [CompletionResultType]::ParameterName, 'Play this file instead: IVF (VP8, VP9, AV1) or Ogg/Opus (one per kind)')
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'The local address to gather host candidates on (default: every interface)')
            [CompletionResult]::new('--max-loss', '--max-loss', [CompletionResultType]::ParameterName, 'Fail (exit 1) when a verified stream loses more than this percentage of its frames')
            [CompletionResult]::new('--dtls-role', '--dtls-role', [CompletionResultType]::ParameterName, 'Our DTLS role when we answer: client (a=setup:active, as browsers answer) or server (a=setup:passive). When we call, the answer decides')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for a member''s offer and answer it')
            [CompletionResult]::new('--relay-only', '--relay-only', [CompletionResultType]::ParameterName, 'Use relay candidates only')
            [CompletionResult]::new('--nat-check', '--nat-check', [CompletionResultType]::ParameterName, 'First run nat-type''s RFC 5780 tests against the (first) STUN server, swap the result with an rtctool peer, and report the predicted cell of the NAT traversal table (direct path or relay) and whether the call matched it. Our NAT''s filtering also orders the checks: behind one that filters by address at most, ours to the peer''s public address go at once; behind one that filters by address and port, they wait 100 ms')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;signal' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a signalling server that speaks libwebrtc''s peerconnection_server protocol')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;signal;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Where to listen: ADDR:PORT ([::]:8888 for IPv6)')
            [CompletionResult]::new('--max-peers', '--max-peers', [CompletionResultType]::ParameterName, 'Members signed in at once')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Open connections at once, parked hanging GETs included (the open-file limit is raised to fit when it can be)')
            [CompletionResult]::new('--max-body', '--max-body', [CompletionResultType]::ParameterName, 'Largest message body, in bytes')
            [CompletionResult]::new('--max-queued', '--max-queued', [CompletionResultType]::ParameterName, 'Messages queued for one member that has no hanging GET parked')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time a client has to send its whole request, and to read the answer')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;signal;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a signalling server that speaks libwebrtc''s peerconnection_server protocol')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;signal;help;serve' {
            break
        }
        'rtctool;signal;help;help' {
            break
        }
        'rtctool;exporter' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Where to listen: ADDR:PORT')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (TOML): modules, background targets, limits')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;turn' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('load', 'load', [CompletionResultType]::ParameterValue, 'Load a TURN server: N allocations relaying paced traffic to each other; delivered, lost, duplicated and reordered packets, one-way delay, jitter, allocation latency')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;turn;load' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The TURN server: turn:[USER[:PASS]@]HOST[:PORT][?transport=tcp] (UDP, or TCP), or turns:HOST[:PORT] (TLS over TCP)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'TURN username (when the URL has none)')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'TURN username (when the URL has none)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'TURN password (when the URL has none; RTCTOOL_TURN_PASSWORD keeps it out of the shell history)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the TURN password from the first line of this file')
            [CompletionResult]::new('--auth-secret', '--auth-secret', [CompletionResultType]::ParameterName, 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed')
            [CompletionResult]::new('--auth-secret-file', '--auth-secret-file', [CompletionResultType]::ParameterName, 'Read the TURN REST secret from the first line of this file')
            [CompletionResult]::new('--auth-ttl', '--auth-ttl', [CompletionResultType]::ParameterName, 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...')
            [CompletionResult]::new('--clients', '--clients', [CompletionResultType]::ParameterName, 'Allocations (each on a UDP socket of its own)')
            [CompletionResult]::new('--alloc-rate', '--alloc-rate', [CompletionResultType]::ParameterName, 'Allocations started per second (default: as fast as answered, 64 outstanding)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Packets per second each client sends')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Bytes per packet (TURN payload)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long to send (each step, with --ramp), or to hold the allocations')
            [CompletionResult]::new('--ramp-step', '--ramp-step', [CompletionResultType]::ParameterName, 'Packets per second added per client at each step (default: --rate)')
            [CompletionResult]::new('--ramp-until', '--ramp-until', [CompletionResultType]::ParameterName, 'The ramp ends after a step with more loss than this (percent)')
            [CompletionResult]::new('--ramp-steps', '--ramp-steps', [CompletionResultType]::ParameterName, 'Steps of the ramp, at most')
            [CompletionResult]::new('--max-loss', '--max-loss', [CompletionResultType]::ParameterName, 'Exit 1 when more than this percentage of packets is lost (the first step''s, with --ramp)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bounds each request, and the allocation, binding and release stages')
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'The local address to send from')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for turns:/stuns:) instead of the system''s')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('--alloc-only', '--alloc-only', [CompletionResultType]::ParameterName, 'Only allocate: hold the allocations for --duration, then release them')
            [CompletionResult]::new('--send-indication', '--send-indication', [CompletionResultType]::ParameterName, 'Relay with Send and Data indications instead of channels')
            [CompletionResult]::new('--ramp', '--ramp', [CompletionResultType]::ParameterName, 'Raise the rate step by step until a step loses more than --ramp-until')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Allow a --duration over 300 s')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not check the TLS certificate of turns:/stuns: servers')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;turn;help' {
            [CompletionResult]::new('load', 'load', [CompletionResultType]::ParameterValue, 'Load a TURN server: N allocations relaying paced traffic to each other; delivered, lost, duplicated and reordered packets, one-way delay, jitter, allocation latency')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;turn;help;load' {
            break
        }
        'rtctool;turn;help;help' {
            break
        }
        'rtctool;completions' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to this file instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to this file instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout when the command ends')
            [CompletionResult]::new('--ndjson', '--ndjson', [CompletionResultType]::ParameterName, 'Stream one JSON object per line on stdout as things happen')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'rtctool;help' {
            [CompletionResult]::new('stun', 'stun', [CompletionResultType]::ParameterValue, 'Decode and verify STUN/TURN messages')
            [CompletionResult]::new('pcap', 'pcap', [CompletionResultType]::ParameterValue, 'Dissect STUN/TURN (and the DTLS/RTP/RTCP beside it) in pcap/pcapng captures')
            [CompletionResult]::new('sdp', 'sdp', [CompletionResultType]::ParameterValue, 'Show, lint, diff and check SDP offers and answers')
            [CompletionResult]::new('nat-type', 'nat-type', [CompletionResultType]::ParameterValue, 'Find out what NAT (if any) is between this host and the Internet (RFC 5780)')
            [CompletionResult]::new('gather', 'gather', [CompletionResultType]::ParameterValue, 'Gather ICE candidates like a browser, with a verdict on every STUN/TURN server')
            [CompletionResult]::new('loopback', 'loopback', [CompletionResultType]::ParameterValue, 'Run a whole WebRTC call between two peers in this process, and measure it')
            [CompletionResult]::new('call', 'call', [CompletionResultType]::ParameterValue, 'Call a peer (or wait for its call) through a peerconnection signalling server, and measure it')
            [CompletionResult]::new('signal', 'signal', [CompletionResultType]::ParameterValue, 'Signalling: a server compatible with libwebrtc''s peerconnection_server')
            [CompletionResult]::new('exporter', 'exporter', [CompletionResultType]::ParameterValue, 'A Prometheus exporter for STUN and TURN servers (blackbox-exporter style)')
            [CompletionResult]::new('turn', 'turn', [CompletionResultType]::ParameterValue, 'TURN: a load generator')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'rtctool;help;stun' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin)')
            break
        }
        'rtctool;help;stun;decode' {
            break
        }
        'rtctool;help;pcap' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'One line per STUN/TURN/DTLS/RTP/RTCP message, or full trees (-V), or JSON records')
            [CompletionResult]::new('summary', 'summary', [CompletionResultType]::ParameterValue, 'Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams')
            break
        }
        'rtctool;help;pcap;decode' {
            break
        }
        'rtctool;help;pcap;summary' {
            break
        }
        'rtctool;help;sdp' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Summarise an SDP: per m-section codecs, extensions, streams, candidates, ICE and DTLS')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Find every problem in an SDP, each with rule id, severity, line, mid and explanation')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'What changed between two SDPs, semantically (ICE restart, codecs, direction...)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check an answer against its offer (m-sections, mids, codecs, rtcp-fb, BUNDLE, roles)')
            break
        }
        'rtctool;help;sdp;show' {
            break
        }
        'rtctool;help;sdp;lint' {
            break
        }
        'rtctool;help;sdp;diff' {
            break
        }
        'rtctool;help;sdp;check' {
            break
        }
        'rtctool;help;nat-type' {
            break
        }
        'rtctool;help;gather' {
            break
        }
        'rtctool;help;loopback' {
            break
        }
        'rtctool;help;call' {
            break
        }
        'rtctool;help;signal' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a signalling server that speaks libwebrtc''s peerconnection_server protocol')
            break
        }
        'rtctool;help;signal;serve' {
            break
        }
        'rtctool;help;exporter' {
            break
        }
        'rtctool;help;turn' {
            [CompletionResult]::new('load', 'load', [CompletionResultType]::ParameterValue, 'Load a TURN server: N allocations relaying paced traffic to each other; delivered, lost, duplicated and reordered packets, one-way delay, jitter, allocation latency')
            break
        }
        'rtctool;help;turn;load' {
            break
        }
        'rtctool;help;completions' {
            break
        }
        'rtctool;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
