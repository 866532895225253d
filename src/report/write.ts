/**
 * A run's report from its journal: built, rendered, and written into the run folder
 * (report.html, report.md, report.json) each time a pass of the run, or a rollback, ends.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { doctorAroundRun } from '../runner/doctor-store.js';
import { readJournal } from '../runner/journal.js';
import { processSecrets, redactSecrets } from '../runner/redact.js';
import type { RunDir } from '../runner/run-store.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { buildRunReport, type RunReport } from './model.js';
import type { RunEvent } from '../runner/events.js';

export type ReportFormat = 'html' | 'md' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'md', 'json'];

/** The report of a run from its journal's events, with doctor's verdicts around it. */
export async function runReport(events: readonly RunEvent[], now = new Date()): Promise<RunReport> {
  const report = buildRunReport(events, { generated: now.toISOString() });
  const doctor = await doctorAroundRun(report.nodes.map((n) => n.host), report.start, report.end);
  if (doctor.before || doctor.after) report.doctor = doctor;
  // The journal is redacted already; a secret given again with -e on resume is hidden too.
  return processSecrets.redactData(redactSecrets(report));
}

export function renderReport(report: RunReport, format: ReportFormat): string {
  if (format === 'html') return renderHtml(report);
  if (format === 'md') return renderMarkdown(report);
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The report's files in the run folder. */
export function reportFiles(runDir: RunDir): Record<ReportFormat, string> {
  return { html: path.join(runDir.dir, 'report.html'), md: path.join(runDir.dir, 'report.md'), json: path.join(runDir.dir, 'report.json') };
}

/** Writes (or rewrites) the run's report in every format; returns the HTML file's path. */
export async function writeRunReport(runDir: RunDir): Promise<string> {
  const report = await runReport((await readJournal(runDir.journalFile)).events);
  const files = reportFiles(runDir);
  for (const format of REPORT_FORMATS) {
    const tmp = `${files[format]}.tmp`;
    await fs.writeFile(tmp, renderReport(report, format), { mode: 0o600 });
    await fs.rename(tmp, files[format]);
  }
  return files.html;
}
