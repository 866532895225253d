/**
 * The lane in check mode (plan): each step checked, nothing applied, against the node as the
 * steps before it will leave it (their predicted effects, src/steps/projection.ts): a kubelet the
 * run stops and starts again shows as a change both times, a drain that a PodDisruptionBudget
 * blocks now as failing, a kubelet the plan installs as failing when a flag it refuses stays.
 * A step that would fail ends the node's plan: the steps after it are shown as not reached.
 */
import { stepTitle } from '../playbook/vars.js';
import type { StepSpec } from '../playbook/types.js';
import { emptyProjection } from '../steps/projection.js';
import type { CheckResult } from '../steps/types.js';
import { kubeletRefusals } from './kubelet-prediction.js';
import { errorText, runLane, type LaneDeps, type LaneMode, type LaneStep, type StepEnd } from './lane.js';
import type { NodePlan, PlannedStep } from './plan.js';
import { projectNodeFacts } from './projection-facts.js';
import { CheckRefused, checkProjected } from './step-exec.js';

function planned(base: Omit<PlannedStep, 'status'>, check: CheckResult): PlannedStep {
  if (check.status === 'ok') return { ...base, status: 'ok', summary: check.summary };
  if (check.status === 'skip') return { ...base, status: 'skip', reason: check.reason };
  if (check.status === 'fail') return { ...base, status: 'fail', reason: check.reason };
  if (check.failsNow) return { ...base, status: 'fail', reason: check.failsNow };
  return { ...base, status: 'change', summary: check.summary, ...(check.diff ? { diff: check.diff } : {}) };
}

export async function checkLane(deps: LaneDeps): Promise<NodePlan> {
  const plan: NodePlan = { host: deps.node.name, reachable: true, steps: [] };
  try {
    await deps.resolver.node(deps.node).connect?.();
  } catch (err) {
    return { host: deps.node.name, reachable: false, error: errorText(err), steps: [] };
  }
  const position = new Map(deps.playbook.steps.map((x, i) => [x.id, i]));
  const inPlaybookOrder = (ids: string[]) => [...ids].sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
  const title = (step: StepSpec) => stepTitle(step, deps.playbook, deps.node, deps.extraVars);
  const projection = emptyProjection();
  const base = (s: LaneStep) => ({
    id: s.step.id,
    name: s.title,
    uses: s.step.uses,
    ...(s.via ? { via: s.via } : {}),
    ...(projection.unmodeled.length ? { decidedAfter: [...projection.unmodeled] } : {}),
    ...(projection.readSteps().length ? { after: inPlaybookOrder(projection.readSteps()) } : {}),
  });
  let endedBy: string | undefined;
  const mode: LaneMode = {
    // The node as it is, seen through the projection: as the steps before will leave it.
    view: (facts) => projectNodeFacts(facts, projection),
    starting() {
      projection.startReading();
    },
    skipped(s, reason) {
      plan.steps.push({ ...base(s), status: 'skip', reason });
    },
    async applies(s: LaneStep): Promise<StepEnd> {
      const params = s.params();
      const { check, facts: stepFacts } = await checkProjected({ step: s.step, type: s.type, params, node: deps.node, remote: s.remote, signal: deps.killSignal, facts: s.facts() }, projection);
      let step = planned(base(s), check);
      if (step.status === 'change') {
        const refused = await kubeletRefusals(s, params, projection, async () => projectNodeFacts(await s.nodeFacts(new Set(['node', 'kubelet'])), projection));
        if (refused) step = { ...base(s), status: 'fail', reason: refused };
      }
      plan.steps.push(step);
      if (step.status === 'fail') {
        endedBy = `${s.step.id} would fail`;
        return 'stop';
      }
      if (step.status !== 'change') return 'unchanged';
      projection.step = s.step.id;
      if (s.type.predict) s.type.predict(params, stepFacts, projection);
      else projection.unmodeled.push(s.step.id);
      return 'changed';
    },
    failed(s, err, kind) {
      if (kind === 'transport') {
        plan.reachable = false;
        plan.error = errorText(err);
        return;
      }
      const b = { id: s.step.id, name: title(s.step), uses: s.step.uses, ...(s.via ? { via: s.via } : {}) };
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
      if (!seen.has(step.id)) plan.steps.push({ id: step.id, name: title(step), uses: step.uses, status: 'unreached', reason: `not reached: ${endedBy}` });
    }
    plan.steps.sort((a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0));
  }
  return plan;
}
