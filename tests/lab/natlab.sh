#!/usr/bin/env bash
# A NAT lab of network namespaces for `rtctool nat-type` tests and benchmarks.
#
#   natlab.sh up NAME VARIANT [--no-rfc5780]   build NAME-c (client), NAME-r (router), NAME-s (server)
#   natlab.sh down NAME                        tear everything down (idempotent), kill coturn
#   natlab.sh variants                         list the variants
#
# Topology (documentation ranges only; nothing is routed off the machine):
#
#   client  c0 ──veth── r0  router  r1 ──veth── s0  server
#   10.0.0.2/24     10.0.0.1/24     203.0.113.1/25   203.0.113.10/25 + 203.0.113.11/25 (coturn)
#
#   2001:db8:1::2/64 2001:db8:1::1/64 2001:db8:2::1/64 2001:db8:2::10/64 + 2001:db8:2::11/64
#
# In the no-NAT variants (open, firewall) the client sits on the outside range instead:
# c0 203.0.113.130/25 and 2001:db8:3::2/64, r0 203.0.113.129/25 and 2001:db8:3::1/64, plain
# routing. IPv6 gets the same treatment as IPv4 in every variant (NAT66 where there is NAT).
#
# Variants (router rules, nftables):
#   open              no NAT, no filter                         -> open internet
#   firewall          no NAT, stateful filter (replies only)    -> symmetric UDP firewall
#   full-cone         snat + static dnat of everything back     -> EIM + EIF
#   restricted-cone   snat + dnat only from addresses the same
#                     internal port has sent to                 -> EIM + ADF
#   port-restricted   plain snat                                -> EIM + APDF
#   symmetric         snat ... random                           -> APDM + APDF
#   blocked           plain snat, all forwarded UDP dropped     -> UDP blocked
#
# coturn runs in the server namespace on all four addresses, ports 3478 (primary) and 3479
# (alternate), with RFC 5780 behaviour discovery. Its pid is in /tmp/natlab-NAME/turnserver.pid.
#
# Needs root, iproute2, nftables and coturn (turnserver). The Rust lab tests call this script;
# scripts/bench-nat.sh too.

set -euo pipefail

# shellcheck source=tests/lab/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

VARIANTS="open firewall full-cone restricted-cone port-restricted symmetric blocked"

die() { echo "natlab: $*" >&2; exit 1; }

cmd=${1:-}
name=${2:-}

down() {
    local name=$1 dir=/tmp/natlab-$1
    stop_pidfile "$dir/turnserver.pid"
    for ns in "$name-c" "$name-r" "$name-s"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$dir"
}

