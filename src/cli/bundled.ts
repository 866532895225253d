/**
 * The playbooks that ship with slipway (playbooks/ in the installed package): found by name
 * from anywhere (`slipway plan containerd-cri-v1 -i ...`), listed with what they take, and copied
 * out to be edited.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { closestMatch } from '../playbook/input/suggest.js';

export interface BundledPlaybook {
  name: string;
  file: string;
  description: string;
  /** The playbook's `vars:` and their defaults. */
  vars: Record<string, unknown>;
}

export function bundledDir(): string {
  return path.join(packageRoot(), 'playbooks');
}

let names: string[] | undefined;
/** The bundled playbook names (file names without `.yaml`), sorted; read once a process. */
export function bundledNames(): string[] {
  names ??= readdirSync(bundledDir())
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
  return names;
}

/** The file of the bundled playbook `name` (`containerd-cri-v1` or `containerd-cri-v1.yaml`), or undefined. */
export function bundledFile(name: string): string | undefined {
  const bare = name.replace(/\.ya?ml$/, '');
  return bundledNames().includes(bare) ? path.join(bundledDir(), `${bare}.yaml`) : undefined;
}

/** `WHAT no bundled playbook of that name (did you mean …?); bundled: …` */
export function notBundled(what: string, name: string): InputError {
  const near = closestMatch(name.replace(/\.ya?ml$/, ''), bundledNames());
  return new InputError(`${what} no bundled playbook of that name${near ? ` (did you mean '${near}'?)` : ''}; bundled: ${bundledNames().join(', ')} (slipway playbooks)`);
}

export function bundledPlaybooks(): BundledPlaybook[] {
  return bundledNames().map((name) => {
    const file = path.join(bundledDir(), `${name}.yaml`);
    const doc = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as { description?: unknown; vars?: unknown };
    const vars = doc.vars && typeof doc.vars === 'object' && !Array.isArray(doc.vars) ? (doc.vars as Record<string, unknown>) : {};
    return { name, file, description: typeof doc.description === 'string' ? doc.description : '', vars };
  });
}

/**
 * The file a PLAYBOOK operand names: a path as given when that file exists, else the bundled
 * playbook of that name (`containerd-cri-v1`, `containerd-cri-v1.yaml`). A name that is neither
 * is an InputError listing the bundled names, with the closest one.
 */
export function resolvePlaybookArg(arg: string): string {
  if (existsSync(arg)) return arg;
  if (arg.includes('/') || arg.includes(path.sep)) return arg; // a path: the loader says it does not exist, at that path
  const file = bundledFile(arg);
  if (file) return file;
  throw notBundled(`${arg}: no such file, and`, arg);
}
