/**
 * `cri.verify`: the node's container runtime answers CRI `runtime.v1` over its socket and
 * reports RuntimeReady (and NetworkReady, when asked). A verification, not a change: check is ok
 * when the runtime is healthy; when it is not, apply waits up to `timeout` for it to become so
 * (right after a restart it may still be starting), then fails with the diagnosis.
 *
 * A runtime that answers only `runtime.v1alpha2` (containerd < 1.6) will not get better by
 * waiting: apply fails at once and says what to upgrade (field note 1).
 */
import { sleepUnlessAborted } from '../../sleep.js';
import { SlipwayError } from '../../errors.js';
import { CONTAINERD_FIRST_CRI_V1, containerdCriApis, containerdServesCriV1 } from '../../kb/containerd-cri.js';
import {
  CriUnavailableError,
  probeCriApis,
  servesCriApi,
  type CriCondition,
  type CriVersion,
} from '../../transport/cri/index.js';
import { runtimeOfSocket, upstreamVersion, type Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { nodeFactsFor, socketFrom, withCriClient } from './runtime.js';

export interface CriVerifyParams {
  socket?: string;
  requireNetworkReady?: boolean;
  timeout?: string;
}

export interface CriVerifyFacts {
  socket: string;
  /** The runtime could not be reached at all (no socket, refused, no answer). */
  unreachable?: string;
  /** `runtime.v1` Version answer, or null when the runtime does not serve v1. */
  v1: Pick<CriVersion, 'runtimeName' | 'runtimeVersion' | 'runtimeApiVersion'> | null;
  /** `runtime.v1alpha2` Version answer, or null when the runtime does not serve it. */
  v1alpha2: Pick<CriVersion, 'runtimeName' | 'runtimeVersion' | 'runtimeApiVersion'> | null;
  /** Status conditions over v1 (empty when v1 is not served). */
  conditions: CriCondition[];
}

export type CriVerifyUndo = Record<string, never>;

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: 'Verify that the container runtime answers CRI runtime.v1 on its socket and is ready; wait for it if it is starting.',
  additionalProperties: false,
  properties: {
    socket: {
      type: 'string',
      pattern: '^/',
      description: "The runtime's CRI socket on the node. Default: the one the node's runtime serves (node facts), else /run/containerd/containerd.sock.",
    },
    requireNetworkReady: {
      type: 'boolean',
      default: false,
      description: 'Also require NetworkReady (a CNI configuration is loaded). Off by default: a node being upgraded may have none yet.',
    },
    timeout: {
      type: 'string',
      pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$',
      default: '60s',
      description: "How long apply waits for a runtime that is not ready (e.g. restarting) before it fails. Bounded by the step's timeout.",
    },
  },
};

const POLL_MS = 1000;

