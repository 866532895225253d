/**
 * The systemctl stand-in on fleet nodes behaves like systemd for what slipway relies on,
 * and containerd started through it serves the real CRI API, reached over SSH streamlocal
 * forwarding into @grpc/grpc-js (the path slipway's CRI checks use).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriClient, probeCriApis } from '../../src/transport/cri/index.js';
import { SshRemote } from '../../src/transport/ssh.js';
import { useFleet } from './fixture.js';
import { fleetHost } from './hosts.js';

const demoUnit = `[Unit]
Description=Demo service

[Service]
Type=simple
Environment=GREETING=hello "WHO=the fleet"
EnvironmentFile=-/etc/default/demo
EnvironmentFile=-/etc/default/missing
ExecStart=/bin/sh -c 'echo "$GREETING $WHO $EXTRA" > /run/demo.out; exec sleep 1000' $DEMO_ARGS

[Install]
WantedBy=multi-user.target
`;

const f = useFleet({
  nodes: 1,
  seed: () => ({
    files: [
      { path: '/etc/systemd/system/demo.service', content: demoUnit },
      { path: '/etc/default/demo', content: 'EXTRA="from env file"\n' },
      { path: '/etc/systemd/system/crashy.service', content: '[Service]\nExecStart=/bin/sh -c "exit 3"\n' },
      { path: '/etc/systemd/system/slow-crash.service', content: '[Service]\nExecStart=/bin/sh -c "sleep 0.3; exit 3"\n' },
    ],
  }),
});
let r: SshRemote;
const sys = (...args: string[]) => r.exec(['systemctl', ...args]);

beforeAll(() => {
  r = new SshRemote(fleetHost(f.fleet, 'node-1'));
});
afterAll(async () => {
  // A throw here would keep the fleet's own teardown from running and leave its nodes up.
  if (!r) return;
  await sys('stop', 'containerd');
  await r.close();
});

describe('systemctl stand-in', () => {
  it('starts and stops a unit with systemd exit codes', async () => {
    let res = await sys('is-active', 'demo');
    expect([res.code, res.stdout.trim()]).toEqual([3, 'inactive']);
    expect((await sys('start', 'demo')).code).toBe(0);
    res = await sys('is-active', 'demo.service');
    expect([res.code, res.stdout.trim()]).toEqual([0, 'active']);
    expect(await r.readFile('/run/demo.out')).toBe('hello the fleet from env file\n');
    const pid = (await sys('show', 'demo', '-p', 'MainPID', '--value')).stdout.trim();
    expect(Number(pid)).toBeGreaterThan(1);
    expect((await r.exec(['kill', '-0', pid])).code).toBe(0);
    expect((await sys('status', 'demo')).code).toBe(0);
    expect((await sys('stop', 'demo')).code).toBe(0);
    expect((await r.exec(['kill', '-0', pid])).code).not.toBe(0);
    res = await sys('status', 'demo');
    expect(res.code).toBe(3);
    expect(res.stdout).toContain('Active: inactive (dead)');
  });

  it('reports unknown units as systemctl does', async () => {
    let res = await sys('start', 'nosuch');
    expect(res.code).toBe(5);
    expect(res.stderr).toContain('Failed to start nosuch.service: Unit nosuch.service not found.');
    res = await sys('status', 'nosuch');
    expect(res.code).toBe(4);
    expect(res.stderr).toContain('Unit nosuch.service could not be found.');
    res = await sys('is-enabled', 'nosuch');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Failed to get unit file state for nosuch.service');
    expect((await sys('show', 'nosuch', '-p', 'LoadState')).stdout.trim()).toBe('LoadState=not-found');
  });

  it('marks a unit whose process exits non-zero as failed', async () => {
    expect((await sys('start', 'crashy')).code).toBe(0); // Type=simple: the job itself succeeds
    await new Promise((res) => setTimeout(res, 300));
    const res = await sys('is-active', 'crashy');
    expect([res.code, res.stdout.trim()]).toEqual([3, 'failed']);
    expect((await sys('is-failed', 'crashy')).code).toBe(0);
    expect((await sys('show', 'crashy', '-p', 'Result', '--value')).stdout.trim()).toBe('exit-code');
  });

  it('reads a unit failed when the exit record it finds is another process\'s (a restart\'s previous run, written late)', async () => {
    expect((await sys('start', 'slow-crash')).code).toBe(0);
    const pid = Number((await sys('show', 'slow-crash', '-p', 'MainPID', '--value')).stdout.trim());
    const record = '/run/fleet-systemd/state/slow-crash.service.exit';
    // Wait for this run's own record, then put the previous run's in its place.
    for (let i = 0; i < 100 && (await r.exec(['grep', '-qx', `${pid} 3`, record])).code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
    }
    expect((await r.readFile(record))?.trim()).toBe(`${pid} 3`);
    expect((await r.exec(['sh', '-c', `echo "${pid + 1} 0" > ${record}`])).code).toBe(0);
    const res = await sys('is-active', 'slow-crash');
    expect([res.code, res.stdout.trim()]).toEqual([3, 'failed']);
  });

  it('merges drop-ins; an edit takes effect only after daemon-reload', async () => {
    await r.run(['mkdir', '-p', '/etc/systemd/system/demo.service.d']);
    await r.writeFile('/etc/systemd/system/demo.service.d/10-args.conf', '[Service]\nEnvironment=WHO=drop-in\n');
    let show = await sys('show', 'demo', '-p', 'NeedDaemonReload,DropInPaths');
    expect(show.stdout).toContain('NeedDaemonReload=yes');
    const start = await sys('start', 'demo');
    expect(start.stderr).toContain("changed on disk. Run 'systemctl daemon-reload'");
    expect(await r.readFile('/run/demo.out')).toBe('hello the fleet from env file\n'); // old config
    await sys('stop', 'demo');
    expect((await sys('daemon-reload')).code).toBe(0);
    show = await sys('show', 'demo', '-p', 'NeedDaemonReload,DropInPaths');
    expect(show.stdout).toContain('NeedDaemonReload=no');
    expect(show.stdout).toContain('DropInPaths=/etc/systemd/system/demo.service.d/10-args.conf');
    await sys('start', 'demo');
    expect(await r.readFile('/run/demo.out')).toBe('hello drop-in from env file\n');
    await sys('stop', 'demo');

    // `ExecStart=` empty resets the list, as in systemd; a later drop-in sorts after.
    await r.writeFile('/etc/systemd/system/demo.service.d/20-exec.conf', "[Service]\nExecStart=\nExecStart=/bin/sh -c 'echo replaced > /run/demo.out; exec sleep 1000'\n");
    await sys('daemon-reload');
    await sys('start', 'demo');
    expect(await r.readFile('/run/demo.out')).toBe('replaced\n');
    await sys('stop', 'demo');
  });

  it('fails to start a unit whose required EnvironmentFile is missing, leaving it failed', async () => {
    await r.writeFile('/etc/systemd/system/demo.service.d/30-env.conf', '[Service]\nEnvironmentFile=/etc/default/absent\n');
    await sys('daemon-reload');
    const res = await sys('start', 'demo');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Job for demo.service failed');
    expect((await sys('is-active', 'demo')).stdout.trim()).toBe('failed');
    await r.run(['rm', '/etc/systemd/system/demo.service.d/30-env.conf']);
    await sys('daemon-reload');
  });

  it('enables and disables through [Install] symlinks', async () => {
    expect((await sys('is-enabled', 'demo')).stdout.trim()).toBe('disabled');
    expect((await sys('is-enabled', 'demo')).code).toBe(1);
    expect((await sys('enable', 'demo')).code).toBe(0);
    expect(await r.exec(['readlink', '/etc/systemd/system/multi-user.target.wants/demo.service'])).toMatchObject({ code: 0 });
    expect((await sys('is-enabled', 'demo')).stdout.trim()).toBe('enabled');
    expect((await sys('disable', 'demo')).code).toBe(0);
    expect((await sys('is-enabled', 'demo')).stdout.trim()).toBe('disabled');
    expect((await sys('is-enabled', 'crashy')).stdout.trim()).toBe('static');
  });

  it('runs the real containerd, which answers CRI Version over gRPC through SSH streamlocal forwarding', async () => {
    expect((await sys('start', 'containerd')).code).toBe(0);
    expect((await sys('is-active', 'containerd')).stdout.trim()).toBe('active');
    const client = await CriClient.connect(() => r.openUnixSocket('/run/containerd/containerd.sock'), { host: 'node-1' });
    try {
      const v1 = await client.version('v1');
      expect(v1.runtimeName).toBe('containerd');
      expect(v1.runtimeApiVersion).toBe('v1');
      const status = await client.status('v1');
      expect(status.conditions.find((c) => c.type === 'RuntimeReady')?.status).toBe(true);
      const probe = await probeCriApis(client);
      expect('version' in probe.v1).toBe(true);
    } finally {
      await client.close();
    }
    // The containerd process lives in the node: its socket is not on the host.
    const { existsSync } = await import('node:fs');
    const hostSock = existsSync('/run/containerd/containerd.sock');
    const nodeInode = (await r.run(['stat', '-c', '%i', '/run/containerd/containerd.sock'])).stdout.trim();
    if (hostSock) {
      const { statSync } = await import('node:fs');
      expect(String(statSync('/run/containerd/containerd.sock').ino)).not.toBe(nodeInode);
    }
    expect((await sys('stop', 'containerd')).code).toBe(0);
    const gone = await CriClient.connect(() => r.openUnixSocket('/run/containerd/containerd.sock'), { host: 'node-1', timeoutMs: 2000 });
    await expect(gone.version('v1')).rejects.toThrow(/node-1/);
    await gone.close();
  });
});
