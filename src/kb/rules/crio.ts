/**
 * CRI-O's default runtime (field note 3): the merged default runtime differs from the runtime
 * the node's containers run under, or the candidate package will install a drop-in that
 * switches it.
 */
import { mergeCrioConfigs, runtimeView } from '../../facts/crio-config.js';
import { CRIO_CRUN_DROP_IN_FROM, CRIO_PACKAGED_DROP_IN, CRIO_PACKAGED_DROP_IN_CONTENT, CRIO_SWITCH_SOURCES } from '../crio-packaging.js';
import type { DiagnosedNode, Finding, NodeRule } from '../findings.js';
import { atLeast, coerce, upstreamOf } from '../versions.js';
import semver from 'semver';

function runningRuntime(node: DiagnosedNode): string | undefined {
  return node.facts.crio.runningRuntimes?.[0];
}

export const crioRuntimeMismatch: NodeRule = {
  id: 'crio-runtime-mismatch',
  check(node: DiagnosedNode): Finding[] {
    const { crio } = node.facts;
    if (!crio.installed || !crio.config || crio.defaultRuntime === undefined) return [];
    const others = (crio.runningRuntimes ?? []).filter((r) => r !== crio.defaultRuntime);
    if (others.length === 0) return [];
    return [
      {
        rule: this.id,
        severity: 'error',
        title: `CRI-O's configuration says default_runtime = ${crio.defaultRuntime}, but containers run under ${others.join(', ')}`,
        detail: `set by ${crio.config.setBy ?? 'CRI-O\'s built-in default'}; at its next restart CRI-O loses track of the containers another runtime started (pods fail, e.g. "address already in use")`,
        sources: [...CRIO_SWITCH_SOURCES],
        fix: { playbook: 'crio-pin-runtime', vars: { runtime: others[0] as string }, advice: `pin default_runtime to ${others[0]} with a drop-in that sorts after the others, node by node` },
      },
    ];
  },
};

export const crioUpgradeSwitchesRuntime: NodeRule = {
  id: 'crio-upgrade-switches-runtime',
  check(node: DiagnosedNode): Finding[] {
    const { crio, packages } = node.facts;
    const pkg = packages?.['cri-o'];
    if (!crio.installed || !crio.config || !pkg?.installed || !pkg.candidate) return [];
    const [installed, candidate] = [coerce(pkg.installed), coerce(pkg.candidate)];
    if (!installed || !candidate || !semver.gt(candidate, installed) || !atLeast(candidate, CRIO_CRUN_DROP_IN_FROM)) return [];
    const now = crio.defaultRuntime ?? 'runc';
    if (now === 'crun') return [];
    // The files as they will be once the package has put its drop-in in place.
    const files = crio.config.files.filter((f) => f.path !== CRIO_PACKAGED_DROP_IN);
    const at = files.findIndex((f) => f.path.includes('/crio.conf.d/') && f.path > CRIO_PACKAGED_DROP_IN);
    const after = [...files.slice(0, at < 0 ? files.length : at), { path: CRIO_PACKAGED_DROP_IN, content: CRIO_PACKAGED_DROP_IN_CONTENT }, ...(at < 0 ? [] : files.slice(at))];
    const merged = runtimeView(mergeCrioConfigs(after).config).defaultRuntime;
    if (merged === now) return [];
    const keep = runningRuntime(node) ?? now;
    return [
      {
        rule: this.id,
        severity: 'error',
        title: `upgrading cri-o ${pkg.installed} -> ${pkg.candidate} switches the default runtime from ${now} to ${merged}`,
        detail: `CRI-O packages from ${CRIO_CRUN_DROP_IN_FROM.replace(/\.0$/, '')} on ship ${CRIO_PACKAGED_DROP_IN} with default_runtime = "crun", and nothing sorting after it pins ${now}; the containers running under ${keep} would be lost to CRI-O`,
        sources: [...CRIO_SWITCH_SOURCES],
        fix: {
          playbook: 'crio-pin-runtime',
          vars: { crio_version: pkg.candidate, crio_target: upstreamOf(pkg.candidate), runtime: keep },
          advice: `upgrade with the pin: drain, clear the sandboxes, upgrade, pin default_runtime = ${keep}, restart, node by node`,
        },
      },
    ];
  },
};
