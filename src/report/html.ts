/**
 * A run's report as one self-contained HTML file (no script, no fetch: it opens from a ticket
 * attachment). At the top the outcome and inputs; then the steps, each with a drill-down to the
 * nodes it ran on; a timeline with a lane per node (steps as bars, waiting hatched apart from
 * running, rollbacks marked); then per node its steps, diffs, versions and rollbacks. Readable
 * at 200 nodes: lanes are one line each, and the detail of a node is folded until opened
 * (failed ones open).
 */
import { elapsedText, msBetween, shortTime } from '../time-text.js';
import { cordonOwnerText } from '../ui/cordon-report.js';
import type { DoctorSnapshot } from '../runner/doctor-store.js';
import type { NodeReport, RunReport, StepBar } from './model.js';
import { firstLine } from '../ui/words.js';
import { barMark, doctorTitle, findingsText, rollbackText, summaryRows, versionText } from './words.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text (or an attribute value) with HTML's special characters escaped. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** An element id for a node: its name, with anything outside [A-Za-z0-9_-] spelled as a code. */
export function nodeId(host: string): string {
  return `node-${host.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}

const FAILED = new Set(['failed', 'unreachable', 'rolled-back', 'rollback-failed']);

const STYLE = `
:root { --ok:#2e7d32; --changed:#1565c0; --skipped:#9e9e9e; --failed:#c62828; --running:#f9a825; --wait:#ffb300; --rollback:#6a1b9a; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #212121; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0; } td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
pre { background: #f5f5f5; padding: .5rem; overflow-x: auto; margin: .3rem 0; }
pre.error { white-space: pre-wrap; color: var(--failed); }
.status { font-weight: bold; } .status.failed, .status.interrupted, .status.unfinished { color: var(--failed); } .status.succeeded { color: var(--ok); }
.legend span { display: inline-block; padding: 0 6px; margin-right: 4px; color: #fff; border-radius: 3px; }
.timeline { width: 100%; }
.axis, .lane { display: flex; align-items: center; height: 16px; }
.axis { height: 20px; font-size: 11px; color: #616161; }
.lane .label, .axis .label { width: 12rem; flex: none; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; font-size: 12px; padding-right: 6px; }
.lane.failed .label { color: var(--failed); font-weight: bold; }
.track { position: relative; flex: 1; height: 12px; background: #fafafa; border-left: 1px solid #bbb; }
.axis .track { background: none; height: 20px; }
.tick { position: absolute; top: 0; transform: translateX(-50%); }
.bar { position: absolute; top: 0; height: 12px; min-width: 2px; border-right: 1px solid #fff; }
.bar.ok { background: var(--ok); } .bar.changed { background: var(--changed); } .bar.skipped { background: var(--skipped); }
.bar.failed { background: var(--failed); } .bar.running { background: var(--running); }
.bar.wait { background: repeating-linear-gradient(45deg, var(--wait) 0 3px, #fff3 3px 6px); top: 2px; height: 8px; }
.bar.rollback { background: var(--rollback); top: 3px; height: 6px; }
.chip { display: inline-block; margin: 1px 3px; padding: 0 4px; border-radius: 3px; background: #eee; text-decoration: none; color: inherit; font-size: 12px; }
.chip.failed { background: #ffcdd2; } .chip.changed { background: #bbdefb; } .chip.ok { background: #c8e6c9; }
details.node { margin: .3rem 0; border: 1px solid #ddd; padding: .2rem .5rem; } details.node.failed { border-color: var(--failed); }
summary { cursor: pointer; }
`;

function pct(report: RunReport, ts: string): number {
  return report.durationMs > 0 ? Math.min(100, (msBetween(report.start, ts) / report.durationMs) * 100) : 0;
}

function span(report: RunReport, cls: string, start: string, end: string, title: string, attrs = ''): string {
  const left = pct(report, start);
  const width = Math.max(0.15, pct(report, end) - left);
  return `<div class="${cls}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%" title="${esc(title)}"${attrs}></div>`;
}

function barEnd(report: RunReport, b: StepBar): string {
  return b.end ?? report.end;
}

function lane(report: RunReport, n: NodeReport): string {
  const failed = FAILED.has(n.status);
  const parts: string[] = [];
  for (const b of n.bars) {
    const title = `${n.host}: ${b.name}: ${barMark(b)}, ${elapsedText(b.durationMs)}${b.summary ? `: ${b.summary}` : ''}${b.error ? `: ${firstLine(b.error)}` : ''}`;
    parts.push(span(report, `bar ${b.status}`, b.start, barEnd(report, b), title, ` data-step="${esc(b.step)}" data-status="${b.status}"`));
    for (const w of b.waits) parts.push(span(report, 'bar wait', w.start, w.end, `${n.host}: ${b.name}: waiting ${elapsedText(msBetween(w.start, w.end))} for ${w.for}`, ` data-step="${esc(b.step)}"`));
  }
  for (const r of n.rollbacks) parts.push(span(report, 'bar rollback', r.start, r.end ?? report.end, `${n.host}: rollback: ${r.steps.map((s) => s.step).join(', ')}`));
  const mark = failed ? '✗ ' : '';
  return `<div class="lane${failed ? ' failed' : ''}" data-host="${esc(n.host)}" data-status="${n.status}"><a class="label" href="#${nodeId(n.host)}" title="${esc(`${n.host}: ${n.status}`)}">${mark}${esc(n.host)}</a><div class="track">${parts.join('')}</div></div>`;
}

function axis(report: RunReport): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<span class="tick" style="left:${(f * 100).toFixed(0)}%">${elapsedText(report.durationMs * f)}</span>`);
  return `<div class="axis"><span class="label">since ${esc(shortTime(report.start))}</span><div class="track">${ticks.join('')}</div></div>`;
}

function rows(cells: string[][]): string {
  return cells.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
}

function tableOf(head: string[], body: string[][], attrs = ''): string {
  return `<table${attrs}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows(body)}</tbody></table>`;
}

function summaryTable(r: RunReport): string {
  return `<table class="inputs"><tbody>${rows(summaryRows(r).map(([k, v]) => [`<b>${esc(k)}</b>`, esc(v)]))}</tbody></table>`;
}

function stepsSection(r: RunReport): string {
  const body = r.steps.map((s) => {
    const chips = s.nodes.map((n) => `<a class="chip ${n.status}" href="#${nodeId(n.host)}">${esc(n.host)}: ${n.status}${n.durationMs ? ` ${elapsedText(n.durationMs)}` : ''}</a>`).join('');
    const name = s.name === s.id ? s.id : `${s.id}: ${s.name}`;
    return [`<details class="step" data-step="${esc(s.id)}"><summary>${esc(name)}</summary>${chips}</details>`, esc(s.uses), String(s.ok), String(s.changed), String(s.skipped), String(s.failed), String(s.notRun), elapsedText(s.medianMs), elapsedText(s.maxMs)];
  });
  return tableOf(['Step (open: its nodes)', 'Uses', 'ok', 'changed', 'skipped', 'failed', 'not run', 'median', 'max'], body, ' class="steps"');
}

function nodeDetail(r: RunReport, n: NodeReport): string {
  const failed = FAILED.has(n.status);
  const parts: string[] = [];
  if (n.error) parts.push(`<pre class="error">${esc(n.error)}</pre>`);
  parts.push(
    tableOf(
      ['Step', 'Pass', 'Started', 'Outcome', 'Took', 'Waited for', 'Summary'],
      n.bars.map((b) => [esc(b.name === b.step ? b.step : `${b.step}: ${b.name}`), String(b.passNumber), esc(shortTime(b.start)), esc(barMark(b)), elapsedText(b.durationMs), esc(b.waits.map((w) => `${w.for} (${elapsedText(msBetween(w.start, w.end))})`).join('; ')), esc(b.error ?? b.summary ?? '')]),
    ),
  );
  if (n.notRun.length) parts.push(`<p>Not run: ${esc(n.notRun.join(', '))}</p>`);
  if (n.versions.length) parts.push(`<p>Versions: ${n.versions.map((v) => esc(`${versionText(v)} (${v.step})`)).join('; ')}</p>`);
  for (const d of n.diffs) parts.push(`<p>Diff of <code>${esc(d.step)}</code>:</p><pre class="diff">${esc(d.diff)}</pre>`);
  for (const rb of n.rollbacks) parts.push(`<p class="rollback">${esc(rollbackText(rb))}</p>`);
  if (n.cordon?.cordoned) parts.push(`<p class="cordoned">Left cordoned: ${esc(cordonOwnerText(r.runId, n.cordon))}.</p>`);
  const head = `${failed ? '✗ ' : ''}${n.host}: ${n.status}, ${elapsedText(n.durationMs)}${n.waitingMs ? ` (waited ${elapsedText(n.waitingMs)})` : ''}`;
  return `<details class="node${failed ? ' failed' : ''}" id="${nodeId(n.host)}" data-status="${n.status}"${failed ? ' open' : ''}><summary>${esc(head)}</summary>${parts.join('')}</details>`;
}

function doctorTable(title: string, s: DoctorSnapshot): string {
  return `<h3>${esc(doctorTitle(title, s))}</h3>${tableOf(['Node', 'Findings'], s.nodes.map((n) => [esc(n.host), esc(findingsText(n))]))}`;
}

export function renderHtml(r: RunReport): string {
  const cordoned = Object.entries(r.cordoned);
  const body = [
    `<h1>slipway run ${esc(r.runId)}: ${esc(r.playbook.name)}: <span class="status ${esc(r.status)}" id="outcome">${esc(r.status)}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}</span></h1>`,
    r.stopped ? `<p><b>Stopped:</b> ${esc(r.stopped)}</p>` : '',
    summaryTable(r),
    cordoned.length ? `<h2>Left cordoned</h2><ul class="cordoned">${cordoned.map(([h, c]) => `<li>${esc(h)}${c.node !== h ? ` (Node ${esc(c.node)})` : ''}: ${esc(cordonOwnerText(r.runId, c))}</li>`).join('')}</ul>` : '',
    r.next.length ? `<h2>Next</h2><pre class="next">${esc(r.next.join('\n'))}</pre>` : '',
    r.doctor ? `<h2>Doctor</h2>${r.doctor.before ? doctorTable('Before the run', r.doctor.before) : ''}${r.doctor.after ? doctorTable('After the run', r.doctor.after) : ''}` : '',
    `<h2>Steps</h2>${stepsSection(r)}`,
    `<h2>Timeline</h2><p class="legend"><span style="background:var(--changed)">changed</span><span style="background:var(--ok)">ok</span><span style="background:var(--skipped)">skipped</span><span style="background:var(--failed)">failed</span><span style="background:var(--wait);color:#000">waiting</span><span style="background:var(--rollback)">rollback</span></p>`,
    `<div class="timeline" id="timeline">${axis(r)}${r.nodes.map((n) => lane(r, n)).join('')}</div>`,
    `<h2>Nodes</h2>${r.nodes.map((n) => nodeDetail(r, n)).join('')}`,
    `<p><small>Generated by slipway at ${esc(shortTime(r.generated))} from the run's journal.</small></p>`,
  ];
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>slipway run ${esc(r.runId)}: ${esc(r.status)}</title><style>${STYLE}</style></head><body>${body.join('\n')}</body></html>\n`;
}