/** `60s`, `1m30s`, `500ms` in milliseconds (the params schema lets nothing else through). */
export function durationMs(text: string): number {
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  let total = 0;
  for (const [, amount, u] of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(amount) * unit[u as keyof typeof unit];
  return Math.round(total);
}

type Verdict = { healthy: true; summary: string } | { healthy: false; summary: string; hopeless: boolean };

function runtimeLabel(v: NonNullable<CriVerifyFacts['v1']>): string {
  return `${v.runtimeName} ${v.runtimeVersion}`.trim();
}

/** The diagnosis for a runtime that answers only v1alpha2. Pure. */
export function v1alpha2OnlyDiagnosis(runtimeName: string, runtimeVersion: string): string {
  const upgrade =
    runtimeName === 'containerd'
      ? `upgrade containerd to >= ${CONTAINERD_FIRST_CRI_V1.replace(/\.0$/, '')}`
      : `upgrade ${runtimeName || 'the runtime'} to a release that serves runtime.v1`;
  const why = runtimeName === 'containerd' && containerdServesCriV1(runtimeVersion) === false ? `containerd <${CONTAINERD_FIRST_CRI_V1.replace(/\.0$/, '')}` : 'no CRI v1';
  return (
    `the runtime answers only CRI v1alpha2 (${why} / runtime ${runtimeName || '?'} version ${runtimeVersion || '?'}): ` +
    "clients that speak only runtime.v1 (OpenKruise >= 1.6, kubelet >= 1.26) fail with 'Failed to new image service'; " +
    upgrade
  );
}

/** What the facts say about the runtime. Pure. */
export function judge(params: CriVerifyParams, facts: CriVerifyFacts): Verdict {
  if (facts.unreachable !== undefined) {
    return { healthy: false, hopeless: false, summary: `the runtime does not answer on ${facts.socket}: ${facts.unreachable}` };
  }
  if (facts.v1 === null) {
    if (facts.v1alpha2 !== null) {
      return { healthy: false, hopeless: true, summary: v1alpha2OnlyDiagnosis(facts.v1alpha2.runtimeName, facts.v1alpha2.runtimeVersion) };
    }
    return { healthy: false, hopeless: true, summary: `the runtime on ${facts.socket} serves neither CRI v1 nor v1alpha2` };
  }
  const label = runtimeLabel(facts.v1);
  const condition = (type: string): CriCondition | undefined => facts.conditions.find((c) => c.type === type);
  const notReady = (c: CriCondition | undefined, type: string): string =>
    c === undefined ? `${type} not reported` : `${type} false${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`;
  const runtimeReady = condition('RuntimeReady');
  const networkReady = condition('NetworkReady');
  const problems: string[] = [];
  if (runtimeReady?.status !== true) problems.push(notReady(runtimeReady, 'RuntimeReady'));
  if (params.requireNetworkReady === true && networkReady?.status !== true) problems.push(notReady(networkReady, 'NetworkReady'));
  if (problems.length > 0) return { healthy: false, hopeless: false, summary: `${label} answers CRI v1 on ${facts.socket} but ${problems.join(', ')}` };
  const also = facts.v1alpha2 !== null ? ' (and v1alpha2)' : '';
  const network = networkReady?.status === true ? ', NetworkReady' : networkReady ? ', NetworkReady false (not required)' : '';
  return { healthy: true, summary: `${label} answers CRI v1${also} on ${facts.socket}: RuntimeReady${network}` };
}

async function probe(ctx: StepContext, socket: string): Promise<CriVerifyFacts> {
  try {
    return await withCriClient(ctx, socket, async (client) => {
      const apis = await probeCriApis(client);
      const pick = (v: CriVersion | { error: string }): CriVerifyFacts['v1'] =>
        'error' in v ? null : { runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion, runtimeApiVersion: v.runtimeApiVersion };
      const v1 = servesCriApi(apis, 'v1') ? pick(apis.v1) : null;
      const conditions = v1 ? (await client.status('v1')).conditions : [];
      return { socket, v1, v1alpha2: pick(apis.v1alpha2), conditions };
    });
  } catch (err) {
    if (err instanceof CriUnavailableError) return { socket, unreachable: err.message, v1: null, v1alpha2: null, conditions: [] };
    throw err;
  }
}

export const criVerifyStep: StepType<CriVerifyParams, CriVerifyFacts, CriVerifyUndo> = {
  kind: 'cri.verify',
  description: 'Verify the runtime answers CRI runtime.v1 and is ready (waiting for it up to a timeout); diagnose a v1alpha2-only runtime.',
  paramsSchema,

  async facts(ctx: StepContext, params: CriVerifyParams): Promise<CriVerifyFacts> {
    const socket = socketFrom(params.socket, params.socket === undefined ? await nodeFactsFor(ctx) : undefined);
    return probe(ctx, socket);
  },

  project(_params: CriVerifyParams, facts: CriVerifyFacts, projection: Projection): CriVerifyFacts {
    const runtime = runtimeOfSocket(facts.socket);
    if (!runtime) return facts;
    const unit = projection.unit(runtime.unit);
    const pkg = projection.package(runtime.package);
    if (unit?.active === false) return { socket: facts.socket, unreachable: `${runtime.unit} is stopped by an earlier step`, v1: null, v1alpha2: null, conditions: [] };
    if (!pkg && !unit?.restarted && !(unit?.active && facts.unreachable !== undefined)) return facts;
    // A runtime (re)started at a known version answers as the knowledge base says that version does.
    const version = pkg ? upstreamVersion(pkg.version) : (facts.v1 ?? facts.v1alpha2)?.runtimeVersion ?? '';
    const apis: readonly string[] = runtime.package === 'containerd' ? (containerdCriApis(version) ?? []) : ['v1'];
    const answer = (api: string) => ({ runtimeName: runtime.name, runtimeVersion: version, runtimeApiVersion: api });
    const network = facts.conditions.find((c) => c.type === 'NetworkReady') ?? { type: 'NetworkReady', status: true, reason: '', message: '' };
    return {
      socket: facts.socket,
      v1: apis.includes('v1') ? answer('v1') : null,
      v1alpha2: apis.includes('v1alpha2') ? answer('v1alpha2') : null,
      conditions: apis.includes('v1') ? [{ type: 'RuntimeReady', status: true, reason: '', message: '' }, network] : [],
    };
  },

  check(params: CriVerifyParams, facts: CriVerifyFacts): CheckResult {
    const verdict = judge(params, facts);
    if (verdict.healthy) return { status: 'ok', summary: verdict.summary };
    // Checked as the node is now: in a plan, an upgrade step before this one is what fixes it.
    const then = verdict.hopeless
      ? 'apply will fail unless a step before it upgrades the runtime'
      : `apply waits up to ${params.timeout ?? '60s'} for it`;
    return { status: 'change', summary: `${verdict.summary}; ${then}` };
  },

  async apply(ctx: StepContext, params: CriVerifyParams, facts: CriVerifyFacts): Promise<CriVerifyUndo> {
    const waitMs = Math.min(durationMs(params.timeout ?? '60s'), ctx.timeoutMs);
    const deadline = Date.now() + waitMs;
    let current = facts;
    for (;;) {
      const verdict = judge(params, current);
      if (verdict.healthy) return {};
      if (verdict.hopeless || Date.now() + POLL_MS > deadline || ctx.signal.aborted) {
        const waited = verdict.hopeless ? '' : ` (waited ${Math.round(waitMs / 1000)}s)`;
        throw new SlipwayError(`${ctx.remote.host}: ${verdict.summary}${waited}`);
      }
      ctx.waiting?.(`the runtime to answer (up to ${params.timeout ?? '60s'}): ${verdict.summary}`);
      await sleepUnlessAborted(POLL_MS, ctx.signal);
      current = await probe(ctx, current.socket);
    }
  },

  async rollback(): Promise<void> {
    // A verification changes nothing.
  },
};
