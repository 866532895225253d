#!/usr/bin/env bash
# `npm run demo`: slipway's main job on broken nodes, end to end. A local fleet of real SSH nodes
# (cp-1 and three workers) whose containerd 1.4 answers only CRI v1alpha2 while OpenKruise needs
# CRI v1 (field note 1). doctor finds it on every worker; plan shows the per-node sequence; the
# run drains, upgrades containerd through apt, verifies CRI v1 against the real containerd and
# uncordons, node by node, with the live tree; doctor is clean afterwards; the report is written.
# Runs go to .slipway/ in the project root, where `npx slipway runs` finds them.
# `npm run demo` runs scripts/setup.sh first (predemo).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${SLIPWAY_DEMO_DIR:-.fleet/demo}
inventory=$dir/inventory.yaml

npm run --silent build
slipway() { node dist/cli/main.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [[ -f $dir/fleet.json ]]; then npx tsx test/fleet/cli.ts down --dir "$dir" >/dev/null; fi
step "starting the demo fleet: cp-1 and 3 workers on containerd 1.4 (CRI v1alpha2 only), OpenKruise 1.7.2"
npx tsx test/fleet/cli.ts up --nodes 3 --profile containerd-1.4 --dir "$dir"
# The upgrade target: the containerd the fleet's apt repository carries (Debian's).
containerd=$(dpkg-query -W -f='${Version}' containerd)

step "slipway doctor -i $inventory"
slipway doctor -i "$inventory" || true

step "slipway plan containerd-cri-v1 -i $inventory -e containerd_version=$containerd"
slipway plan containerd-cri-v1 -i "$inventory" -e "containerd_version=$containerd"

step "slipway run containerd-cri-v1 -i $inventory -e containerd_version=$containerd"
slipway run containerd-cri-v1 -i "$inventory" -e "containerd_version=$containerd"

step "slipway doctor -i $inventory   (after the run)"
slipway doctor -i "$inventory"

step "slipway runs"
slipway runs

cat <<EOF

The fleet is still up. Try, from here:
  npx slipway runs                                         # the run you just watched
  npx slipway report --format md                           # its report for the change ticket
  npx slipway plan containerd-cri-v1 -i $inventory -e containerd_version=$containerd   # nothing left to change
  npx slipway playbooks                                    # the other bundled playbooks
  npx slipway run --help                                   # every option, with examples
Stop the fleet with: npm run fleet -- down --dir $dir
EOF
