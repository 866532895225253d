/**
 * Positions of a loaded playbook's fields, kept beside the Playbook (which is plain data) so
 * that later checks (vars, inventory) can point at `file:line:col` too. A playbook that did not
 * come from loadPlaybook (e.g. read back from a run folder) falls back to its steps' locations.
 */
import type { SourceLocation } from '../errors.js';
import { type FieldPath, formatFieldPath } from './input/field-path.js';
import type { Locator } from './input/schema-problems.js';
import type { LocateTarget } from './input/yaml-source.js';
import type { Playbook } from './types.js';

const remembered = new WeakMap<Playbook, Locator>();

export function rememberLocations(playbook: Playbook, locator: Locator): void {
  remembered.set(playbook, locator);
}

/** A locator for the playbook's fields, precise when the playbook was loaded in this process. */
export function playbookLocator(playbook: Playbook): Locator {
  const precise = remembered.get(playbook);
  if (precise) return precise;
  return {
    locate(path: FieldPath, _target?: LocateTarget, field: FieldPath = path): SourceLocation {
      const fieldText = formatFieldPath(field);
      const named = (loc: SourceLocation): SourceLocation => ({ ...loc, ...(fieldText ? { field: fieldText } : {}) });
      const [section, index, part, key] = path;
      const step = section === 'steps' && typeof index === 'number' ? playbook.steps[index] : undefined;
      if (!step) return named({ file: playbook.file, line: 1, col: 1 });
      const withKey = part === 'with' && typeof key === 'string' ? step.withLocations[key] : undefined;
      return named(withKey ?? step.location);
    },
  };
}
