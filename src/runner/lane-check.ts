/**
 * The lane in check mode (plan): each step checked on the node, nothing applied. A step that
 * would fail ends the node's plan: the steps after it are shown as not reached.
 */
import type { NodeFacts } from '../facts/node.js';
import type { FactProbe } from '../facts/registry.js';
import { errorText, runLane, type LaneDeps, type LaneMode, type LaneStep } from './lane.js';
import type { NodePlan, PlannedStep } from './plan.js';
import { checkStep, CheckRefused } from './step-exec.js';

export async function checkLane(deps: LaneDeps): Promise<NodePlan> {
  const plan: NodePlan = { host: deps.node.name, reachable: true, steps: [] };
  const remote = deps.resolver.node(deps.node);
  try {
    await remote.connect?.();
  } catch (err) {
    return { host: deps.node.name, reachable: false, error: errorText(err), steps: [] };
  }
  // The node as it is, read once, each probe only when a condition first needs it.
  let facts: NodeFacts | undefined;
  const read = new Set<FactProbe>();
  const base = (s: { step: { id: string; name: string; uses: string } }, via?: string) => ({ id: s.step.id, name: s.step.name, uses: s.step.uses, ...(via ? { via } : {}) });
  let endedBy: string | undefined;
  const mode: LaneMode = {
    async facts(probes) {
      if (!facts || [...probes].some((p) => !read.has(p))) {
        for (const p of probes) read.add(p);
        facts = await deps.readFacts(remote, read, {});
      }
      return facts;
    },
    skipped(s, reason) {
      plan.steps.push({ ...base(s, s.via), status: 'skip', reason });
    },
    async applies(s: LaneStep) {
      const check = await checkStep({ step: s.step, type: s.type, params: s.params(), node: deps.node, remote: s.remote, signal: deps.killSignal });
      const b = base(s, s.via);
      let planned: PlannedStep;
      if (check.status === 'ok') planned = { ...b, status: 'ok', summary: check.summary };
      else if (check.status === 'skip') planned = { ...b, status: 'skip', reason: check.reason };
      else if (check.status === 'fail') planned = { ...b, status: 'fail', reason: check.reason };
      else planned = { ...b, status: 'change', summary: check.summary, ...(check.diff ? { diff: check.diff } : {}) };
      plan.steps.push(planned);
      if (planned.status === 'fail') endedBy = `${s.step.id} would fail`;
      return planned.status !== 'fail';
    },
    failed(s, err, kind) {
      if (kind === 'transport') {
        plan.reachable = false;
        plan.error = errorText(err);
        return;
      }
      const b = base(s, s.via);
      if (err instanceof CheckRefused) {
        const reason = err.message.replace(/^preflight, before the node's first step: /, '');
        plan.preflight = { step: s.step.id, reason };
        plan.steps.push({ ...b, status: 'fail', reason });
        endedBy = `${s.step.id} would fail before the node's first step (preflight)`;
        return;
      }
      plan.steps.push({ ...b, status: 'error', error: errorText(err) });
      endedBy = `the check of ${s.step.id} failed`;
    },
  };
  await runLane(deps, mode);
  if (plan.reachable && endedBy) {
    const seen = new Set(plan.steps.map((s) => s.id));
    for (const step of deps.playbook.steps) {
      if (!seen.has(step.id)) plan.steps.push({ id: step.id, name: step.name, uses: step.uses, status: 'unreached', reason: `not reached: ${endedBy}` });
    }
    const order = new Map(deps.playbook.steps.map((s, i) => [s.id, i]));
    plan.steps.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }
  return plan;
}
