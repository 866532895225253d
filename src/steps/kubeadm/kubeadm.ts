/**
 * What kubeadm leaves on a node, as the `kubeadm.*` steps read and restore it: its version, the
 * control-plane static-pod manifests (their image tags are the control plane's version), the
 * backups it makes under /etc/kubernetes/tmp on an upgrade, and kubeadm-flags.env.
 */
import { posix } from 'node:path';
import { RollbackError, SlipwayError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import type { StepContext } from '../types.js';

export const MANIFESTS_DIR = '/etc/kubernetes/manifests';
export const KUBEADM_TMP = '/etc/kubernetes/tmp';
export const FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env';
export const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';
export const CONTROL_PLANE_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/** `kubeadm version -o short` (`v1.27.16`), or null when kubeadm is not on the node. */
export async function kubeadmVersion(ctx: StepContext): Promise<string | null> {
  const r = await ctx.remote.exec(['kubeadm', 'version', '-o', 'short'], execOptions(ctx));
  if (r.code === 127) return null;
  if (r.code !== 0) throw new SlipwayError(`${ctx.remote.host}: kubeadm version failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

/** The image tag in a static-pod manifest (`image: registry.k8s.io/kube-apiserver:v1.27.16`). Pure. */
export function imageTag(manifest: string): string | null {
  return /^[\s-]*image:\s*\S+:(v[0-9][^\s"']*)/m.exec(manifest)?.[1] ?? null;
}

/** Each control-plane component's image tag; null when the node has no kube-apiserver manifest (a worker). */
export async function parseManifestTags(ctx: StepContext): Promise<Record<string, string | null> | null> {
  const texts = await Promise.all(CONTROL_PLANE_COMPONENTS.map((c) => ctx.remote.readFile(`${MANIFESTS_DIR}/${c}.yaml`)));
  if (texts[0] === null) return null;
  return Object.fromEntries(CONTROL_PLANE_COMPONENTS.map((c, i) => [c, texts[i] === null ? null : imageTag(texts[i] as string)]));
}

/**
 * Flags kubeadm no longer writes into kubeadm-flags.env, and takes out of it on `upgrade`:
 * `--container-runtime` (kubelet 1.27 removed it, kubernetes/kubernetes#112000) and
 * `--pod-infra-container-image` (the pause image moved to the runtime's config).
 */
export const KUBEADM_CLEANED_FLAGS = ['--container-runtime', '--pod-infra-container-image'] as const;

/** kubeadm-flags.env as `kubeadm upgrade` leaves it: KUBELET_KUBEADM_ARGS without KUBEADM_CLEANED_FLAGS. Pure. */
export function cleanKubeadmFlags(env: string): string {
  return env.replace(/KUBELET_KUBEADM_ARGS="([^"]*)"/, (_all, args: string) => {
    const words = args.split(/\s+/).filter(Boolean);
    const kept: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      const name = word.split('=')[0] as (typeof KUBEADM_CLEANED_FLAGS)[number];
      if (!KUBEADM_CLEANED_FLAGS.includes(name)) kept.push(word);
      else if (!word.includes('=') && !(words[i + 1] ?? '-').startsWith('-')) i++; // `--flag value`
    }
    return `KUBELET_KUBEADM_ARGS="${kept.join(' ')}"`;
  });
}

export async function readFlagsEnv(ctx: StepContext): Promise<string | null> {
  return ctx.remote.readFile(FLAGS_ENV);
}

export interface KubeadmBackups {
  /** kubeadm's backup of the manifests (…/kubeadm-backup-manifests-DATE), when it made one. */
  manifestsBackup: string | null;
  /** kubeadm's backup of the kubelet config (…/kubeadm-kubelet-config-DATE), when it made one. */
  kubeletConfigBackup: string | null;
  /** slipway's copy of kubeadm-flags.env beside it (file/backup.ts's name), or null when there was none. */
  flagsEnvBackup: string | null;
}

/**
 * Copies kubeadm's backups back in place: each manifest of the backup directory into
 * /etc/kubernetes/manifests (kubelet restarts the static pods from them), config.yaml to
 * /var/lib/kubelet, and slipway's copy of kubeadm-flags.env. Each file goes through a temp file
 * and a rename. Running it again after it succeeded changes nothing.
 */
export async function restoreKubeadmBackups(ctx: StepContext, undo: KubeadmBackups): Promise<void> {
  const restores: Array<{ from: string; to: string }> = [];
  if (undo.manifestsBackup !== null) {
    const r = await ctx.remote.exec(['ls', '-1', '--', undo.manifestsBackup], execOptions(ctx));
    if (r.code !== 0) throw new RollbackError(`${ctx.remote.host}: kubeadm's backup of the static-pod manifests ${undo.manifestsBackup} is gone; restore ${MANIFESTS_DIR} by hand`);
    for (const file of r.stdout.split('\n').filter((f) => f.endsWith('.yaml'))) restores.push({ from: `${undo.manifestsBackup}/${file}`, to: `${MANIFESTS_DIR}/${file}` });
  }
  if (undo.kubeletConfigBackup !== null) restores.push({ from: `${undo.kubeletConfigBackup}/config.yaml`, to: KUBELET_CONFIG });
  if (undo.flagsEnvBackup !== null) restores.push({ from: undo.flagsEnvBackup, to: FLAGS_ENV });
  for (const { from, to } of restores) {
    // A dot file: kubelet ignores those in the manifests directory while the copy is made.
    const temp = posix.join(posix.dirname(to), `.${posix.basename(to)}.slipway-restore`);
    const r = await ctx.remote.exec(['sh', '-c', 'cp -p -- "$1" "$2" && mv -f -- "$2" "$3"', 'sh', from, temp, to], execOptions(ctx));
    if (r.code !== 0) throw new RollbackError(`${ctx.remote.host}: cannot restore ${to} from ${from}: ${(r.stderr || r.stdout).trim()}`);
  }
}
