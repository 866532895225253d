/**
 * `kubeadm.upgrade`: kubeadm's part of a minor-version upgrade, on the node itself.
 * - `mode: apply` (the first control-plane node): `kubeadm upgrade plan VERSION`, then `kubeadm
 *   upgrade apply VERSION --yes`. The check says ok when the node's static-pod manifests
 *   (kube-apiserver, kube-controller-manager, kube-scheduler) already run `version`; it refuses a
 *   target that skips a minor or goes back (kb/kubeadm-policy.ts), and shows kubeadm's own plan
 *   once the kubeadm at the target is installed. A plan made before that (the kubeadm package is
 *   an earlier step) says so instead of guessing kubeadm's verdict.
 * - `mode: node` (the other control-plane nodes, and workers): `kubeadm upgrade node`. On a
 *   control-plane node the check is the manifests again; on a worker the command rewrites the
 *   kubelet's configuration from the cluster and cleans kubeadm-flags.env, which leaves nothing
 *   a check could tell from before: it is an action there, like a restart (guard it with
 *   `when:` on the kubelet's version).
 * Rollback puts back what kubeadm backed up under /etc/kubernetes/tmp (the manifests, the
 * kubelet's config.yaml) and slipway's own copy of kubeadm-flags.env. It does not roll back the
 * cluster's kubeadm-config ConfigMap or etcd: kubeadm cannot downgrade a cluster, and neither
 * can slipway. Packages are rolled back by their own `pkg.install` steps.
 */
import { SlipwayError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import { controlPlaneUpgradeProblems, kubeVersion } from '../../kb/kubeadm-policy.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { backupPathFor } from '../file/backup.js';
import { cleanKubeadmFlags, kubeadmVersion, parseManifestTags, readFlagsEnv, restoreKubeadmBackups, type KubeadmBackups, MANIFESTS_DIR, CONTROL_PLANE_COMPONENTS, KUBEADM_TMP, FLAGS_ENV } from './kubeadm.js';

export interface KubeadmUpgradeParams {
  mode: 'apply' | 'node';
  /** The Kubernetes version to upgrade to: `1.27.16` or `v1.27.16`. */
  version: string;
}

export interface KubeadmUpgradeFacts {
  /** `kubeadm version -o short`, or null when kubeadm is not installed. */
  kubeadm: string | null;
  /** The image tag of each control-plane static pod; null on a node without them (a worker). */
  manifests: Record<string, string | null> | null;
  /** `kubeadm upgrade plan VERSION` (apply mode, kubeadm at the target): its exit code and output. */
  plan?: { code: number; output: string };
  /** /var/lib/kubelet/kubeadm-flags.env, or null when there is none. */
  flagsEnv: string | null;
  /** Plan only: an earlier step installs this kubeadm version first. */
  kubeadmProjected?: string;
}

/** What apply leaves to restore (kubeadm.ts: KubeadmBackups), and the mode it ran in. */
export interface KubeadmUpgradeUndo extends KubeadmBackups {
  mode: 'apply' | 'node';
}

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: "Run kubeadm's part of a minor-version upgrade on the node: `upgrade apply` on the first control-plane node, `upgrade node` on the others.",
  additionalProperties: false,
  required: ['mode', 'version'],
  properties: {
    mode: {
      enum: ['apply', 'node'],
      description: '`apply`: `kubeadm upgrade plan` and `kubeadm upgrade apply VERSION` (the first control-plane node). `node`: `kubeadm upgrade node` (every other node).',
    },
    version: {
      type: 'string',
      pattern: '^v?[0-9]+\\.[0-9]+\\.[0-9]+$',
      description: 'The Kubernetes version to upgrade to, with its patch: "1.27.16" or "v1.27.16".',
    },
  },
};

function atTarget(facts: KubeadmUpgradeFacts, target: string): boolean {
  return facts.manifests !== null && CONTROL_PLANE_COMPONENTS.every((c) => facts.manifests?.[c] === target);
}

function manifestSummary(facts: KubeadmUpgradeFacts): string {
  return CONTROL_PLANE_COMPONENTS.map((c) => `${c} ${facts.manifests?.[c] ?? 'missing'}`).join(', ');
}

/** kubeadm's FATAL lines, without its log prefixes: what it refused and why. */
function kubeadmVerdict(output: string): string {
  const lines = output.split('\n').map((l) => l.trim());
  const errors = lines.filter((l) => l.startsWith('- ')).map((l) => l.slice(2));
  const fatal = lines.find((l) => l.includes('FATAL'));
  return errors.length ? errors.join('; ') : (fatal ?? lines.filter(Boolean).slice(-1)[0] ?? 'no output');
}

