/**
 * `systemd.service`: a unit started or stopped, enabled or disabled, after a daemon-reload
 * when its files changed.
 *
 * `state: restarted` is an action, not a state: check always says change, and a restart cannot
 * be undone (rollback stops the unit only if the restart is what started it).
 */
import { SlipwayError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import {
  isActive,
  isEnabled,
  isEnablementFixed,
  isMasked,
  isStopped,
  afterDaemonReloadArgv,
  daemonReloadAndProbe,
  reloadKeepsPlan,
  probeSystemdUnit,
  type SystemdUnitFacts,
} from '../../facts/systemd.js';
import { parseDuration } from '../../duration.js';
import { packageOfUnit, type Projection } from '../projection.js';
import { waitStaysUp } from './stays-up.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';

export interface SystemdServiceParams {
  unit: string;
  state?: 'started' | 'stopped' | 'restarted';
  enabled?: boolean;
  daemonReload?: boolean;
  /** After a start or restart, the unit must stay up this long (`5s`): the health gate. */
  staysUp?: string;
}

export type SystemdServiceFacts = SystemdUnitFacts;

/** One `systemctl` call the step makes. */
export type ServiceAction = 'daemon-reload' | 'enable' | 'disable' | 'start' | 'stop' | 'restart';

export interface SystemdServiceUndo {
  unit: string;
  /** The unit as it was before apply. */
  previous: { activeState: string; unitFileState: string };
  /** What apply did, in order. Rollback reverses these and nothing else. */
  actions: ServiceAction[];
}

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: 'Ensure a systemd unit is started or stopped, enabled or disabled.',
  additionalProperties: false,
  required: ['unit'],
  // At least one thing to do. `properties: { x: true }` keeps ajv's strict mode content.
  anyOf: [
    { properties: { state: true }, required: ['state'] },
    { properties: { enabled: true }, required: ['enabled'] },
    { properties: { daemonReload: true }, required: ['daemonReload'] },
  ],
  properties: {
    unit: {
      type: 'string',
      pattern: '^[A-Za-z0-9:_.\\\\@-]+$',
      description: 'Unit name, e.g. `kubelet` or `containerd.service` (no suffix means `.service`).',
    },
    state: {
      enum: ['started', 'stopped', 'restarted'],
      description:
        '`started`: active (started when it is not). `stopped`: inactive or failed. `restarted`: restart it ' +
        'every time (an action: always a change, and not undone by rollback).',
    },
    enabled: {
      type: 'boolean',
      description:
        'Whether the unit starts at boot (`systemctl enable`/`disable`). Units without an [Install] section ' +
        '(static, indirect, generated, transient) are left as they are.',
    },
    daemonReload: {
      type: 'boolean',
      description:
        'Run `systemctl daemon-reload` first when systemd says the unit files changed on disk ' +
        '(NeedDaemonReload=yes) or does not know the unit yet.',
    },
    staysUp: {
      type: 'string',
      pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$',
      description:
        'A health gate: after the step starts or restarts the unit, its main process must stay the same and the ' +
        'unit active this long (e.g. "5s"), else the step fails with `systemctl status`. A daemon that rejects its ' +
        'command line exits after `systemctl start` has returned.',
    },
  },
  if: { properties: { staysUp: true }, required: ['staysUp'] },
  then: { properties: { state: { enum: ['started', 'restarted'] } }, required: ['state'] },
};

function wantsRunningOrEnabled(params: SystemdServiceParams): boolean {
  return params.state === 'started' || params.state === 'restarted' || params.enabled === true;
}

/**
 * The `systemctl` calls that bring the unit where the params want it; pure. Order: reload,
 * enablement, then the active state.
 */
