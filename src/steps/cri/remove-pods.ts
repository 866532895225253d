/**
 * `cri.removePods`: no pod sandboxes left on the node outside the host network namespace, or,
 * with `all`, none at all. The CRI-O runbook (field note 3): pods whose containers run under a
 * runtime CRI-O no longer tracks must go before the switch; a drain leaves DaemonSet pods.
 *
 * Each sandbox is stopped, then removed: through `crictl` when the node has it, else straight
 * over CRI gRPC on the runtime's socket (also when crictl cannot talk to the runtime, e.g. a
 * containerd that only serves CRI v1alpha2). Stop kubelet first, or it recreates the pods and
 * the step never settles.
 *
 * Removed sandboxes cannot be brought back; kubelet recreates the pods when it starts. Rollback
 * does nothing; the undo record lists what was removed.
 */
import { CommandError, SlipwayError } from '../../errors.js';
import { parseInspectp, parsePodIds, type SandboxInfo } from '../../facts/crictl.js';
import { execOptions } from '../../facts/exec-options.js';
import { CriCallError, CriUnavailableError } from '../../transport/cri/index.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { nodeFactsFor, pickCriApi, socketFrom, withCriClient } from './runtime.js';

export interface CriRemovePodsParams {
  socket?: string;
  all?: boolean;
  method?: 'auto' | 'crictl' | 'cri';
}

export interface CriRemovePodsFacts {
  method: 'crictl' | 'cri';
  socket: string;
  sandboxes: SandboxInfo[];
  /** Why `auto` fell back from crictl to CRI gRPC, when it did. */
  fallback?: string;
  /** The runtime could not be asked (not running yet, say): nothing is known about its sandboxes. */
  unreachable?: string;
}

export interface RemovedSandbox {
  id: string;
  namespace: string;
  name: string;
  hostNetwork: boolean;
}

export interface CriRemovePodsUndo {
  /** What apply removed; pods are recreated by kubelet, not by rollback. */
  removed: RemovedSandbox[];
  method: 'crictl' | 'cri';
}

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description:
    'Stop and remove pod sandboxes outside the host network namespace (and with `all`, every one), with crictl or over CRI.',
  additionalProperties: false,
  properties: {
    socket: {
      type: 'string',
      pattern: '^/',
      description: "The runtime's CRI socket on the node. Default: the one the node's runtime serves (node facts), else containerd's.",
    },
    all: {
      type: 'boolean',
      default: false,
      description: 'After the pods outside the host network, also remove the host-network ones (`crictl rmp -fa`).',
    },
    method: {
      enum: ['auto', 'crictl', 'cri'],
      default: 'auto',
      description:
        '`crictl`: `crictl pods/inspectp/stopp/rmp`. `cri`: gRPC over the socket, no crictl needed. ' +
        '`auto`: crictl when the node has it and it can talk to the runtime, else gRPC.',
    },
  },
};

function endpoint(socket: string): string {
  return `unix://${socket}`;
}

function crictlArgv(socket: string, ...args: string[]): string[] {
  return ['crictl', '--runtime-endpoint', endpoint(socket), '--timeout', '30s', ...args];
}

const notFound = (text: string): boolean => /NotFound|not found/i.test(text);

async function listWithCrictl(ctx: StepContext, socket: string): Promise<SandboxInfo[]> {
  const ids = parsePodIds((await ctx.remote.run(crictlArgv(socket, 'pods', '-q'), execOptions(ctx))).stdout);
  const sandboxes: SandboxInfo[] = [];
  for (const id of ids) {
    const r = await ctx.remote.exec(crictlArgv(socket, 'inspectp', '-o', 'json', id), execOptions(ctx));
    if (r.code !== 0) {
      if (notFound(r.stderr)) continue; // gone since the listing
      throw new CommandError({ host: ctx.remote.host, argv: crictlArgv(socket, 'inspectp', '-o', 'json', id), ...r });
    }
    sandboxes.push(...parseInspectp(r.stdout));
  }
  return sandboxes;
}

