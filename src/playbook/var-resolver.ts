/**
 * Vars and their substitution into `{{ ... }}` references (see VARS.md). Sources, lowest precedence first:
 * inventory vars of the host (groups, then host), playbook `vars:`, extra vars (`-e`).
 * Built-ins live under `node.` and cannot be overridden.
 */
import type { InventoryHost } from '../inventory/types.js';
import { isRecord } from './input/field-path.js';
import { closestMatch } from './input/suggest.js';
import { parseTemplate } from './templates.js';
import type { Playbook } from './types.js';

/** The reserved top-level var holding the built-ins. */
export const builtinRoot = 'node';
export const builtinNames = ['node.name', 'node.address', 'node.groups', 'node.firstIn'] as const;

/** A var reference that cannot be substituted; `message` is ready for the user. */
export class VarProblem extends Error {
  constructor(
    /** What is wrong, without the chain. */
    readonly reason: string,
    readonly details: {
      /** The var path that is undefined, when that is the problem. */
      undefinedPath?: string;
      /** Vars whose values led to the reference, outermost first. */
      through?: string[];
      cycle?: boolean;
    } = {},
  ) {
    const through = details.through ?? [];
    super(through.length > 0 ? `${reason} (through var ${through.map((n) => `'${n}'`).join(' -> ')})` : reason);
    this.name = 'VarProblem';
  }
}

/** Every var visible on `host` (or, without a host, playbook and extra vars and the built-ins). */
export function varsFor(
  playbook: Pick<Playbook, 'vars'>,
  host: InventoryHost | undefined,
  extraVars: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ...(host?.vars ?? {}),
    ...playbook.vars,
    ...extraVars,
    [builtinRoot]: {
      name: host?.name ?? '',
      address: host?.address ?? '',
      groups: host ? [...host.groups] : [],
      firstIn: host ? [...(host.firstIn ?? [])] : [],
    },
  };
}

/** Substitutes references in values, resolving vars that themselves hold references. */
export class VarResolver {
  private readonly resolved = new Map<string, unknown>();
  private readonly resolving: string[] = [];

  constructor(private readonly vars: Record<string, unknown>) {}

  /** Names to suggest for a misspelt var: every top-level var and the built-ins. */
  knownNames(): string[] {
    return [...Object.keys(this.vars).filter((n) => n !== builtinRoot), ...builtinNames];
  }

  /** `value` with every `{{ ref }}` in its strings substituted. Throws VarProblem. */
  substitute(value: unknown): unknown {
    if (typeof value === 'string') return this.substituteString(value);
    if (Array.isArray(value)) return value.map((item) => this.substitute(item));
    if (isRecord(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.substitute(v)]));
    }
    return value;
  }

  /** The value at a dotted path, substituted; throws VarProblem when it is not defined. */
  lookup(path: string): unknown {
    const found = this.find(path);
    if (found.ok) return found.value;
    throw new VarProblem(found.message, { undefinedPath: path });
  }

  /** Like lookup, but undefined when the var is not defined. */
  lookupOptional(path: string): unknown {
    const found = this.find(path);
    return found.ok ? found.value : undefined;
  }

  private substituteString(text: string): unknown {
    const parsed = parseTemplate(text);
    if (!parsed.ok) throw new VarProblem(parsed.error);
    const [only] = parsed.parts;
    if (parsed.parts.length === 1 && only?.kind === 'var') return this.lookup(only.path);
    return parsed.parts.map((part) => (part.kind === 'text' ? part.text : spliced(this.lookup(part.path)))).join('');
  }

  private find(path: string): { ok: true; value: unknown } | { ok: false; message: string } {
    const [name = '', ...keys] = path.split('.');
    if (!Object.hasOwn(this.vars, name)) {
      if (keys.length > 0 && Object.hasOwn(this.vars, path)) return { ok: true, value: this.resolveTop(path) };
      return { ok: false, message: `undefined var '${path}'${suggestion(path, this.knownNames())}` };
    }
    let current = this.resolveTop(name);
    let walked = name;
    for (const key of keys) {
      if (Array.isArray(current) && /^[0-9]+$/.test(key)) {
        if (Number(key) >= current.length) {
          return { ok: false, message: `undefined var '${path}': '${walked}' has ${current.length} items` };
        }
        current = current[Number(key)];
      } else if (isRecord(current)) {
        if (!Object.hasOwn(current, key)) {
          const hint = suggestion(key, Object.keys(current));
          return { ok: false, message: `undefined var '${path}': '${walked}' has no key '${key}'${hint}` };
        }
        current = current[key];
      } else {
        return { ok: false, message: `undefined var '${path}': '${walked}' is ${kindOf(current)}, not a map` };
      }
      walked += `.${key}`;
    }
    return { ok: true, value: current };
  }

  /** A top-level var with the references inside its own value substituted (cycles refused). */
  private resolveTop(name: string): unknown {
    if (this.resolved.has(name)) return this.resolved.get(name);
    if (this.resolving.includes(name)) {
      const chain = [...this.resolving.slice(this.resolving.indexOf(name)), name].join(' -> ');
      throw new VarProblem(`var '${name}' refers to itself (${chain})`, { cycle: true });
    }
    this.resolving.push(name);
    try {
      const value = this.substitute(this.vars[name]);
      this.resolved.set(name, value);
      return value;
    } catch (error) {
      if (!(error instanceof VarProblem) || error.details.cycle) throw error;
      throw new VarProblem(error.reason, { ...error.details, through: [name, ...(error.details.through ?? [])] });
    } finally {
      this.resolving.pop();
    }
  }
}

/** How a value reads when spliced into a longer string. */
function spliced(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

function suggestion(word: string, candidates: string[]): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}
