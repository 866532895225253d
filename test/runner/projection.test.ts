/**
 * The plan's prediction, piece by piece and without a node: each step type's `predict` records
 * what it leaves, `project` shows a later step the node as it will be, and the node's facts and
 * kubelet's command line are rebuilt from the projection.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNodeFacts } from '../../src/facts/node.js';
import { kubeletRefusals } from '../../src/runner/kubelet-prediction.js';
import type { LaneStep } from '../../src/runner/lane.js';
import { projectNodeFacts } from '../../src/runner/projection-facts.js';
import { criVerifyStep, type CriVerifyFacts } from '../../src/steps/cri/verify.js';
import { fileContentStep } from '../../src/steps/file/content.js';
import { pkgInstallStep, type PackageFacts } from '../../src/steps/pkg/install.js';
import { emptyProjection, upstreamVersion, type Projection } from '../../src/steps/projection.js';
import { systemdServiceStep } from '../../src/steps/systemd/service.js';
import { probeOutput } from '../facts/probe-output.js';

const sample = (name: string) => readFileSync(new URL(`../facts/samples/${name}`, import.meta.url), 'utf8');
const unit = (activeState: string) => ({ unit: 'kubelet.service', loadState: 'loaded', activeState, unitFileState: 'enabled', needDaemonReload: false });

/** What the plan does with one step: project, check, and predict when it would change. */
function planStep<P, F>(type: { project?(p: P, f: F, x: Projection): F; predict?(p: P, f: F, x: Projection): void; check(p: P, f: F): { status: string } }, params: P, now: F, projection = emptyProjection(), id = 'step') {
  const facts = type.project ? type.project(params, now, projection) : now;
  const check = type.check(params, facts);
  if (check.status === 'change') {
    projection.step = id;
    type.predict?.(params, facts, projection);
  }
  return { check, projection };
}

describe('step predictions', () => {
  it('a kubelet the plan stops shows as a change when a later step starts it again', () => {
    const projection = emptyProjection();
    expect(planStep(systemdServiceStep, { unit: 'kubelet', state: 'stopped' }, unit('active'), projection, 'stop-kubelet').check.status).toBe('change');
    expect(projection.unit('kubelet')).toEqual({ active: false });
    projection.startReading();
    const start = planStep(systemdServiceStep, { unit: 'kubelet', state: 'started' }, unit('active'), projection, 'start-kubelet');
    expect(start.check).toEqual({ status: 'change', summary: 'kubelet: start (inactive, enabled)' });
    expect(projection.readSteps()).toEqual(['stop-kubelet']); // the plan says: as stop-kubelet leaves it
    expect(projection.unit('kubelet.service')).toEqual({ active: true });
    // A unit stopped by one step and started by another: a check of it names both.
    projection.startReading();
    projection.unit('kubelet');
    expect(projection.readSteps()).toEqual(['stop-kubelet', 'start-kubelet']);
    // Reads for `when:` are not a step's check.
    projection.startReading();
    projection.quietly(() => projection.unit('kubelet'));
    expect(projection.readSteps()).toEqual([]);
    // Without the stop before it, the same start is ok: the projection is what changed it.
    expect(planStep(systemdServiceStep, { unit: 'kubelet', state: 'started' }, unit('active')).check.status).toBe('ok');
  });

  it('a package upgrade records its version and restarts the running service; a later install of the same version is ok', () => {
    const installed: PackageFacts = { method: 'apt', installed: '1.4.13-0ubuntu1', held: false, available: ['1.4.13-0ubuntu1', '1.7.22-1'] };
    const projection = emptyProjection();
    const first = planStep(pkgInstallStep, { name: 'containerd', version: '1.7.22-1' }, installed, projection, 'upgrade-containerd');
    expect(first.check.status).toBe('change');
    expect(projection.package('containerd')).toEqual({ version: '1.7.22-1', by: 'upgrade-containerd' });
    expect(projection.unit('containerd')).toEqual({ restarted: true });
    expect(planStep(pkgInstallStep, { name: 'containerd', version: '1.7.22-1' }, installed, projection).check.status).toBe('ok');
    // A first install starts nothing that was running before.
    const fresh = emptyProjection();
    planStep(pkgInstallStep, { name: 'containerd', version: '1.7.22-1' }, { ...installed, installed: null }, fresh);
    expect(fresh.unit('containerd')).toBeUndefined();
  });

  it('a file the plan writes is what a later step of the same file sees', () => {
    const projection = emptyProjection();
    const now = { content: 'old\n', stat: { mode: 0o644, uid: 0, gid: 0, user: 'root', group: 'root' } };
    planStep(fileContentStep, { path: '/etc/x.conf', content: 'new\n' }, now as never, projection);
    expect(projection.file('/etc/x.conf', 'old\n')).toBe('new\n');
    expect(planStep(fileContentStep, { path: '/etc/x.conf', content: 'new\n' }, now as never, projection).check.status).toBe('ok');
  });

  it('cri.verify after an upgrade answers as the knowledge base says that version does; a stopped runtime does not answer', () => {
    const old: CriVerifyFacts = {
      socket: '/run/containerd/containerd.sock',
      v1: null,
      v1alpha2: { runtimeName: 'containerd', runtimeVersion: '1.5.18', runtimeApiVersion: 'v1alpha2' },
      conditions: [],
    };
    const params = { api: 'v1' as const };
    expect(criVerifyStep.check(params as never, old).status).not.toBe('ok');
    const upgraded = emptyProjection();
    upgraded.step = 'upgrade';
    upgraded.setPackage('containerd', '1.7.22-1');
    const projected = criVerifyStep.project?.(params as never, old, upgraded) as CriVerifyFacts;
    expect(projected.v1).toEqual({ runtimeName: 'containerd', runtimeVersion: '1.7.22', runtimeApiVersion: 'v1' });
    expect(criVerifyStep.check(params as never, projected).status).toBe('ok');
    // 1.5 serves only v1alpha2 (kb-facts): an "upgrade" to 1.5 still fails the check.
    const to15 = emptyProjection();
    to15.setPackage('containerd', '1.5.18-1');
    expect((criVerifyStep.project?.(params as never, old, to15) as CriVerifyFacts).v1).toBeNull();
    const stopped = emptyProjection();
    stopped.setUnit('containerd', { active: false });
    expect((criVerifyStep.project?.(params as never, old, stopped) as CriVerifyFacts).unreachable).toContain('stopped by an earlier step');
  });

  it('upstream versions of package versions', () => {
    expect(upstreamVersion('1.27.16-1.1')).toBe('1.27.16');
    expect(upstreamVersion('2:1.6.20~ds1-1+deb12u3')).toBe('1.6.20~ds1');
    expect(upstreamVersion('1.7.22')).toBe('1.7.22');
  });
});

