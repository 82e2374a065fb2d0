#!/usr/bin/env bash
# How fast `rtctool gather` gets host + srflx + relay candidates against coturn in the NAT lab
# (tests/lab/natlab.sh, port-restricted NAT, long-term credentials lab:lab). Goal: gathering
# complete in <= 25 ms (Chromium's Trickle ICE page: ~125 ms against coturn).
#
#   sudo scripts/bench-gather.sh [RUNS]     RUNS runs per case (default 20; median and max)
#
# The last case runs the same gathering through webrtc-rs (--engine webrtc) for comparison.
#
# Reported per case: done_ms (rtctool's own clock: start to gathering complete, the
# "Done" time of the Trickle ICE page), relay_ms (arrival of the relay candidate) and the wall
# time of the whole process (start-up, gathering, releasing the allocation with a Refresh of
# lifetime 0, exit).
#
# Uses target/release/rtctool (built if missing; set RTCTOOL=path to use another binary).
# Needs root, iproute2, nftables and coturn (apt-get install -y coturn nftables iproute2).

set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${1:-20}
LAB=tests/lab/natlab.sh
NAME=bg$$
GOAL_MS=25

# shellcheck source=scripts/lab-common.sh
source scripts/lab-common.sh
lab_require bench-gather ip nft turnserver python3
lab_rtctool

trap 'bash $LAB down $NAME' EXIT
bash $LAB up "$NAME" port-restricted

now_ns() { date +%s%N; }

# One case: a label and the gather arguments.
bench() {
    local label=$1
    shift
    local done=() relay=() wall=() counts=""
    for _ in $(seq "$RUNS"); do
        local start end json
        start=$(now_ns)
        json=$(ip netns exec "$NAME-c" "$RTCTOOL" --json gather "$@")
        end=$(now_ns)
        wall+=("$(( (end - start) / 1000 ))")
        read -r d r c < <(python3 -c '
import json, sys
j = json.load(sys.stdin)
assert all(s["ok"] for s in j["servers"]), j["servers"]
relay = [c["elapsed_ms"] for c in j["candidates"] if c["type"] == "relay"]
n = j["counts"]
print(j["done_ms"], max(relay) if relay else "-", "%d/%d/%d" % (n["host"], n["srflx"], n["relay"]))
' <<<"$json")
        done+=("$d") relay+=("$r") counts=$c
    done
    python3 - "$label" "$counts" "$GOAL_MS" "${done[*]}" "${relay[*]}" "${wall[*]}" <<'PY'
import statistics, sys
label, counts, goal = sys.argv[1], sys.argv[2], float(sys.argv[3])
done = [float(x) for x in sys.argv[4].split()]
relay = [float(x) for x in sys.argv[5].split() if x != "-"]
wall = [int(x) / 1000 for x in sys.argv[6].split()]
med = lambda v: statistics.median(v) if v else float("nan")
verdict = "ok" if max(done) <= goal else "OVER GOAL"
print(f"{label:<34} {counts:<9} {med(done):>8.1f} {max(done):>8.1f} {med(relay):>9.1f} {med(wall):>9.1f} {max(wall):>9.1f}  {verdict}")
PY
}

echo "rtctool gather in the NAT lab, $RUNS runs per case (ms; goal: done <= $GOAL_MS ms)"
printf '%-34s %-9s %8s %8s %9s %9s %9s\n' case "h/s/r" "done med" "done max" "relay med" "wall med" "wall max"
bench "stun + turn udp (IPv4)" -4 --stun stun:203.0.113.10 --turn turn:lab:lab@203.0.113.10
bench "turn udp only (srflx from TURN)" -4 --turn turn:lab:lab@203.0.113.10
bench "stun + turn udp + turn tcp (IPv4)" -4 --stun stun:203.0.113.10 --turn turn:lab:lab@203.0.113.10 \
    --turn 'turn:lab:lab@203.0.113.10?transport=tcp'
bench "dual stack: stun + turn, v4 and v6" --stun stun:203.0.113.10 --stun 'stun:[2001:db8:2::10]' \
    --turn turn:lab:lab@203.0.113.10 --turn 'turn:lab:lab@[2001:db8:2::10]'
# The same gathering through webrtc-rs (what an application built on it would wait).
bench "webrtc engine: stun + turn udp" -4 --engine webrtc --stun stun:203.0.113.10 \
    --turn turn:lab:lab@203.0.113.10
