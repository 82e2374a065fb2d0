#!/usr/bin/env bash
# Run every fuzz target for a while from its corpus in the repository (fuzz/corpus/TARGET, kept
# minimised), and fail on the first crash, leak or timeout. CI runs it for 30 s a target; a
# deeper run is the same with a larger FUZZ_SECONDS (fuzz/README.md has the counts so far).
#
#   scripts/fuzz.sh                      # every target, 30 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh stun_decode
#
# New inputs are written to a scratch copy of the corpus (target/fuzz-corpus), not to the
# repository: to keep what a long run found, minimise it into fuzz/corpus (fuzz/README.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${FUZZ_SECONDS:-30}
targets=("$@")
((${#targets[@]})) || targets=(stun_decode sdp_parse pcap_decode ice_parse signal_channel)

if ! command -v cargo-fuzz > /dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install --locked cargo-fuzz
fi
# cargo-fuzz needs nightly flags; on a stable toolchain RUSTC_BOOTSTRAP=1 allows them.
export RUSTC_BOOTSTRAP=1 CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
(cd fuzz && cargo fuzz build -O)

bin=fuzz/target/x86_64-unknown-linux-gnu/release
for t in "${targets[@]}"; do
    scratch=target/fuzz-corpus/$t
    rm -rf "$scratch"
    mkdir -p "$scratch" target/fuzz-artifacts
    cp fuzz/corpus/"$t"/* "$scratch"/
    echo "==> fuzz $t for ${seconds}s from $(ls "$scratch" | wc -l) inputs"
    status=0
    "$bin/$t" "$scratch" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix=target/fuzz-artifacts/"$t"- -print_final_stats=1 > target/fuzz-"$t".log 2>&1 ||
        status=$?
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|SUMMARY|Done)' target/fuzz-"$t".log || true
    if [ "$status" -ne 0 ]; then
        tail -40 target/fuzz-"$t".log >&2
        echo "fuzz.sh: $t failed (exit $status); the input is in target/fuzz-artifacts/" >&2
        exit 1
    fi
done
