import type { InventoryHost } from '../inventory/types.js';
import type { Remote } from '../transport/types.js';
import type { Projection } from './projection.js';

/** What `check` says about a step on a node. Pure data: it goes into the plan and the journal. */
export type CheckResult =
  | { status: 'ok'; summary: string }
  | {
      status: 'change';
      summary: string;
      diff?: string;
      /** As things stand now apply would fail (a PodDisruptionBudget that allows no eviction); a run tries anyway, a plan predicts the failure. */
      failsNow?: string;
      /** Packages or binaries apply changes, from what is there now to what it installs. */
      versions?: VersionChange[];
    }
  | { status: 'skip'; reason: string }
  /** Apply cannot succeed on the node as it is (the facts already show it): the step fails without touching it. */
  | { status: 'fail'; reason: string };

/** A package's (or binary's) version as a step found it and as it leaves it. */
export interface VersionChange {
  name: string;
  /** null: not installed before. */
  from: string | null;
  to: string;
}

export interface StepContext {
  /** The node being upgraded. */
  node: InventoryHost;
  /** Where this step's commands run: the node, a host of the `on:` group, or the operator's machine. */
  remote: Remote;
  /** Aborted on timeout or a second Ctrl-C. */
  signal: AbortSignal;
  /** Per-step timeout in milliseconds, for the commands the step runs. */
  timeoutMs: number;
  /** The run this step is part of (undefined in a plan): what a step records as its owner (a cordon). */
  runId?: string;
  /**
   * Apply only: the step is waiting on something outside it (what, in words). Called again when
   * what it waits for changes; the run shows it and journals it as step.wait.
   */
  waiting?: (what: string) => void;
}

/** A node's cordon as a step's facts show it (kube steps): a run's summary lists the nodes left cordoned, and by whom. */
export interface CordonState {
  /** The Kubernetes Node's name. */
  node: string;
  cordoned: boolean;
  /** The run that cordoned it (the Node's `slipway/cordoned-by`); absent when slipway did not. */
  by?: string;
}

/** JSON Schema of a step's `with:` parameters (validated with ajv before anything runs). */
export type ParamsSchema = Record<string, unknown>;

/**
 * One `uses:` type. `facts` only reads; `check` is pure; `apply` changes the node and returns
 * an undo record (plain JSON, journaled); `rollback` restores from that record.
 * After a successful `apply`, `facts` + `check` must say `ok`.
 */
export interface StepType<Params, Facts, Undo> {
  readonly kind: string;
  readonly description: string;
  readonly paramsSchema: ParamsSchema;
  facts(ctx: StepContext, params: Params): Promise<Facts>;
  check(params: Params, facts: Facts): CheckResult;
  apply(ctx: StepContext, params: Params, facts: Facts): Promise<Undo>;
  rollback(ctx: StepContext, params: Params, undo: Undo): Promise<void>;
  /**
   * True for an action rather than a state (a restart, a command with no guard): its check
   * always says change, so the runner does not require `ok` after apply.
   */
  alwaysChanges?(params: Params): boolean;
  /**
   * A gate (a health check that waits): it changes nothing, so a successful apply is reported
   * as ok, with the check's summary once it passed, and leaves no undo record.
   */
  gate?: boolean;
  /**
   * What apply did, in the past tense (`kubelet: stopped (was active, enabled)`), from the facts
   * it was applied on; shown by the run instead of the check's summary (which says what it will do).
   */
  applied?(params: Params, facts: Facts): string | undefined;
  /** The node's cordon as these facts show it (read after the step): for steps that cordon or uncordon. */
  cordonState?(facts: Facts): CordonState;
  /**
   * Plan only: the facts as the steps before this one leave them, from the facts read now and
   * what those steps do (the projection). Absent: nothing an earlier step does changes them.
   */
  project?(params: Params, facts: Facts, projection: Projection): Facts;
  /** Plan only: what apply would leave on the node (its check said change), into the projection. */
  predict?(params: Params, facts: Facts, projection: Projection): void;
}

// Step types are heterogeneous in their type parameters; the registry stores them erased.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type AnyStepType = StepType<any, any, any>;
