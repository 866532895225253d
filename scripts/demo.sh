#!/usr/bin/env bash
# `npm run demo`: bring up a local fleet of real OpenSSH nodes and show how to reach it.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${SLIPWAY_DEMO_DIR:-.fleet/demo}
npx tsx test/fleet/cli.ts up --nodes 3 --dir "$dir"