/** The plan's table, from kubeadm's `upgrade plan` output: the lines from the first COMPONENT header on. */
function planTable(output: string): string {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l.startsWith('COMPONENT') || l.startsWith('Components that must'));
  return (start < 0 ? lines : lines.slice(start)).join('\n').trimEnd() + '\n';
}

function checkApply(facts: KubeadmUpgradeFacts, target: string): CheckResult {
  if (facts.manifests === null) return { status: 'fail', reason: `not a control-plane node: no ${MANIFESTS_DIR}/kube-apiserver.yaml (kubeadm upgrade apply runs on the first control-plane node)` };
  if (atTarget(facts, target)) return { status: 'ok', summary: `control plane at ${target} (${manifestSummary(facts)})` };
  const current = facts.manifests['kube-apiserver'] ?? 'unknown';
  const problems = controlPlaneUpgradeProblems(target, current, []);
  if (problems.length) return { status: 'fail', reason: problems.join('; ') };
  const kubeadm = facts.kubeadm === null ? null : kubeVersion(facts.kubeadm);
  const versions = [{ name: 'control plane', from: current, to: target }];
  if (facts.kubeadmProjected !== undefined && kubeadm !== target) {
    return {
      status: 'change',
      summary: `kubeadm upgrade apply ${target}: control plane ${current} -> ${target}; kubeadm's own \`upgrade plan\` runs first, once kubeadm ${kubeVersion(facts.kubeadmProjected)} is installed (kubeadm ${kubeadm ?? 'not installed'} now)`,
      versions,
    };
  }
  if (kubeadm !== target) {
    return { status: 'fail', reason: `kubeadm is ${kubeadm ?? 'not installed'}, not ${target}: install the kubeadm package at the target first (kubeadm upgrades to its own version)` };
  }
  if (facts.plan && facts.plan.code !== 0) return { status: 'fail', reason: `kubeadm upgrade plan ${target} refuses: ${kubeadmVerdict(facts.plan.output)}` };
  return {
    status: 'change',
    summary: `kubeadm upgrade apply ${target}: control plane ${current} -> ${target}`,
    ...(facts.plan ? { diff: `kubeadm upgrade plan ${target}:\n${planTable(facts.plan.output)}` } : {}),
    versions,
  };
}

function checkNode(facts: KubeadmUpgradeFacts, target: string): CheckResult {
  const kubeadm = facts.kubeadm === null ? null : kubeVersion(facts.kubeadm);
  if (facts.manifests !== null && atTarget(facts, target)) return { status: 'ok', summary: `control plane instance at ${target} (${manifestSummary(facts)})` };
  const projected = facts.kubeadmProjected !== undefined ? kubeVersion(facts.kubeadmProjected) : undefined;
  if ((projected ?? kubeadm) !== target) {
    return { status: 'fail', reason: `kubeadm is ${kubeadm ?? 'not installed'}, not ${target}: install the kubeadm package at the target first` };
  }
  const what =
    facts.manifests !== null
      ? `control plane instance ${facts.manifests['kube-apiserver'] ?? 'unknown'} -> the cluster's version (${target} once the first control-plane node is upgraded)`
      : "the kubelet's configuration from the cluster, kubeadm-flags.env cleaned of the flags kubeadm no longer writes";
  return { status: 'change', summary: `kubeadm upgrade node: ${what}`, ...(facts.manifests !== null ? { versions: [{ name: 'control plane instance', from: facts.manifests['kube-apiserver'] ?? 'unknown', to: target }] } : {}) };
}

/** The backup directories kubeadm made under /etc/kubernetes/tmp that were not there `before`. */
function newBackups(before: readonly string[], after: readonly string[], prefix: string): string | null {
  const added = after.filter((d) => d.startsWith(prefix) && !before.includes(d)).sort();
  return added.length ? `${KUBEADM_TMP}/${added[added.length - 1]}` : null;
}

