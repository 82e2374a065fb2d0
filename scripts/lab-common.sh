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
