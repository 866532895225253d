/**
 * Seed profiles: the known states a fleet can start in. `base` is a plain node with systemd
 * (stand-in), sshd and the Debian containerd package available but not running.
 */
import type { NodeSeed } from './seed.js';

export type ProfileName = 'base';
export const PROFILES: readonly ProfileName[] = ['base'];

export function isProfileName(name: string): name is ProfileName {
  return (PROFILES as readonly string[]).includes(name);
}

export function profileSeed(name: ProfileName): (node: string, groups: string[]) => NodeSeed {
  switch (name) {
    case 'base':
      return () => ({ files: [] });
  }
}