/** `last`: the listing after kubeadm is apply's last command (a read: the step's check may share its exec). */
async function listTmp(ctx: StepContext, last = false): Promise<string[]> {
  const r = await ctx.remote.exec(['ls', '-1', '--', KUBEADM_TMP], execOptions(ctx, { last }));
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

async function runKubeadm(ctx: StepContext, argv: string[]): Promise<void> {
  const r = await ctx.remote.exec(argv, execOptions(ctx));
  if (r.code !== 0) {
    throw new SlipwayError(`${ctx.remote.host}: \`${argv.join(' ')}\` exited ${r.code}: ${kubeadmVerdict(`${r.stdout}\n${r.stderr}`)}`);
  }
}

export const kubeadmUpgradeStep: StepType<KubeadmUpgradeParams, KubeadmUpgradeFacts, KubeadmUpgradeUndo> = {
  kind: 'kubeadm.upgrade',
  description: "kubeadm's part of a minor-version upgrade: `upgrade apply` (first control-plane node) or `upgrade node`; rollback restores the manifests and kubelet config kubeadm backed up.",
  paramsSchema,

  alwaysChanges(params: KubeadmUpgradeParams): boolean {
    // On a worker `upgrade node` leaves nothing a check could tell apart (see above).
    return params.mode === 'node';
  },

  async facts(ctx: StepContext, params: KubeadmUpgradeParams): Promise<KubeadmUpgradeFacts> {
    const [kubeadm, manifests, flagsEnv] = await Promise.all([kubeadmVersion(ctx), parseManifestTags(ctx), readFlagsEnv(ctx)]);
    const target = kubeVersion(params.version);
    const facts: KubeadmUpgradeFacts = { kubeadm, manifests, flagsEnv };
    if (params.mode === 'apply' && manifests !== null && kubeadm !== null && kubeVersion(kubeadm) === target && target !== undefined && manifests['kube-apiserver'] !== target) {
      // `upgrade plan` only reads the cluster: kubeadm's verdict for the plan and the check.
      const r = await ctx.remote.exec(['kubeadm', 'upgrade', 'plan', target], execOptions(ctx));
      facts.plan = { code: r.code, output: `${r.stdout}\n${r.stderr}`.trim() };
    }
    return facts;
  },

  project(_params: KubeadmUpgradeParams, facts: KubeadmUpgradeFacts, projection: Projection): KubeadmUpgradeFacts {
    const pkg = projection.package('kubeadm');
    return pkg === undefined ? facts : { ...facts, kubeadmProjected: pkg.version };
  },

  predict(_params: KubeadmUpgradeParams, facts: KubeadmUpgradeFacts, projection: Projection): void {
    // What later steps read of kubeadm's work: kubeadm-flags.env, cleaned (the manifests and
    // the kubelet's config.yaml are read by no other step).
    if (facts.flagsEnv !== null) projection.setFile(FLAGS_ENV, cleanKubeadmFlags(facts.flagsEnv));
  },

  check(params: KubeadmUpgradeParams, facts: KubeadmUpgradeFacts): CheckResult {
    const target = kubeVersion(params.version) ?? params.version;
    return params.mode === 'apply' ? checkApply(facts, target) : checkNode(facts, target);
  },

  async apply(ctx: StepContext, params: KubeadmUpgradeParams, facts: KubeadmUpgradeFacts): Promise<KubeadmUpgradeUndo> {
    const target = kubeVersion(params.version) ?? params.version;
    // kubeadm-flags.env as the facts read it: backed up next to it, as the file steps do.
    const flagsEnvBackup = facts.flagsEnv === null ? null : backupPathFor(FLAGS_ENV);
    const [before] = await Promise.all([listTmp(ctx), flagsEnvBackup === null ? undefined : ctx.remote.run(['cp', '-p', '--', FLAGS_ENV, flagsEnvBackup], execOptions(ctx))]);
    if (params.mode === 'apply') {
      if (!facts.plan) await runKubeadm(ctx, ['kubeadm', 'upgrade', 'plan', target]);
      await runKubeadm(ctx, ['kubeadm', 'upgrade', 'apply', target, '--yes']);
    } else {
      await runKubeadm(ctx, ['kubeadm', 'upgrade', 'node']);
    }
    const after = await listTmp(ctx, true);
    return {
      mode: params.mode,
      manifestsBackup: newBackups(before, after, 'kubeadm-backup-manifests-'),
      kubeletConfigBackup: newBackups(before, after, 'kubeadm-kubelet-config-'),
      flagsEnvBackup,
    };
  },

  async rollback(ctx: StepContext, _params: KubeadmUpgradeParams, undo: KubeadmUpgradeUndo): Promise<void> {
    await restoreKubeadmBackups(ctx, undo);
  },

  applied(params: KubeadmUpgradeParams, facts: KubeadmUpgradeFacts): string {
    const target = kubeVersion(params.version) ?? params.version;
    const from = facts.manifests?.['kube-apiserver'];
    if (params.mode === 'apply') return `kubeadm upgrade apply ${target}: control plane ${from ?? 'unknown'} -> ${target}`;
    return from ? `kubeadm upgrade node: control plane instance ${from} -> the cluster's version` : "kubeadm upgrade node: the kubelet's configuration and kubeadm-flags.env from the cluster";
  },
};

