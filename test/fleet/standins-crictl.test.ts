/**
 * crictl against real pod sandboxes of the node's real containerd: the pause image built
 * offline, a host-network sandbox and one in its own network namespace (fleet-netns CNI plugin).
 */
import { describe, expect, it } from 'vitest';
import { useFleet } from './fixture.js';
import { profilePods } from './profiles.js';

const f = useFleet({ nodes: 1, profile: 'kubelet-1.26-flags' });
const crictl = (...args: string[]) => f.fleet.node('node-1').exec(['crictl', ...args]);

describe('crictl stand-in on real sandboxes', () => {
  it('lists the sandboxes the node booted with', async () => {
    const want = profilePods('node-1');
    const table = await crictl('pods');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^POD ID\s+CREATED\s+STATE\s+NAME\s+NAMESPACE\s+ATTEMPT\s+RUNTIME$/);
    for (const p of want) expect(table.stdout).toMatch(new RegExp(`^[0-9a-f]{13}\\s+.+ ago\\s+Ready\\s+${p.name}\\s+${p.namespace}\\s+0\\s+\\(default\\)$`, 'm'));
    const ids = (await crictl('pods', '-q', '--state', 'ready')).stdout.trim().split('\n');
    expect(ids).toHaveLength(want.length);
    expect(ids.every((id) => /^[0-9a-f]{64}$/.test(id))).toBe(true);
  });

  it('inspectp tells host-network sandboxes (NODE) from the others (POD)', async () => {
    const ids = (await crictl('pods', '-q')).stdout.trim().split('\n');
    const seen: Record<string, string> = {};
    for (const id of ids) {
      const r = await crictl('inspectp', id);
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout) as { status: { metadata: { name: string }; linux: { namespaces: { options: { network: string } } }; network?: { ip: string } }; info: { pid: number } };
      seen[s.status.metadata.name] = s.status.linux.namespaces.options.network;
      if (s.status.linux.namespaces.options.network === 'POD') expect(s.status.network?.ip).toMatch(/^10\.88\./);
      expect(s.info.pid).toBeGreaterThan(1);
    }
    for (const p of profilePods('node-1')) expect(seen[p.name]).toBe(p.hostNetwork ? 'NODE' : 'POD');
  });

  it('rmp refuses a ready sandbox, rmp -f removes one, rmp -fa the rest; the pause processes end', async () => {
    const ids = (await crictl('pods', '-q')).stdout.trim().split('\n');
    // Each sandbox is a real pause process in the node (in its own PID namespace).
    expect(f.fleet.node('node-1').processes().filter((p) => p.comm === 'pause')).toHaveLength(ids.length);
    const first = ids[0] as string;
    const refused = await crictl('rmp', first.slice(0, 13));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`level=fatal msg="pod sandbox \\"${first.slice(0, 13)}\\" is running, please stop it first"`);
    const forced = await crictl('rmp', '-f', first);
    expect(forced).toMatchObject({ code: 0, stdout: `Stopped sandbox ${first}\nRemoved sandbox ${first}\n` });
    const all = await crictl('rmp', '-fa');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.match(/^Removed sandbox /gm)).toHaveLength(ids.length - 1);
    expect((await crictl('pods', '-q')).stdout).toBe('');
    const none = await crictl('rmp', '-a');
    expect(none.stderr).toContain('level=info msg="No pods to remove"');
    expect(f.fleet.node('node-1').processes().filter((p) => p.comm === 'pause')).toEqual([]);
  });
});
