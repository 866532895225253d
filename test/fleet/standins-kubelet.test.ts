/**
 * The kubelet stand-in builds its command line from the unit, kubeadm's drop-in and the env
 * files (through the systemctl stand-in) and refuses the flags its version removed, as kubelet
 * 1.27 refuses --container-runtime; the same configuration starts under 1.26.
 */
import { describe, expect, it } from 'vitest';
import { useFleet } from './fixture.js';
import { PACKAGE_VERSIONS } from './packages/catalog.js';

const f = useFleet({ nodes: 3, profile: 'kubelet-1.26-flags' });
const sh = (node: string, script: string) => f.fleet.node(node).exec(['sh', '-c', script]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kubelet stand-in', () => {
  it('runs 1.26 with the flags 1.27 removed, wherever they come from', async () => {
    for (const node of ['node-1', 'node-2', 'node-3']) {
      expect((await sh(node, 'systemctl is-active kubelet')).stdout.trim(), node).toBe('active');
      expect((await sh(node, 'kubelet --version')).stdout).toBe('Kubernetes v1.26.15\n');
    }
    expect(JSON.parse((await sh('node-1', 'cat /run/kubelet/argv')).stdout)).toContain('--container-runtime=remote');
    expect(JSON.parse((await sh('node-2', 'cat /run/kubelet/argv')).stdout)).toContain('--pod-infra-container-image=registry.k8s.io/pause:3.9');
    const argv3 = JSON.parse((await sh('node-3', 'cat /run/kubelet/argv')).stdout) as string[];
    expect(argv3.slice(argv3.indexOf('--container-runtime'), argv3.indexOf('--container-runtime') + 2)).toEqual(['--container-runtime', 'remote']);
    expect((await sh('node-1', 'cat /var/log/fleet-journal/kubelet.service.log')).stdout).toContain(
      "Flag --container-runtime has been deprecated, will be removed in 1.27 as the only valid value is 'remote'",
    );
  });

  it('fails at 1.27 with kubelet\'s message, leaving the unit failed; starts once the flag is gone', async () => {
    const install = await sh('node-1', `DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubelet=${PACKAGE_VERSIONS.kubelet127} 2>&1`);
    expect(install.code, install.stdout).toBe(0);
    expect((await sh('node-1', 'kubelet --version')).stdout).toBe('Kubernetes v1.27.16\n');
    expect((await sh('node-1', 'systemctl restart kubelet')).code).toBe(0); // Type=simple: the job starts
    await sleep(1500);
    expect((await sh('node-1', 'systemctl is-active kubelet')).stdout.trim()).toBe('failed');
    const journal = (await sh('node-1', 'cat /var/log/fleet-journal/kubelet.service.log')).stdout;
    expect(journal).toMatch(/E\d{4} [\d:.]+ +\d+ run\.go:74\] "command failed" err="failed to parse kubelet flag: unknown flag: --container-runtime"/);
    expect((await sh('node-1', 'systemctl show kubelet -p Result -p ExecMainStatus')).stdout).toBe('Result=exit-code\nExecMainStatus=1\n');

    await sh('node-1', `sed -i 's/--container-runtime=remote //' /var/lib/kubelet/kubeadm-flags.env && systemctl daemon-reload`);
    expect((await sh('node-1', 'systemctl restart kubelet')).code).toBe(0);
    await sleep(1500);
    expect((await sh('node-1', 'systemctl is-active kubelet')).stdout.trim()).toBe('active');
  });

  it('refuses the space form from a drop-in too; --pod-infra-container-image still parses at 1.27 (removed in 1.35)', async () => {
    for (const node of ['node-2', 'node-3']) {
      const install = await sh(node, `DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubelet=${PACKAGE_VERSIONS.kubelet127} 2>&1 && systemctl restart kubelet`);
      expect(install.code, install.stdout).toBe(0);
    }
    await sleep(1500);
    expect((await sh('node-3', 'systemctl is-active kubelet')).stdout.trim()).toBe('failed');
    expect((await sh('node-3', 'cat /var/log/fleet-journal/kubelet.service.log')).stdout).toContain('unknown flag: --container-runtime"');
    expect((await sh('node-2', 'systemctl is-active kubelet')).stdout.trim()).toBe('active');
    expect((await sh('node-2', 'cat /var/log/fleet-journal/kubelet.service.log')).stdout).toContain('Flag --pod-infra-container-image has been deprecated');
  });
});
