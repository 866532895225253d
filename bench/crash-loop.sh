#!/usr/bin/env bash
# Crash-safety soak: kill the orchestrator with SIGKILL at random moments of a run over 8 nodes
# and resume, N times (default 200), checking the end state and the apply counts each time.
#   bash bench/crash-loop.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
SLIPWAY_CRASH_ITERATIONS=${1:-200} npx vitest run test/e2e/crash.test.ts
