import { describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult } from '../../../src/transport/types.js';
import { CommandOnlyRemote, contextFor } from '../helpers.js';
import { Projection } from '../../../src/steps/projection.js';
import { cleanKubeadmFlags, FLAGS_ENV, imageTag } from '../../../src/steps/kubeadm/kubeadm.js';
import { kubeadmUpgradeStep, type KubeadmUpgradeFacts } from '../../../src/steps/kubeadm/upgrade.js';

const at = (v: string) => ({ 'kube-apiserver': v, 'kube-controller-manager': v, 'kube-scheduler': v });
const cp = (over: Partial<KubeadmUpgradeFacts> = {}): KubeadmUpgradeFacts => ({ kubeadm: 'v1.27.16', manifests: at('v1.26.15'), flagsEnv: null, ...over });
const apply = { mode: 'apply' as const, version: '1.27.16' };
const node = { mode: 'node' as const, version: '1.27.16' };

// The shape of kubeadm's output (as the fleet's kubeadm prints it: cmd/kubeadm's messages).
const REFUSED = `[upgrade/versions] Cluster version: v1.26.15
[upgrade/versions] kubeadm version: v1.27.16
[upgrade/version] FATAL: the --version argument is invalid due to these errors:

\t- There are kubelets in this cluster that are too old that have these versions [v1.25.3]

Can be bypassed if you pass the --force flag`;
const PLAN = `[upgrade/versions] Cluster version: v1.26.15

Components that must be upgraded manually after you have upgraded the control plane with 'kubeadm upgrade apply':
COMPONENT   NODE      CURRENT    TARGET
kubelet     cp-1      v1.26.15   v1.27.16

You can now apply the upgrade by executing the following command:

\tkubeadm upgrade apply v1.27.16
`;

