#!/usr/bin/env bash
# A two-NAT lab of network namespaces for `rtctool call` between two private networks, each
# behind its own router with its own NAT variant, and a public network with coturn (and the
# signalling server the caller of this script starts there).
#
#   nat2lab.sh up NAME VARIANT_A VARIANT_B    build NAME-a, NAME-ra, NAME-b, NAME-rb, NAME-s
#   nat2lab.sh down NAME                      tear everything down (idempotent), kill coturn
#   nat2lab.sh variants                       list the variants
#
# Topology (documentation ranges only; nothing is routed off the machine):
#
#   A 10.0.1.2 ── i0 ra o0 203.0.113.1 ──┐                      ┌── 203.0.113.2 o0 rb i0 ── 10.0.2.2 B
#   (gw 10.0.1.1)                        └── br0 203.0.113.10 ──┘                       (gw 10.0.2.1)
#                                           203.0.113.11 (server: coturn, signal serve)
#
# In the no-NAT variants (open, firewall) the host sits on a public range routed through its
# router instead: A 198.51.100.2/24 (gw .1), B 192.0.2.2/24 (gw .1). IPv4 only.
#
# Variants, as in natlab.sh (router rules, nftables):
#   open              no NAT, no filter                         -> open internet
#   firewall          no NAT, stateful filter (replies only)    -> symmetric UDP firewall
#   full-cone         snat + static dnat of everything back     -> EIM + EIF
#   restricted-cone   snat + dnat only from addresses the same
#                     internal port has sent to                 -> EIM + ADF
#   port-restricted   plain snat                                -> EIM + APDF
#   symmetric         snat ... random                           -> APDM + APDF
#   blocked           plain snat, all forwarded UDP dropped     -> UDP blocked
#
# coturn listens on 203.0.113.10 and .11, ports 3478 and 3479 (RFC 5780), relays from
# 203.0.113.10, user lab:lab, realm lab.test. Needs root, iproute2, nftables and coturn.

set -euo pipefail

# shellcheck source=tests/lab/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

VARIANTS="open firewall full-cone restricted-cone port-restricted symmetric blocked"

die() { echo "nat2lab: $*" >&2; exit 1; }

down() {
    local name=$1 dir=/tmp/nat2lab-$1
    stop_pidfile "$dir/turnserver.pid"
    for ns in "$name-a" "$name-ra" "$name-b" "$name-rb" "$name-s"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$dir"
}

# rules VARIANT PUBLIC_IP HOST_IP: the router's nftables rules (i0 inside, o0 outside).
rules() {
    local variant=$1 pub=$2 host=$3
    local snat="oifname \"o0\" snat ip to $pub;"
    case $variant in
        open) ;;
        firewall) cat <<EOF
table ip lab {
    chain forward {
        type filter hook forward priority 0; policy drop;
        ct state established,related accept
        iifname "i0" accept
    }
}
EOF
            ;;
        port-restricted) cat <<EOF
table ip lab {
    chain post { type nat hook postrouting priority 100; $snat }
}
EOF
            ;;
        symmetric) cat <<EOF
table ip lab {
    chain post { type nat hook postrouting priority 100; oifname "o0" snat ip to $pub random; }
}
EOF
            ;;
        full-cone) cat <<EOF
table ip lab {
    chain pre { type nat hook prerouting priority -100; iifname "o0" ip daddr $pub dnat ip to $host; }
    chain post { type nat hook postrouting priority 100; $snat }
}
EOF
            ;;
        restricted-cone) cat <<EOF
table ip lab {
    set peers { type ipv4_addr . inet_service; flags dynamic,timeout; timeout 5m; }
    chain forward {
        type filter hook forward priority 0;
        oifname "o0" meta l4proto udp update @peers { ip daddr . udp sport }
    }
    chain pre {
        type nat hook prerouting priority -100;
        iifname "o0" ip daddr $pub meta l4proto udp ip saddr . udp dport @peers dnat ip to $host
    }
    chain post { type nat hook postrouting priority 100; $snat }
}
EOF
            ;;
        blocked) cat <<EOF
table ip lab {
    chain forward { type filter hook forward priority 0; meta l4proto udp drop; }
    chain post { type nat hook postrouting priority 100; $snat }
}
EOF
            ;;
    esac
}

