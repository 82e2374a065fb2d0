#!/usr/bin/env bash
# How fast `rtctool exporter` probes coturn in the NAT lab (tests/lab/natlab.sh, variant open: no
# NAT between client and server; coturn with long-term credentials lab:lab), and what it costs
# beside the probe. Goal: a full TURN probe with the relay test in <= 5 ms; the exporter's own
# overhead negligible beside the probe.
#
#   sudo scripts/bench-exporter.sh [RUNS] [SECONDS]
#
# 1. Probe latency, RUNS sequential /probe requests per case (default 50; median, p90, max):
#    STUN Binding, TURN over UDP with the relay test, TURN over TCP with the relay test. Two
#    figures: the probe's own rtctool_probe_duration_seconds, and the wall time of the whole
#    HTTP request as the scraper sees it; their difference is the exporter's overhead.
# 2. Sustained load: 100 concurrent scrapers asking /probe (TURN over UDP, relay test) back to
#    back for SECONDS (default 10); requests per second, answers by status, the latency
#    percentiles, and the exporter's peak RSS (VmHWM).
#
# Uses target/release/rtctool (built if missing; set RTCTOOL=path to use another binary).
# Needs root, iproute2, nftables, coturn and python3.

set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${1:-50}
SECONDS_LOAD=${2:-10}
LAB=tests/lab/natlab.sh
NAME=be$$
GOAL_MS=5

# shellcheck source=scripts/lab-common.sh
source scripts/lab-common.sh
lab_require bench-exporter ip nft turnserver python3
lab_rtctool

work=$(mktemp -d)
cleanup() {
    [[ -n ${exporter_pid:-} ]] && kill "$exporter_pid" 2>/dev/null || true
    bash $LAB down $NAME
    rm -rf "$work"
}
trap cleanup EXIT
bash $LAB up "$NAME" open

echo lab > "$work/lab.pass"
cat > "$work/exporter.toml" <<EOF
[exporter]
max_concurrent_probes = 16

[module.lab]
username = "lab"
password_file = "$work/lab.pass"
timeout = "2s"
EOF

ip netns exec "$NAME-c" "$RTCTOOL" exporter --listen 127.0.0.1:9799 --config "$work/exporter.toml" \
    > "$work/exporter.out" 2> "$work/exporter.err" &
exporter_pid=$!
for _ in $(seq 100); do
    grep -q listening "$work/exporter.out" 2>/dev/null && break
    sleep 0.05
done
# The exporter's pid inside `ip netns exec` is the same process (exec, not fork).

ip netns exec "$NAME-c" python3 - "$RUNS" "$SECONDS_LOAD" "$exporter_pid" "$GOAL_MS" <<'PY'
import http.client, statistics, sys, threading, time, urllib.parse

runs, seconds, pid, goal = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], float(sys.argv[4])

def probe(target, module="lab"):
    q = urllib.parse.urlencode({"target": target, "module": module})
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", 9799, timeout=30)
    c.request("GET", "/probe?" + q)
    r = c.getresponse()
    body = r.read().decode()
    wall = (time.perf_counter() - t0) * 1000
    c.close()
    metrics = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            metrics[name] = float(value)
    return r.status, wall, metrics

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

cases = [
    ("STUN Binding", "stun:203.0.113.10:3478"),
    ("TURN UDP + relay test", "turn:203.0.113.10:3478"),
    ("TURN TCP + relay test", "turn:203.0.113.10:3478?transport=tcp"),
]
print(f"probe latency, {runs} sequential probes per case (ms: median / p90 / max)")
print(f"{'case':24} {'probe':>22} {'HTTP request':>22} {'overhead':>9}  result")
turn_udp_median = None
for label, target in cases:
    probe(target)  # warm-up
    durations, walls, ok = [], [], 0
    for _ in range(runs):
        status, wall, m = probe(target)
        durations.append(m.get("rtctool_probe_duration_seconds", 0) * 1000)
        walls.append(wall)
        ok += status == 200 and m.get("rtctool_probe_success") == 1.0
        if "turn" in target and m.get("rtctool_turn_relay_test_success") != 1.0:
            print("  relay test did not pass:", m)
    d = (statistics.median(durations), pct(durations, 90), max(durations))
    w = (statistics.median(walls), pct(walls, 90), max(walls))
    if label.startswith("TURN UDP"):
        turn_udp_median = d[0]
    print(f"{label:24} {d[0]:6.2f} / {d[1]:5.2f} / {d[2]:6.2f}  {w[0]:6.2f} / {w[1]:5.2f} / {w[2]:6.2f} {w[0]-d[0]:8.2f}  {ok}/{runs} ok")

print(f"\nsustained: 100 concurrent scrapers, TURN UDP + relay test, {seconds:.0f} s")
stop = time.monotonic() + seconds
lock = threading.Lock()
codes, lat = {}, []
def scraper():
    while time.monotonic() < stop:
        try:
            status, wall, m = probe("turn:203.0.113.10:3478")
        except Exception as e:
            status, wall = type(e).__name__, 0
        with lock:
            codes[status] = codes.get(status, 0) + 1
            if status == 200:
                lat.append(wall)
threads = [threading.Thread(target=scraper) for _ in range(100)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - t0
total = sum(codes.values())
hwm = next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM"))
print(f"{total} requests in {elapsed:.1f} s: {total / elapsed:.0f} probes/s; answers {codes}")
if lat:
    print(f"latency ms: median {statistics.median(lat):.1f}, p99 {pct(lat, 99):.1f}, max {max(lat):.1f}")
print(f"exporter peak RSS: {int(hwm) / 1024:.1f} MB")
verdict = "met" if turn_udp_median is not None and turn_udp_median <= goal else "NOT met"
print(f"\ngoal: TURN UDP probe with relay test <= {goal:.0f} ms: {verdict} (median {turn_udp_median:.2f} ms)")
PY
