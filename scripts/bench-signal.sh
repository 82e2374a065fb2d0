#!/usr/bin/env bash
# `rtctool signal serve` under load on 127.0.0.1: PEERS members signed in with their hanging
# GETs parked (re-issued after every answer, as native clients do), then PAIRS pairs posting
# messages back to back for SECONDS; prints the load tool's figures and the server's peak RSS
# (goal: 10,000 members in at most 64 MB).
#
#   scripts/bench-signal.sh [PEERS] [PAIRS] [SECONDS] [SETTLE]   # defaults 10000 100 10 30
#
# n sign-ins make n(n-1)/2 announcements with this protocol (every member is told of every
# later one, one hanging-GET answer each), so 10,000 members take 50 million answers, an hour
# here: the load tool waits SETTLE s for them, measures messages only once they are all
# delivered (messages queue behind unread announcements), and the server meanwhile holds
# every member with its hanging GET parked or on its way back. Run it twice: 10000 members
# for the memory, 1000 (half a million announcements) for messages per second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PEERS=${1:-10000} PAIRS=${2:-100} SECONDS_=${3:-10} SETTLE=${4:-30}
cargo build --release -j2 --quiet --bin rtctool --example signal_load
ulimit -n "$(ulimit -Hn)"
port=$((20000 + RANDOM % 20000))
target/release/rtctool -q signal serve --listen 127.0.0.1:$port --max-peers $((PEERS + 10)) \
    --max-connections $((PEERS * 2 + 1000)) &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
sleep 0.5
target/release/examples/signal_load 127.0.0.1:$port "$PEERS" "$PAIRS" "$SECONDS_" "$SETTLE"
echo "server: peak RSS $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status), now $(awk '/VmRSS/ {print $2, $3}' /proc/$server/status), threads $(awk '/Threads/ {print $2}' /proc/$server/status)"
