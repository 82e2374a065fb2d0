# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rtctool_global_optspecs
    string join \n color= q/quiet v/verbose json ndjson version h/help
end

function __fish_rtctool_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rtctool_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rtctool_using_subcommand
    set -l cmd (__fish_rtctool_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rtctool -n "__fish_rtctool_needs_command" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_needs_command" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_needs_command" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_needs_command" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_needs_command" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_needs_command" -l version -d 'Print version'
complete -c rtctool -n "__fish_rtctool_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "stun" -d 'Decode and verify STUN/TURN messages'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "pcap" -d 'Dissect STUN/TURN (and the DTLS/RTP/RTCP beside it) in pcap/pcapng captures'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "sdp" -d 'Show, lint, diff and check SDP offers and answers'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "nat-type" -d 'Find out what NAT (if any) is between this host and the Internet (RFC 5780)'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "gather" -d 'Gather ICE candidates like a browser, with a verdict on every STUN/TURN server'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "loopback" -d 'Run a whole WebRTC call between two peers in this process, and measure it'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "call" -d 'Call a peer (or wait for its call) through a peerconnection signalling server, and measure it'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "signal" -d 'Signalling: a server compatible with libwebrtc\'s peerconnection_server'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "exporter" -d 'A Prometheus exporter for STUN and TURN servers (blackbox-exporter style)'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "turn" -d 'TURN: a load generator'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c rtctool -n "__fish_rtctool_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and not __fish_seen_subcommand_from decode help" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and not __fish_seen_subcommand_from decode help" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and not __fish_seen_subcommand_from decode help" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and not __fish_seen_subcommand_from decode help" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and not __fish_seen_subcommand_from decode help" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and not __fish_seen_subcommand_from decode help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and not __fish_seen_subcommand_from decode help" -f -a "decode" -d 'Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin)'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and not __fish_seen_subcommand_from decode help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from decode" -l password -d 'Password for MESSAGE-INTEGRITY (short-term, or long-term with --username/--realm)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from decode" -l username -d 'Username for a long-term credential (default: the message\'s USERNAME)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from decode" -l realm -d 'Realm for a long-term credential (default: the message\'s REALM). Giving --realm or --username selects the long-term credential mechanism' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from decode" -l format -d 'Treat INPUT as this encoding instead of detecting it' -r -f -a "hex\t'Hexadecimal text'
base64\t'Base64 text (standard or URL-safe alphabet)'
raw\t'Raw bytes'"
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from decode" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from decode" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from decode" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from decode" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from decode" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from help" -f -a "decode" -d 'Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin)'
complete -c rtctool -n "__fish_rtctool_using_subcommand stun; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and not __fish_seen_subcommand_from decode summary help" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and not __fish_seen_subcommand_from decode summary help" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and not __fish_seen_subcommand_from decode summary help" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and not __fish_seen_subcommand_from decode summary help" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and not __fish_seen_subcommand_from decode summary help" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and not __fish_seen_subcommand_from decode summary help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and not __fish_seen_subcommand_from decode summary help" -f -a "decode" -d 'One line per STUN/TURN/DTLS/RTP/RTCP message, or full trees (-V), or JSON records'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and not __fish_seen_subcommand_from decode summary help" -f -a "summary" -d 'Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and not __fish_seen_subcommand_from decode summary help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l turn-user -d 'TURN username: MESSAGE-INTEGRITY of its requests (and their responses) is verified with the realm found in the capture' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l turn-password -d 'TURN password (with --turn-user)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l ice-pwd -d 'ICE password for connectivity checks: UFRAG:PWD ties it to the agent with that ufrag; a bare PWD is tried on every check (a mismatch is then `unchecked`). Repeatable' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l sdp -d 'SDP offer or answer whose a=ice-ufrag/a=ice-pwd verify the connectivity checks. Repeatable' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l only -d 'Only these kinds (repeatable or comma-separated)' -r -f -a "stun\t'Every STUN message'
turn\t'TURN methods and ChannelData'
ice\t'ICE connectivity checks and their responses'
dtls\t'DTLS records'
rtp\t'RTP'
rtcp\t'RTCP'"
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l flow -d 'Only packets from or to this address (ADDR or ADDR:PORT; IPv6 as [ADDR]:PORT)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l txid -d 'Only this STUN transaction (hex, a prefix is enough)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -s V -l tree -d 'Show every attribute as a tree under each STUN/ChannelData line'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l errors -d 'Only problems: error responses, bad FINGERPRINT or integrity, unanswered requests'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from summary" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from summary" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from summary" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from summary" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from summary" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from summary" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from help" -f -a "decode" -d 'One line per STUN/TURN/DTLS/RTP/RTCP message, or full trees (-V), or JSON records'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from help" -f -a "summary" -d 'Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams'
complete -c rtctool -n "__fish_rtctool_using_subcommand pcap; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -f -a "show" -d 'Summarise an SDP: per m-section codecs, extensions, streams, candidates, ICE and DTLS'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -f -a "lint" -d 'Find every problem in an SDP, each with rule id, severity, line, mid and explanation'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -f -a "diff" -d 'What changed between two SDPs, semantically (ICE restart, codecs, direction...)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -f -a "check" -d 'Check an answer against its offer (m-sections, mids, codecs, rtcp-fb, BUNDLE, roles)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and not __fish_seen_subcommand_from show lint diff check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from show" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from show" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from lint" -l as -d 'Lint as an offer or an answer (default: the JSON type, else role rules are skipped)' -r -f -a "offer\t'An offer'
answer\t'An answer (or pranswer)'"
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from lint" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from lint" -l list-rules -d 'Print every rule id with its severity and what it checks, then exit'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from lint" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from lint" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from lint" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from lint" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from lint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from diff" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from diff" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from diff" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from diff" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from diff" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from check" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from check" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from check" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from check" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from help" -f -a "show" -d 'Summarise an SDP: per m-section codecs, extensions, streams, candidates, ICE and DTLS'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from help" -f -a "lint" -d 'Find every problem in an SDP, each with rule id, severity, line, mid and explanation'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from help" -f -a "diff" -d 'What changed between two SDPs, semantically (ICE restart, codecs, direction...)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check an answer against its offer (m-sections, mids, codecs, rtcp-fb, BUNDLE, roles)'
complete -c rtctool -n "__fish_rtctool_using_subcommand sdp; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -l server2 -d 'A second STUN server (RFC 5780 not needed): with a server that lacks RFC 5780, the mapping behaviour is still found by comparing the mappings from the two' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -l local -d 'Send the mapping tests from this local address and port' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -l timeout -d 'How long to wait for the server\'s first answer (and for DNS): 800ms, 2s, 1.5s...' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -l lifetime -d 'Also measure how long an idle UDP binding lives (up to MAX, default 5m): bindings probed after growing idle times, then bisected. Takes about twice the lifetime found' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -s 4 -l ipv4 -d 'Use IPv4 only'
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -s 6 -l ipv6 -d 'Use IPv6 only'
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -l hairpin -d 'Also test hairpinning: send from a second socket to our own public address'
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -l tcp -d 'Also find the mapping behaviour of TCP: three connections from one local port, to the server\'s primary address, its alternate IP, and its alternate IP and port (TCP has no filtering test: the server would have to connect in)'
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand nat-type" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l stun -d 'A STUN server: stun:HOST[:PORT], stuns:HOST[:PORT] (TLS) or HOST[:PORT] (repeatable); --stun alone is the Trickle ICE page\'s default, stun:stun.l.google.com:19302' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l turn -d 'A TURN server: turn:[USER[:PASS]@]HOST[:PORT][?transport=udp|tcp], or turns:... over TLS (port 5349 by default) (repeatable)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -s u -l username -d 'TURN username (when the URL has none)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l password -d 'TURN password (when the URL has none; RTCTOOL_TURN_PASSWORD keeps it out of the shell history)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l password-file -d 'Read the TURN password from the first line of this file' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l auth-secret -d 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l auth-secret-file -d 'Read the TURN REST secret from the first line of this file' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l auth-ttl -d 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l prometheus -d 'Also write the results as Prometheus metrics (OpenMetrics text, the exporter\'s rtctool_probe_* gauges by target and local address) to FILE, for node_exporter\'s textfile collector; `-` writes them to standard output instead of the report' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -s i -l interface -d 'Only this interface (a name like eth0, or one of its addresses); repeatable. Naming a loopback interface includes its addresses' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l timeout -d 'How long gathering may take at most (DNS, connections and retransmissions included): 800ms, 3s...' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l ca-file -d 'Trust the CA certificates in this PEM file (for turns:/stuns:) instead of the system\'s' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l engine -d 'Who gathers: diag (rtctool\'s own STUN/TURN client, every failure explained) or webrtc (a real WebRTC stack, webrtc-rs: what an application sees, and no more)' -r -f -a "diag\t'The project\'s own STUN/TURN client: every failure explained'
webrtc\t'A real WebRTC stack (webrtc-rs): what an application would see'"
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l relay-only -d 'Relay candidates only (iceTransportPolicy "relay"): no host or srflx, STUN servers unused'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l no-relay-test -d 'Do not test that each allocation relays (by default data goes through it both ways, to and from a UDP socket of ours, for up to 2 s after the allocation)'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -s 4 -l ipv4 -d 'IPv4 only'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -s 6 -l ipv6 -d 'IPv6 only'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l loopback -d 'Include loopback addresses (127.0.0.1, ::1)'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l link-local -d 'Include link-local addresses (169.254.0.0/16, fe80::/10)'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l tcp -d 'Also TCP host candidates (tcptype active, port 9, as browsers advertise them)'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l insecure -d 'Do not check the TLS certificate of turns:/stuns: servers'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand gather" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l duration -d 'How long media and data flow once the call is up (0: stop as soon as it is up)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l media -d 'Which synthetic media each peer sends' -r -f -a "none\t'No media: data channel only'
audio\t'Audio only'
video\t'Video only'
both\t'Audio and video'"
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l media-file -d 'Send this file instead of synthetic frames, in a loop: IVF (VP8, VP9, AV1) for video, Ogg/Opus for audio; each received frame is checked against what was sent. Repeatable (one per kind)' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l bitrate -d 'Video bitrate: bits per second, with k or M (10^3, 10^6) allowed: 500k, 2.5M' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l fps -d 'Video frames per second (1 to 120)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l datachannel -d 'What the data channel does: ping (echoed, verified messages), bulk (send as fast as flow control allows, measure throughput) or none' -r -f -a "ping\t'A message every 50 ms, echoed back: RTT and verification'
bulk\t'As much data as flow control allows: throughput'
none\t'No data channel'"
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l ice-server -d 'A STUN or TURN server: stun:HOST[:PORT] or turn:[USER[:PASS]@]HOST[:PORT] (webrtc-rs relays over UDP only: no turns: or ?transport=tcp). Repeatable' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l username -d 'TURN username when not in the URL (else RTCTOOL_TURN_USERNAME)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l password -d 'TURN password when not in the URL (else RTCTOOL_TURN_PASSWORD). Never printed' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l auth-secret -d 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l auth-secret-file -d 'Read the TURN REST secret from the first line of this file' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l auth-ttl -d 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l loss -d 'Drop this percentage of packets in each direction (0 to 100)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l delay -d 'Delay every packet by this much one way: 40ms, 0.1s (a bare number is milliseconds)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l jitter -d 'Vary each packet\'s delay within +/- this (without reordering): 10ms' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l max-loss -d 'Fail (exit 1) when a stream loses more than this percentage of its frames' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l timeout -d 'How long the call may take to connect (ICE, DTLS, data channel) before giving up' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l throughput -d 'Bulk data-channel transfer for the whole --duration (same as --datachannel bulk)'
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l relay-only -d 'Use relay candidates only: the call goes through the TURN server(s) of --ice-server'
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -s 6 -l ipv6 -d 'Bind the peers to ::1 instead of 127.0.0.1'
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l lossless-setup -d 'With --loss, drop nothing until the call is up (ICE, DTLS and the data channel), so only the media and data phase is lossy; --delay and --jitter apply throughout'
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l stock-timers -d 'Keep webrtc-rs\'s default timers (200 ms ICE checks) and do not wake its driver while connecting: the library\'s out-of-the-box connect time, for comparison'
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand loopback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l signal -d 'The signalling server: http://HOST[:PORT] (port 8888 by default)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l name -d 'The name to sign in with (default: rtctool-PID)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l to -d 'Call this member (its name, or its id)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l ice-server -d 'A STUN or TURN server: stun:HOST[:PORT] or turn:[USER[:PASS]@]HOST[:PORT] (webrtc-rs relays over UDP only: no turns: or ?transport=tcp). Repeatable' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l username -d 'TURN username when not in the URL (else RTCTOOL_TURN_USERNAME)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l password -d 'TURN password when not in the URL (else RTCTOOL_TURN_PASSWORD). Never printed' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l auth-secret -d 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l auth-secret-file -d 'Read the TURN REST secret from the first line of this file' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l auth-ttl -d 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l relay-wait -d 'How long ICE waits for a direct pair to answer before it takes a relay pair, counted from the start of the checks (webrtc-rs does not switch pairs once one is selected, so a relay taken early stays). Default: 60 ms plus 4 round trips to the TURN server, measured with a Binding request while signing in (2 s when it does not answer)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l duration -d 'How long media and data flow once the call is up' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l timeout -d 'How long signing in, finding the peer and connecting may take' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l media -d 'Which media we send' -r -f -a "none\t'No media: data channel only'
audio\t'Audio only'
video\t'Video only'
both\t'Audio and video'"
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l datachannel -d 'What the data channel does (the caller opens it; the callee echoes)' -r -f -a "ping\t'A message every 50 ms, echoed back: RTT and verification'
bulk\t'As much data as flow control allows: throughput'
none\t'No data channel'"
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l media-source -d 'What to send for a kind without a --media-file: the built-in VP8/Opus clips (which browsers decode), or synthetic frames' -r -f -a "clip\t'The built-in VP8 and Opus clips, looped: browsers decode them, an rtctool peer checks every frame against the same clip'
synthetic\t'loopback\'s synthetic frames (sequence number, CRC-32): checked by an rtctool peer, but not decodable by a browser'"
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l media-file -d 'Play this file instead: IVF (VP8, VP9, AV1) or Ogg/Opus (one per kind)' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l bind -d 'The local address to gather host candidates on (default: every interface)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l max-loss -d 'Fail (exit 1) when a verified stream loses more than this percentage of its frames' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l dtls-role -d 'Our DTLS role when we answer: client (a=setup:active, as browsers answer) or server (a=setup:passive). When we call, the answer decides' -r -f -a "client\t'Send the ClientHello (`a=setup:active`), as browsers do when they answer'
server\t'Wait for the ClientHello (`a=setup:passive`)'"
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l wait -d 'Wait for a member\'s offer and answer it'
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l relay-only -d 'Use relay candidates only'
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l nat-check -d 'First run nat-type\'s RFC 5780 tests against the (first) STUN server, swap the result with an rtctool peer, and report the predicted cell of the NAT traversal table (direct path or relay) and whether the call matched it. Our NAT\'s filtering also orders the checks: behind one that filters by address at most, ours to the peer\'s public address go at once; behind one that filters by address and port, they wait 100 ms'
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand call" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and not __fish_seen_subcommand_from serve help" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and not __fish_seen_subcommand_from serve help" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and not __fish_seen_subcommand_from serve help" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and not __fish_seen_subcommand_from serve help" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and not __fish_seen_subcommand_from serve help" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and not __fish_seen_subcommand_from serve help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and not __fish_seen_subcommand_from serve help" -f -a "serve" -d 'Run a signalling server that speaks libwebrtc\'s peerconnection_server protocol'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and not __fish_seen_subcommand_from serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -l listen -d 'Where to listen: ADDR:PORT ([::]:8888 for IPv6)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -l max-peers -d 'Members signed in at once' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -l max-connections -d 'Open connections at once, parked hanging GETs included (the open-file limit is raised to fit when it can be)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -l max-body -d 'Largest message body, in bytes' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -l max-queued -d 'Messages queued for one member that has no hanging GET parked' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -l request-timeout -d 'Time a client has to send its whole request, and to read the answer' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Run a signalling server that speaks libwebrtc\'s peerconnection_server protocol'
complete -c rtctool -n "__fish_rtctool_using_subcommand signal; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand exporter" -l listen -d 'Where to listen: ADDR:PORT' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand exporter" -l config -d 'The configuration file (TOML): modules, background targets, limits' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand exporter" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand exporter" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand exporter" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand exporter" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand exporter" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand exporter" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and not __fish_seen_subcommand_from load help" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and not __fish_seen_subcommand_from load help" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and not __fish_seen_subcommand_from load help" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and not __fish_seen_subcommand_from load help" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and not __fish_seen_subcommand_from load help" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and not __fish_seen_subcommand_from load help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and not __fish_seen_subcommand_from load help" -f -a "load" -d 'Load a TURN server: N allocations relaying paced traffic to each other; delivered, lost, duplicated and reordered packets, one-way delay, jitter, allocation latency'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and not __fish_seen_subcommand_from load help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l server -d 'The TURN server: turn:[USER[:PASS]@]HOST[:PORT][?transport=tcp] (UDP, or TCP), or turns:HOST[:PORT] (TLS over TCP)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -s u -l username -d 'TURN username (when the URL has none)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l password -d 'TURN password (when the URL has none; RTCTOOL_TURN_PASSWORD keeps it out of the shell history)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l password-file -d 'Read the TURN password from the first line of this file' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l auth-secret -d 'TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)), as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l auth-secret-file -d 'Read the TURN REST secret from the first line of this file' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l auth-ttl -d 'How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l clients -d 'Allocations (each on a UDP socket of its own)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l alloc-rate -d 'Allocations started per second (default: as fast as answered, 64 outstanding)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l rate -d 'Packets per second each client sends' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l size -d 'Bytes per packet (TURN payload)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l duration -d 'How long to send (each step, with --ramp), or to hold the allocations' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l ramp-step -d 'Packets per second added per client at each step (default: --rate)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l ramp-until -d 'The ramp ends after a step with more loss than this (percent)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l ramp-steps -d 'Steps of the ramp, at most' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l max-loss -d 'Exit 1 when more than this percentage of packets is lost (the first step\'s, with --ramp)' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l timeout -d 'Bounds each request, and the allocation, binding and release stages' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l bind -d 'The local address to send from' -r
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l ca-file -d 'Trust the CA certificates in this PEM file (for turns:/stuns:) instead of the system\'s' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l alloc-only -d 'Only allocate: hold the allocations for --duration, then release them'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l send-indication -d 'Relay with Send and Data indications instead of channels'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l ramp -d 'Raise the rate step by step until a step loses more than --ramp-until'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l yes -d 'Allow a --duration over 300 s'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l insecure -d 'Do not check the TLS certificate of turns:/stuns: servers'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from load" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from help" -f -a "load" -d 'Load a TURN server: N allocations relaying paced traffic to each other; delivered, lost, duplicated and reordered packets, one-way delay, jitter, allocation latency'
complete -c rtctool -n "__fish_rtctool_using_subcommand turn; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand completions" -s o -l output -d 'Write to this file instead of stdout' -r -F
complete -c rtctool -n "__fish_rtctool_using_subcommand completions" -l color -d 'When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour, even into a pipe'
never\t'Never colour'"
complete -c rtctool -n "__fish_rtctool_using_subcommand completions" -s q -l quiet -d 'Print only results and errors'
complete -c rtctool -n "__fish_rtctool_using_subcommand completions" -s v -l verbose -d 'More detail (repeat for more)'
complete -c rtctool -n "__fish_rtctool_using_subcommand completions" -l json -d 'Print one JSON document on stdout when the command ends'
complete -c rtctool -n "__fish_rtctool_using_subcommand completions" -l ndjson -d 'Stream one JSON object per line on stdout as things happen'
complete -c rtctool -n "__fish_rtctool_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "stun" -d 'Decode and verify STUN/TURN messages'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "pcap" -d 'Dissect STUN/TURN (and the DTLS/RTP/RTCP beside it) in pcap/pcapng captures'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "sdp" -d 'Show, lint, diff and check SDP offers and answers'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "nat-type" -d 'Find out what NAT (if any) is between this host and the Internet (RFC 5780)'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "gather" -d 'Gather ICE candidates like a browser, with a verdict on every STUN/TURN server'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "loopback" -d 'Run a whole WebRTC call between two peers in this process, and measure it'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "call" -d 'Call a peer (or wait for its call) through a peerconnection signalling server, and measure it'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "signal" -d 'Signalling: a server compatible with libwebrtc\'s peerconnection_server'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "exporter" -d 'A Prometheus exporter for STUN and TURN servers (blackbox-exporter style)'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "turn" -d 'TURN: a load generator'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and not __fish_seen_subcommand_from stun pcap sdp nat-type gather loopback call signal exporter turn completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and __fish_seen_subcommand_from stun" -f -a "decode" -d 'Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin)'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and __fish_seen_subcommand_from pcap" -f -a "decode" -d 'One line per STUN/TURN/DTLS/RTP/RTCP message, or full trees (-V), or JSON records'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and __fish_seen_subcommand_from pcap" -f -a "summary" -d 'Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and __fish_seen_subcommand_from sdp" -f -a "show" -d 'Summarise an SDP: per m-section codecs, extensions, streams, candidates, ICE and DTLS'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and __fish_seen_subcommand_from sdp" -f -a "lint" -d 'Find every problem in an SDP, each with rule id, severity, line, mid and explanation'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and __fish_seen_subcommand_from sdp" -f -a "diff" -d 'What changed between two SDPs, semantically (ICE restart, codecs, direction...)'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and __fish_seen_subcommand_from sdp" -f -a "check" -d 'Check an answer against its offer (m-sections, mids, codecs, rtcp-fb, BUNDLE, roles)'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and __fish_seen_subcommand_from signal" -f -a "serve" -d 'Run a signalling server that speaks libwebrtc\'s peerconnection_server protocol'
complete -c rtctool -n "__fish_rtctool_using_subcommand help; and __fish_seen_subcommand_from turn" -f -a "load" -d 'Load a TURN server: N allocations relaying paced traffic to each other; delivered, lost, duplicated and reordered packets, one-way delay, jitter, allocation latency'
