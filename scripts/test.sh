#!/usr/bin/env bash
# The whole test suite, on a fresh machine: install the system packages the tests need when they
# are missing, then run every test target and the doc tests. Exits non-zero on any failure.
#
#   scripts/test.sh
#
# Integration tests that need root (network namespaces, nftables) skip with a printed reason on a
# developer's laptop and must not skip in CI (CI=true).
set -euo pipefail

# System packages the tests need, as "COMMAND:PACKAGE" pairs: PACKAGE is installed when COMMAND
# is not on the PATH. tshark is the reference decoder of the pcap tests, chromium the browser peer of
# tests/browser_call.rs, prometheus the scraper of tests/exporter.rs; later issues add e.g.
#   turnserver:coturn tshark:tshark nft:nftables ip:iproute2
REQUIRED_PACKAGES=(tshark:tshark turnserver:coturn nft:nftables ip:iproute2 openssl:openssl chromium:chromium prometheus:prometheus)

cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing_packages=()

# need_pkg CMD PKG: remember PKG for installation when CMD is not found.
need_pkg() {
    local cmd=$1 pkg=$2
    if ! command -v "$cmd" >/dev/null 2>&1; then
        missing_packages+=("$pkg")
    fi
}

install_missing_packages() {
    if ((${#missing_packages[@]} == 0)); then
        return 0
    fi
    if ((EUID != 0)); then
        echo "test.sh: the tests need these packages: ${missing_packages[*]}" >&2
        echo "test.sh: install them with: sudo apt-get install -y --no-install-recommends ${missing_packages[*]}" >&2
        echo "test.sh: (or run this script as root to have them installed)" >&2
        exit 1
    fi
    echo "test.sh: installing ${missing_packages[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing_packages[@]}"
}

for pair in ${REQUIRED_PACKAGES[@]+"${REQUIRED_PACKAGES[@]}"}; do
    need_pkg "${pair%%:*}" "${pair#*:}"
done
install_missing_packages

# --all-targets builds the criterion benches in test mode, which runs each benchmark once,
# quickly: it checks that they work without timing anything.
cargo test -j2 --all-targets
cargo test -j2 --doc
