import { describe, expect, it } from 'vitest';
import {
  isActive,
  isEnabled,
  isEnablementFixed,
  isMasked,
  isStopped,
  parseKeyValueLines,
  parseSystemctlShow,
  reloadKeepsPlan,
  systemctlShowArgv,
  type SystemdUnitFacts,
} from '../../src/facts/systemd.js';

describe('systemctl show parsing', () => {
  it('asks for the four properties, the unit after --', () => {
    expect(systemctlShowArgv('kubelet.service')).toEqual([
      'systemctl',
      'show',
      '-p',
      'ActiveState,UnitFileState,LoadState,NeedDaemonReload',
      '--',
      'kubelet.service',
    ]);
  });

  it('reads Key=value lines in any order', () => {
    const text = 'LoadState=loaded\nActiveState=active\nNeedDaemonReload=no\nUnitFileState=enabled\n';
    expect(parseSystemctlShow('kubelet.service', text)).toEqual({
      unit: 'kubelet.service',
      loadState: 'loaded',
      activeState: 'active',
      unitFileState: 'enabled',
      needDaemonReload: false,
    });
  });

  it('reads a unit systemd does not know', () => {
    const text = 'ActiveState=inactive\nUnitFileState=\nLoadState=not-found\nNeedDaemonReload=no\n';
    expect(parseSystemctlShow('nope.service', text)).toMatchObject({
      loadState: 'not-found',
      activeState: 'inactive',
      unitFileState: '',
    });
  });

  it('takes missing properties as a unit systemd does not know', () => {
    expect(parseSystemctlShow('x', '')).toEqual({
      unit: 'x',
      loadState: 'not-found',
      activeState: 'inactive',
      unitFileState: '',
      needDaemonReload: false,
    });
  });

  it('reads NeedDaemonReload=yes, CRLF line ends and values holding =', () => {
    const facts = parseSystemctlShow('u', 'NeedDaemonReload=yes\r\nLoadState=loaded\r\nActiveState=failed\r\n');
    expect(facts.needDaemonReload).toBe(true);
    expect(facts.activeState).toBe('failed');
    const map = parseKeyValueLines('Environment=A=1 B=2\n\n=ignored\nnoequals\nX=1\nX=2\n');
    expect([...map]).toEqual([
      ['Environment', 'A=1 B=2'],
      ['X', '2'],
    ]);
  });
});

describe('unit predicates', () => {
  const unit = (activeState: string, unitFileState: string, loadState = 'loaded'): SystemdUnitFacts => ({
    unit: 'u',
    loadState,
    activeState,
    unitFileState,
    needDaemonReload: false,
  });

  it('tells running from stopped', () => {
    expect(['active', 'reloading'].map((s) => isActive(unit(s, 'enabled')))).toEqual([true, true]);
    expect(['activating', 'inactive', 'failed', 'deactivating'].map((s) => isActive(unit(s, '')))).toEqual([false, false, false, false]);
    expect(['inactive', 'failed'].map((s) => isStopped(unit(s, '')))).toEqual([true, true]);
    expect(['active', 'activating', 'deactivating'].map((s) => isStopped(unit(s, '')))).toEqual([false, false, false]);
  });

  it('tells enablement, fixed enablement and masking apart', () => {
    expect(isEnabled(unit('active', 'enabled'))).toBe(true);
    expect(isEnabled(unit('active', 'enabled-runtime'))).toBe(true);
    expect(isEnabled(unit('active', 'disabled'))).toBe(false);
    expect(isEnablementFixed(unit('active', 'static'))).toBe(true);
    expect(isEnablementFixed(unit('active', 'disabled'))).toBe(false);
    expect(isMasked(unit('inactive', 'masked', 'masked'))).toBe(true);
    expect(isMasked(unit('inactive', 'masked-runtime'))).toBe(true);
    expect(isMasked(unit('inactive', 'disabled'))).toBe(false);
  });

  it("says when a daemon-reload cannot change what a step does to the unit (its re-read can go)", () => {
    expect(reloadKeepsPlan(unit('active', 'disabled'))).toBe(true);
    expect(reloadKeepsPlan(unit('inactive', 'enabled'))).toBe(true);
    // Not loaded yet, enablement fixed by the file as loaded (an edit may add [Install]), masked: read again.
    expect(reloadKeepsPlan(unit('inactive', '', 'not-found'))).toBe(false);
    expect(reloadKeepsPlan(unit('active', 'static'))).toBe(false);
    expect(reloadKeepsPlan(unit('inactive', 'masked', 'masked'))).toBe(false);
  });
});
