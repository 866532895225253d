/**
 * A kubelet the plan starts must accept its command line: the flags that its version (the one an
 * earlier step installs, else the one on the node) no longer accepts, still on the command line
 * as the plan leaves the files, make the start fail (field note 5).
 */
import type { NodeFacts } from '../facts/node.js';
import { flagsRemovedBy } from '../kb/kubelet-flags.js';
import { upstreamVersion, type Projection } from '../steps/projection.js';
import type { LaneStep } from './lane.js';
import { projectedCommandLine } from './projection-facts.js';

/** Why starting kubelet in step `s` would fail, or undefined. */
export async function kubeletRefusals(
  s: LaneStep,
  params: Record<string, unknown>,
  projection: Projection,
  facts: () => Promise<NodeFacts>,
): Promise<string | undefined> {
  const starts = s.step.uses === 'systemd.service' && /^kubelet(\.service)?$/.test(String(params.unit)) && (params.state === 'started' || params.state === 'restarted');
  if (!starts) return undefined;
  const pkg = projection.package('kubelet');
  const node = await facts();
  // The kubelet the plan installs, else the one on the node (upgraded by hand, say).
  const version = pkg ? upstreamVersion(pkg.version) : node.kubelet.version;
  if (version === undefined) return undefined;
  let removed;
  try {
    removed = new Map(flagsRemovedBy(version).map((f) => [f.flag, f]));
  } catch {
    return undefined; // not a version the knowledge base can place
  }
  const cl = projectedCommandLine(node, projection);
  const left = (cl?.flags ?? []).filter((f) => removed.has(f.name));
  if (left.length === 0) return undefined;
  const where = left.map((f) => `\`${f.text}\` in ${f.from}${f.variable ? ` ($${f.variable})` : ''}`).join('; ');
  const which = pkg ? `kubelet ${version} (installed by ${pkg.by})` : `kubelet ${version} (installed)`;
  return `${which} would refuse ${[...new Set(left.map((f) => f.name))].join(', ')}, still on its command line: ${where}; it would exit with "unknown flag"`;
}
