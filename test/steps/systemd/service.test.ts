import { describe, expect, it } from 'vitest';
import type { SystemdUnitFacts } from '../../../src/facts/systemd.js';
import {
  paramsSchema,
  planService,
  systemdServiceStep,
  type ServiceAction,
  type SystemdServiceParams,
} from '../../../src/steps/systemd/service.js';
import type { ExecResult } from '../../../src/transport/types.js';
import { contextFor, CommandOnlyRemote } from '../helpers.js';
import { validateWithSchema } from '../../../src/playbook/input/json-schema.js';

const schemaErrors = (params: unknown) => validateWithSchema(paramsSchema, params);

const unit = 'kubelet.service';

function facts(over: Partial<SystemdUnitFacts> = {}): SystemdUnitFacts {
  return { unit, loadState: 'loaded', activeState: 'inactive', unitFileState: 'disabled', needDaemonReload: false, ...over };
}

interface PlanCase {
  name: string;
  params: Omit<SystemdServiceParams, 'unit'>;
  facts: Partial<SystemdUnitFacts>;
  actions: ServiceAction[];
}

// One case a behaviour: what systemd says, what is asked, which systemctl calls follow.
const planCases: PlanCase[] = [
  { name: 'starts an inactive unit', params: { state: 'started' }, facts: {}, actions: ['start'] },
  { name: 'starts a failed unit', params: { state: 'started' }, facts: { activeState: 'failed' }, actions: ['start'] },
  { name: 'leaves an active unit', params: { state: 'started' }, facts: { activeState: 'active' }, actions: [] },
  { name: 'stops an active unit', params: { state: 'stopped' }, facts: { activeState: 'active' }, actions: ['stop'] },
  { name: 'stops an activating unit', params: { state: 'stopped' }, facts: { activeState: 'activating' }, actions: ['stop'] },
  { name: 'leaves a failed unit stopped', params: { state: 'stopped' }, facts: { activeState: 'failed' }, actions: [] },
  { name: 'always restarts', params: { state: 'restarted' }, facts: { activeState: 'active' }, actions: ['restart'] },
  { name: 'enables', params: { enabled: true }, facts: {}, actions: ['enable'] },
  { name: 'leaves enabled', params: { enabled: true }, facts: { unitFileState: 'enabled' }, actions: [] },
  { name: 'disables', params: { enabled: false }, facts: { unitFileState: 'enabled' }, actions: ['disable'] },
  { name: 'disables runtime enablement', params: { enabled: false }, facts: { unitFileState: 'enabled-runtime' }, actions: ['disable'] },
  { name: 'leaves a static unit', params: { enabled: true }, facts: { unitFileState: 'static' }, actions: [] },
  { name: 'leaves a masked unit disabled', params: { enabled: false }, facts: { unitFileState: 'masked' }, actions: [] },
  {
    name: 'reloads, enables, then starts',
    params: { state: 'started', enabled: true, daemonReload: true },
    facts: { needDaemonReload: true },
    actions: ['daemon-reload', 'enable', 'start'],
  },
  { name: 'reloads only when systemd asks', params: { daemonReload: true }, facts: {}, actions: [] },
  { name: 'reloads when asked alone', params: { daemonReload: true }, facts: { needDaemonReload: true }, actions: ['daemon-reload'] },
  {
    name: 'does not reload unless told',
    params: { state: 'started' },
    facts: { needDaemonReload: true, activeState: 'active' },
    actions: [],
  },
  {
    name: 'has nothing to stop or disable in an unknown unit',
    params: { state: 'stopped', enabled: false },
    facts: { loadState: 'not-found', unitFileState: '' },
    actions: [],
  },
  {
    name: 'keeps starting an unknown unit in the plan, for apply to refuse',
    params: { state: 'started', enabled: true },
    facts: { loadState: 'not-found', unitFileState: '' },
    actions: ['enable', 'start'],
  },
  {
    name: 'reloads before starting a unit systemd does not know yet',
    params: { state: 'started', daemonReload: true },
    facts: { loadState: 'not-found', unitFileState: '' },
    actions: ['daemon-reload', 'start'],
  },
];