up() {
    local name=$1 variant=$2 rfc5780=${3:-yes}
    [[ " $VARIANTS " == *" $variant "* ]] || die "unknown variant '$variant' (one of: $VARIANTS)"
    [[ $(id -u) == 0 ]] || die "needs root (network namespaces)"
    command -v turnserver >/dev/null || die "turnserver not found (apt-get install -y coturn)"
    command -v nft >/dev/null || die "nft not found (apt-get install -y nftables)"
    [[ ${#name} -le 20 ]] || die "name '$name' is too long"

    down "$name"
    local dir=/tmp/natlab-$name C=$name-c R=$name-r S=$name-s
    mkdir -p "$dir"
    ip netns add "$C"
    ip netns add "$R"
    ip netns add "$S"
    for ns in "$C" "$R" "$S"; do
        ip -n "$ns" link set lo up
        # No duplicate address detection: IPv6 would be unusable for its first second or two.
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    done
    # Forwarding on before the links exist: switched on later, IPv6 stalls for a second.
    ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
        net.ipv6.conf.default.forwarding=1
    ip link add c0 netns "$C" type veth peer name r0 netns "$R"
    ip link add r1 netns "$R" type veth peer name s0 netns "$S"

    local nat=yes
    case $variant in open|firewall) nat=no ;; esac
    if [[ $nat == yes ]]; then
        ip -n "$C" addr add 10.0.0.2/24 dev c0
        ip -n "$R" addr add 10.0.0.1/24 dev r0
        ip -n "$C" addr add 2001:db8:1::2/64 dev c0 nodad
        ip -n "$R" addr add 2001:db8:1::1/64 dev r0 nodad
        ip -n "$C" link set c0 up
        ip -n "$C" route add default via 10.0.0.1
        ip -n "$C" -6 route add default via 2001:db8:1::1
    else
        ip -n "$C" addr add 203.0.113.130/25 dev c0
        ip -n "$R" addr add 203.0.113.129/25 dev r0
        ip -n "$C" addr add 2001:db8:3::2/64 dev c0 nodad
        ip -n "$R" addr add 2001:db8:3::1/64 dev r0 nodad
        ip -n "$C" link set c0 up
        ip -n "$C" route add default via 203.0.113.129
        ip -n "$C" -6 route add default via 2001:db8:3::1
    fi
    ip -n "$R" addr add 203.0.113.1/25 dev r1
    ip -n "$R" addr add 2001:db8:2::1/64 dev r1 nodad
    ip -n "$S" addr add 203.0.113.10/25 dev s0
    ip -n "$S" addr add 203.0.113.11/25 dev s0
    ip -n "$S" addr add 2001:db8:2::10/64 dev s0 nodad
    ip -n "$S" addr add 2001:db8:2::11/64 dev s0 nodad
    ip -n "$R" link set r0 up
    ip -n "$R" link set r1 up
    ip -n "$S" link set s0 up
    ip -n "$S" route add default via 203.0.113.1
    ip -n "$S" -6 route add default via 2001:db8:2::1

    # Static neighbour entries: the first packets of a timed run must not wait for ARP or, worse,
    # for IPv6 neighbour discovery (whose first solicitation on a fresh link is often lost,
    # which costs a one-second retransmission).
    local mac_c0 mac_r0 mac_r1 mac_s0
    mac_c0=$(ip netns exec "$C" cat /sys/class/net/c0/address)
    mac_r0=$(ip netns exec "$R" cat /sys/class/net/r0/address)
    mac_r1=$(ip netns exec "$R" cat /sys/class/net/r1/address)
    mac_s0=$(ip netns exec "$S" cat /sys/class/net/s0/address)
    local c4 r04 c6 r06
    if [[ $nat == yes ]]; then
        c4=10.0.0.2 r04=10.0.0.1 c6=2001:db8:1::2 r06=2001:db8:1::1
    else
        c4=203.0.113.130 r04=203.0.113.129 c6=2001:db8:3::2 r06=2001:db8:3::1
    fi
    ip -n "$C" neigh replace "$r04" lladdr "$mac_r0" dev c0 nud permanent
    ip -n "$C" neigh replace "$r06" lladdr "$mac_r0" dev c0 nud permanent
    ip -n "$R" neigh replace "$c4" lladdr "$mac_c0" dev r0 nud permanent
    ip -n "$R" neigh replace "$c6" lladdr "$mac_c0" dev r0 nud permanent
    for a in 203.0.113.10 203.0.113.11 2001:db8:2::10 2001:db8:2::11; do
        ip -n "$R" neigh replace "$a" lladdr "$mac_s0" dev r1 nud permanent
    done
    ip -n "$S" neigh replace 203.0.113.1 lladdr "$mac_r1" dev s0 nud permanent
    ip -n "$S" neigh replace 2001:db8:2::1 lladdr "$mac_r1" dev s0 nud permanent

    # IPv4 and IPv6 get the same treatment (NAT66 for the NAT variants).
    local snat='oifname "r1" snat ip to 203.0.113.1; oifname "r1" snat ip6 to 2001:db8:2::1;'
    local rules
    case $variant in
        open) rules="" ;;
        firewall) rules='
table inet lab {
    chain forward {
        type filter hook forward priority 0; policy drop;
        ct state established,related accept
        iifname "r0" accept
    }
}' ;;
        port-restricted) rules="
table inet lab {
    chain post { type nat hook postrouting priority 100; $snat }
}" ;;
        symmetric) rules='
table inet lab {
    chain post {
        type nat hook postrouting priority 100;
        oifname "r1" snat ip to 203.0.113.1 random
        oifname "r1" snat ip6 to 2001:db8:2::1 random
    }
}' ;;
        full-cone)
            # Everything arriving at the public address goes to the client (endpoint-independent
            # filtering), also from the inside (hairpinning, with the source made public).
            rules="
