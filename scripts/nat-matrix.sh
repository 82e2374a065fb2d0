#!/usr/bin/env bash
# The NAT traversal matrix: for every pair of NAT variants (tests/lab/nat2lab.sh), a call from
# host B to host A with STUN only, then with STUN and TURN, by rtctool and by two headless
# Chromiums (one in each private network, signalling through rtctool signal serve and its
# page). Prints one markdown row per cell: connected or not, the selected pair's types, and the
# caller's time from the offer to ICE connected (ms), rtctool beside Chromium.
#
#   sudo scripts/nat-matrix.sh                       # every pair of the seven variants
#   sudo VARIANTS="port-restricted symmetric" scripts/nat-matrix.sh
#   RTCTOOL=target/release/rtctool TIMEOUT=8 ...     # the binary, the connect timeout (s)
#   sudo REPEAT=5 VARIANTS="..." scripts/nat-matrix.sh  # each call 5 times: "yes 4/5", the
#                                                    # first success's pair, the median ms
#   sudo NAT_CHECK=1 ...                             # and a column of rtctool STUN calls with
#                                                    # --nat-check (its filtering orders the checks)
#
# Needs root, coturn, nftables, iproute2 and chromium. Nothing leaves the machine.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lab-common.sh
source scripts/lab-common.sh
VARIANTS=${VARIANTS:-"open firewall full-cone restricted-cone port-restricted symmetric blocked"}
TIMEOUT=${TIMEOUT:-8}
REPEAT=${REPEAT:-1}
NAT_CHECK=${NAT_CHECK:-0}
if [[ -z "${RTCTOOL:-}" ]]; then
    cargo build --release -j2 --quiet
    RTCTOOL=$PWD/target/release/rtctool
fi
((EUID == 0)) || { echo "nat-matrix.sh: needs root (network namespaces)" >&2; exit 1; }
command -v chromium >/dev/null || { echo "nat-matrix.sh: needs chromium" >&2; exit 1; }

lab=nm$$
work=$(mktemp -d)
cleanup() {
    pkill -f "user-data-dir=$work" 2>/dev/null || true
    bash tests/lab/nat2lab.sh down $lab >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

url=http://203.0.113.10:8888
stun=stun:203.0.113.10:3478
turn=turn:lab:lab@203.0.113.10:3478

# One rtctool call: A waits, B calls. Prints "connected|types|ms" for the caller.
rt_cell() { # extra args...
    local n=$RANDOM
    ip netns exec $lab-a "$RTCTOOL" -q call --signal $url --wait --name rta$n --duration 0.5s \
        --timeout ${TIMEOUT}s "$@" >/dev/null 2>&1 &
    local callee=$!
    sleep 0.4
    ip netns exec $lab-b "$RTCTOOL" --json call --signal $url --to rta$n --name rtb$n --duration 0.5s \
        --timeout ${TIMEOUT}s "$@" 2>/dev/null | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)
except Exception:
    print("error|-|-"); sys.exit()
p = r.get("selected_pair") or {}
types = p["local"]["type"] + "/" + p["remote"]["type"] if p else "-"
ms = r["timings_ms"].get("ice_connected")
print(("yes" if r["connected"] else "no") + "|" + types + "|" + (str(ms) if ms is not None else "-"))'
    wait $callee 2>/dev/null || true
}

