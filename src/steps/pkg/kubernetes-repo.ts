/**
 * `pkg.kubernetesRepo`: point the node's Kubernetes package repository at one minor version.
 *
 * The community repositories (pkgs.k8s.io, since the legacy apt.kubernetes.io and
 * yum.kubernetes.io were frozen in 2023: kubernetes.io/blog/2023/08/15/pkgs-k8s-io-introduction)
 * hold one minor version each, at `.../core:/stable:/v1.27/deb/` (apt) and
 * `.../core:/stable:/v1.27/rpm/` (dnf and yum, in `baseurl=` and `gpgkey=`). Going to the next
 * minor means changing that path wherever the node's apt sources or yum repo files name it; the
 * rest of each line (a mirror's host, `signed-by=` and other options) stays as the operator
 * wrote it. The signing key is the same for every minor of pkgs.k8s.io's stable channel.
 *
 * The check lists each file and line to change with a diff; a node with no such repository
 * fails the check (there is nothing to point at the minor). apt's lists are refreshed by the
 * `pkg.install` that follows (it runs `apt-get update` when apt does not know the version yet);
 * dnf keeps its metadata cache per repository URL, so the new path is fetched afresh.
 * Before it changes a line, apply downloads the installed kubelet, kubeadm, kubectl (and
 * cri-tools, kubernetes-cni) at their versions into /var/cache/slipway/packages: once the line
 * names the next minor no repository apt reads has them, and `pkg.install`'s rollback installs
 * them from there. Rollback restores each file from its backup.
 */
import { execOptions } from '../../facts/exec-options.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { keepInstalledPackages } from './kept-packages.js';
import { changedOrUndefined, editWithBackup, fileDiff, restoreFile, sha256, type FileUndo } from '../file/backup.js';

export interface KubernetesRepoParams {
  /** The version the repository should serve: "1.27", or a whole version ("1.27.16") whose minor it is. */
  version: string;
  backup?: boolean;
}

export interface KubernetesRepoFacts {
  /** Each apt sources or yum repo file that names a pkgs.k8s.io-style repository, with its content. */
  files: Array<{ path: string; content: string }>;
}

export interface KubernetesRepoUndo {
  files: FileUndo[];
}

/** Where apt and dnf/yum read repositories from. */
export const REPO_LOCATIONS = ['/etc/apt/sources.list', '/etc/apt/sources.list.d', '/etc/yum.repos.d'] as const;

/** `/core:/stable:/v1.27/deb/`, `/core:/stable:/v1.27/rpm/` (also under a mirror's host). */
const MINOR_PATH = /(\/core:\/stable:\/v)(\d+\.\d+)(\/(?:deb|rpm)\b)/g;

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: "Point the node's Kubernetes package repository (pkgs.k8s.io's one-repository-per-minor layout, apt or dnf) at a minor version.",
  additionalProperties: false,
  required: ['version'],
  properties: {
    version: {
      type: 'string',
      pattern: '^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?$',
      description: 'The minor version the repository should serve ("1.27"), or a whole version whose minor it is ("1.27.16"). Write it quoted: 1.30 unquoted is the number 1.3.',
    },
    backup: { type: 'boolean', default: true, description: 'Keep a copy of each file changed next to it (`<path>.slipway-<time>.bak`) for rollback.' },
  },
};

/** The text with every pkgs.k8s.io-style minor path set to `minor`. Pure. */
export function pointAtMinor(content: string, minor: string): string {
  return content.replace(MINOR_PATH, (_all, head: string, _old: string, tail: string) => `${head}${minor}${tail}`);
}

/** `1.27.16`, `v1.27` -> `1.27`. Pure. */
export function minorOfVersion(version: string): string {
  return version.replace(/^v/, '').split('.').slice(0, 2).join('.');
}

/** The minors a file's repository lines name now. Pure. */
export function minorsIn(content: string): string[] {
  return [...new Set([...content.matchAll(MINOR_PATH)].map((m) => m[2] as string))];
}

/** The packages pkgs.k8s.io serves. */
export const KUBERNETES_REPO_PACKAGES = ['kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'kubernetes-cni'] as const;

/** `name version` lines (dpkg-query, rpm -q) -> the installed ones. Pure. */
export function parseInstalled(text: string): Array<{ name: string; version: string }> {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w): w is [string, string] => w.length === 2 && (w[1] ?? '') !== '')
    .map(([name, version]) => ({ name, version }));
}