async function listWithCri(ctx: StepContext, socket: string): Promise<SandboxInfo[]> {
  return withCriClient(ctx, socket, async (client) => {
    const api = await pickCriApi(client);
    const sandboxes: SandboxInfo[] = [];
    for (const s of await client.listPodSandboxes(api)) {
      try {
        const st = await client.podSandboxStatus(api, s.id);
        const network = st.namespaces?.network ?? 'POD';
        sandboxes.push({
          id: st.id,
          name: st.metadata?.name ?? '',
          namespace: st.metadata?.namespace ?? '',
          state: String(st.state),
          network,
          hostNetwork: network === 'NODE',
        });
      } catch (err) {
        if (err instanceof CriCallError && err.code === 'NOT_FOUND') continue;
        throw err;
      }
    }
    return sandboxes;
  });
}

async function removeWithCrictl(ctx: StepContext, socket: string, id: string): Promise<void> {
  for (const args of [['stopp', id], ['rmp', '-f', id]]) {
    const argv = crictlArgv(socket, ...args);
    const r = await ctx.remote.exec(argv, execOptions(ctx));
    if (r.code !== 0 && !notFound(r.stderr)) throw new CommandError({ host: ctx.remote.host, argv, ...r });
  }
}

async function removeWithCri(ctx: StepContext, socket: string, ids: readonly string[]): Promise<void> {
  await withCriClient(ctx, socket, async (client) => {
    const api = await pickCriApi(client);
    for (const id of ids) {
      try {
        await client.stopPodSandbox(api, id);
        await client.removePodSandbox(api, id);
      } catch (err) {
        if (err instanceof CriCallError && err.code === 'NOT_FOUND') continue;
        throw err;
      }
    }
  });
}

function list(facts: Pick<CriRemovePodsFacts, 'method' | 'socket'>, ctx: StepContext): Promise<SandboxInfo[]> {
  return facts.method === 'crictl' ? listWithCrictl(ctx, facts.socket) : listWithCri(ctx, facts.socket);
}

async function remove(facts: Pick<CriRemovePodsFacts, 'method' | 'socket'>, ctx: StepContext, sandboxes: readonly SandboxInfo[]): Promise<void> {
  if (facts.method === 'cri') {
    await removeWithCri(ctx, facts.socket, sandboxes.map((s) => s.id));
    return;
  }
  for (const s of sandboxes) await removeWithCrictl(ctx, facts.socket, s.id);
}

/** The sandboxes the step removes in its first pass, and with `all` in total. Pure. */
export function sandboxesToRemove(params: CriRemovePodsParams, sandboxes: readonly SandboxInfo[]): SandboxInfo[] {
  const outside = sandboxes.filter((s) => !s.hostNetwork);
  return params.all === true ? [...outside, ...sandboxes.filter((s) => s.hostNetwork)] : outside;
}

function describe(s: SandboxInfo): string {
  return s.namespace || s.name ? `${s.namespace}/${s.name}` : s.id.slice(0, 13);
}

