/**
 * A run's report as Markdown, for a change ticket: the inputs, the outcome, every node in one
 * table, then per node that changed or failed its steps, diffs, versions and rollbacks.
 */
import { elapsedText, shortTime } from '../time-text.js';
import { cordonOwnerText } from '../ui/cordon-report.js';
import type { DoctorSnapshot } from '../runner/doctor-store.js';
import type { NodeReport, RunReport } from './model.js';
import { barMark, versionText } from './words.js';

/** A table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim() || ' ';
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** A fenced block that no line of `text` can close early. */
function fence(text: string, lang = ''): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const marks = '`'.repeat(longest + 1);
  return [`${marks}${lang}`, text.replace(/\n$/, ''), marks];
}

function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function doctorLines(title: string, s: DoctorSnapshot): string[] {
  const rows = s.nodes.map((n) => [n.host, n.reachable ? (n.findings.length ? n.findings.map((f) => `${f.severity} ${f.rule}: ${f.title}`).join('; ') : 'healthy') : `unreachable: ${n.error ?? ''}`]);
  return [`### ${title} (${shortTime(s.ts)}${s.target ? `, target ${s.target}` : ''})`, '', ...table(['Node', 'Findings'], rows), ''];
}

function nodeSection(n: NodeReport, runId: string): string[] {
  const lines = [`### ${n.host}: ${n.status}`, ''];
  if (n.error) lines.push(...fence(n.error), '');
  lines.push(
    ...table(
      ['Step', 'Pass', 'Started', 'Outcome', 'Took', 'Waited', 'Summary'],
      n.bars.map((b) => [
        b.name === b.step ? b.step : `${b.step} (${b.name})`,
        String(b.passNumber),
        shortTime(b.start),
        barMark(b),
        elapsedText(b.durationMs),
        b.waits.length ? b.waits.map((w) => w.for).join('; ') : '',
        b.error ?? b.summary ?? '',
      ]),
    ),
    '',
  );
  if (n.notRun.length) lines.push(`Not run: ${n.notRun.join(', ')}`, '');
  if (n.versions.length) lines.push('Versions:', '', ...n.versions.map((v) => `- ${versionText(v)} (${v.step})`), '');
  for (const d of n.diffs) lines.push(`Diff of ${code(d.step)}:`, '', ...fence(d.diff, 'diff'), '');
  for (const r of n.rollbacks) {
    const undone = r.steps.map((s) => (s.undone ? s.step : `${s.step} (FAILED: ${s.error ?? ''})`)).join(', ') || 'nothing to undo';
    lines.push(`Rollback at ${shortTime(r.start)} to ${r.to === 'start' ? 'the state before the run' : 'its last rollback point'}: ${r.status ?? 'unfinished'}; undid ${undone}. Why: ${r.reason.split('\n')[0] ?? ''}`, '');
  }
  if (n.cordon?.cordoned) lines.push(`Left cordoned: ${cordonOwnerText(runId, n.cordon)}.`, '');
  return lines;
}

export function renderMarkdown(r: RunReport): string {
  const lines: string[] = [`# slipway run ${r.runId}: ${r.playbook.name}: ${r.status}`, ''];
  const operators = r.passes.map((p) => `${p.kind} ${shortTime(p.start)}${p.operator ? ` by ${p.operator.user}@${p.operator.host} in ${p.operator.cwd}` : ''}${p.status ? `: ${p.status}` : ''}${p.forced ? ' (--force)' : ''}`);
  const vars = Object.entries(r.inputs.extraVars).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  lines.push(
    ...table(
      ['', ''],
      [
        ['Playbook', `${r.playbook.file} (sha256 ${r.playbook.hash.slice(0, 16)})`],
        ['Inventory', `${r.inventory.file} (sha256 ${r.inventory.hash.slice(0, 16)})`],
        ['Limit', r.inputs.limit ?? 'none'],
        ...(r.inputs.hosts ? [['Hosts', r.inputs.hosts]] : []),
        ...(r.inputs.on ? [['On', r.inputs.on]] : []),
        ['Extra vars', vars.join(', ') || 'none'],
        ['Passes', operators.join('; ')],
        ['Started / ended', `${shortTime(r.start)} / ${shortTime(r.end)} (${elapsedText(r.durationMs)})`],
        ['Outcome', `${r.status}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}${r.stopped ? `: ${r.stopped}` : ''}`],
        ['Steps', `${r.totals.ok} ok, ${r.totals.changed} changed, ${r.totals.skipped} skipped, ${r.totals.failed} failed`],
        ...(r.budget ? [['Failure budget', `${r.budget.failedNodes} of ${r.budget.maxFailed} node(s) allowed to fail used (onFailure: ${r.budget.onFailure})`]] : []),
      ],
    ),
    '',
  );
  const cordoned = Object.entries(r.cordoned);
  if (cordoned.length) {
    lines.push('## Left cordoned', '', ...cordoned.map(([host, c]) => `- ${host}${c.node !== host ? ` (Node ${c.node})` : ''}: ${cordonOwnerText(r.runId, c)}`), '');
  }
  if (r.next.length) lines.push('## Next', '', ...fence(r.next.join('\n'), 'sh'), '');
  lines.push(
    '## Nodes',
    '',
    ...table(
      ['Node', 'Outcome', 'Took', 'Waited', 'Changed', 'Versions', 'Cordoned'],
      r.nodes.map((n) => [
        n.host,
        n.status,
        elapsedText(n.durationMs),
        n.waitingMs ? elapsedText(n.waitingMs) : '',
        n.bars.filter((b) => b.status === 'changed').map((b) => b.step).join(', '),
        n.versions.map(versionText).join(', '),
        n.cordon?.cordoned ? cordonOwnerText(r.runId, n.cordon) : '',
      ]),
    ),
    '',
    '## Steps',
    '',
    ...table(
      ['Step', 'Uses', 'ok', 'changed', 'skipped', 'failed', 'not run', 'median', 'max'],
      r.steps.map((s) => [s.name === s.id ? s.id : `${s.id} (${s.name})`, s.uses, String(s.ok), String(s.changed), String(s.skipped), String(s.failed), String(s.notRun), elapsedText(s.medianMs), elapsedText(s.maxMs)]),
    ),
    '',
  );
  if (r.doctor?.before || r.doctor?.after) {
    lines.push('## Doctor', '');
    if (r.doctor.before) lines.push(...doctorLines('Before the run', r.doctor.before));
    if (r.doctor.after) lines.push(...doctorLines('After the run', r.doctor.after));
  }
  const detailed = r.nodes.filter((n) => n.status !== 'done' || n.diffs.length || n.rollbacks.length || n.versions.length);
  if (detailed.length) {
    lines.push('## Per node', '');
    for (const n of detailed) lines.push(...nodeSection(n, r.runId));
  }
  lines.push(`_Generated by slipway at ${shortTime(r.generated)} from the run's journal._`, '');
  return lines.join('\n');
}