export function planService(params: SystemdServiceParams, facts: SystemdServiceFacts): ServiceAction[] {
  const actions: ServiceAction[] = [];
  const notFound = facts.loadState === 'not-found';
  if (params.daemonReload && (facts.needDaemonReload || (notFound && wantsRunningOrEnabled(params)))) {
    actions.push('daemon-reload');
  }
  if (notFound) {
    // Nothing to stop or disable in a unit systemd does not know; starting or enabling it
    // stays in the plan so that apply says clearly why it cannot.
    if (params.enabled === true) actions.push('enable');
    if (params.state === 'started') actions.push('start');
    if (params.state === 'restarted') actions.push('restart');
    return actions;
  }
  if (params.enabled !== undefined && !isEnablementFixed(facts)) {
    if (params.enabled && !isEnabled(facts)) actions.push('enable');
    if (!params.enabled && isEnabled(facts)) actions.push('disable');
  }
  if (params.state === 'started' && !isActive(facts)) actions.push('start');
  if (params.state === 'stopped' && !isStopped(facts)) actions.push('stop');
  if (params.state === 'restarted') actions.push('restart');
  return actions;
}

const PAST: Record<ServiceAction, string> = { 'daemon-reload': 'daemon reloaded', enable: 'enabled', disable: 'disabled', start: 'started', stop: 'stopped', restart: 'restarted' };

function describeState(facts: SystemdServiceFacts): string {
  if (facts.loadState === 'not-found') return 'not found';
  const file = facts.unitFileState === '' ? '' : `, ${facts.unitFileState}`;
  return `${facts.activeState}${file}`;
}

function systemctlArgv(action: ServiceAction, facts: SystemdServiceFacts, unit: string): string[] {
  if (action === 'daemon-reload') return ['systemctl', 'daemon-reload'];
  // Runtime enablement lives under /run, and only `--runtime` removes it.
  const runtime = action === 'disable' && facts.unitFileState === 'enabled-runtime' ? ['--runtime'] : [];
  return ['systemctl', action, ...runtime, '--', unit];
}

