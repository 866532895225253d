/**
 * What doctor reports: a finding is a known failure a node (or the cluster) is about to hit,
 * with the rule that says so, its sources, and the fix: a bundled playbook with its vars, or
 * advice where no playbook applies. Rules are pure functions of typed facts.
 */
import type { ClusterFacts, ClusterNode } from '../facts/cluster.js';
import type { LocalFacts } from '../facts/local.js';
import type { NodeFacts } from '../facts/node.js';

export type Severity = 'error' | 'warning';

export interface Fix {
  /** A bundled playbook (playbooks/<name>.yaml) that fixes it, and the `-e` values to run it with. */
  playbook?: string;
  vars?: Record<string, string>;
  /** What to do, in words (also when a playbook does it). */
  advice: string;
}

export interface Finding {
  /** Stable id of the rule: `cri-v1-missing`. */
  rule: string;
  severity: Severity;
  /** What is wrong, on this node, in one line. */
  title: string;
  /** Why: the rule applied to this node's facts. */
  detail: string;
  /** Where the rule is recorded (issues, changelogs, docs). */
  sources: string[];
  fix: Fix;
}

export interface DiagnosedNode {
  host: string;
  facts: NodeFacts;
  /** The node as the API server has it (by name), when the cluster facts were read. */
  clusterNode: ClusterNode | undefined;
}

export interface DoctorInputs {
  /** `--target-version`: the Kubernetes version the nodes are about to run. */
  target: string | undefined;
  cluster: ClusterFacts | undefined;
  local: LocalFacts;
  nodes: readonly DiagnosedNode[];
}

export interface NodeRule {
  id: string;
  check(node: DiagnosedNode, inputs: DoctorInputs): Finding[];
}

export interface ClusterRule {
  id: string;
  check(inputs: DoctorInputs): Finding[];
}
