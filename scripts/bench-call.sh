#!/usr/bin/env bash
# Connect times of a call between two machines, rtctool <-> rtctool against Chromium <->
# Chromium, side by side in one run, through the same `rtctool signal serve` on the same lab.
#
#   sudo scripts/bench-call.sh            # ROUNDS=7 by default; RTCTOOL=path to use a given build
#
# The lab: three network namespaces on one bridge (documentation addresses, nothing leaves the
# machine): the hub (192.0.2.1: the signalling server), host A (192.0.2.2) and host B
# (192.0.2.3). Each round, A waits and B calls; the caller's times from its offer to ICE
# connected, the connection (DTLS) connected and the data channel open are collected: from
# rtctool's JSON report, and from the caller page's outcome (its getStats and event times),
# which the page sends to a collector member (?report_to=). Rounds alternate between the two
# pairs. Prints the medians and rtctool's share of Chromium's time (goal: at most half).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lab-common.sh
source scripts/lab-common.sh
ROUNDS=${ROUNDS:-7}
if [[ -z "${RTCTOOL:-}" ]]; then
    cargo build --release -j2 --quiet
    RTCTOOL=$PWD/target/release/rtctool
fi
((EUID == 0)) || { echo "bench-call.sh: needs root (network namespaces)" >&2; exit 1; }
command -v chromium >/dev/null || { echo "bench-call.sh: needs chromium (apt-get install chromium)" >&2; exit 1; }

tag=bc$$
hub=${tag}h a=${tag}a b=${tag}b
work=$(mktemp -d)
cleanup() {
    pkill -f "user-data-dir=$work" 2>/dev/null || true
    for ns in $hub $a $b; do ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
    sleep 0.2
    for ns in $hub $a $b; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add $hub; ip netns add $a; ip netns add $b
ip -n $hub link add br0 type bridge
ip -n $hub addr add 192.0.2.1/24 dev br0
ip -n $hub link set br0 up; ip -n $hub link set lo up
n=2
for ns in $a $b; do
    ip link add ${ns}v type veth peer name ${ns}p
    ip link set ${ns}v netns $ns; ip link set ${ns}p netns $hub
    ip -n $hub link set ${ns}p master br0; ip -n $hub link set ${ns}p up
    ip -n $ns addr add 192.0.2.$n/24 dev ${ns}v; ip -n $ns link set ${ns}v up; ip -n $ns link set lo up
    ip -n $ns route add default via 192.0.2.1
    n=$((n + 1))
done

ip netns exec $hub "$RTCTOOL" -q signal serve --listen 192.0.2.1:8888 &
sleep 0.5
url=http://192.0.2.1:8888

chromium_in() { # ns query
    lab_chromium "$1" "$url" "$work/profile-$RANDOM" "$url/?$2"
}

# The collector: signs in as "collector" and prints each report it is sent, one JSON per line.
collect() { # count
    ip netns exec $hub python3 - "$1" <<'EOF'
import json, sys, urllib.request
url = "http://192.0.2.1:8888"
with urllib.request.urlopen(f"{url}/sign_in?collector", timeout=10) as r:
    me = int(r.headers["Pragma"])
want, got = int(sys.argv[1]), 0
while got < want:
    with urllib.request.urlopen(f"{url}/wait?peer_id={me}", timeout=60) as r:
        if int(r.headers["Pragma"]) == me:
            continue
        body = json.loads(r.read())
        if "rtctool_report" in body:
            print(json.dumps(body["rtctool_report"]["timings_ms"]), flush=True)
            got += 1
urllib.request.urlopen(f"{url}/sign_out?peer_id={me}", timeout=10).read()
EOF
}

rt_out=$work/rtctool.ndjson
chr_out=$work/chromium.ndjson
collect "$ROUNDS" > "$chr_out" &
collector=$!
sleep 0.5
for i in $(seq 1 "$ROUNDS"); do
    # rtctool <-> rtctool
    ip netns exec $a "$RTCTOOL" -q call --signal $url --wait --name rta$i --bind 192.0.2.2 \
        --duration 1s --timeout 20s >/dev/null 2>&1 &
    callee=$!
    sleep 0.3
    ip netns exec $b "$RTCTOOL" --json call --signal $url --to rta$i --name rtb$i --bind 192.0.2.3 \
        --duration 1s --timeout 20s | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["timings_ms"]))' >> "$rt_out"
    wait $callee || true
    # Chromium <-> Chromium
    pa=$(chromium_in $a "name=ca$i&wait=1")
    sleep 1.5
    pb=$(chromium_in $b "name=cb$i&call=ca$i&duration=1&report_to=collector")
    for _ in $(seq 1 200); do
        [[ $(wc -l < "$chr_out") -ge $i ]] && break
        sleep 0.1
    done
    kill "$pa" "$pb" 2>/dev/null || true
    wait "$pa" "$pb" 2>/dev/null || true
done
wait $collector || true

python3 - "$rt_out" "$chr_out" <<'EOF'
import json, statistics, sys
rt = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ch = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
def med(rows, key):
    v = [r[key] for r in rows if r.get(key) is not None]
    return (statistics.median(v), len(v)) if v else (None, 0)
print(f"{len(rt)} rtctool rounds, {len(ch)} Chromium rounds; ms from the caller's offer, medians")
print(f"{'milestone':<20} {'rtctool':>10} {'Chromium':>10} {'ratio':>7}")
for label, rk, ck in [("ICE connected", "ice_connected", "ice_connected"),
                      ("DTLS connected", "dtls_connected", "connected"),
                      ("data channel open", "data_channel_open", "data_channel_open")]:
    (r, nr), (c, nc) = med(rt, rk), med(ch, ck)
    ratio = f"{r / c:.2f}" if r is not None and c else "-"
    fr = f"{r:.1f}" if r is not None else "-"
    fc = f"{c:.1f}" if c is not None else "-"
    print(f"{label:<20} {fr:>10} {fc:>10} {ratio:>7}")
EOF