async function installedKubernetesPackages(ctx: StepContext, method: 'apt' | 'dnf'): Promise<Array<{ name: string; version: string }>> {
  const argv =
    method === 'apt'
      ? ['dpkg-query', '-W', '-f', '${db:Status-Status} ${Package} ${Version}\n', ...KUBERNETES_REPO_PACKAGES]
      : ['rpm', '-q', '--qf', 'installed %{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE}\n', ...KUBERNETES_REPO_PACKAGES];
  const r = await ctx.remote.exec(argv, execOptions(ctx));
  // Only lines whose status is "installed"; the status word then goes.
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('installed ')).map((l) => l.slice('installed '.length).replace(/ 0:/, ' '));
  return parseInstalled(lines.join('\n'));
}

function isRepoFile(path: string): boolean {
  return path === '/etc/apt/sources.list' || /\.(list|sources)$/.test(path) || /\.repo$/.test(path);
}

export const kubernetesRepoStep: StepType<KubernetesRepoParams, KubernetesRepoFacts, KubernetesRepoUndo> = {
  kind: 'pkg.kubernetesRepo',
  description: "Point the node's Kubernetes package repository (pkgs.k8s.io layout, apt or dnf) at a minor version.",
  paramsSchema,

  async facts(ctx: StepContext): Promise<KubernetesRepoFacts> {
    // grep -l: the files naming a minor path; -s: locations a node lacks (no yum.repos.d on Debian) are not errors.
    const r = await ctx.remote.exec(['grep', '-rlsE', '/core:/stable:/v[0-9]+\\.[0-9]+/(deb|rpm)', '--', ...REPO_LOCATIONS], execOptions(ctx));
    const paths = r.stdout.split('\n').filter((p) => p !== '' && isRepoFile(p)).sort();
    const contents = await Promise.all(paths.map((p) => ctx.remote.readFile(p)));
    return { files: paths.flatMap((path, i) => (contents[i] === null ? [] : [{ path, content: contents[i] as string }])) };
  },

  project(_params: KubernetesRepoParams, facts: KubernetesRepoFacts, projection: Projection): KubernetesRepoFacts {
    return { files: facts.files.map((f) => ({ path: f.path, content: projection.file(f.path, f.content) ?? f.content })) };
  },

  predict(params: KubernetesRepoParams, facts: KubernetesRepoFacts, projection: Projection): void {
    for (const f of facts.files) projection.setFile(f.path, pointAtMinor(f.content, minorOfVersion(params.version)));
  },

  check(params: KubernetesRepoParams, facts: KubernetesRepoFacts): CheckResult {
    if (facts.files.length === 0) {
      return { status: 'fail', reason: `no Kubernetes package repository of pkgs.k8s.io's layout (…/core:/stable:/vX.Y/deb or rpm) in ${REPO_LOCATIONS.join(', ')}` };
    }
    const changing = facts.files.filter((f) => pointAtMinor(f.content, minorOfVersion(params.version)) !== f.content);
    if (changing.length === 0) return { status: 'ok', summary: `Kubernetes repository at v${minorOfVersion(params.version)} (${facts.files.map((f) => f.path).join(', ')})` };
    const from = [...new Set(changing.flatMap((f) => minorsIn(f.content)))].filter((m) => m !== minorOfVersion(params.version));
    return {
      status: 'change',
      summary: `Kubernetes repository v${from.join(', v')} -> v${minorOfVersion(params.version)} in ${changing.map((f) => f.path).join(', ')}`,
      diff: changing.map((f) => fileDiff(f.path, f.content, pointAtMinor(f.content, minorOfVersion(params.version)))).join(''),
    };
  },

  async apply(ctx: StepContext, params: KubernetesRepoParams, facts: KubernetesRepoFacts): Promise<KubernetesRepoUndo> {
    // The old minor's packages leave apt's (dnf's) reach with the line: keep the installed ones for pkg.install's rollback.
    const method = facts.files.some((f) => f.path.startsWith('/etc/yum.repos.d/')) ? 'dnf' : 'apt';
    await keepInstalledPackages(ctx, method, await installedKubernetesPackages(ctx, method));
    const undo: FileUndo[] = [];
    const minor = minorOfVersion(params.version);
    const changing = facts.files.filter((f) => pointAtMinor(f.content, minor) !== f.content);
    for (const [i, f] of changing.entries()) {
      // The last file's write is the step's last command: its check rides in the same exec.
      const edit = (before: string) => changedOrUndefined(before, pointAtMinor(before, minor));
      const edited = await editWithBackup(ctx, f.path, f.content, edit, { backup: params.backup !== false, last: i === changing.length - 1 });
      if (!edited.written) continue;
      undo.push({ path: f.path, changed: true, existed: true, backupPath: edited.backupPath, previousSha256: sha256(edited.before), afterSha256: sha256(edited.after) });
    }
    return { files: undo };
  },

  async rollback(ctx: StepContext, _params: KubernetesRepoParams, undo: KubernetesRepoUndo): Promise<void> {
    for (const file of [...undo.files].reverse()) await restoreFile(ctx, file);
  },
};
