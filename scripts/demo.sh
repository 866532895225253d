#!/usr/bin/env bash
# `npm run demo`: a local fleet of 4 real SSH nodes (cp-1 + 3 workers), then slipway's main
# job on it: plan (what would change, with diffs), run (rolling, live task tree), and a second
# run that finds nothing to do. `npm run demo` runs scripts/setup.sh first (predemo).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${SLIPWAY_DEMO_DIR:-.fleet/demo}
export SLIPWAY_STATE_DIR=${SLIPWAY_STATE_DIR:-$dir/state}

npm run --silent build
slipway() { node dist/src/cli/main.js "$@"; }

if [[ -f $dir/fleet.json ]]; then npx tsx test/fleet/cli.ts down --dir "$dir" >/dev/null; fi
echo "== starting the demo fleet"
npx tsx test/fleet/cli.ts up --nodes 3 --dir "$dir"

echo
echo "== slipway plan playbooks/demo.yaml -i $dir/inventory.yaml"
slipway plan playbooks/demo.yaml -i "$dir/inventory.yaml"

echo
echo "== slipway run playbooks/demo.yaml -i $dir/inventory.yaml"
slipway run playbooks/demo.yaml -i "$dir/inventory.yaml"

echo
echo "== slipway run again: every node is already in the end state"
slipway run playbooks/demo.yaml -i "$dir/inventory.yaml"

echo
echo "== slipway runs"
slipway runs

echo
echo "The fleet is still up: try \`node dist/src/cli/main.js plan playbooks/demo.yaml -i $dir/inventory.yaml\`."
echo "Stop it with: npm run fleet -- down --dir $dir"