# One Chromium call: page A waits, page B calls and reports to the collector.
chromium_in() { # ns query
    lab_chromium "$1" "$url" "$work/profile-$RANDOM" "$url/?$2"
}
ch_cell() { # ice
    local ice=$1 out=$work/collected
    rm -f "$out"
    ip netns exec $lab-s python3 - "$out" "$((TIMEOUT + 15))" <<'EOF' &
import json, sys, urllib.request
url = "http://203.0.113.10:8888"
with urllib.request.urlopen(f"{url}/sign_in?collector", timeout=10) as r:
    me = int(r.headers["Pragma"])
try:
    while True:
        with urllib.request.urlopen(f"{url}/wait?peer_id={me}", timeout=float(sys.argv[2])) as r:
            if int(r.headers["Pragma"]) == me:
                continue
            body = json.loads(r.read())
            if "rtctool_report" in body:
                o = body["rtctool_report"]
                p = o.get("selected_pair") or {}
                types = f"{p['local']['type']}/{p['remote']['type']}" if p else "-"
                ms = (o.get("timings_ms") or {}).get("ice_connected")
                ms = f"{ms:.1f}" if ms is not None else "-"
                open(sys.argv[1], "w").write(f"{'yes' if o.get('connected') else 'no'}|{types}|{ms}\n")
                break
except Exception:
    pass
EOF
    local collector=$!
    sleep 0.5
    # Fresh names every call: a killed page stays a member for 30 s, and must not be called.
    local pa pb n=$RANDOM
    pa=$(chromium_in $lab-a "name=ca$n&wait=1&ice=$ice")
    sleep 1.5
    pb=$(chromium_in $lab-b "name=cb$n&call=ca$n&duration=1&timeout=$TIMEOUT&report_to=collector&ice=$ice")
    wait $collector 2>/dev/null || true
    kill "$pa" "$pb" 2>/dev/null || true
    wait "$pa" "$pb" 2>/dev/null || true
    if [[ -s $out ]]; then cat "$out"; else echo "error|-|-"; fi
}

# cell FUNCTION ARGS...: the function's "connected|types|ms" REPEAT times, as one table cell:
# "yes host/srflx 57.7" once, "yes 4/5 host/srflx 57.7" (first success's types, median ms).
cell() {
    local results=() i
    for ((i = 0; i < REPEAT; i++)); do results+=("$("$@")"); done
    printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
rows = [l.strip().split("|") for l in sys.stdin if l.strip()]
ok = [r for r in rows if r[0] == "yes"]
n = len(rows)
if not ok:
    print("no - -" if n == 1 else f"no 0/{n} - -")
else:
    ms = [float(r[2]) for r in ok if r[2] not in ("-", "")]
    med = f"{statistics.median(ms):g}" if ms else "-"
    print(f"yes {ok[0][1]} {med}" if n == 1 else f"yes {len(ok)}/{n} {ok[0][1]} {med}")'
}

echo "NAT traversal matrix, $(date -u +%Y-%m-%d), $(nproc) cores; caller B -> callee A; each cell: connected (how often, of $REPEAT), pair types (caller's local/remote), ms from the offer to ICE connected"
echo
if [[ $NAT_CHECK == 1 ]]; then
    echo "| A (callee) | B (caller) | rtctool STUN | rtctool STUN --nat-check | Chromium STUN | rtctool STUN+TURN | Chromium STUN+TURN |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
else
    echo "| A (callee) | B (caller) | rtctool STUN | Chromium STUN | rtctool STUN+TURN | Chromium STUN+TURN |"
    echo "| --- | --- | --- | --- | --- | --- |"
fi
for va in $VARIANTS; do
    for vb in $VARIANTS; do
        bash tests/lab/nat2lab.sh up $lab "$va" "$vb" >/dev/null
        ip netns exec $lab-s "$RTCTOOL" -q signal serve --listen 203.0.113.10:8888 &
        server=$!
        sleep 0.3
        r1=$(cell rt_cell --ice-server $stun)
        n1=
        [[ $NAT_CHECK == 1 ]] && n1=" $(cell rt_cell --ice-server $stun --nat-check) |"
        c1=$(cell ch_cell $stun)
        r2=$(cell rt_cell --ice-server $stun --ice-server $turn)
        c2=$(cell ch_cell $stun,$turn)
        echo "| $va | $vb | $r1 |$n1 $c1 | $r2 | $c2 |"
        kill $server 2>/dev/null || true
        wait $server 2>/dev/null || true
        bash tests/lab/nat2lab.sh down $lab
    done
done
