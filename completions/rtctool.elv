
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
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'rtctool;help;stun'= {
            cand decode 'Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin)'
        }
        &'rtctool;help;stun;decode'= {
        }
        &'rtctool;help;completions'= {
        }
        &'rtctool;help;help'= {
        }
    ]
    $completions[$command]
}
