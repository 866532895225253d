/**
 * A systemd unit's state, from `systemctl show UNIT -p Prop1,Prop2`: one `Key=value` line per
 * property, in systemd's order (not the order asked for).
 */
import type { Remote } from '../transport/types.js';
import { execOptions, type ExecLimits } from './exec-options.js';

export interface SystemdUnitFacts {
  unit: string;
  /** `loaded`, `not-found`, `bad-setting`, `error`, `masked`. */
  loadState: string;
  /** `active`, `reloading`, `inactive`, `failed`, `activating`, `deactivating`. */
  activeState: string;
  /** `enabled`, `enabled-runtime`, `disabled`, `static`, `masked`, `indirect`, ... or `` when no unit file. */
  unitFileState: string;
  /** The unit's files or drop-ins changed on disk since systemd last loaded them. */
  needDaemonReload: boolean;
}

export const SYSTEMD_UNIT_PROPERTIES = ['ActiveState', 'UnitFileState', 'LoadState', 'NeedDaemonReload'] as const;

/** The probe command. `--` keeps a unit named like an option (`-.mount`) a unit. */
export function systemctlShowArgv(unit: string): string[] {
  return ['systemctl', 'show', '-p', SYSTEMD_UNIT_PROPERTIES.join(','), '--', unit];
}

/**
 * `Key=value` lines into a map. The value is everything after the first `=` (values may hold
 * `=`); blank lines and lines without `=` are ignored; a repeated key keeps its last value.
 */
export function parseKeyValueLines(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

/**
 * `systemctl show` output for one unit into facts. A property systemd did not print is taken
 * as empty (`LoadState` as `not-found`), which is how systemd shows a unit it does not know.
 */
export function parseSystemctlShow(unit: string, text: string): SystemdUnitFacts {
  const props = parseKeyValueLines(text);
  return {
    unit,
    loadState: props.get('LoadState') || 'not-found',
    activeState: props.get('ActiveState') || 'inactive',
    unitFileState: props.get('UnitFileState') ?? '',
    needDaemonReload: props.get('NeedDaemonReload') === 'yes',
  };
}

export async function probeSystemdUnit(remote: Remote, unit: string, limits: ExecLimits = {}): Promise<SystemdUnitFacts> {
  const { stdout } = await remote.run(systemctlShowArgv(unit), execOptions(limits));
  return parseSystemctlShow(unit, stdout);
}

/** `systemctl daemon-reload`, then `argv` if the reload succeeded: one command. */
export function afterDaemonReloadArgv(argv: readonly string[]): string[] {
  return ['sh', '-c', 'systemctl daemon-reload && exec "$@"', 'sh', ...argv];
}

/** `systemctl daemon-reload`, then the unit as systemd sees it after that: one command. */
export async function daemonReloadAndProbe(remote: Remote, unit: string, limits: ExecLimits = {}): Promise<SystemdUnitFacts> {
  const { stdout } = await remote.run(afterDaemonReloadArgv(systemctlShowArgv(unit)), execOptions(limits));
  return parseSystemctlShow(unit, stdout);
}

/**
 * A reload cannot change what should be done to this unit: systemd knows it (a reload does not
 * have to load it first) and its enablement is its own to change (a unit file edited into or out
 * of `static` shows only after the reload). A reload changes no unit's active state.
 */
export function reloadKeepsPlan(facts: SystemdUnitFacts): boolean {
  return facts.loadState === 'loaded' && !isMasked(facts) && !isEnablementFixed(facts);
}

/** The unit runs (or is busy reloading); `systemctl start` has nothing to do. */
export function isActive(facts: SystemdUnitFacts): boolean {
  return facts.activeState === 'active' || facts.activeState === 'reloading';
}

/** The unit does not run; `systemctl stop` has nothing to do. */
export function isStopped(facts: SystemdUnitFacts): boolean {
  return facts.activeState === 'inactive' || facts.activeState === 'failed';
}

/** Enabled through `[Install]` symlinks, which `systemctl disable` removes. */
export function isEnabled(facts: SystemdUnitFacts): boolean {
  return facts.unitFileState === 'enabled' || facts.unitFileState === 'enabled-runtime';
}

/**
 * Unit file states that `systemctl enable`/`disable` cannot change (no `[Install]` section,
 * generated or transient units, enabled only through another unit): there is nothing to do.
 */
export function isEnablementFixed(facts: SystemdUnitFacts): boolean {
  return ['static', 'indirect', 'generated', 'transient', 'alias'].includes(facts.unitFileState);
}

export function isMasked(facts: SystemdUnitFacts): boolean {
  return facts.loadState === 'masked' || facts.unitFileState.startsWith('masked');
}
