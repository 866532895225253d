/** Runs `slipway doctor --output json` and reads its report the way the tests compare it. */
import type { DoctorReport } from '../../src/runner/doctor.js';
import { slipway } from './cli.js';

export interface DoctorRun {
  code: number;
  report: DoctorReport;
  /** Rule ids per node, in order; a node without findings has []. Cluster findings under `(cluster)`. */
  findings: Record<string, string[]>;
  stderr: string;
}

export async function doctor(inventory: string, args: string[] = [], env: Record<string, string> = {}): Promise<DoctorRun> {
  const r = await slipway(['doctor', '-i', inventory, '--output', 'json', ...args], { env, timeoutMs: 120_000 });
  let report: DoctorReport;
  try {
    report = JSON.parse(r.stdout) as DoctorReport;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  const findings: Record<string, string[]> = Object.fromEntries(report.nodes.map((n) => [n.host, n.findings.map((f) => f.rule)]));
  if (report.cluster.findings.length) findings['(cluster)'] = report.cluster.findings.map((f) => f.rule);
  return { code: r.code, report, findings, stderr: r.stderr };
}