export const criRemovePodsStep: StepType<CriRemovePodsParams, CriRemovePodsFacts, CriRemovePodsUndo> = {
  kind: 'cri.removePods',
  description: 'Stop and remove pod sandboxes outside the host network (optionally all), with crictl or over CRI gRPC.',
  paramsSchema,

  async facts(ctx: StepContext, params: CriRemovePodsParams): Promise<CriRemovePodsFacts> {
    const method = params.method ?? 'auto';
    const node = params.socket === undefined || method === 'auto' ? await nodeFactsFor(ctx) : undefined;
    const socket = socketFrom(params.socket, node);
    const direct = async (fallback?: string): Promise<CriRemovePodsFacts> => {
      const base = { method: 'cri' as const, socket, ...(fallback ? { fallback } : {}) };
      try {
        return { ...base, sandboxes: await listWithCri(ctx, socket) };
      } catch (err) {
        if (!(err instanceof CriUnavailableError)) throw err;
        return { ...base, sandboxes: [], unreachable: err.message };
      }
    };
    if (method === 'cri' || (method === 'auto' && node?.crictl.installed !== true)) return direct();
    try {
      return { method: 'crictl', socket, sandboxes: await listWithCrictl(ctx, socket) };
    } catch (err) {
      if (method === 'crictl' || !(err instanceof CommandError)) throw err;
      // crictl cannot talk to this runtime (one that serves only CRI v1alpha2, or none at all): go direct.
      return direct(`crictl failed (${err.stderr.trim().split('\n').at(-1) ?? ''})`);
    }
  },

  project(_params: CriRemovePodsParams, facts: CriRemovePodsFacts, projection: Projection): CriRemovePodsFacts {
    const removed = projection.removedSandboxes(facts.socket);
    if (!removed) return facts;
    return { ...facts, sandboxes: removed.all ? [] : facts.sandboxes.filter((s) => s.hostNetwork) };
  },

  // Sandboxes are all it changes: no unit, file or package a later step reads.
  predict(params: CriRemovePodsParams, facts: CriRemovePodsFacts, projection: Projection): void {
    projection.setRemovedSandboxes(facts.socket, params.all === true);
  },

  check(params: CriRemovePodsParams, facts: CriRemovePodsFacts): CheckResult {
    const outside = facts.sandboxes.filter((s) => !s.hostNetwork);
    const host = facts.sandboxes.length - outside.length;
    const toRemove = sandboxesToRemove(params, facts.sandboxes);
    const via = `via ${facts.method === 'crictl' ? 'crictl' : 'CRI'} on ${facts.socket}${facts.fallback ? `; ${facts.fallback}` : ''}`;
    if (facts.unreachable !== undefined) {
      return { status: 'change', summary: `cannot list pod sandboxes now (${facts.unreachable}); apply lists them again` };
    }
    if (toRemove.length === 0) {
      const kept = params.all === true || host === 0 ? '' : ` (${host} host-network kept)`;
      const what = params.all === true ? 'no pod sandboxes' : 'no pod sandboxes outside the host network';
      return { status: 'ok', summary: `${what}${kept} (${via})` };
    }
    const names = toRemove.slice(0, 5).map(describe).join(', ') + (toRemove.length > 5 ? ', …' : '');
    const kept = params.all === true || host === 0 ? '' : `; ${host} host-network kept`;
    return {
      status: 'change',
      summary: `${toRemove.length} pod sandbox${toRemove.length === 1 ? '' : 'es'} to remove (${outside.length} not host-network${kept}): ${names} (${via})`,
    };
  },

  async apply(ctx: StepContext, params: CriRemovePodsParams, given: CriRemovePodsFacts): Promise<CriRemovePodsUndo> {
    let facts = given;
    if (facts.unreachable !== undefined) {
      // Asked once more: a runtime that still does not answer fails the step here.
      facts = { ...facts, sandboxes: await list(facts, ctx) };
    }
    const removed: RemovedSandbox[] = [];
    const record = (list: readonly SandboxInfo[]): void => {
      for (const s of list) removed.push({ id: s.id, namespace: s.namespace, name: s.name, hostNetwork: s.hostNetwork });
    };
    const first = facts.sandboxes.filter((s) => !s.hostNetwork);
    await remove(facts, ctx, first);
    record(first);
    if (params.all === true) {
      const rest = await list(facts, ctx);
      await remove(facts, ctx, rest);
      record(rest);
    }
    const left = sandboxesToRemove(params, await list(facts, ctx));
    if (left.length > 0) {
      throw new SlipwayError(
        `${ctx.remote.host}: ${left.length} pod sandbox${left.length === 1 ? '' : 'es'} came back or could not be removed ` +
          `(${left.map(describe).join(', ')}); is kubelet still running? Stop it before this step.`,
      );
    }
    return { removed, method: facts.method };
  },

  async rollback(): Promise<void> {
    // Removed sandboxes cannot be restored: kubelet recreates the pods when it runs again.
  },
};
