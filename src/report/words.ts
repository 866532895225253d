/** What the report's renderings (HTML, Markdown) say alike: its summary rows, a bar's outcome, a version change, a rollback, doctor's findings. */
import type { DoctorSnapshot } from '../runner/doctor-store.js';
import type { VersionChange } from '../steps/types.js';
import { elapsedText, shortTime } from '../time-text.js';
import { countsText, firstLine, rollbackWhere } from '../ui/words.js';
import type { RollbackRecord, RunReport, StepBar } from './model.js';

/** The report's head: what went in, who ran it, how it ended. */
export function summaryRows(r: RunReport): Array<[string, string]> {
  const vars = Object.entries(r.inputs.extraVars).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const passes = r.passes.map((p) => `${p.kind} ${shortTime(p.start)}${p.operator ? ` by ${p.operator.user}@${p.operator.host} in ${p.operator.cwd}` : ''}${p.status ? `: ${p.status}` : ''}${p.forced ? ' (--force)' : ''}`);
  const rows: Array<[string, string]> = [
    ['Playbook', `${r.playbook.file} (sha256 ${r.playbook.hash.slice(0, 16)})`],
    ['Inventory', `${r.inventory.file} (sha256 ${r.inventory.hash.slice(0, 16)})`],
    ['Limit', r.inputs.limit ?? 'none'],
  ];
  if (r.inputs.hosts) rows.push(['Hosts', r.inputs.hosts]);
  if (r.inputs.on) rows.push(['On', r.inputs.on]);
  rows.push(
    ['Extra vars', vars.join(', ') || 'none'],
    ['Passes', passes.join('; ')],
    ['Started / ended', `${shortTime(r.start)} / ${shortTime(r.end)} (${elapsedText(r.durationMs)})`],
    ['Outcome', `${r.status}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}${r.stopped ? `: ${r.stopped}` : ''}`],
    ['Steps', countsText(r.totals)],
  );
  if (r.budget) rows.push(['Failure budget', `${r.budget.failedNodes} of ${r.budget.maxFailed} node(s) allowed to fail used (onFailure: ${r.budget.onFailure})`]);
  rows.push(['Nodes', Object.entries(r.nodesByOutcome).map(([s, hosts]) => `${s} ${hosts?.length ?? 0}`).join(', ')]);
  return rows;
}

/** `Rollback at … to its last rollback point: rolled-back; undid a, b.` */
export function rollbackText(rb: RollbackRecord): string {
  const undone = rb.steps.map((s) => (s.undone ? s.step : `${s.step} (FAILED: ${s.error ?? ''})`)).join(', ') || 'nothing to undo';
  return `Rollback at ${shortTime(rb.start)} to ${rollbackWhere(rb.to)}: ${rb.status ?? 'unfinished'}; undid ${undone}. Why: ${firstLine(rb.reason)}`;
}

/** A node's findings in doctor's verdict, in one line. */
export function findingsText(n: DoctorSnapshot['nodes'][number]): string {
  if (!n.reachable) return `unreachable: ${n.error ?? ''}`;
  return n.findings.length ? n.findings.map((f) => `${f.severity} ${f.rule}: ${f.title}`).join('; ') : 'healthy';
}

export function doctorTitle(title: string, s: DoctorSnapshot): string {
  return `${title} (${shortTime(s.ts)}${s.target ? `, target ${s.target}` : ''})`;
}

export function barMark(b: StepBar): string {
  if (b.status === 'running') return 'unfinished (the journal ends while it ran)';
  if (b.resumed) return `${b.status} (done before; re-checked)`;
  return b.attempts > 1 ? `${b.status} (attempt ${b.attempts})` : b.status;
}

export function versionText(v: VersionChange): string {
  return `${v.name} ${v.from ?? '(not installed)'} → ${v.to}`;
}