# side NAME LETTER VARIANT PUBLIC_IP NAT_NET PUBLIC_NET
side() {
    local name=$1 x=$2 variant=$3 pub=$4 natnet=$5 pubnet=$6
    local H=$name-$x R=$name-r$x S=$name-s dir=/tmp/nat2lab-$name
    ip netns add "$H"
    ip netns add "$R"
    ip -n "$H" link set lo up
    ip -n "$R" link set lo up
    ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
    ip link add h0 netns "$H" type veth peer name i0 netns "$R"
    ip link add o0 netns "$R" type veth peer name "p$x" netns "$S"
    ip -n "$S" link set "p$x" master br0
    ip -n "$S" link set "p$x" up
    local net=$natnet
    case $variant in open|firewall) net=$pubnet ;; esac
    ip -n "$H" addr add "$net.2/24" dev h0
    ip -n "$R" addr add "$net.1/24" dev i0
    ip -n "$R" addr add "$pub/24" dev o0
    ip -n "$H" link set h0 up
    ip -n "$R" link set i0 up
    ip -n "$R" link set o0 up
    ip -n "$H" route add default via "$net.1"
    local text
    text=$(rules "$variant" "$pub" "$net.2")
    if [[ -n $text ]]; then
        echo "$text" > "$dir/rules-$x.nft"
        ip netns exec "$R" nft -f "$dir/rules-$x.nft"
    fi
    # The public side reaches a no-NAT host's range through its router.
    if [[ $net == "$pubnet" ]]; then
        ip -n "$S" route add "$pubnet.0/24" via "$pub"
    fi
    echo "$net.2" > "$dir/host-$x"
}

up() {
    local name=$1 va=$2 vb=$3
    for v in "$va" "$vb"; do
        [[ " $VARIANTS " == *" $v "* ]] || die "unknown variant '$v' (one of: $VARIANTS)"
    done
    [[ $(id -u) == 0 ]] || die "needs root (network namespaces)"
    command -v turnserver >/dev/null || die "turnserver not found (apt-get install -y coturn)"
    command -v nft >/dev/null || die "nft not found (apt-get install -y nftables)"
    [[ ${#name} -le 10 ]] || die "name '$name' is too long"
    down "$name"
    local dir=/tmp/nat2lab-$name S=$name-s
    mkdir -p "$dir"
    ip netns add "$S"
    ip -n "$S" link set lo up
    ip -n "$S" link add br0 type bridge
    ip -n "$S" addr add 203.0.113.10/24 dev br0
    ip -n "$S" addr add 203.0.113.11/24 dev br0
    ip -n "$S" link set br0 up
    # The public side has a default route, as any server on the Internet does (here via router
    # A, which drops what it cannot route). Without one coturn's relay cannot even send to a
    # peer's private host address (ENETUNREACH); webrtc-rs pairs its relay candidate with the
    # peer's host candidates too, and once it had, coturn 4.6.1 relayed nothing more for that
    # allocation: no relay pair ever worked in the lab.
    ip -n "$S" route add default via 203.0.113.1
    side "$name" a "$va" 203.0.113.1 10.0.1 198.51.100
    side "$name" b "$vb" 203.0.113.2 10.0.2 192.0.2
    # Each router reaches the other side's no-NAT range through the other router.
    [[ $(cat "$dir/host-b") == 192.0.2.2 ]] && ip -n "$name-ra" route add 192.0.2.0/24 via 203.0.113.2
    [[ $(cat "$dir/host-a") == 198.51.100.2 ]] && ip -n "$name-rb" route add 198.51.100.0/24 via 203.0.113.1

    ip netns exec "$S" turnserver -n -L 203.0.113.10 -L 203.0.113.11 --relay-ip 203.0.113.10 \
        --listening-port 3478 --alt-listening-port 3479 \
        --no-tls --no-dtls --no-cli --no-tcp-relay -a -u lab:lab -r lab.test \
        --pidfile "$dir/coturn-own.pid" --log-file "$dir/turnserver.log" --simple-log --no-stdout-log \
        >/dev/null 2>&1 &
    echo $! > "$dir/turnserver.pid"
    local n=0
    for _ in $(seq 200); do
        n=$(ip netns exec "$S" ss -Hlun 2>/dev/null | awk '{print $4}' | sort -u \
            | grep -cE '^203\.0\.113\.1[01]:347[89]$' || true)
        [[ $n -ge 4 ]] && break
        sleep 0.02
    done
    [[ $n -ge 4 ]] || die "coturn did not open its UDP ports (see $dir/turnserver.log)"
}

case ${1:-} in
    up)
        [[ -n ${2:-} && -n ${3:-} && -n ${4:-} ]] || die "usage: nat2lab.sh up NAME VARIANT_A VARIANT_B"
        up "$2" "$3" "$4"
        ;;
    down)
        [[ -n ${2:-} ]] || die "usage: nat2lab.sh down NAME"
        down "$2"
        ;;
    variants) echo "$VARIANTS" ;;
    *) die "usage: nat2lab.sh up NAME VARIANT_A VARIANT_B | down NAME | variants" ;;
esac