table inet lab {
    chain pre {
        type nat hook prerouting priority -100;
        ip daddr 203.0.113.1 dnat ip to 10.0.0.2
        ip6 daddr 2001:db8:2::1 dnat ip6 to 2001:db8:1::2
    }
    chain post {
        type nat hook postrouting priority 100;
        $snat
        oifname \"r0\" ip saddr 10.0.0.0/24 ip daddr 10.0.0.2 snat ip to 203.0.113.1
        oifname \"r0\" ip6 saddr 2001:db8:1::/64 ip6 daddr 2001:db8:1::2 snat ip6 to 2001:db8:2::1
    }
}" ;;
        restricted-cone)
            # Let in what comes from an IP the same inside port has sent to (per mapping).
            rules="
table inet lab {
    set peers4 { type ipv4_addr . inet_service; flags dynamic,timeout; timeout 5m; }
    set peers6 { type ipv6_addr . inet_service; flags dynamic,timeout; timeout 5m; }
    chain forward {
        type filter hook forward priority 0;
        oifname \"r1\" meta nfproto ipv4 meta l4proto udp update @peers4 { ip daddr . udp sport }
        oifname \"r1\" meta nfproto ipv6 meta l4proto udp update @peers6 { ip6 daddr . udp sport }
    }
    chain pre {
        type nat hook prerouting priority -100;
        iifname \"r1\" ip daddr 203.0.113.1 meta l4proto udp ip saddr . udp dport @peers4 dnat ip to 10.0.0.2
        iifname \"r1\" ip6 daddr 2001:db8:2::1 meta l4proto udp ip6 saddr . udp dport @peers6 dnat ip6 to 2001:db8:1::2
    }
    chain post { type nat hook postrouting priority 100; $snat }
}" ;;
        blocked) rules="
table inet lab {
    chain forward { type filter hook forward priority 0; meta l4proto udp drop; }
    chain post { type nat hook postrouting priority 100; $snat }
}" ;;
    esac
    if [[ -n $rules ]]; then
        echo "$rules" > "$dir/rules.nft"
        ip netns exec "$R" nft -f "$dir/rules.nft"
    fi

    local extra=()
    [[ $rfc5780 == yes ]] || extra+=(--no-rfc5780)
    ip netns exec "$S" turnserver -n -L 203.0.113.10 -L 203.0.113.11 -L 2001:db8:2::10 -L 2001:db8:2::11 \
        --listening-port 3478 --alt-listening-port 3479 \
        --no-tls --no-dtls --no-cli --no-tcp-relay -a -u lab:lab -r lab.test \
        --pidfile "$dir/coturn-own.pid" --log-file "$dir/turnserver.log" --simple-log --no-stdout-log \
        "${extra[@]}" >/dev/null 2>&1 &
    echo $! > "$dir/turnserver.pid"
    # Wait until both addresses answer on UDP 3478 and 3479 (coturn opens them one by one).
    # 4 addresses x 2 ports; without RFC 5780 coturn does not open the alternate port.
    local want=8
    [[ $rfc5780 == yes ]] || want=4
    for _ in $(seq 200); do
        local n
        n=$(ip netns exec "$S" ss -Hlun 2>/dev/null | awk '{print $4}' | sort -u \
            | grep -cE '^(203\.0\.113\.1[01]|\[2001:db8:2::1[01]\]):347[89]$' || true)
        [[ $n -ge $want ]] && break
        sleep 0.02
    done
    [[ $n -ge $want ]] || die "coturn did not open its $want UDP ports (see $dir/turnserver.log)"
}

case $cmd in
    up)
        [[ -n $name && -n ${3:-} ]] || die "usage: natlab.sh up NAME VARIANT [--no-rfc5780]"
        rfc=yes
        [[ ${4:-} == --no-rfc5780 ]] && rfc=no
        up "$name" "$3" "$rfc"
        ;;
    down)
        [[ -n $name ]] || die "usage: natlab.sh down NAME"
        down "$name"
        ;;
    variants) echo "$VARIANTS" ;;
    *) die "usage: natlab.sh up NAME VARIANT | down NAME | variants" ;;
esac
