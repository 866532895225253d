#!/bin/sh
# CNI plugin "fleet-netns" for fleet nodes: gives a pod sandbox an interface and an address
# without touching the host's network. Nodes share the host's network namespace, so the usual
# plugins (bridge, ptp, macvlan) would add links and routes to the host; this one creates a veth
# pair with BOTH ends inside the pod's own network namespace (CNI_IFNAME and fleet0), addresses
# CNI_IFNAME from 10.88.0.0/16 (chosen from the container ID) and reports it as CNI's result.
# Pods are not reachable from outside their namespace, which nothing in the fleet needs.
# Protocol: CNI spec 0.3.0 .. 1.0.0 (CNI_COMMAND=ADD|DEL|CHECK|VERSION, config on stdin).
set -eu

fail() {
  printf '{"cniVersion":"%s","code":%s,"msg":"%s"}\n' "${version:-1.0.0}" "$1" "$2"
  exit 1
}

config=$(cat || true)
version=$(printf '%s' "$config" | tr -d '\n' | sed -n 's/.*"cniVersion"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
[ -n "$version" ] || version=1.0.0

case "${CNI_COMMAND:-}" in
VERSION)
  printf '{"cniVersion":"%s","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}\n' "$version"
  ;;
ADD)
  [ -n "${CNI_NETNS:-}" ] || fail 4 "CNI_NETNS is required"
  ifname=${CNI_IFNAME:-eth0}
  hex=$(printf '%s' "${CNI_CONTAINERID:-0000}" | cut -c1-4)
  hi=$(( (0x$hex >> 8) % 254 + 1 ))
  lo=$(( (0x$hex & 255) % 253 + 2 ))
  address="10.88.$hi.$lo/16"
  in_pod() { nsenter --net="$CNI_NETNS" -- "$@"; }
  in_pod ip link add "$ifname" type veth peer name fleet0 >/dev/null 2>&1 || fail 11 "cannot create $ifname in $CNI_NETNS"
  in_pod ip address add "$address" dev "$ifname"
  in_pod ip link set fleet0 up
  in_pod ip link set "$ifname" up
  mac=$(in_pod ip -o link show "$ifname" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
  printf '{"cniVersion":"%s","interfaces":[{"name":"%s","mac":"%s","sandbox":"%s"}],"ips":[{"version":"4","address":"%s","interface":0}],"dns":{}}\n' \
    "$version" "$ifname" "$mac" "$CNI_NETNS" "$address"
  ;;
DEL)
  if [ -n "${CNI_NETNS:-}" ] && [ -e "$CNI_NETNS" ]; then
    nsenter --net="$CNI_NETNS" -- ip link del "${CNI_IFNAME:-eth0}" >/dev/null 2>&1 || true
  fi
  ;;
CHECK | GC | STATUS)
  ;;
*)
  fail 4 "unknown CNI_COMMAND '${CNI_COMMAND:-}'"
  ;;
esac
