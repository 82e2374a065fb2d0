#!/usr/bin/env bash
# How `pcap decode` and `pcap summary` grow with the number of distinct flows: captures of
# 100,000 and 1,000,000 flows (one answered Binding each, examples/pcap_flows.rs), the median
# of RUNS runs of each command on each, and the ratio of the times (10 when the cost is linear
# in the capture) and the peak RSS of each run (flat: the tables are bounded).
#
#   scripts/bench-pcap-growth.sh
#   RUNS=7 scripts/bench-pcap-growth.sh     # default 5
#
# Needs GNU time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${RUNS:-5}
work=target/bench-pcap-growth
mkdir -p "$work"
cargo build -q --release --bin rtctool --example pcap_flows
bin=target/release/rtctool
for n in 100000 1000000; do
    [ -f "$work/flows-$n.pcap" ] || target/release/examples/pcap_flows "$n" "$work/flows-$n.pcap"
done

# median_run CMD...: the median wall time (s) and the largest peak RSS (KB) of $runs runs.
median_run() {
    local times=() peak=0 t m
    for _ in $(seq "$runs"); do
        read -r t m < <({ /usr/bin/time -f "%e %M" "$@" > /dev/null; } 2>&1 | tail -1)
        times+=("$t")
        ((m > peak)) && peak=$m
    done
    printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")" "$peak"
}

printf '%-24s %12s %12s %8s %14s %14s\n' command "100k flows" "1M flows" ratio "RSS 100k" "RSS 1M"
for mode in "pcap decode" "--ndjson pcap decode" "pcap summary" "--json pcap summary"; do
    read -r t1 m1 < <(median_run $bin $mode "$work/flows-100000.pcap")
    read -r t2 m2 < <(median_run $bin $mode "$work/flows-1000000.pcap")
    ratio=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", (a > 0 ? b / a : 0) }')
    printf '%-24s %10ss %10ss %7s× %11s KB %11s KB\n' "$mode" "$t1" "$t2" "$ratio" "$m1" "$m2"
done
