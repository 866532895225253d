/**
 * pkg.install on a real node (the fleet's apt and dpkg) after a dpkg run was killed part-way:
 * the state dpkg leaves on disk then (a status update in /var/lib/dpkg/updates not yet merged,
 * the package half-configured) makes apt refuse every install with "dpkg was interrupted";
 * the step sees the node still on the version it had configured, finishes dpkg's work with
 * `dpkg --configure -a`, says so, and installs; its undo names the version from before.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { pkgInstallStep, type PkgInstallParams } from '../../../src/steps/pkg/install.js';
import { SshRemote } from '../../../src/transport/ssh.js';
import { useFleet } from '../../fleet/fixture.js';
import { fleetHost } from '../../fleet/hosts.js';
import { PACKAGE_VERSIONS } from '../../fleet/packages/catalog.js';
import { contextFor } from '../helpers.js';

const f = useFleet({ nodes: 1, profile: 'kubelet-1.26-flags' });
let remote: SshRemote | undefined;
afterAll(async () => {
  await remote?.close();
});

describe('pkg.install after an interrupted dpkg', () => {
  it('runs dpkg --configure -a first, journals why, then installs the version asked for', async () => {
    remote = new SshRemote(fleetHost(f.fleet, 'node-1'));
    const sh = async (script: string) => (await remote!.exec(['sh', '-c', script])).stdout;
    expect(await sh("dpkg-query -W -f='${Status} ${Version}' kubelet")).toBe(`install ok installed ${PACKAGE_VERSIONS.kubelet126}`);
    // What dpkg leaves when it is killed while configuring kubelet's upgrade to 1.27: its status
    // update journal, the package half-configured at the new version, the old one configured.
    await sh(
      `mkdir -p /var/lib/dpkg/updates && dpkg-query -s kubelet | sed -e 's/^Status: .*/Status: install ok half-configured/' -e 's/^Version: .*/Version: ${PACKAGE_VERSIONS.kubelet127}\nConfig-Version: ${PACKAGE_VERSIONS.kubelet126}/' > /var/lib/dpkg/updates/0000`,
    );
    const refused = await remote.exec(['apt-get', 'install', '-y', `kubelet=${PACKAGE_VERSIONS.kubelet127}`]);
    expect([refused.code, refused.stderr]).toEqual([100, expect.stringContaining("dpkg was interrupted, you must manually run 'dpkg --configure -a'")]);

    const waits: string[] = [];
    const ctx = { ...contextFor(remote, 120_000), waiting: (what: string) => waits.push(what) };
    const params: PkgInstallParams = { name: 'kubelet', version: PACKAGE_VERSIONS.kubelet127 };
    const facts = await pkgInstallStep.facts(ctx, params);
    expect(pkgInstallStep.check(params, facts)).toMatchObject({ status: 'change', summary: expect.stringContaining(`(installed ${PACKAGE_VERSIONS.kubelet126}, upgrade`) });
    // The undo names the version the node ran before the interrupted upgrade: rollback goes back there.
    expect(await pkgInstallStep.apply(ctx, params, facts)).toMatchObject({ previous: PACKAGE_VERSIONS.kubelet126, installed: true });
    expect(waits).toEqual(['dpkg --configure -a: an earlier dpkg run on this node was interrupted']);
    expect(await sh("dpkg-query -W -f='${Status} ${Version}' kubelet")).toBe(`install ok installed ${PACKAGE_VERSIONS.kubelet127}`);
    expect(await sh('ls /var/lib/dpkg/updates; dpkg --audit')).toBe('');
  });
});
