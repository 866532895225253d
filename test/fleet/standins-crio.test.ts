/**
 * The CRI-O stand-in: configuration merged like CRI-O's, real sandboxes, and the 1.29 -> 1.30
 * upgrade whose 10-crio.conf switches default_runtime to crun behind the operator's back.
 */
import { describe, expect, it } from 'vitest';
import { useFleet } from './fixture.js';
import { PACKAGE_VERSIONS } from './packages/catalog.js';
import { profilePods } from './profiles.js';

const f = useFleet({ nodes: 1, profile: 'crio-1.29' });
const sh = (script: string) => f.fleet.node('node-1').exec(['sh', '-c', script]);

describe('CRI-O stand-in', () => {
  it('runs cri-o 1.29.9 with runc and real sandboxes', async () => {
    expect((await sh('systemctl is-active crio kubelet')).stdout).toBe('active\nactive\n');
    expect((await sh('crictl version')).stdout).toBe('Version:  0.1.0\nRuntimeName:  cri-o\nRuntimeVersion:  1.29.9\nRuntimeApiVersion:  v1\n');
    expect((await sh('crio config')).stdout).toMatch(/\[crio\.runtime\][^[]*default_runtime = "runc"/);
    expect((await sh('crio status config')).stdout).toContain('default_runtime = "runc"');
    expect((await sh('crictl pods -q')).stdout.trim().split('\n')).toHaveLength(profilePods('node-1').length);
  });

  it('after apt-get install cri-o=1.30.6-1 the merged config says crun, and the old sandboxes are lost to CRI-O', async () => {
    const pauseBefore = f.fleet.node('node-1').processes().filter((p) => p.comm === 'pause').length;
    expect(pauseBefore).toBe(profilePods('node-1').length); // the sandboxes are real processes
    const r = await sh(`DEBIAN_FRONTEND=noninteractive apt-get install -y -q cri-o=${PACKAGE_VERSIONS.crio130} 2>&1`);
    expect(r.code, r.stdout).toBe(0);
    expect((await sh('grep -h default_runtime /etc/crio/crio.conf')).stdout).toBe('default_runtime = "runc"\n');
    const merged = (await sh('crio config')).stdout;
    expect(merged).toMatch(/\[crio\.runtime\][^[]*default_runtime = "crun"/);
    expect(merged).toContain('[crio.runtime.runtimes.crun]');
    // The package restarted crio: it now runs crun by default and no longer sees the runc pods.
    expect((await sh('crictl version')).stdout).toContain('RuntimeVersion:  1.30.6');
    expect((await sh('crio status config')).stdout).toContain('default_runtime = "crun"');
    expect((await sh('crictl pods -q')).stdout).toBe('');
    expect(f.fleet.node('node-1').processes().filter((p) => p.comm === 'pause').length).toBe(pauseBefore);
  });

  it('refuses to start when default_runtime has no runtime table', async () => {
    await sh(`printf '[crio.runtime]\\ndefault_runtime = "kata"\\n' > /etc/crio/crio.conf.d/99-kata.conf`);
    const r = await sh('systemctl restart crio');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Job for crio.service failed');
    expect((await sh('systemctl is-active crio')).stdout.trim()).toBe('failed');
    expect((await sh('cat /var/log/fleet-journal/crio.service.log')).stdout).toContain(
      'level=fatal msg="validating runtime config: default_runtime set to \\"kata\\", but no runtime entry table [crio.runtime.runtimes.kata] was found"',
    );
  });
});