describe('node facts through the projection', () => {
  const node = () => {
    const facts = parseNodeFacts(
      probeOutput({ 'bin.kubelet': '1', 'ver.kubelet': 'Kubernetes v1.26.15', 'active.kubelet': 'active', 'bin.containerd': '1', 'ver.containerd': 'containerd containerd.io 1.5.18 abc', 'active.containerd': 'active', sock: '/run/containerd/containerd.sock' }, [
        { kind: 'unit', path: '/lib/systemd/system/kubelet.service', content: sample('kubelet.service.pkgs-k8s-io') },
        { kind: 'dropin', path: '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', content: sample('10-kubeadm.conf.deb') },
        { kind: 'env', path: '/var/lib/kubelet/kubeadm-flags.env', content: sample('kubeadm-flags.env.1.26') },
        { kind: 'env', path: '/etc/default/kubelet', content: null },
      ]),
    );
    facts.cri = { socket: '/run/containerd/containerd.sock', v1: false, v1alpha2: true, runtimeName: 'containerd', runtimeVersion: '1.5.18', error: undefined };
    return facts;
  };

  it('units, package versions and what the runtime answers as the steps before leave them', () => {
    const facts = node();
    expect(projectNodeFacts(facts, emptyProjection())).toBe(facts);
    const projection = emptyProjection();
    projection.step = 'stop-kubelet';
    projection.setUnit('kubelet', { active: false });
    projection.step = 'upgrade-containerd';
    projection.setPackage('containerd', '1.7.22-1');
    const f = projectNodeFacts(facts, projection);
    expect(f.kubelet.active).toBe(false);
    expect(f.containerd.version).toBe('1.7.22');
    expect(f.runtime.version).toBe('1.7.22');
    expect(f.cri).toMatchObject({ v1: true, runtimeVersion: '1.7.22' });
    expect(facts.kubelet.active).toBe(true); // the node's own facts are not touched
    projection.setUnit('containerd', { active: false });
    expect(projectNodeFacts(facts, projection).cri).toMatchObject({ v1: undefined, error: 'containerd is stopped by an earlier step' });
  });

  it('kubelet flags from the files as the plan rewrites them', () => {
    const facts = node();
    expect(facts.kubelet.flags).toContain('--container-runtime');
    const projection = emptyProjection();
    projection.setFile('/var/lib/kubelet/kubeadm-flags.env', 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"\n');
    const f = projectNodeFacts(facts, projection);
    expect(f.kubelet.flags).toContain('--container-runtime-endpoint');
    expect(f.kubelet.flags).not.toContain('--container-runtime');
  });

  it('a kubelet the plan installs fails to start with a flag that version removed still on its command line', async () => {
    const facts = node();
    const start = { step: { id: 'start-kubelet', uses: 'systemd.service' } } as LaneStep;
    const params = { unit: 'kubelet', state: 'started' };
    const projection = emptyProjection();
    expect(await kubeletRefusals(start, params, projection, async () => facts)).toBeUndefined(); // nothing installed
    projection.step = 'upgrade-kubelet';
    projection.setPackage('kubelet', '1.27.16-1.1');
    const refused = await kubeletRefusals(start, params, projection, async () => facts);
    expect(refused).toMatch(/^kubelet 1\.27\.16 \(installed by upgrade-kubelet\) would refuse --container-runtime, still on its command line: `--container-runtime=remote` in \/var\/lib\/kubelet\/kubeadm-flags\.env \(\$KUBELET_KUBEADM_ARGS\)/);
    // Once a step before strips the flag, the start is fine.
    projection.setFile('/var/lib/kubelet/kubeadm-flags.env', 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"\n');
    expect(await kubeletRefusals(start, params, projection, async () => facts)).toBeUndefined();
    // A kubelet 1.27 already on the node (upgraded by hand) refuses it too, without a step installing it.
    const byHand = node();
    byHand.kubelet.version = '1.27.16';
    expect(await kubeletRefusals(start, params, emptyProjection(), async () => byHand)).toMatch(/^kubelet 1\.27\.16 \(installed\) would refuse --container-runtime/);
    // Stopping kubelet is not starting it.
    expect(await kubeletRefusals(start, { unit: 'kubelet', state: 'stopped' }, projection, async () => facts)).toBeUndefined();
  });
});
