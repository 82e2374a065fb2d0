#!/usr/bin/env bash
# Wall time of `rtctool nat-type` beside coturn's `turnutils_natdiscovery -m -f` on every type
# of the NAT lab (tests/lab/natlab.sh), with both verdicts. Goal: rtctool <= 1 s on every type.
#
#   sudo scripts/bench-nat.sh [RUNS]        RUNS rtctool runs per type (default 5; median and max)
#
# Uses target/release/rtctool (built if missing; set RTCTOOL=path to use another binary).
# Needs root, iproute2, nftables and coturn (apt-get install -y coturn nftables iproute2).

set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${1:-5}
LAB=tests/lab/natlab.sh
NAME=bn$$
SERVER=203.0.113.10

# shellcheck source=scripts/lab-common.sh
source scripts/lab-common.sh
lab_require bench-nat ip nft turnserver turnutils_natdiscovery
lab_rtctool

trap 'bash $LAB down $NAME' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# natdiscovery's verdict in rtctool's words: "mapping / filtering" or "-" when it gave none.
nd_verdict() {
    local text=$1 m=- f=- phrase
    for phrase in "Address and Port Dependent" "Address Dependent" "Endpoint Independent"; do
        local word
        word=$(echo "$phrase" | tr 'A-Z ' 'a-z-')
        if [[ $m == - ]] && grep -q "$phrase Mapping" <<<"$text"; then m=$word; fi
        if [[ $f == - ]] && grep -q "$phrase Filtering" <<<"$text"; then f=$word; fi
    done
    echo "$m / $f"
}

printf '%-16s %-22s %-9s %-9s %-56s %-10s %-56s %s\n' \
    variant "rtctool nat_type" median max "rtctool mapping / filtering" natdiscov. "natdiscovery mapping / filtering" agree
for variant in $(bash $LAB variants); do
    bash $LAB up "$NAME" "$variant"
    times=()
    verdict="" behaviours=""
    for _ in $(seq "$RUNS"); do
        start=$(now_ms)
        json=$(ip netns exec "$NAME-c" "$RTCTOOL" --json nat-type "$SERVER" || true)
        times+=($(( $(now_ms) - start )))
        verdict=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["nat_type"])' <<<"$json")
        behaviours=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print((d["mapping"] or "-") + " / " + (d["filtering"] or "-"))' <<<"$json")
    done
    sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    median=${sorted[$(( ${#sorted[@]} / 2 ))]}
    max=${sorted[-1]}

    start=$(now_ms)
    nd=$(ip netns exec "$NAME-c" turnutils_natdiscovery -m -f "$SERVER" 2>&1 || true)
    nd_ms=$(( $(now_ms) - start ))
    nd_b=$(nd_verdict "$nd")
    agree=no
    [[ $nd_b == "$behaviours" ]] && agree=yes

    printf '%-16s %-22s %-9s %-9s %-56s %-10s %-56s %s\n' "$variant" "$verdict" "${median} ms" "${max} ms" \
        "$behaviours" "${nd_ms} ms" "$nd_b" "$agree"
done
bash $LAB down "$NAME"
