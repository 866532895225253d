#!/bin/bash
# PID 1 of a fleet node, started by `unshare --mount --uts --pid --fork --mount-proc`.
# Gives the node its own /etc, /var, /usr and /opt (overlays over the host's), a private /run,
# /tmp and /root (and /run/fleet-apiserver, shared by the fleet), its hostname, then runs sshd
# and reaps orphans. Killing this process ends
# every process of the node (the kernel kills a PID namespace with its init), and with them
# the node's mounts.
#   SIGUSR1: start sshd again (after a fault stopped or killed it).
set -eu
node_dir=$1
name=$2

for d in etc var usr opt; do
  mount -t overlay "fleet-$d" -o "lowerdir=/$d,upperdir=$node_dir/upper/$d,workdir=$node_dir/work/$d" "/$d"
done
mount --bind "$node_dir/root" /root
mount -t tmpfs -o mode=0755 fleet-run /run
# What stands in for the API server's view of kubelets: one directory every node of the fleet
# shares. Each kubelet stand-in posts its node's status there; cp-1's kubectl reads it. Bound
# before /tmp is made private: the fleet's directory may be under the host's /tmp.
apiserver="$node_dir/../../apiserver"
mkdir -p "$apiserver" /run/fleet-apiserver
mount --bind "$apiserver" /run/fleet-apiserver
mount -t tmpfs -o mode=1777 fleet-tmp /tmp
hostname "$name"
mkdir -p /run/sshd /run/fleet
chmod 0755 /run/sshd

# Load unit files, as systemd does at boot.
/usr/bin/systemctl --fleet-boot || true
if [ -x /etc/fleet/boot.sh ]; then /etc/fleet/boot.sh || true; fi

start_sshd() {
  /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config 2>>/var/log/sshd.log &
  echo $! > /run/fleet/sshd.pid
}
trap start_sshd USR1
trap 'exit 0' TERM

start_sshd
echo ready > /run/fleet/init.ready
while :; do
  sleep 3600 &
  s=$!
  wait "$s" || true
  kill "$s" 2>/dev/null || true
done
