/**
 * containerd 2.x ahead (kb-facts "containerd and the CRI API"): settings in config.toml that 2.0
 * removed, ignores or deprecates, when the node is about to move to 2.x (its package candidate)
 * or already runs it; and config version 3, a one-way door for a rollback to 1.x.
 */
import semver from 'semver';
import { CONFIG_V3_ROLLBACK_HAZARD } from '../containerd-config.js';
import type { DiagnosedNode, Finding, NodeRule } from '../findings.js';
import { coerce } from '../versions.js';

export const containerd2Config: NodeRule = {
  id: 'containerd-2-config',
  check(node: DiagnosedNode): Finding[] {
    const { containerd, packages } = node.facts;
    const config = containerd.config;
    if (!containerd.installed || !config || config.issues.length === 0) return [];
    const running = coerce(containerd.version);
    const candidate = coerce(packages?.containerd.candidate);
    const runs2 = running !== undefined && semver.major(running) >= 2;
    const ahead = !runs2 && candidate !== undefined && semver.major(candidate) >= 2;
    if (!runs2 && !ahead) return [];
    const severe = config.issues.some((i) => i.rule.effect === 'removed' || i.rule.effect === 'fails');
    const list = config.issues.map((i) => `${i.rule.what} (${config.path}${i.line ? `:${i.line}` : ''}): ${i.rule.effect}; ${i.rule.fix}`);
    return [
      {
        rule: this.id,
        severity: severe ? 'error' : 'warning',
        title: ahead
          ? `config.toml has ${config.issues.length} setting(s) that containerd ${packages?.containerd.candidate} (the package's candidate) no longer takes`
          : `containerd ${containerd.version} ignores or refuses ${config.issues.length} setting(s) of its config.toml`,
        detail: `${list.join('; ')}${ahead ? `. ${CONFIG_V3_ROLLBACK_HAZARD.why}: ${CONFIG_V3_ROLLBACK_HAZARD.fix}` : ''}`,
        sources: [...new Set([...config.issues.map((i) => i.rule.source), ...(ahead ? [CONFIG_V3_ROLLBACK_HAZARD.source] : [])])],
        fix: { advice: `edit ${config.path} as listed before the upgrade (\`ctr deprecations list\` on containerd 1.6.27+/1.7.12+ lists the same)` },
      },
    ];
  },
};
