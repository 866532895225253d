/** Prints a plan: per node, what would change (with diffs) and what is already done. */
import type { Plan } from '../runner/plan.js';

/** ` [as stop-kubelet leaves it]`: the step was checked on what the steps before it will do. */
function asLeftBy(steps: string[] | undefined): string {
  if (!steps?.length) return '';
  return ` [as ${steps.join(', ')} ${steps.length === 1 ? 'leaves' : 'leave'} it]`;
}

export function formatPlan(plan: Plan, options: { color?: boolean } = {}): string {
  const c = colors(options.color ?? false);
  const lines: string[] = [];
  lines.push(`plan: ${plan.playbookName} (${plan.playbook})`);
  lines.push(`batches: ${plan.batches.map((b, i) => `${i + 1}:[${b.join(', ')}]`).join(' ')}`);
  let changes = 0;
  let errors = 0;
  let fails = 0;
  let unreachable = 0;
  for (const node of plan.nodes) {
    lines.push('');
    if (!node.reachable) {
      unreachable++;
      lines.push(c.red(`${node.host}: UNREACHABLE: ${node.error ?? ''}`));
      continue;
    }
    const n = node.steps.filter((s) => s.status === 'change').length;
    if (node.notStarted) {
      lines.push(c.dim(`${node.host}: would not start: ${node.notStarted}; as it is now, ${n === 0 ? 'nothing to change' : `${n} step(s) would change`}`));
    } else if (node.preflight) {
      lines.push(c.red(`${node.host}: would stop before its first step: ${node.preflight.step} would fail (preflight)`));
    } else {
      lines.push(c.bold(`${node.host}: ${n === 0 ? 'nothing to change' : `${n} step(s) would change`}`));
    }
    for (const s of node.steps) {
      const via = `${s.via ? ` (on ${s.via})` : ''}${s.decidedAfter ? ` [decided at run time, after ${s.decidedAfter.join(', ')}]` : ''}${asLeftBy(s.after)}`;
      switch (s.status) {
        case 'ok':
          lines.push(`  ${c.green('✓')} ${s.id}${via}: ${s.summary}`);
          break;
        case 'skip':
          lines.push(`  ${c.dim('-')} ${s.id}${via}: skipped: ${s.reason}`);
          break;
        case 'change':
          changes++;
          lines.push(`  ${c.yellow('~')} ${s.id}${via}: ${s.summary}`);
          if (s.diff) for (const d of s.diff.trimEnd().split('\n')) lines.push(`      ${colorDiff(d, c)}`);
          break;
        case 'fail':
          fails++;
          lines.push(`  ${c.red('✗')} ${s.id}${via}: would fail: ${s.reason}`);
          break;
        case 'unreached':
          lines.push(`  ${c.dim('·')} ${s.id}${via}: ${s.reason}`);
          break;
        case 'error':
          errors++;
          lines.push(`  ${c.red('✗')} ${s.id}${via}: check failed: ${s.error}`);
          break;
      }
    }
  }
  lines.push('');
  lines.push(
    `plan: ${changes} change(s) on ${plan.nodes.filter((n) => n.steps.some((s) => s.status === 'change')).length} of ${plan.nodes.length} node(s)` +
      (fails ? `, ${fails} step(s) would fail` : '') +
      (errors ? `, ${errors} check(s) failed` : '') +
      (unreachable ? `, ${unreachable} node(s) unreachable` : '') +
      '; nothing was changed',
  );
  return lines.join('\n');
}

interface Colors {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

function colors(on: boolean): Colors {
  const wrap = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap('31'), green: wrap('32'), yellow: wrap('33'), dim: wrap('2'), bold: wrap('1') };
}

function colorDiff(line: string, c: Colors): string {
  if (line.startsWith('+') && !line.startsWith('+++')) return c.green(line);
  if (line.startsWith('-') && !line.startsWith('---')) return c.red(line);
  return line;
}
