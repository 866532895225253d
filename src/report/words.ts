/** Words the report's renderings share: a step bar's outcome, a version change. */
import type { VersionChange } from '../steps/types.js';
import type { StepBar } from './model.js';

export function barMark(b: StepBar): string {
  if (b.status === 'running') return 'unfinished (the journal ends while it ran)';
  if (b.resumed) return `${b.status} (done before; re-checked)`;
  return b.attempts > 1 ? `${b.status} (attempt ${b.attempts})` : b.status;
}

export function versionText(v: VersionChange): string {
  return `${v.name} ${v.from ?? '(not installed)'} → ${v.to}`;
}
