/**
 * `-e NAME=...` that nothing in the playbook reads: most likely a misspelt name
 * (`-e target_verison=1.27.16`), which would otherwise leave the default in force without a
 * word. A name is used when the playbook declares it under `vars:`, or when a `{{ ref }}` (in a
 * step's name, `with:`, `when:` operands, or a var's own value) or a `when: {var: ...}` test
 * starts with it. Pure.
 */
import type { Condition, Playbook } from './types.js';
import { closestMatch } from './input/suggest.js';
import { templateRefs } from './templates.js';
import type { InputProblem } from '../errors.js';

/** Every string inside a value (lists and maps walked). */
export function strings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
}

function conditionVars(cond: Condition | undefined, out: Set<string>): void {
  if (!cond) return;
  if ('all' in cond) cond.all.forEach((c) => conditionVars(c, out));
  else if ('any' in cond) cond.any.forEach((c) => conditionVars(c, out));
  else if ('not' in cond) conditionVars(cond.not, out);
  else if ('changed' in cond) return;
  else if (cond.var !== undefined) out.add(cond.var.split('.')[0] as string);
}

/** The top-level var names the playbook reads. */
export function varsUsedBy(playbook: Pick<Playbook, 'vars' | 'steps'>): Set<string> {
  const used = new Set(Object.keys(playbook.vars));
  const texts: string[] = [];
  strings(playbook.vars, texts);
  for (const step of playbook.steps) {
    texts.push(step.name);
    strings(step.with, texts);
    strings(step.when, texts);
    if (step.on !== undefined) texts.push(step.on);
    conditionVars(step.when, used);
  }
  for (const text of texts) for (const ref of templateRefs(text)) used.add(ref.split('.')[0] as string);
  return used;
}

/** One problem for each extra var nothing in the playbook reads, with the closest name it does. */
export function unusedExtraVarProblems(playbook: Pick<Playbook, 'vars' | 'steps' | 'file'>, extraVars: Record<string, unknown>): InputProblem[] {
  const used = varsUsedBy(playbook);
  const names = [...used].filter((n) => n !== 'node').sort();
  return Object.keys(extraVars)
    .filter((name) => !used.has(name))
    .map((name) => {
      const near = closestMatch(name, names);
      const known = names.length ? `; it reads ${names.join(', ')}` : '; it reads no vars';
      return { message: `-e ${name}: nothing in ${playbook.file} uses it${near ? ` (did you mean '${near}'?)` : known}` };
    });
}