describe('systemd.service plan and check', () => {
  it.each(planCases)('$name', ({ params, facts: over, actions }) => {
    const full = { unit, ...params };
    expect(planService(full, facts(over))).toEqual(actions);
    expect(systemdServiceStep.check(full, facts(over)).status).toBe(actions.length === 0 ? 'ok' : 'change');
  });

  it('summarises what it would do and what the unit is now', () => {
    expect(systemdServiceStep.check({ unit, state: 'started', enabled: true }, facts())).toEqual({
      status: 'change',
      summary: 'kubelet.service: enable, start (inactive, disabled)',
    });
    expect(systemdServiceStep.check({ unit, state: 'started' }, facts({ activeState: 'active', unitFileState: 'enabled' }))).toEqual({
      status: 'ok',
      summary: 'kubelet.service is active, enabled',
    });
  });

  it('once applied, says what it did in the past tense, and what the unit was', () => {
    expect(systemdServiceStep.applied?.({ unit, state: 'started', enabled: true }, facts())).toBe('kubelet.service: enabled, started (was inactive, disabled)');
    expect(systemdServiceStep.applied?.({ unit, state: 'stopped' }, facts({ activeState: 'active', unitFileState: 'enabled' }))).toBe('kubelet.service: stopped (was active, enabled)');
  });

  it('says restarted is always a change', () => {
    expect(systemdServiceStep.alwaysChanges?.({ unit, state: 'restarted' })).toBe(true);
    expect(systemdServiceStep.alwaysChanges?.({ unit, state: 'started' })).toBe(false);
    const result = systemdServiceStep.check({ unit, state: 'restarted' }, facts({ activeState: 'active' }));
    expect(result).toMatchObject({ status: 'change' });
    expect(result.status === 'change' && result.summary).toContain('restarted always runs');
  });

  it('warns in the plan when apply cannot succeed', () => {
    const notFound = systemdServiceStep.check({ unit, state: 'started' }, facts({ loadState: 'not-found', unitFileState: '' }));
    expect(notFound.status === 'change' && notFound.summary).toContain('unit not found: apply will fail');
    const masked = systemdServiceStep.check({ unit, state: 'started' }, facts({ loadState: 'masked', unitFileState: 'masked' }));
    expect(masked.status === 'change' && masked.summary).toContain('masked');
    const absent = systemdServiceStep.check({ unit, state: 'stopped' }, facts({ loadState: 'not-found', unitFileState: '' }));
    expect(absent).toEqual({ status: 'ok', summary: 'kubelet.service is not found: nothing to stop or disable' });
  });

  it('declares its params strictly, with descriptions', () => {
    expect(paramsSchema).toMatchObject({ additionalProperties: false, required: ['unit'] });
    for (const prop of Object.values(paramsSchema.properties as Record<string, { description?: string }>)) {
      expect(prop.description).toBeTruthy();
    }
  });
});

/**
 * A node's systemd, just enough of it: `show`, `start`, `stop`, `restart`, `enable`, `disable`
 * and `daemon-reload`, with unit files that may be "written" but not yet loaded.
 */
class FakeSystemd extends CommandOnlyRemote {
  readonly host = 'node-1';
  readonly calls: string[][] = [];
  loaded = true;
  onDisk = true;
  active = false;
  enabled = false;
  needReload = false;
  restarts = 0;
  mainPid = 0;
  /** The unit's process exits after this many looks at it (a daemon that rejects its flags). */
  exitsAfterLooks: number | undefined;

  /** The commands as sent, one entry a command (`calls` has what the shell runs of them). */
  readonly sent: string[][] = [];

  exec(argv: readonly string[]): Promise<ExecResult> {
    this.sent.push([...argv]);
    if (argv[0] === 'sh' && argv[2] === 'systemctl daemon-reload && exec "$@"') {
      // What the shell does with it: the reload, then the command after it.
      return this.systemctl(['systemctl', 'daemon-reload']).then((r) => (r.code === 0 ? this.systemctl(argv.slice(4)) : r));
    }
    return this.systemctl(argv);
  }

