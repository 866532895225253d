/**
 * `doctor`: which known failure each node is about to hit. Reads every selected node's facts in
 * parallel (one connection and one probe script a node, plus its CRI calls), the cluster's
 * through kubectl on the first reachable control-plane host (or locally), the operator's
 * machine's, then runs the rules of src/kb/rules. Changes nothing anywhere.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import pMap from 'p-map';
import { EXIT, type ExitCode } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { CLUSTER_PROBE_SCRIPT, parseClusterProbe, type ClusterFacts } from '../facts/cluster.js';
import { probeLocalFacts, type LocalFacts } from '../facts/local.js';
import { probeNodeFacts, type NodeFacts } from '../facts/node.js';
import type { FactProbe } from '../facts/registry.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { DiagnosedNode, DoctorInputs, Finding, Fix } from '../kb/findings.js';
import { CLUSTER_RULES, NODE_RULES } from '../kb/rules/index.js';
import { shellQuote } from '../transport/quote.js';
import type { Remote, RemoteFactory } from '../transport/types.js';
import { RemoteResolver } from './remotes.js';

/** Groups that hold control-plane hosts: the fleet's and Ansible's, and kubespray's. */
export const CONTROL_PLANE_GROUPS = ['control_plane', 'kube_control_plane', 'masters'] as const;

const ALL_PROBES: ReadonlySet<FactProbe> = new Set(['node', 'kubelet', 'runtime-config', 'packages', 'cri']);

export interface DoctorOptions {
  inventory: Inventory;
  /** Hosts selected by `--limit` (default all). */
  hosts: InventoryHost[];
  inventoryFile: string;
  remotes: RemoteFactory;
  target: string | undefined;
  /** `-e` values: they go into a fix's command where its playbook has a var of that name. */
  extraVars?: Record<string, string>;
  concurrency?: number;
}

export interface DoctorFix extends Fix {
  /** The exact command to see the fix's plan for this node (or these nodes). */
  command?: string;
}

export interface DoctorFinding extends Omit<Finding, 'fix'> {
  fix: DoctorFix;
}

export interface NodeReport {
  host: string;
  reachable: boolean;
  error?: string;
  facts?: NodeFacts;
  findings: DoctorFinding[];
}

export interface FindingGroup {
  rule: string;
  severity: Finding['severity'];
  /** The title of the first node's finding. */
  title: string;
  nodes: string[];
  /** One command for all of them, when they share the fix. */
  command?: string;
}

export interface DoctorReport {
  version: 1;
  inventory: string;
  target: string | undefined;
  /** The cluster's facts (undefined when no kubectl answered) and the findings about the cluster as a whole. */
  cluster: { facts: ClusterFacts | undefined; findings: DoctorFinding[] };
  local: LocalFacts;
  nodes: NodeReport[];
  summary: {
    nodes: number;
    healthy: string[];
    withFindings: string[];
    unreachable: string[];
    groups: FindingGroup[];
  };
  exitCode: ExitCode;
}

/** A bundled playbook as the operator types it: its name, which slipway finds from any directory. */
export function bundledPlaybookPath(name: string): string {
  return name;
}

/** The vars a bundled playbook declares (its `vars:` keys). */
const declaredVars = new Map<string, Set<string>>();
function varsOfPlaybook(name: string): Set<string> {
  let vars = declaredVars.get(name);
  if (!vars) {
    const doc = parseYaml(readFileSync(path.join(packageRoot(), 'playbooks', `${name}.yaml`), 'utf8')) as { vars?: Record<string, unknown> } | null;
    vars = new Set(Object.keys(doc?.vars ?? {}));
    declaredVars.set(name, vars);
  }
  return vars;
}

/**
 * `slipway plan PLAYBOOK -i INVENTORY --limit NODES -e k=v ...`, every word quoted for a shell.
 * The operator's own `-e` values win over the fix's, for the vars the playbook has.
 */
export function fixCommand(fix: Fix, inventoryFile: string, nodes: readonly string[], extraVars: Record<string, string> = {}): string | undefined {
  if (!fix.playbook) return undefined;
  const declared = varsOfPlaybook(fix.playbook);
  const own = Object.fromEntries(Object.entries(extraVars).filter(([k]) => declared.has(k)));
  const words = ['slipway', 'plan', bundledPlaybookPath(fix.playbook), '-i', inventoryFile, '--limit', nodes.join(',')];
  for (const [k, v] of Object.entries({ ...fix.vars, ...own })) words.push('-e', `${k}=${v}`);
  return words.map(shellQuote).join(' ');
}

