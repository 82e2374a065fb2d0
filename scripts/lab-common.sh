# Shared by the NAT-lab benchmarks (bench-gather.sh, bench-nat.sh); sourced, not run.

# lab_require NAME TOOL...: exit 2, saying why, unless running as root with every TOOL.
lab_require() {
    local name=$1
    shift
    [[ $(id -u) == 0 ]] || { echo "$name: needs root (network namespaces)" >&2; exit 2; }
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null \
            || { echo "$name: $tool missing (apt-get install -y coturn nftables iproute2 python3)" >&2; exit 2; }
    done
}

# lab_rtctool: RTCTOOL as an absolute path; target/release/rtctool (built) unless it is set.
lab_rtctool() {
    if [[ -z ${RTCTOOL:-} ]]; then
        cargo build --release -j2 --quiet
        RTCTOOL=target/release/rtctool
    fi
    RTCTOOL=$(realpath "$RTCTOOL")
}

# lab_chromium NS ORIGIN PROFILE URL: headless Chromium in namespace NS, in the background, with
# fake camera and microphone granted (ORIGIN is treated as secure, so getUserMedia works and
# host addresses are not hidden behind mDNS), a fresh PROFILE dir; prints its pid.
lab_chromium() {
    local ns=$1 origin=$2 profile=$3 url=$4
    ip netns exec "$ns" chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --use-fake-ui-for-media-stream --use-fake-device-for-media-stream \
        --autoplay-policy=no-user-gesture-required \
        --unsafely-treat-insecure-origin-as-secure="$origin" --user-data-dir="$profile" \
        "$url" >/dev/null 2>&1 &
    echo $!
}
