/**
 * CRI-O's configuration as CRI-O itself assembles it: `crio.conf` first, then every file of
 * `crio.conf.d/` in lexical order, each decoded over the result of the ones before. Options set
 * later win; tables are merged key by key, except the entries of `crio.runtime.runtimes` (and
 * `crio.runtime.workloads`), which CRI-O decodes into a Go map: an entry defined again in a
 * later file replaces the earlier one as a whole, it is not merged.
 *
 * Also the parser of what `crio config` and `crio status config` print: the first prints a
 * commented template in which options at their built-in default are commented out
 * (`# default_runtime = "runc"`), the second the running daemon's configuration.
 */
import { parse as parseToml } from 'smol-toml';

export type TomlTable = Record<string, unknown>;

export interface ConfigFile {
  path: string;
  content: string;
}

export interface MergedCrioConfig {
  config: TomlTable;
  /** Which file last set `crio.runtime.default_runtime`. */
  defaultRuntimeFrom: string | undefined;
  /** Which file last defined each `crio.runtime.runtimes.<name>` table. */
  runtimeFrom: Record<string, string>;
  /** Files that are not valid TOML (CRI-O itself refuses to start with them). */
  errors: Array<{ path: string; message: string }>;
}

/** Tables whose entries replace earlier ones as a whole (Go maps in CRI-O's config struct). */
const REPLACED_ENTRIES = new Set(['crio.runtime.runtimes', 'crio.runtime.workloads']);

/** Lexical order of paths, directory by directory, as Go's filepath.Walk visits them. */
export function walkOrder(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Merges the files in the order given (main file first, then the drop-ins already sorted with
 * {@link walkOrder}). A file that does not parse is reported in `errors` and skipped.
 */
export function mergeCrioConfigs(files: readonly ConfigFile[]): MergedCrioConfig {
  const merged: MergedCrioConfig = { config: {}, defaultRuntimeFrom: undefined, runtimeFrom: {}, errors: [] };
  for (const file of files) {
    let table: TomlTable;
    try {
      table = parseToml(file.content) as TomlTable;
    } catch (err) {
      merged.errors.push({ path: file.path, message: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err) });
      continue;
    }
    mergeInto(merged.config, table, '');
    const runtime = tableAt(table, ['crio', 'runtime']);
    if (runtime && 'default_runtime' in runtime) merged.defaultRuntimeFrom = file.path;
    const runtimes = tableAt(table, ['crio', 'runtime', 'runtimes']);
    for (const name of Object.keys(runtimes ?? {})) merged.runtimeFrom[name] = file.path;
  }
  return merged;
}

function mergeInto(target: TomlTable, source: TomlTable, path: string): void {
  for (const [key, value] of Object.entries(source)) {
    const here = path === '' ? key : `${path}.${key}`;
    const existing = target[key];
    if (isTable(value) && isTable(existing) && !REPLACED_ENTRIES.has(path)) {
      mergeInto(existing, value, here);
    } else {
      target[key] = isTable(value) ? structuredClone(value) : value;
    }
  }
}

function isTable(value: unknown): value is TomlTable {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

function tableAt(table: TomlTable, keys: readonly string[]): TomlTable | undefined {
  let current: unknown = table;
  for (const key of keys) {
    if (!isTable(current)) return undefined;
    current = current[key];
  }
  return isTable(current) ? current : undefined;
}

/** What matters to the default runtime: its name and the runtime handler tables. */
export interface CrioRuntimeView {
  /** undefined: the configuration does not say, so CRI-O's built-in default applies. */
  defaultRuntime: string | undefined;
  runtimes: Record<string, TomlTable>;
}

export function runtimeView(config: TomlTable): CrioRuntimeView {
  const runtime = tableAt(config, ['crio', 'runtime']);
  const value = runtime?.default_runtime;
  const runtimes = tableAt(config, ['crio', 'runtime', 'runtimes']) ?? {};
  const handlers: Record<string, TomlTable> = {};
  for (const [name, handler] of Object.entries(runtimes)) if (isTable(handler)) handlers[name] = handler;
  return { defaultRuntime: typeof value === 'string' ? value : undefined, runtimes: handlers };
}

/**
 * Parses `crio config` or `crio status config` output. Options at their default are commented
 * out in `crio config`'s template (`# default_runtime = "runc"`, `# [crio.runtime.runtimes.runc]`),
 * so when the active TOML does not set them, the commented values are read instead.
 * Throws when the output is not TOML.
 */
export function parseCrioConfigOutput(text: string): CrioRuntimeView {
  const view = runtimeView(parseToml(text) as TomlTable);
  if (view.defaultRuntime === undefined) view.defaultRuntime = commentedDefaultRuntime(text);
  if (Object.keys(view.runtimes).length === 0) view.runtimes = commentedRuntimes(text);
  return view;
}

/** `# default_runtime = "X"` inside the `[crio.runtime]` section. */
function commentedDefaultRuntime(text: string): string | undefined {
  let inRuntime = false;
  for (const line of text.split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      inRuntime = header[1]?.trim() === 'crio.runtime';
      continue;
    }
    if (!inRuntime) continue;
    const m = /^\s*#\s*default_runtime\s*=\s*"([^"]*)"\s*$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** Commented-out handler tables: a `# [crio.runtime.runtimes.X]` line and the `# key = value` lines after it. */
function commentedRuntimes(text: string): Record<string, TomlTable> {
  const handlers: Record<string, TomlTable> = {};
  let current: TomlTable | undefined;
  for (const line of text.split('\n')) {
    const header = /^\s*#\s*\[crio\.runtime\.runtimes\.([A-Za-z0-9_.-]+)\]\s*$/.exec(line);
    if (header) {
      current = {};
      handlers[header[1] as string] = current;
      continue;
    }
    if (!current) continue;
    const kv = /^\s*#\s*([A-Za-z0-9_]+\s*=\s*.*)$/.exec(line);
    if (!kv) {
      current = undefined;
      continue;
    }
    try {
      Object.assign(current, parseToml(kv[1] as string));
    } catch {
      // A multi-line array or a value this reader does not follow: not needed for the runtime.
    }
  }
  return handlers;
}
