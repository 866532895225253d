/**
 * Paths to a value inside a loaded document, and how they are written in messages:
 * `steps[3].with.state`, `all.children.workers.hosts.node-1`, `vars["odd key"]`.
 */

/** One step into a document: a map key or a list index. */
export type PathSegment = string | number;
export type FieldPath = readonly PathSegment[];

const plainKey = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** `['steps', 3, 'uses']` -> `steps[3].uses`. The empty path is the document itself: `''`. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (plainKey.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * A JSON pointer as ajv reports it (`/steps/3/uses`) -> path segments. `data` tells list
 * indices (numbers) from map keys that look like numbers (strings).
 */
export function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const path: PathSegment[] = [];
  let current: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      const index = Number(key);
      path.push(index);
      current = current[index];
    } else {
      path.push(key);
      current = isRecord(current) ? current[key] : undefined;
    }
  }
  return path;
}

/** The value at `path` in plain data, or undefined. */
export function valueAt(data: unknown, path: FieldPath): unknown {
  let current: unknown = data;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isRecord(current)) current = current[String(segment)];
    else return undefined;
  }
  return current;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
