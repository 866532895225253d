/**
 * containerd 1.4 (the stand-in package) answers CRI v1alpha2 only; upgrading it with apt from
 * the fleet repository brings the real Debian containerd, which answers v1. The dpkg change
 * stays on that node: other nodes and the host keep theirs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CriClient, probeCriApis } from '../../src/transport/cri/index.js';
import { SshRemote } from '../../src/transport/ssh.js';
import { useFleet } from './fixture.js';
import { fleetHost } from './hosts.js';
import { realContainerdVersion } from './packages/catalog.js';

const f = useFleet({ nodes: 2, profile: 'containerd-1.4' });
const remotes: SshRemote[] = [];
const remote = (name: string) => {
  const r = new SshRemote(fleetHost(f.fleet, name));
  remotes.push(r);
  return r;
};
afterAll(async () => {
  for (const r of remotes) await r.close();
});

async function probe(r: SshRemote, host: string) {
  const client = await CriClient.connect(() => r.openUnixSocket('/run/containerd/containerd.sock'), { host, timeoutMs: 5000 });
  try {
    return await probeCriApis(client);
  } finally {
    await client.close();
  }
}

describe('containerd 1.4 stand-in package and the upgrade to the real containerd', () => {
  it('runs containerd 1.4.13-0fleet1 and kubelet 1.23 on every node, serving CRI v1alpha2 only', async () => {
    const r = remote('node-1');
    expect((await r.run(['dpkg-query', '-W', '-f=${Version}', 'containerd'])).stdout).toBe('1.4.13-0fleet1');
    expect((await r.run(['containerd', '--version'])).stdout).toMatch(/ v1\.4\.13 /);
    expect((await r.exec(['systemctl', 'is-active', 'containerd', 'kubelet'])).stdout).toBe('active\nactive\n');
    expect((await r.run(['kubelet', '--version'])).stdout).toBe('Kubernetes v1.23.17\n');
    const p = await probe(r, 'node-1');
    expect(p.v1).toMatchObject({ unimplemented: true });
    expect(p.v1alpha2).toMatchObject({ runtimeName: 'containerd', runtimeVersion: 'v1.4.13', runtimeApiVersion: 'v1alpha2' });
    const crictl = await r.exec(['crictl', 'version']);
    expect(crictl.code).toBe(1);
    expect(crictl.stderr).toContain('validate CRI v1 runtime API for endpoint \\"unix:///run/containerd/containerd.sock\\"');
  });

  it('apt-get install containerd=<Debian version> brings the real containerd back on that node only', async () => {
    const version = await realContainerdVersion();
    const r = remote('node-1');
    const hostStatus = readFileSync('/var/lib/dpkg/status', 'utf8');
    const res = await r.exec(['sh', '-c', `DEBIAN_FRONTEND=noninteractive apt-get install -y -q containerd=${version} 2>&1`]);
    expect(res.code, res.stdout).toBe(0);
    expect(res.stdout).toContain(`Unpacking containerd (${version}) over (1.4.13-0fleet1)`);
    // The package's postinst restarted containerd through systemctl, as on a systemd host.
    expect((await r.run(['containerd', '--version'])).stdout).toContain('1.6.20');
    expect((await r.exec(['systemctl', 'is-active', 'containerd'])).stdout.trim()).toBe('active');
    const p = await probe(r, 'node-1');
    expect(p.v1).toMatchObject({ runtimeApiVersion: 'v1' });
    expect((await r.run(['crictl', 'version'])).stdout).toContain('RuntimeApiVersion:  v1');

    // node-2 and the host did not change.
    const other = remote('node-2');
    expect((await other.run(['dpkg-query', '-W', '-f=${Version}', 'containerd'])).stdout).toBe('1.4.13-0fleet1');
    expect((await other.run(['containerd', '--version'])).stdout).toMatch(/ v1\.4\.13 /);
    expect(readFileSync('/var/lib/dpkg/status', 'utf8')).toBe(hostStatus);
    expect(execFileSync('dpkg-query', ['-W', '-f=${Version}', 'containerd'], { encoding: 'utf8' })).toBe(version);
    expect(execFileSync('/usr/bin/containerd', ['--version'], { encoding: 'utf8' })).toContain('1.6.20');
  });

  it('reaches no network: apt has only the fleet repository', async () => {
    const r = remote('node-2');
    expect((await r.run(['sh', '-c', 'cat /etc/apt/sources.list /etc/apt/sources.list.d/*'])).stdout).toBe('deb [trusted=yes] file:/opt/fleet/apt ./\n');
    const policy = (await r.run(['apt-cache', 'policy', 'containerd'])).stdout;
    expect(policy).toContain('file:/opt/fleet/apt ./ Packages');
    expect(policy).not.toMatch(/https?:\/\//);
  });
});
