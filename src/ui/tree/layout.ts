/**
 * The live tree as lines that fit the terminal, at any fleet size. Pure: the model, the time
 * and the terminal's size in, lines out.
 *
 * A header with the counts, the time and the failure budget; then the batches in order: a
 * finished batch is one line (its failed nodes stay open under it), the running batch lists its
 * nodes (done ones one line each, in flight and failed ones open with their steps, those still
 * waiting for a slot counted), and the batches not started yet are counted on one line. When
 * that is taller than the terminal the tree folds step by step (done nodes into one line, the
 * steps not started, a failed node's steps but the failed one, a node in flight to one line)
 * until it fits; what is still too much is counted, never cut off silently.
 */
import cliTruncate from 'cli-truncate';
import { elapsedText } from '../../time-text.js';
import { FAILED_OUTCOMES } from '../../runner/summary.js';
import { cordonOwnerText } from '../cordon-report.js';
import { countsText, firstLine, rollbackWhere } from '../words.js';
import { nodeCounts, type BatchView, type NodeView, type StepView, type TreeModel } from './model.js';

export interface Paint {
  ok(s: string): string;
  bad(s: string): string;
  warn(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const plainPaint: Paint = { ok: (s) => s, bad: (s) => s, warn: (s) => s, dim: (s) => s, bold: (s) => s };

export interface LayoutOptions {
  now: number;
  rows: number;
  cols: number;
  /** Spinner frame index. */
  frame?: number;
  paint?: Paint;
}

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** How far the tree is folded: each level folds more than the one before. */
interface Fold {
  doneNodesMerged: boolean;
  pendingStepsHidden: boolean;
  failedStepsOnly: boolean;
  runningOneLine: boolean;
  failedOneLine: boolean;
  /** At most this many open nodes (in flight or failed) listed; the rest counted. */
  maxOpen: number;
}

const FOLDS: Fold[] = [
  { doneNodesMerged: false, pendingStepsHidden: false, failedStepsOnly: false, runningOneLine: false, failedOneLine: false, maxOpen: Infinity },
  { doneNodesMerged: true, pendingStepsHidden: false, failedStepsOnly: false, runningOneLine: false, failedOneLine: false, maxOpen: Infinity },
  { doneNodesMerged: true, pendingStepsHidden: true, failedStepsOnly: false, runningOneLine: false, failedOneLine: false, maxOpen: Infinity },
  { doneNodesMerged: true, pendingStepsHidden: true, failedStepsOnly: true, runningOneLine: false, failedOneLine: false, maxOpen: Infinity },
  { doneNodesMerged: true, pendingStepsHidden: true, failedStepsOnly: true, runningOneLine: true, failedOneLine: false, maxOpen: Infinity },
  { doneNodesMerged: true, pendingStepsHidden: true, failedStepsOnly: true, runningOneLine: true, failedOneLine: true, maxOpen: Infinity },
];

/** Lines of an error shown under its step: the first says what failed, the next ones why. */
const ERROR_LINES = 6;

class Writer {
  readonly lines: string[] = [];
  constructor(
    readonly o: Required<LayoutOptions>,
    readonly p: Paint,
  ) {}
  add(depth: number, text: string): void {
    this.lines.push(`${'  '.repeat(depth)}${text}`);
  }
}

/** The spinner's frame now, in the colour of things in flight. */
function spinner(o: Required<LayoutOptions>, p: Paint): string {
  return p.warn(SPINNER[o.frame % SPINNER.length] as string);
}

function took(from: number | undefined, to: number | undefined, now: number): string {
  return from === undefined ? '' : elapsedText((to ?? now) - from);
}

function nodeFailed(n: NodeView): boolean {
  return (FAILED_OUTCOMES as readonly string[]).includes(n.state) || n.state === 'interrupted';
}

function header(model: TreeModel, o: Required<LayoutOptions>, p: Paint): string[] {
  const c = nodeCounts(model);
  const parts = [`${c.done}/${c.total} nodes done`];
  if (c.running) parts.push(`${c.running} in flight`);
  if (c.failed) parts.push(p.bad(`${c.failed} failed`));
  if (c.pending) parts.push(`${c.pending} pending`);
  if (c.other) parts.push(`${c.other} other`);
  parts.push(elapsedText((model.end ?? o.now) - model.start));
  if (model.budget) parts.push(model.budget.onFailure === 'stop' ? 'onFailure: stop' : `failed ${c.failed} of ${model.budget.maxFailed} allowed`);
  const what = `${model.resumed ? 'resuming run' : 'run'} ${model.runId}${model.playbookName ? `: ${model.playbookName}` : ''}`;
  const state = model.status ? `: ${model.status}` : model.confirming ? `: waiting for confirmation of batch ${model.confirming}` : model.stopped ? `: stopping: ${model.stopped}` : '';
  const first = `${p.bold(what)}${state}`;
  const counts = parts.join(' · ');
  // One line when it fits; else the counts on a line of their own, so none is cut off.
  return `${what}${state} · ${counts}`.length <= o.cols ? [`${first} · ${counts}`] : [first, `  ${counts}`];
}

function stepLine(s: StepView, w: Writer, depth: number): void {
  const { p, o } = w;
  const time = s.start !== undefined && s.state !== 'pending' && s.state !== 'not-run' ? p.dim(` · ${took(s.start, s.end, o.now)}`) : '';
  switch (s.state) {
    case 'running': {
      const extra = s.retrying ? ` · retrying (${s.retrying})` : s.waitingFor ? ` · waiting for ${s.waitingFor}` : '';
      w.add(depth, `${spinner(o, p)} ${s.label}${time}${p.warn(extra)}`);
      return;
    }
    case 'ok':
    case 'changed':
      w.add(depth, `${p.ok('✔')} ${s.label}: ${s.state}${s.detail ? ` (${s.detail})` : ''}${time}`);
      return;
    case 'skipped':
      w.add(depth, `${p.dim('↓')} ${s.label}: skipped${s.detail ? ` (${s.detail})` : ''}`);
      return;
    case 'not-run':
      w.add(depth, `${p.dim('◼')} ${s.label}: ${s.detail ?? 'not run'}`);
      return;
    case 'failed': {
      const [first = '', ...rest] = (s.error ?? '').split('\n');
      w.add(depth, `${p.bad('✖')} ${s.label}: failed${s.start !== undefined ? ` after ${took(s.start, s.end, o.now)}` : ''}: ${first}`);
      const shown = rest.filter((l) => l.trim() !== '');
      for (const line of shown.slice(0, ERROR_LINES - 1)) w.add(depth + 1, line.trim());
      if (shown.length > ERROR_LINES - 1) w.add(depth + 1, p.dim(`… ${shown.length - (ERROR_LINES - 1)} more line(s): in the journal and the run's report`));
      return;
    }
    case 'pending':
      w.add(depth, `${p.dim('◻')} ${s.label}`);
      return;
  }
}

function outcomeWords(n: NodeView, runId: string): string {
  const parts: string[] = [];
  const r = n.rollback;
  if (r) {
    if (r.status === 'rolled-back') parts.push(`failed, rolled back to ${rollbackWhere(r.to)} (undid ${r.undone.join(', ') || 'nothing'})`);
    else if (r.status === 'rollback-failed') parts.push(`failed, and its rollback failed (${r.failed.join(', ')})`);
    else parts.push(`rolling back ${r.steps.join(', ')}`);
  } else if (n.state === 'skipped') parts.push(`skipped by the operator${n.error ? ` (${n.error})` : ''}`);
  else if (n.state === 'pending') parts.push(`not finished${n.error ? ` (${firstLine(n.error)})` : ''}`);
  else if (n.state === 'interrupted') parts.push('interrupted');
  else parts.push(n.state);
  if (n.cordon?.cordoned && n.state !== 'running' && n.state !== 'done') parts.push(`left ${cordonOwnerText(runId, n.cordon)}`);
  return parts.join(', ');
}

function counted(n: NodeView): string {
  const c = { ok: 0, changed: 0, skipped: 0 };
  for (const s of n.steps) if (s.state === 'ok' || s.state === 'changed' || s.state === 'skipped') c[s.state]++;
  return countsText(c);
}

function nodeBlock(model: TreeModel, n: NodeView, w: Writer, depth: number, fold: Fold): void {
  const { p, o } = w;
  const time = p.dim(` · ${took(n.start, n.end, o.now)}`);
  if (n.state === 'done') {
    w.add(depth, `${p.ok('✔')} ${n.host}: done (${counted(n)})${time}`);
    return;
  }
  if (n.state === 'running') {
    const current = n.steps.find((s) => s.state === 'running');
    if (fold.runningOneLine) {
      const step = current ? ` · ${current.label} ${took(current.start, undefined, o.now)}${current.waitingFor ? ` · waiting for ${current.waitingFor}` : ''}` : '';
      w.add(depth, `${spinner(o, p)} ${n.host}${time}${step}`);
      return;
    }
    w.add(depth, `${spinner(o, p)} ${n.host}${time}${n.rollback ? `: ${outcomeWords(n, model.runId)}` : ''}`);
    const pending = n.steps.filter((s) => s.state === 'pending');
    for (const s of n.steps) if (!(fold.pendingStepsHidden && s.state === 'pending')) stepLine(s, w, depth + 1);
    if (fold.pendingStepsHidden && pending.length) w.add(depth + 1, p.dim(`◻ ${pending.length} more step(s)`));
    return;
  }
  if (n.state === 'pending') {
    w.add(depth, `${p.dim('◻')} ${n.host}${n.error ? `: ${outcomeWords(n, model.runId)}` : ''}`);
    return;
  }
  const mark = n.state === 'skipped' ? p.dim('↓') : p.bad('✖');
  w.add(depth, `${mark} ${n.host}: ${outcomeWords(n, model.runId)}${n.start !== undefined ? time : ''}`);
  if (fold.failedOneLine || n.state === 'skipped') {
    const failed = n.steps.find((s) => s.state === 'failed');
    if (failed && fold.failedOneLine) w.add(depth + 1, `${p.bad('✖')} ${failed.label}: failed: ${firstLine(failed.error ?? '')}`);
    return;
  }
  for (const s of n.steps) {
    if (fold.failedStepsOnly && s.state !== 'failed') continue;
    stepLine(s, w, depth + 1);
  }
}

function batchTitle(model: TreeModel, b: BatchView): string {
  const total = model.batches.length;
  if (model.window !== undefined && b.index === total && b.hosts.length > 1) return `${b.hosts.length} nodes, at most ${model.window} at a time`;
  return `batch ${b.index}/${total}`;
}

function names(hosts: string[], max = 8): string {
  return hosts.length <= max ? hosts.join(', ') : `${hosts.slice(0, max).join(', ')}, … (+${hosts.length - max})`;
}

function batchBlock(model: TreeModel, b: BatchView, w: Writer, fold: Fold, open: { left: number; hidden: number }): void {
  const { p, o } = w;
  const nodes = b.hosts.map((h) => model.nodes.get(h)).filter((n): n is NodeView => n !== undefined);
  const failed = nodes.filter((n) => nodeFailed(n) || n.state === 'skipped');
  const done = nodes.filter((n) => n.state === 'done');
  const time = p.dim(` · ${took(b.start, b.end, o.now)}`);
  const showOpen = (n: NodeView) => {
    if (open.left <= 0) {
      open.hidden++;
      return;
    }
    open.left--;
    nodeBlock(model, n, w, 1, fold);
  };
  if (b.state === 'done') {
    const notDone = new Map<string, string[]>();
    for (const n of nodes) if (n.state !== 'done') notDone.set(n.state, [...(notDone.get(n.state) ?? []), n.host]);
    const others = [...notDone].map(([state, hosts]) => `${hosts.length} ${state} (${names(hosts, 4)})`);
    const tally =
      nodes.length === 1 ? `${nodes[0]?.host} ${nodes[0]?.state}` : notDone.size === 0 ? `${done.length} nodes done` : [`${done.length} done`, ...others].join(', ');
    w.add(0, `${notDone.size ? p.warn('⚠') : p.ok('✔')} ${batchTitle(model, b)}: ${tally}${time}`);
    for (const n of failed) showOpen(n);
    return;
  }
  const running = nodes.filter((n) => n.state === 'running');
  const waiting = nodes.filter((n) => n.state === 'pending');
  const where = model.end === undefined ? `${running.length} in flight` : 'stopped';
  w.add(0, `${spinner(o, p)} ${batchTitle(model, b)}: ${done.length}/${nodes.length} done, ${where}${time}`);
  if (fold.doneNodesMerged && done.length) w.add(1, `${p.ok('✔')} ${done.length} done: ${names(done.map((n) => n.host))}`);
  for (const n of nodes) {
    if (n.state === 'done' && !fold.doneNodesMerged) nodeBlock(model, n, w, 1, fold);
    else if (n.state === 'running' || failed.includes(n)) showOpen(n);
  }
  const isWindow = model.window !== undefined && b.index === model.batches.length;
  if (waiting.length) w.add(1, p.dim(`◻ ${waiting.length} ${isWindow ? 'waiting for a slot' : 'not started yet'}: ${names(waiting.map((n) => n.host))}`));
}

/** Consecutive batches that have not started, as one line. */
function notStartedLine(model: TreeModel, run: BatchView[], w: Writer): void {
  const { p } = w;
  const hosts = run.flatMap((b) => b.hosts);
  const first = run[0] as BatchView;
  const last = run.at(-1) as BatchView;
  const which = run.length === 1 ? `${batchTitle(model, first)}: ${names(hosts, 4)}` : `batches ${first.index}-${last.index}/${model.batches.length}: ${hosts.length} nodes`;
  if (model.end !== undefined) w.add(0, `${p.dim('↓')} ${which}: not started${model.stopped ? `: ${model.stopped}` : ''}`);
  else w.add(0, p.dim(`◻ ${which}: pending`));
}

function render(model: TreeModel, o: Required<LayoutOptions>, p: Paint, fold: Fold): string[] {
  const w = new Writer(o, p);
  for (const line of header(model, o, p)) w.add(0, line);
  const open = { left: fold.maxOpen, hidden: 0 };
  let pendingRun: BatchView[] = [];
  const flush = () => {
    if (pendingRun.length) notStartedLine(model, pendingRun, w);
    pendingRun = [];
  };
  for (const b of model.batches) {
    if (b.state === 'pending') {
      pendingRun.push(b);
      continue;
    }
    flush();
    batchBlock(model, b, w, fold, open);
  }
  flush();
  if (open.hidden) w.add(0, p.dim(`… ${open.hidden} more node(s) in flight or failed, not shown: the terminal is too small (slipway runs ${model.runId} lists them)`));
  return w.lines;
}

/** The tree's lines: the least folded form that fits `rows`, each line cut to `cols`. */
export function layoutTree(model: TreeModel, options: LayoutOptions): string[] {
  const o: Required<LayoutOptions> = { frame: 0, paint: plainPaint, ...options };
  const p = o.paint;
  const rows = Math.max(3, o.rows);
  let lines: string[] = [];
  for (const fold of FOLDS) {
    lines = render(model, o, p, fold);
    if (lines.length <= rows) break;
  }
  if (lines.length > rows) {
    // Even one line per open node is too much: list as many as fit, count the rest.
    const last = FOLDS.at(-1) as Fold;
    let maxOpen = Math.max(0, rows - 2);
    for (;;) {
      lines = render(model, o, p, { ...last, maxOpen });
      if (lines.length <= rows || maxOpen === 0) break;
      maxOpen = Math.max(0, maxOpen - Math.max(1, lines.length - rows));
    }
    if (lines.length > rows) lines = [...lines.slice(0, rows - 1), p.dim(`… ${lines.length - rows + 1} more line(s)`)];
  }
  return lines.map((l) => cliTruncate(l, Math.max(10, o.cols), { position: 'end' }));
}
