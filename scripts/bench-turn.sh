#!/usr/bin/env bash
# rtctool turn load beside coturn's own turnutils_uclient, on the same coturn (loopback, started
# here) in one run. Goals: the same delivered count for the same load (within 1%) with at most
# half uclient's CPU per delivered message; a saturation rate at least 1.5x uclient's (the
# generator is not the limit).
#
#   scripts/bench-turn.sh [CLIENTS] [SECONDS]
#
# 1. The same load: uclient -y -m CLIENTS -n (200 x SECONDS) -l 120 -z 5 (CLIENTS sessions relaying
#    to each other, 200 packets/s each), and rtctool turn load --clients CLIENTS --rate 200
#    --size 120 --duration SECONDS. CPU is each process's user + system time (GNU time),
#    start-up and allocation included.
# 2. Saturation: each generator asked for far more than coturn can relay (uclient -z 1 with
#    10x the clients; rtctool 10x the rate): delivered packets per second of sending.
# 3. Allocation rate: rtctool turn load --alloc-only --clients 2000, as fast as answered.
#
# Uses target/release/rtctool (built if missing; RTCTOOL=path for another binary). Needs coturn
# (turnserver, turnutils_uclient) and GNU time (/usr/bin/time, Debian package time).

set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${1:-50}
SECS=${2:-10}
command -v turnserver >/dev/null && command -v turnutils_uclient >/dev/null \
    || { echo "bench-turn: needs coturn (apt-get install -y coturn)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench-turn: needs GNU time (apt-get install -y time)" >&2; exit 2; }
if [[ -z ${RTCTOOL:-} ]]; then
    cargo build --release -j2 --quiet
    RTCTOOL=target/release/rtctool
fi
ulimit -n 65536 2>/dev/null || true

work=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
turnserver -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 --listening-port $PORT \
    --allow-loopback-peers --no-tcp --no-tls --no-dtls --no-cli --no-tcp-relay \
    -a -u bench:bench -r bench.test \
    --simple-log --no-stdout-log --log-file "$work/turnserver.log" --pidfile "$work/pid" >/dev/null 2>&1 &
coturn=$!
trap 'kill $coturn 2>/dev/null; rm -rf "$work"' EXIT
sleep 1

# cpu SECONDS from a GNU time -f '%U %S' file.
cpu() { awk '{print $1 + $2}' "$1"; }

uclient() { # uclient ARGS...: prints "delivered cpu_s wall_s"
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$work/uc.time" turnutils_uclient "$@" -u bench -w bench -p $PORT 127.0.0.1 \
        > "$work/uc.out" 2>&1 || true
    t1=$(date +%s.%N)
    local delivered
    delivered=$(grep -o 'tot_recv_msgs=[0-9]*' "$work/uc.out" | tail -1 | cut -d= -f2)
    echo "${delivered:-0} $(cpu "$work/uc.time") $(python3 -c "print($t1 - $t0)")"
}

rtctool_load() { # rtctool_load ARGS...: prints "delivered cpu_s sending_s delivered_pps"
    /usr/bin/time -f '%U %S' -o "$work/rt.time" "$RTCTOOL" --json turn load \
        --server "turn:bench:bench@127.0.0.1:$PORT" "$@" > "$work/rt.json" 2> "$work/rt.err" || true
    python3 - "$work/rt.json" "$(cpu "$work/rt.time")" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
t = j["traffic"] or {}
print(t.get("delivered", 0), sys.argv[2], t.get("delivered_pps", 0), t.get("loss_pct", 0),
      t.get("delay_ms", {}).get("p99"))
a = j["allocations"]
if a["failed"]:
    print(f"note: {a['failed']} of {a['attempted']} allocations failed {a['errors']}", file=sys.stderr)
PY
}

N=$((200 * SECS))
echo "== the same load: $CLIENTS sessions x 200 packets/s x 120 bytes, $SECS s"
# rtctool first: uclient leaves its allocations behind, and a new socket on a port it used gets
# 437 (Allocation Mismatch) from coturn.
read -r rt_del rt_cpu rt_pps rt_loss rt_p99 < <(rtctool_load --clients "$CLIENTS" --rate 200 --size 120 --duration "${SECS}s")
# uclient as the issue runs it (its sessions also send RTCP-like messages, counted as delivered),
# and with -c (no RTCP): the same messages as rtctool's, so the delivered counts compare.
read -r uc_del uc_cpu uc_wall < <(uclient -y -m "$CLIENTS" -n "$N" -l 120 -z 5)
read -r uc2_del uc2_cpu uc2_wall < <(uclient -y -c -m "$CLIENTS" -n "$N" -l 120 -z 5)
python3 - "$uc_del" "$uc_cpu" "$uc_wall" "$uc2_del" "$uc2_cpu" "$uc2_wall" "$rt_del" "$rt_cpu" "$rt_loss" "$rt_p99" <<'PY'
import sys
a = sys.argv[1:]
rt_del, rt_cpu, rt_loss, rt_p99 = int(a[6]), float(a[7]), a[8], a[9]
rt_per = rt_cpu * 1e6 / max(rt_del, 1)
for label, (d, c, w) in [("uclient", a[0:3]), ("uclient -c", a[3:6])]:
    d, c, w = int(d), float(c), float(w)
    per = c * 1e6 / max(d, 1)
    print(f"{label:>10}: {d} delivered, {c:.2f} s CPU, {per:.2f} us per delivered message ({w:.1f} s wall); "
          f"rtctool / it: {rt_per / per:.2f} (goal <= 0.5), delivered {rt_del / max(d, 1):.3f}")
print(f"{'rtctool':>10}: {rt_del} delivered, {rt_cpu:.2f} s CPU, {rt_per:.2f} us per delivered message ({rt_loss}% lost, p99 one-way {rt_p99} ms)")
PY

echo
echo "== saturation: asked for far more than the relay takes"
read -r rt_del rt_cpu rt_pps rt_loss rt_p99 < <(rtctool_load --clients $((CLIENTS * 2)) --rate 2000 --size 120 --duration "${SECS}s" --max-loss 100)
read -r uc_del uc_cpu uc_wall < <(uclient -y -m $((CLIENTS * 2)) -n $((1000 * SECS)) -l 120 -z 1)
python3 - "$uc_del" "$uc_wall" "$rt_pps" "$rt_loss" <<'PY'
import sys
uc_del, uc_wall, rt_pps, rt_loss = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
uc_pps = uc_del / max(uc_wall, 1e-9)
print(f"uclient: {uc_pps:.0f} delivered/s (over its whole run)")
print(f"rtctool: {rt_pps:.0f} delivered/s while sending ({rt_loss}% lost)")
print(f"rtctool / uclient: {rt_pps / max(uc_pps, 1):.2f} (goal >= 1.5)")
PY

echo
echo "== allocation rate: 2000 allocations as fast as answered"
"$RTCTOOL" --json turn load --server "turn:bench:bench@127.0.0.1:$PORT" --alloc-only --clients 2000 \
    --duration 1s > "$work/alloc.json" 2>/dev/null || true
python3 - "$work/alloc.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["allocations"]
print(f"{a['succeeded']} of {a['attempted']} in {a['duration_s']} s: {a['per_second']} allocations/s; "
      f"latency p50 {a['latency_ms']['p50']} ms, p99 {a['latency_ms']['p99']} ms; errors {a['errors']}")
PY