  private systemctl(argv: readonly string[]): Promise<ExecResult> {
    this.calls.push([...argv]);
    const [cmd, verb, ...rest] = argv;
    const ok = (stdout = ''): Promise<ExecResult> => Promise.resolve({ code: 0, stdout, stderr: '' });
    if (cmd !== 'systemctl') return Promise.resolve({ code: 127, stdout: '', stderr: 'not found' });
    if (verb === 'daemon-reload') {
      this.loaded = this.onDisk;
      this.needReload = false;
      return ok();
    }
    expect(rest.at(-2)).toBe('--');
    expect(rest.at(-1)).toBe(unit);
    if (verb === 'show' && rest.includes('ActiveState,MainPID,NRestarts')) {
      if (this.exitsAfterLooks !== undefined && this.exitsAfterLooks-- <= 0) {
        this.active = false;
        this.mainPid = 0;
      }
      return ok(`ActiveState=${this.active ? 'active' : 'failed'}\nMainPID=${this.mainPid}\nNRestarts=0\n`);
    }
    if (verb === 'status') return Promise.resolve({ code: 3, stdout: `× ${unit}\n     Active: failed (Result: exit-code)\n  unknown flag: --container-runtime\n`, stderr: '' });
    if (verb === 'show') {
      return ok(
        [
          `LoadState=${this.loaded ? 'loaded' : 'not-found'}`,
          `ActiveState=${this.active ? 'active' : 'inactive'}`,
          `UnitFileState=${this.loaded ? (this.enabled ? 'enabled' : 'disabled') : ''}`,
          `NeedDaemonReload=${this.needReload ? 'yes' : 'no'}`,
        ].join('\n') + '\n',
      );
    }
    if (!this.loaded) return Promise.resolve({ code: 5, stdout: '', stderr: `Unit ${unit} not found.\n` });
    if (verb === 'start') {
      this.active = true;
      this.mainPid = 4242;
    }
    if (verb === 'stop') this.active = false;
    if (verb === 'restart') {
      this.active = true;
      this.restarts++;
    }
    if (verb === 'enable') this.enabled = true;
    if (verb === 'disable') this.enabled = false;
    return ok();
  }

}

