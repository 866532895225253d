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
  const name = `${ts.replace(/[-:.]/g, '')}-${process.pid}.json`;
  await fs.writeFile(path.join(dir, name), `${JSON.stringify(snapshotOf(report, ts))}\n`, { mode: 0o600 });
}

async function allSnapshots(): Promise<DoctorSnapshot[]> {
  const dir = doctorDir();
  if (!existsSync(dir)) return [];
  const out: DoctorSnapshot[] = [];
  for (const name of (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
    try {
      out.push(JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as DoctorSnapshot);
    } catch {
      // A snapshot cut short or edited by hand: the report does without it.
    }
  }
  return out.sort((a, b) => a.ts.localeCompare(b.ts));
}

/**
 * The doctor's verdicts around a run: the last one before it started and the first one after
 * it ended, each cut down to the run's nodes (absent when doctor saw none of them).
 */
export function aroundRun(snapshots: readonly DoctorSnapshot[], hosts: readonly string[], start: string, end: string): { before?: DoctorSnapshot; after?: DoctorSnapshot } {
  const wanted = new Set(hosts);
  const cut = (s: DoctorSnapshot | undefined): DoctorSnapshot | undefined => {
    if (!s) return undefined;
    const nodes = s.nodes.filter((n) => wanted.has(n.host));
    return nodes.length ? { ...s, nodes } : undefined;
  };
  const seesRun = (s: DoctorSnapshot) => s.nodes.some((n) => wanted.has(n.host));
  const before = cut(snapshots.filter((s) => s.ts < start && seesRun(s)).at(-1));
  const after = cut(snapshots.find((s) => s.ts > end && seesRun(s)));
  return { ...(before ? { before } : {}), ...(after ? { after } : {}) };
}

export async function doctorAroundRun(hosts: readonly string[], start: string, end: string): Promise<{ before?: DoctorSnapshot; after?: DoctorSnapshot }> {
  return aroundRun(await allSnapshots(), hosts, start, end);
}