export const systemdServiceStep: StepType<SystemdServiceParams, SystemdServiceFacts, SystemdServiceUndo> = {
  kind: 'systemd.service',
  description: 'Ensure a systemd unit is started, stopped or restarted, enabled or disabled, after a daemon-reload if needed.',
  paramsSchema,

  alwaysChanges(params: SystemdServiceParams): boolean {
    return params.state === 'restarted';
  },

  facts(ctx: StepContext, params: SystemdServiceParams): Promise<SystemdServiceFacts> {
    return probeSystemdUnit(ctx.remote, params.unit, ctx);
  },

  project(params: SystemdServiceParams, facts: SystemdServiceFacts, projection: Projection): SystemdServiceFacts {
    const pkg = packageOfUnit(params.unit);
    // A unit that an earlier step's package brings: there by then, loaded by the package's own
    // daemon-reload (dh_installsystemd's maintainer scripts), not enabled or started by the plan's guess.
    const installed = facts.loadState === 'not-found' && pkg !== undefined && projection.package(pkg) !== undefined;
    const base: SystemdServiceFacts = installed ? { ...facts, loadState: 'loaded', activeState: 'inactive', unitFileState: 'disabled', needDaemonReload: false } : facts;
    const unit = projection.unit(params.unit);
    if (!unit) return base;
    const projected = { ...base };
    if (unit.active !== undefined) projected.activeState = unit.active ? 'active' : 'inactive';
    if (unit.enabled !== undefined && !isEnablementFixed(facts)) projected.unitFileState = unit.enabled ? 'enabled' : 'disabled';
    return projected;
  },

  predict(params: SystemdServiceParams, facts: SystemdServiceFacts, projection: Projection): void {
    for (const action of planService(params, facts)) {
      if (action === 'start' || action === 'restart') projection.setUnit(params.unit, { active: true, ...(action === 'restart' ? { restarted: true } : {}) });
      if (action === 'stop') projection.setUnit(params.unit, { active: false });
      if (action === 'enable') projection.setUnit(params.unit, { enabled: true });
      if (action === 'disable') projection.setUnit(params.unit, { enabled: false });
    }
  },

  applied(params: SystemdServiceParams, facts: SystemdServiceFacts): string {
    return `${params.unit}: ${planService(params, facts).map((a) => PAST[a]).join(', ')} (was ${describeState(facts)})`;
  },

  check(params: SystemdServiceParams, facts: SystemdServiceFacts): CheckResult {
    const actions = planService(params, facts);
    if (actions.length === 0) {
      const note = facts.loadState === 'not-found' ? ': nothing to stop or disable' : '';
      return { status: 'ok', summary: `${params.unit} is ${describeState(facts)}${note}` };
    }
    const notes: string[] = [];
    if (facts.loadState === 'not-found' && !actions.includes('daemon-reload')) notes.push('unit not found: apply will fail');
    if (facts.loadState === 'not-found' && actions.includes('daemon-reload')) notes.push('unit not loaded yet');
    if (isMasked(facts) && actions.some((a) => a !== 'daemon-reload' && a !== 'stop' && a !== 'disable')) {
      notes.push('unit is masked: apply will fail');
    }
    if (params.state === 'restarted') notes.push('restarted always runs');
    if (params.staysUp !== undefined && actions.some((a) => a === 'start' || a === 'restart')) notes.push(`then it must stay up ${params.staysUp}`);
    // The state it is in when the step runs: now in a run, as the steps before leave it in a plan.
    return { status: 'change', summary: `${params.unit}: ${actions.join(', ')} (${[describeState(facts), ...notes].join('; ')})` };
  },

  async apply(ctx: StepContext, params: SystemdServiceParams, facts: SystemdServiceFacts): Promise<SystemdServiceUndo> {
    const { remote } = ctx;
    const undo: SystemdServiceUndo = {
      unit: params.unit,
      previous: { activeState: facts.activeState, unitFileState: facts.unitFileState },
      actions: [],
    };
    let current = facts;
    let actions = planService(params, current);
    let reloadWithFirst = false;
    if (actions[0] === 'daemon-reload') {
      if (!reloadKeepsPlan(current)) {
        // The reload may change what is to be done: read the unit again after it, and plan on that.
        current = await daemonReloadAndProbe(remote, params.unit, ctx);
        undo.actions.push('daemon-reload');
        actions = planService({ ...params, daemonReload: false }, current);
      } else if (actions.length > 1) {
        // It cannot: it goes with the first systemctl call after it, in one command.
        reloadWithFirst = true;
        undo.actions.push('daemon-reload');
        actions = actions.slice(1);
      }
      // A reload that cannot change the plan and has nothing after it is the plan's one action.
    }
    if (current.loadState === 'not-found' && actions.length > 0) {
      throw new SlipwayError(
        `${remote.host}: systemd unit ${params.unit} not found (LoadState=not-found): cannot ${actions.join(' or ')} it. ` +
          'Is it installed, and was `systemctl daemon-reload` run after its unit file was written (daemonReload: true)?',
      );
    }
    const staysUp = params.staysUp;
    const gated = staysUp !== undefined && actions.some((a) => a === 'start' || a === 'restart');
    for (const [i, action] of actions.entries()) {
      // The last systemctl call is the step's last command, unless the health gate watches the unit after it.
      const last = !gated && i === actions.length - 1;
      const argv = systemctlArgv(action, current, params.unit);
      await remote.run(reloadWithFirst && i === 0 ? afterDaemonReloadArgv(argv) : argv, execOptions(ctx, { last }));
      undo.actions.push(action);
    }
    if (gated) {
      // A unit that does not stay up fails the step; what the steps before did is rolled back
      // (a stop before it is undone by starting the unit again, as it was).
      await waitStaysUp(ctx, params.unit, parseDuration(staysUp));
    }
    return undo;
  },

  async rollback(ctx: StepContext, _params: SystemdServiceParams, undo: SystemdServiceUndo): Promise<void> {
    const { remote } = ctx;
    const did = new Set(undo.actions);
    const run = (argv: string[]): Promise<unknown> => remote.run(argv, execOptions(ctx));
    const wasActive = ['active', 'reloading', 'activating'].includes(undo.previous.activeState);

    // The active state first (reverse order of apply), then the enablement.
    if (did.has('start') && !wasActive) await run(['systemctl', 'stop', '--', undo.unit]);
    if (did.has('stop') && wasActive) await run(['systemctl', 'start', '--', undo.unit]);
    if (did.has('restart') && !wasActive) await run(['systemctl', 'stop', '--', undo.unit]);

    if (did.has('enable') || did.has('disable')) {
      const before = undo.previous.unitFileState;
      if (before === 'enabled') await run(['systemctl', 'enable', '--', undo.unit]);
      else if (before === 'enabled-runtime') await run(['systemctl', 'enable', '--runtime', '--', undo.unit]);
      else await run(['systemctl', 'disable', '--', undo.unit]);
    }
  },
};