describe('systemd.service apply and rollback', () => {
  it('reloads, enables and starts; then is ok; rollback stops and disables it again', async () => {
    const node = new FakeSystemd();
    node.needReload = true;
    const ctx = contextFor(node);
    const params: SystemdServiceParams = { unit, state: 'started', enabled: true, daemonReload: true };

    const undo = await systemdServiceStep.apply(ctx, params, await systemdServiceStep.facts(ctx, params));
    expect(undo).toEqual({
      unit,
      previous: { activeState: 'inactive', unitFileState: 'disabled' },
      actions: ['daemon-reload', 'enable', 'start'],
    });
    expect(JSON.parse(JSON.stringify(undo))).toEqual(undo);
    expect(systemdServiceStep.check(params, await systemdServiceStep.facts(ctx, params)).status).toBe('ok');

    const calls = node.calls.length;
    const again = await systemdServiceStep.apply(ctx, params, await systemdServiceStep.facts(ctx, params));
    expect(again.actions).toEqual([]);
    expect(node.calls.slice(calls).every((c) => c[1] === 'show')).toBe(true);

    await systemdServiceStep.rollback(ctx, params, undo);
    expect(node).toMatchObject({ active: false, enabled: false });
    expect(node.calls.slice(-2)).toEqual([
      ['systemctl', 'stop', '--', unit],
      ['systemctl', 'disable', '--', unit],
    ]);
  });

  it('sends a reload that cannot change the plan with the first call after it: one command, no read between', async () => {
    const node = new FakeSystemd();
    node.needReload = true;
    node.active = true;
    const ctx = contextFor(node);
    const params: SystemdServiceParams = { unit, enabled: true, daemonReload: true };
    const facts = await systemdServiceStep.facts(ctx, params);
    const sent = node.sent.length;
    const undo = await systemdServiceStep.apply(ctx, params, facts);
    expect(node.sent.slice(sent)).toEqual([['sh', '-c', 'systemctl daemon-reload && exec "$@"', 'sh', 'systemctl', 'enable', '--', unit]]);
    expect(undo.actions).toEqual(['daemon-reload', 'enable']);
    expect(node).toMatchObject({ enabled: true, needReload: false });
    expect(systemdServiceStep.check(params, await systemdServiceStep.facts(ctx, params)).status).toBe('ok');
  });

  it('loads a unit written since the last reload before starting it, and plans on what systemd says then', async () => {
    const node = new FakeSystemd();
    node.loaded = false;
    const ctx = contextFor(node);
    const params: SystemdServiceParams = { unit, state: 'started', daemonReload: true };
    const facts = await systemdServiceStep.facts(ctx, params);
    const calls = node.calls.length;
    const undo = await systemdServiceStep.apply(ctx, params, facts);
    expect(undo.actions).toEqual(['daemon-reload', 'start']);
    // A unit systemd did not know: read again after the reload, before it is started.
    expect(node.calls.slice(calls).map((c) => c[1])).toEqual(['daemon-reload', 'show', 'start']);
    expect(node.active).toBe(true);
  });

  it('refuses clearly to start a unit systemd does not know', async () => {
    const node = new FakeSystemd();
    node.loaded = false;
    node.onDisk = false;
    const ctx = contextFor(node);
    for (const params of [
      { unit, state: 'started' },
      { unit, state: 'started', daemonReload: true },
    ] as SystemdServiceParams[]) {
      await expect(systemdServiceStep.apply(ctx, params, await systemdServiceStep.facts(ctx, params))).rejects.toThrow(
        /node-1: systemd unit kubelet\.service not found \(LoadState=not-found\): cannot start it/,
      );
    }
    expect(node.calls.filter((c) => c[1] === 'start')).toEqual([]);
  });

  it('restarts every time; rollback leaves a unit running that was running', async () => {
    const node = new FakeSystemd();
    node.active = true;
    const ctx = contextFor(node);
    const params: SystemdServiceParams = { unit, state: 'restarted' };
    const undo = await systemdServiceStep.apply(ctx, params, await systemdServiceStep.facts(ctx, params));
    await systemdServiceStep.apply(ctx, params, await systemdServiceStep.facts(ctx, params));
    expect(node.restarts).toBe(2);
    const calls = node.calls.length;
    await systemdServiceStep.rollback(ctx, params, undo);
    expect(node.calls.length).toBe(calls);
    expect(node.active).toBe(true);
  });

  it('rollback starts and enables what apply stopped and disabled', async () => {
    const node = new FakeSystemd();
    node.active = true;
    node.enabled = true;
    const ctx = contextFor(node);
    const params: SystemdServiceParams = { unit, state: 'stopped', enabled: false };
    const undo = await systemdServiceStep.apply(ctx, params, await systemdServiceStep.facts(ctx, params));
    expect(undo.actions).toEqual(['disable', 'stop']);
    expect(node).toMatchObject({ active: false, enabled: false });
    await systemdServiceStep.rollback(ctx, params, undo);
    expect(node).toMatchObject({ active: true, enabled: true });
  });

  it('staysUp: a unit whose process exits after the start fails the step with its status; one that stays up passes', async () => {
    const dying = new FakeSystemd();
    dying.exitsAfterLooks = 1;
    const ctx = contextFor(dying);
    const params: SystemdServiceParams = { unit, state: 'started', staysUp: '600ms' };
    const facts0 = await systemdServiceStep.facts(ctx, params);
    expect(systemdServiceStep.check(params, facts0)).toEqual({ status: 'change', summary: `${unit}: start (inactive, disabled; then it must stay up 600ms)` });
    await expect(systemdServiceStep.apply(ctx, params, facts0)).rejects.toThrow(
      new RegExp(`^node-1: ${unit.replace('.', '\\.')} did not stay up for 0\\.6s after it was started: it is failed after \\d+\\.\\ds\\n× ${unit.replace('.', '\\.')}\\n.*\\n  unknown flag: --container-runtime$`),
    );

    const healthy = new FakeSystemd();
    const hctx = contextFor(healthy);
    await systemdServiceStep.apply(hctx, params, await systemdServiceStep.facts(hctx, params));
    expect(healthy.calls.filter((c) => c[1] === 'show' && c.includes('ActiveState,MainPID,NRestarts')).length).toBeGreaterThanOrEqual(2);
    // Already up: nothing to do, no gate.
    expect(systemdServiceStep.check(params, await systemdServiceStep.facts(hctx, params)).status).toBe('ok');
  });

  it('staysUp only goes with a start or restart', () => {
    expect(schemaErrors({ unit, state: 'stopped', staysUp: '5s' })).not.toEqual([]);
    expect(schemaErrors({ unit, enabled: true, staysUp: '5s' })).not.toEqual([]);
    expect(schemaErrors({ unit, state: 'started', staysUp: 'soon' })).not.toEqual([]);
    expect(schemaErrors({ unit, state: 'restarted', staysUp: '5s' })).toEqual([]);
  });
});
