import type { SourceLocation } from '../errors.js';

/** A structured condition on facts or vars. Never an eval'd string. */
export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | ChangedCondition
  | LeafCondition;

/**
 * True when one of these earlier steps changed this node in this run (a handler: restart a unit
 * only when its config changed). On resume, a change made in an earlier pass counts, and so does
 * a step that an earlier pass left mid-way (it may have changed the node); a change rolled back
 * does not.
 */
export interface ChangedCondition {
  changed: string[];
}

export interface LeafCondition {
  /** Dotted fact path, e.g. `runtime.name`, `kubelet.version`. Exactly one of fact / var. */
  fact?: string;
  /** Dotted var path, e.g. `target_version`. */
  var?: string;
  equals?: string | number | boolean;
  notEquals?: string | number | boolean;
  in?: Array<string | number | boolean>;
  /** A semver range, e.g. `>=1.27.0`. Values are coerced (`v1.27.3`, `1.6.20~ds1`). */
  satisfies?: string;
  /** Regular expression the value must match. */
  matches?: string;
  exists?: boolean;
  /** A list value has this item. */
  contains?: string | number | boolean;
}

export type FailurePolicy = 'stop' | 'rollback' | 'continue';

export interface RollingPolicy {
  /** Batch size: a count, a percentage (`"25%"`) or a ramp (`[1, 2, "25%"]`). Default 1. */
  batch: number | string | Array<number | string>;
  /** Over the whole run: a count or a percentage. Default 0 (stop at the first failed node). */
  maxFailed: number | string;
  onFailure: FailurePolicy;
  /** Seconds to wait between batches, or `confirm`. Default 0. */
  pause: number | 'confirm';
  /** Groups whose nodes go first, one at a time (control plane before workers). */
  serialFirst: string[];
  /** A window instead of batches: at most this many nodes in flight (a count or a percentage). */
  maxUnavailable?: number | string;
  /** With maxUnavailable: at most `max` nodes in flight per value of a var, a node label, or per group. */
  maxUnavailablePer?: TopologyLimit;
}

/** Exactly one of var, label or groups. */
export interface TopologyLimit {
  var?: string;
  label?: string;
  groups?: string[];
  max: number;
  /** Where kubectl reads node labels (`label:`): a group, or `local`. Default control_plane. */
  on?: string;
}

export interface StepSpec {
  id: string;
  name: string;
  uses: string;
  with: Record<string, unknown>;
  when: Condition | undefined;
  /** `local`, a group name, or undefined (the node itself). */
  on: string | undefined;
  /** Milliseconds. */
  timeoutMs: number;
  retries: number;
  checkpoint: boolean;
  /** Checked before the node's first step: a check that says it would fail stops the node untouched. */
  preflight: boolean;
  /** Where the step starts in the playbook, for error messages. */
  location: SourceLocation;
  /** Location of each `with:` key, for error messages about a parameter. */
  withLocations: Record<string, SourceLocation>;
}

/** A playbook as loaded and validated, before vars are substituted for a host. */
export interface Playbook {
  file: string;
  name: string;
  description: string | undefined;
  /** Host patterns (group or host names) the playbook targets. Default `all`. */
  hosts: string[];
  vars: Record<string, unknown>;
  rolling: RollingPolicy;
  steps: StepSpec[];
  /** sha256 of the file's bytes, for resume's change detection. */
  contentHash: string;
}
