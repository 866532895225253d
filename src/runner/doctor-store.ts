/**
 * Doctor's verdicts kept in the state directory (`doctor/<time>.json`), so a run's report can
 * show the findings on its nodes before the run and after it. Only what the report shows is
 * kept: per node whether it answered and its findings' rule, severity and title.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DoctorReport } from './doctor.js';
import { stateDir } from './run-store.js';

export interface DoctorSnapshot {
  ts: string;
  inventory: string;
  target: string | undefined;
  nodes: Array<{ host: string; reachable: boolean; error?: string; findings: Array<{ rule: string; severity: string; title: string }> }>;
}

function doctorDir(): string {
  return path.join(stateDir(), 'doctor');
}

export function snapshotOf(report: DoctorReport, ts: string): DoctorSnapshot {
  return {
    ts,
    inventory: report.inventory,
    target: report.target,
    nodes: report.nodes.map((n) => ({
      host: n.host,
      reachable: n.reachable,
      ...(n.error ? { error: n.error } : {}),
      findings: n.findings.map((f) => ({ rule: f.rule, severity: f.severity, title: f.title })),
    })),
  };
}

export async function saveDoctorSnapshot(report: DoctorReport, now = new Date()): Promise<void> {
  const dir = doctorDir();
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const ts = now.toISOString();
  await fs.writeFile(path.join(dir, snapshotName(ts)), `${JSON.stringify(snapshotOf(report, ts))}\n`, { mode: 0o600 });
}

/** A snapshot's file name from its time: names sort as the times do. */
export function snapshotName(ts: string, pid: number = process.pid): string {
  return `${ts.replace(/[-:.]/g, '')}-${pid}.json`;
}

/**
 * The doctor's verdicts around a run: the last one before it started and the first one after
 * it ended that saw any of the run's nodes, each cut down to them. `names` are the snapshots'
 * file names; `read` loads one (undefined when it cannot be read). Only the snapshots nearest
 * the run are read, however many doctor has kept.
 */
export async function aroundRun(
  names: readonly string[],
  read: (name: string) => Promise<DoctorSnapshot | undefined>,
  hosts: readonly string[],
  start: string,
  end: string,
): Promise<{ before?: DoctorSnapshot; after?: DoctorSnapshot }> {
  const wanted = new Set(hosts);
  const firstSeeing = async (candidates: readonly string[]): Promise<DoctorSnapshot | undefined> => {
    for (const name of candidates) {
      const s = await read(name);
      const nodes = s?.nodes.filter((n) => wanted.has(n.host)) ?? [];
      if (s && nodes.length) return { ...s, nodes };
    }
    return undefined;
  };
  const sorted = [...names].sort();
  const startKey = snapshotName(start, 0).slice(0, -'-0.json'.length);
  const endKey = snapshotName(end, 0).slice(0, -'-0.json'.length);
  const before = await firstSeeing(sorted.filter((n) => n < startKey).reverse());
  const after = await firstSeeing(sorted.filter((n) => n > endKey));
  return { ...(before ? { before } : {}), ...(after ? { after } : {}) };
}

export async function doctorAroundRun(hosts: readonly string[], start: string, end: string): Promise<{ before?: DoctorSnapshot; after?: DoctorSnapshot }> {
  const dir = doctorDir();
  if (!existsSync(dir)) return {};
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json'));
  const read = async (name: string) => {
    try {
      return JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as DoctorSnapshot;
    } catch {
      return undefined; // cut short or edited by hand: the report does without it
    }
  };
  return aroundRun(names, read, hosts, start, end);
}