async function clusterFacts(resolver: RemoteResolver, options: DoctorOptions, local: Remote): Promise<ClusterFacts | undefined> {
  const group = CONTROL_PLANE_GROUPS.find((g) => (options.inventory.groups[g] ?? []).length > 0);
  let remote: Remote = local;
  if (group) {
    try {
      remote = await resolver.forStep(group, options.hosts[0] ?? (options.inventory.hosts[0] as InventoryHost));
    } catch (err) {
      return { via: group, serverVersion: undefined, nodes: [], kruiseVersion: undefined, errors: [err instanceof Error ? err.message : String(err)] };
    }
  }
  const r = await remote.exec(['sh', '-c', CLUSTER_PROBE_SCRIPT], { timeoutMs: 60_000 }).catch((err: unknown) => ({ code: -1, stdout: '', stderr: err instanceof Error ? err.message : String(err) }));
  if (r.code !== 0) return { via: remote.host, serverVersion: undefined, nodes: [], kruiseVersion: undefined, errors: [r.stderr.trim() || `exit ${r.code}`] };
  const facts = parseClusterProbe(remote.host, r.stdout);
  // Without kubectl on that host there is no cluster to speak of.
  return facts.serverVersion === undefined && facts.nodes.length === 0 && facts.errors.every((e) => /exited 127/.test(e)) ? undefined : facts;
}

function withCommand(finding: Finding, inventoryFile: string, nodes: readonly string[], extraVars: Record<string, string> | undefined): DoctorFinding {
  const command = fixCommand(finding.fix, inventoryFile, nodes, extraVars);
  return { ...finding, fix: { ...finding.fix, ...(command ? { command } : {}) } };
}

/** Nodes grouped by the rule they hit and the fix they share. Pure. */
export function groupFindings(nodes: readonly NodeReport[], inventoryFile: string, extraVars: Record<string, string> = {}): FindingGroup[] {
  const groups = new Map<string, { finding: DoctorFinding; nodes: string[] }>();
  for (const node of nodes) {
    for (const f of node.findings) {
      const key = `${f.rule}\0${f.fix.playbook ?? ''}\0${JSON.stringify(f.fix.vars ?? {})}`;
      const g = groups.get(key) ?? { finding: f, nodes: [] };
      g.nodes.push(node.host);
      groups.set(key, g);
    }
  }
  return [...groups.values()].map(({ finding, nodes: names }) => {
    const command = fixCommand(finding.fix, inventoryFile, names, extraVars);
    return { rule: finding.rule, severity: finding.severity, title: finding.title, nodes: names, ...(command ? { command } : {}) };
  });
}

/** The facts as the report shows them: without the raw files kubelet's command line was read from. */
function reportedFacts(facts: NodeFacts): NodeFacts {
  if (!facts.kubelet.sources) return facts;
  const { sources: _sources, ...kubelet } = facts.kubelet;
  return { ...facts, kubelet };
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const resolver = new RemoteResolver(options.inventory, options.remotes);
  const local = resolver.local();
  try {
    const [probed, cluster, localFacts] = await Promise.all([
      pMap(
        options.hosts,
        async (host): Promise<{ host: string; facts?: NodeFacts; error?: string }> => {
          try {
            return { host: host.name, facts: await probeNodeFacts(resolver.node(host), { timeoutMs: 60_000 }, ALL_PROBES) };
          } catch (err) {
            return { host: host.name, error: err instanceof Error ? err.message : String(err) };
          }
        },
        { concurrency: options.concurrency ?? 64 },
      ),
      clusterFacts(resolver, options, local),
      probeLocalFacts(local),
    ]);
    const diagnosed: DiagnosedNode[] = probed.flatMap((p) =>
      p.facts ? [{ host: p.host, facts: p.facts, clusterNode: cluster?.nodes.find((n) => n.name === p.host) }] : [],
    );
    const inputs: DoctorInputs = { target: options.target, cluster, local: localFacts, nodes: diagnosed };
    const nodes: NodeReport[] = probed.map((p) => {
      if (!p.facts) return { host: p.host, reachable: false, error: p.error ?? 'unreachable', findings: [] };
      const node = diagnosed.find((d) => d.host === p.host) as DiagnosedNode;
      const findings = NODE_RULES.flatMap((rule) => rule.check(node, inputs)).map((f) => withCommand(f, options.inventoryFile, [p.host], options.extraVars));
      return { host: p.host, reachable: true, facts: reportedFacts(p.facts), findings };
    });
    const clusterFindings = CLUSTER_RULES.flatMap((rule) => rule.check(inputs)).map((f) => withCommand(f, options.inventoryFile, [], options.extraVars));
    const unreachable = nodes.filter((n) => !n.reachable).map((n) => n.host);
    const withFindings = nodes.filter((n) => n.findings.length > 0).map((n) => n.host);
    const any = withFindings.length > 0 || clusterFindings.length > 0;
    return {
      version: 1,
      inventory: options.inventoryFile,
      target: options.target,
      cluster: { facts: cluster, findings: clusterFindings },
      local: localFacts,
      nodes,
      summary: {
        nodes: nodes.length,
        healthy: nodes.filter((n) => n.reachable && n.findings.length === 0).map((n) => n.host),
        withFindings,
        unreachable,
        groups: groupFindings(nodes, options.inventoryFile, options.extraVars),
      },
      exitCode: unreachable.length > 0 ? EXIT.unreachable : any ? EXIT.stepFailed : EXIT.ok,
    };
  } finally {
    await resolver.close();
  }
}
