import type { InventoryHost } from '../inventory/types.js';
import type { Remote } from '../transport/types.js';

/** What `check` says about a step on a node. Pure data: it goes into the plan and the journal. */
export type CheckResult =
  | { status: 'ok'; summary: string }
  | { status: 'change'; summary: string; diff?: string }
  | { status: 'skip'; reason: string }
  /** Apply cannot succeed on the node as it is (the facts already show it): the step fails without touching it. */
  | { status: 'fail'; reason: string };

export interface StepContext {
  /** The node being upgraded. */
  node: InventoryHost;
  /** Where this step's commands run: the node, a host of the `on:` group, or the operator's machine. */
  remote: Remote;
  /** Aborted on timeout or a second Ctrl-C. */
  signal: AbortSignal;
  /** Per-step timeout in milliseconds, for the commands the step runs. */
  timeoutMs: number;
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
}

// Step types are heterogeneous in their type parameters; the registry stores them erased.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type AnyStepType = StepType<any, any, any>;
