/** Collects every problem found in a file, so the user sees them all at once. */
import { InputError, type InputProblem } from '../../errors.js';
import type { FieldPath } from './field-path.js';
import type { Locator } from './schema-problems.js';
import { sortProblems, type LocateTarget } from './yaml-source.js';

export class ProblemList {
  private readonly problems: InputProblem[] = [];

  constructor(private readonly locator: Locator) {}

  /** A problem with the value at `path` (or its key, with `target: 'key'`). */
  add(path: FieldPath, message: string, options: { target?: LocateTarget; field?: FieldPath } = {}): void {
    this.problems.push({ location: this.locator.locate(path, options.target, options.field ?? path), message });
  }

  addAll(problems: readonly InputProblem[]): void {
    this.problems.push(...problems);
  }

  get count(): number {
    return this.problems.length;
  }

  /** All problems in reading order. */
  list(): InputProblem[] {
    return sortProblems(this.problems);
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new InputError(this.list());
  }
}