describe('kubeadm.upgrade', () => {
  it('reads image tags and cleans kubeadm-flags.env as kubeadm upgrade does', () => {
    expect(imageTag('spec:\n  containers:\n  - image: registry.k8s.io/kube-apiserver:v1.27.16\n')).toBe('v1.27.16');
    expect(imageTag('kind: Pod\n')).toBeNull();
    expect(cleanKubeadmFlags('KUBELET_KUBEADM_ARGS="--container-runtime=remote --container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image registry.k8s.io/pause:3.9"\n')).toBe(
      'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"\n',
    );
  });

  it('apply: ok at the target; refuses a node without manifests, a skipped minor, a downgrade, an old kubeadm', () => {
    expect(kubeadmUpgradeStep.check(apply, cp({ manifests: at('v1.27.16') }))).toMatchObject({ status: 'ok', summary: expect.stringContaining('control plane at v1.27.16') });
    expect(kubeadmUpgradeStep.check(apply, cp({ manifests: null }))).toMatchObject({ status: 'fail', reason: expect.stringContaining('not a control-plane node') });
    expect(kubeadmUpgradeStep.check(apply, cp({ manifests: at('v1.25.16') }))).toMatchObject({ status: 'fail', reason: expect.stringContaining('skips a minor version: the API server is v1.25.16') });
    expect(kubeadmUpgradeStep.check(apply, cp({ manifests: at('v1.28.2') }))).toMatchObject({ status: 'fail', reason: expect.stringContaining('kubeadm does not downgrade') });
    expect(kubeadmUpgradeStep.check(apply, cp({ kubeadm: 'v1.26.15' }))).toMatchObject({ status: 'fail', reason: expect.stringContaining('kubeadm is v1.26.15, not v1.27.16') });
  });

  it("apply: the plan shows kubeadm's own plan, or says it runs once the kubeadm an earlier step installs is there; kubeadm's refusal fails the check", () => {
    expect(kubeadmUpgradeStep.check(apply, cp({ plan: { code: 0, output: PLAN } }))).toMatchObject({
      status: 'change',
      summary: 'kubeadm upgrade apply v1.27.16: control plane v1.26.15 -> v1.27.16',
      diff: expect.stringContaining('kubelet     cp-1      v1.26.15   v1.27.16'),
      versions: [{ name: 'control plane', from: 'v1.26.15', to: 'v1.27.16' }],
    });
    expect(kubeadmUpgradeStep.check(apply, cp({ kubeadm: 'v1.26.15', kubeadmProjected: '1.27.16-1.1' }))).toMatchObject({
      status: 'change',
      summary: expect.stringContaining("kubeadm's own `upgrade plan` runs first, once kubeadm v1.27.16 is installed (kubeadm v1.26.15 now)"),
    });
    expect(kubeadmUpgradeStep.check(apply, cp({ plan: { code: 1, output: REFUSED } }))).toEqual({
      status: 'fail',
      reason: 'kubeadm upgrade plan v1.27.16 refuses: There are kubelets in this cluster that are too old that have these versions [v1.25.3]',
    });
  });

  it('node: ok on a control-plane node at the target, an action on a worker, refused with an old kubeadm', () => {
    expect(kubeadmUpgradeStep.alwaysChanges?.(node)).toBe(true);
    expect(kubeadmUpgradeStep.alwaysChanges?.(apply)).toBe(false);
    expect(kubeadmUpgradeStep.check(node, cp({ manifests: at('v1.27.16') }))).toMatchObject({ status: 'ok' });
    expect(kubeadmUpgradeStep.check(node, cp())).toMatchObject({ status: 'change', summary: expect.stringContaining('control plane instance v1.26.15') });
    expect(kubeadmUpgradeStep.check(node, cp({ manifests: null }))).toMatchObject({ status: 'change', summary: expect.stringContaining("the kubelet's configuration from the cluster") });
    expect(kubeadmUpgradeStep.check(node, cp({ manifests: null, kubeadm: 'v1.26.15' }))).toMatchObject({ status: 'fail', reason: expect.stringContaining('install the kubeadm package at the target first') });
  });

  it('predicts kubeadm-flags.env cleaned, for the steps after it in a plan', () => {
    const projection = new Projection();
    projection.step = 'kubeadm-node';
    kubeadmUpgradeStep.predict?.(node, cp({ flagsEnv: 'KUBELET_KUBEADM_ARGS="--container-runtime=remote --node-ip=10.0.0.5"\n' }), projection);
    expect(projection.file(FLAGS_ENV, null)).toBe('KUBELET_KUBEADM_ARGS="--node-ip=10.0.0.5"\n');
  });

  it("apply (node mode): kubeadm's backups are found by the listing after it, the one command marked last", async () => {
    const remote = new KubeadmHost();
    const undo = await kubeadmUpgradeStep.apply(contextFor(remote), node, cp({ flagsEnv: 'KUBELET_KUBEADM_ARGS="--pod-infra-container-image=x"\n' }));
    expect(undo.kubeletConfigBackup).toBe('/etc/kubernetes/tmp/kubeadm-kubelet-config-2026-12-04-01-00-00');
    expect(undo.flagsEnvBackup).not.toBeNull();
    const marked = remote.sent.filter((c) => c.last).map((c) => c.argv.join(' '));
    expect(marked).toEqual(['ls -1 -- /etc/kubernetes/tmp']);
    expect(remote.sent.at(-1)?.last).toBe(true);
    expect(remote.sent.some((c) => c.argv.join(' ') === 'kubeadm upgrade node' && !c.last)).toBe(true);
  });
});

/** A node where `kubeadm upgrade node` leaves a kubelet config backup in kubeadm's tmp dir; records every command. */
class KubeadmHost extends CommandOnlyRemote {
  readonly host = 'node-1';
  readonly sent: Array<{ argv: string[]; last: boolean }> = [];
  private upgraded = false;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.sent.push({ argv: [...argv], last: options?.last === true });
    const ok = (stdout = ''): Promise<ExecResult> => Promise.resolve({ code: 0, stdout, stderr: '' });
    if (argv[0] === 'ls') return ok(this.upgraded ? 'kubeadm-kubelet-config-2026-12-04-01-00-00\n' : '');
    if (argv.join(' ') === 'kubeadm upgrade node') {
      this.upgraded = true;
      return ok('[upgrade] The configuration for this node was successfully updated!\n');
    }
    if (argv[0] === 'cp') return ok();
    return Promise.resolve({ code: 127, stdout: '', stderr: `${argv[0]}: not expected here\n` });
  }
}
