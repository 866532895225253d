/**
 * vitest fixture: a fleet for one test file, always torn down (also when the worker exits).
 *
 *   const f = useFleet({ nodes: 2 });
 *   it('...', async () => { f.fleet.node('node-1') ... });
 */
import fs from 'node:fs/promises';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Fleet, type FleetUpOptions } from './fleet.js';

const live = new Set<Fleet>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a worker dies without afterAll: kill every node's init (the kernel then
  // tears down its namespaces and mounts) and remove the state.
  process.on('exit', () => {
    for (const fleet of live) {
      for (const n of fleet.nodes) {
        try {
          if (n.isRunning()) process.kill(n.record.initPid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      rmSync(fleet.record.stateRoot, { recursive: true, force: true });
    }
  });
}

export interface FleetHandle {
  readonly fleet: Fleet;
  readonly dir: string;
}

export function useFleet(options: Omit<FleetUpOptions, 'dir'>): FleetHandle {
  let fleet: Fleet | undefined;
  let dir = '';
  beforeAll(async () => {
    installExitHook();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-test-fleet-'));
    fleet = await Fleet.up({ ...options, dir });
    live.add(fleet);
  }, 180_000);
  afterAll(async () => {
    if (fleet) {
      await fleet.down();
      live.delete(fleet);
    }
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  }, 60_000);
  return {
    get fleet(): Fleet {
      if (!fleet) throw new Error('the fleet is not up (beforeAll failed?)');
      return fleet;
    },
    get dir(): string {
      return dir;
    },
  };
}
