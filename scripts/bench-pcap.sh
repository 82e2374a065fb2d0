#!/usr/bin/env bash
# Throughput and peak memory of `rtctool pcap decode` beside tshark's, on a ~1M-packet capture
# built from the corpus (turn-eth.pcapng concatenated with itself). Prints the ratio.
#
#   scripts/bench-pcap.sh            # ~1M packets
#   SEED=tests/fixtures/pcap/webrtc-call-via-turn.pcapng scripts/bench-pcap.sh
#                                    # from another capture: here a WebRTC call through TURN
#   PACKETS=200000 scripts/bench-pcap.sh
#   RUNS=21 TSHARK_RUNS=7 scripts/bench-pcap.sh   # runs per tool (default 15 and 5; medians)
#   JSON=1 scripts/bench-pcap.sh     # also --ndjson beside tshark -T json (about 100 s a run)
#   CACHE=written scripts/bench-pcap.sh
#                                    # the capture in the page cache as 4 KiB writes leave it
#
# The page cache matters here. How a file came into it decides how it is held there: a file
# read in from disk is held in large folios (on filesystems that have them, such as ext4 on
# Linux 6.x), a file written in small pieces (as mergecap writes) in 4 KiB pages. Reading
# the second kind costs the kernel three to four times as much (on this project's machine:
# about 33 ms against about 10 ms for the ~200 MB capture, that is a third of rtctool's whole time, and
# nothing beside tshark's). So the state is set before timing, the same for both tools:
#   CACHE=read (default): the capture is dropped from the page cache and read in again, as a
#                         capture that was read from disk is held;
#   CACHE=written:        the capture is written again in 4 KiB writes and kept as written.
#
# Needs tshark and mergecap (Debian: tshark, wireshark-common) and GNU time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=${PACKETS:-1000000}
work=target/bench-pcap
mkdir -p "$work"
seed=${SEED:-tests/fixtures/corpus/pcap/turn-eth.pcapng}
name=$(basename "$seed")
name=${name%.*}
big="$work/big-$target.pcapng"
[ "$name" = turn-eth ] || big="$work/big-$name-$target.pcapng"

if [ ! -f "$big" ]; then
    cp "$seed" "$work/round.pcapng"
    count=$(capinfos -c -M "$work/round.pcapng" | awk '/Number of packets/ {print $NF}')
    while [ "$count" -lt "$target" ]; do
        mergecap -a -w "$work/next.pcapng" "$work/round.pcapng" "$work/round.pcapng"
        mv "$work/next.pcapng" "$work/round.pcapng"
        count=$((count * 2))
    done
    mv "$work/round.pcapng" "$big"
fi
cache=${CACHE:-read}
case "$cache" in
read)
    dd if="$big" iflag=nocache count=0 status=none # drops the file's cached pages
    cat "$big" >/dev/null
    cache_state="read in from disk"
    ;;
written)
    dd if="$big" of="$big.tmp" bs=4k status=none
    mv "$big.tmp" "$big"
    cache_state="as written in 4 KiB writes"
    ;;
*)
    echo "CACHE must be read or written" >&2
    exit 2
    ;;
esac
packets=$(capinfos -c -M "$big" | awk '/Number of packets/ {print $NF}')
size=$(du -h "$big" | cut -f1)

cargo build --release -j2 --quiet

# run LABEL CMD...: one run, stdout discarded; appends "microseconds peak_kib" to
# $work/LABEL.runs. The shell reads the clock itself (EPOCHREALTIME, in microseconds), so that
# nothing but the tool runs in the timed span: timing `date` and GNU time around it would add
# about 3 ms of their own starting to every run, 3% of rtctool's time. Peak RSS comes from GNU
# time, on a run of its own (the first of each LABEL).
run() {
    local label=$1
    shift
    local t0 t1 kib
    if [ ! -f "$work/$label.kib" ]; then
        /usr/bin/time -f "%M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt"
        tail -1 "$work/time.txt" >"$work/$label.kib"
    fi
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>"$work/stderr.txt"
    t1=$EPOCHREALTIME
    kib=$(cat "$work/$label.kib")
    echo "$((${t1//[!0-9]/} - ${t0//[!0-9]/})) $kib" >>"$work/$label.runs"
}

# median LABEL: prints "seconds peak_kib": the median wall time and the largest peak RSS.
median() {
    local us kib
    us=$(cut -d' ' -f1 "$work/$1.runs" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    kib=$(cut -d' ' -f2 "$work/$1.runs" | sort -n | tail -1)
    awk -v us="$us" -v kib="$kib" 'BEGIN {printf "%.3f %d\n", us / 1e6, kib}'
}

# Machines here are noisy, and their speed drifts over minutes: the tools' runs are
# interleaved (each tshark run between runs of rtctool) so that a drift weighs on both.
runs=${RUNS:-15}
tshark_runs=${TSHARK_RUNS:-5}
echo "capture: $big ($packets packets, $size; page cache: $cache_state)"
echo "medians of $runs runs (tshark: $tshark_runs), interleaved"
rm -f "$work"/*.runs "$work"/*.kib
per_round=$(((runs + tshark_runs - 1) / tshark_runs))
for _ in $(seq "$tshark_runs"); do
    for _ in $(seq "$per_round"); do
        run decode target/release/rtctool pcap decode "$big"
        run summary target/release/rtctool pcap summary "$big"
    done
    run tshark tshark -n -r "$big"
done
read -r ours_s ours_kib < <(median decode)
read -r ours_sum_s ours_sum_kib < <(median summary)
read -r ts_s ts_kib < <(median tshark)

awk -v p="$packets" -v os="$ours_s" -v ok="$ours_kib" -v ss="$ours_sum_s" -v sk="$ours_sum_kib" \
    -v ts="$ts_s" -v tk="$ts_kib" 'BEGIN {
    printf "%-28s %9s %14s %12s\n", "", "seconds", "packets/s", "peak RSS"
    printf "%-28s %9.3f %14.0f %9.1f MB\n", "rtctool pcap decode", os, p / os, ok / 1024
    printf "%-28s %9.3f %14.0f %9.1f MB\n", "rtctool pcap summary", ss, p / ss, sk / 1024
    printf "%-28s %9.3f %14.0f %9.1f MB\n", "tshark -n -r (default)", ts, p / ts, tk / 1024
    printf "throughput ratio rtctool/tshark: %.1fx (goal >= 50x); memory ratio tshark/rtctool: %.1fx (goal: rtctool <= 32 MB)\n", ts / os, tk / ok
}'

if [ -n "${JSON:-}" ]; then
    for _ in $(seq "$runs"); do
        run ndjson target/release/rtctool --ndjson pcap decode "$big"
        run json target/release/rtctool --json pcap decode "$big"
    done
    run tshark-json tshark -n -r "$big" -T json
    read -r nd_s nd_kib < <(median ndjson)
    read -r js_s js_kib < <(median json)
    read -r tj_s tj_kib < <(median tshark-json)
    awk -v p="$packets" -v ns="$nd_s" -v nk="$nd_kib" -v js="$js_s" -v jk="$js_kib" \
        -v ts="$tj_s" -v tk="$tj_kib" 'BEGIN {
        printf "%-28s %9.3f %14.0f %9.1f MB\n", "rtctool --ndjson pcap decode", ns, p / ns, nk / 1024
        printf "%-28s %9.3f %14.0f %9.1f MB\n", "rtctool --json pcap decode", js, p / js, jk / 1024
        printf "%-28s %9.3f %14.0f %9.1f MB\n", "tshark -n -r -T json (1 run)", ts, p / ts, tk / 1024
        printf "JSON throughput ratio rtctool --json/tshark -T json: %.1fx\n", ts / js
    }'
fi
