/**
 * `slipway playbooks`: the bundled playbooks, one line each with the vars they take;
 * `--copy NAME` writes one into the working directory (or `--to DIR`) to edit, with the
 * playbook schema beside it so that its `$schema` line keeps working in an editor.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { EXIT, InputError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { formatTable } from '../ui/table.js';
import { flag, parse, str, textOrJson } from './args.js';
import { bundledFile, bundledPlaybooks, notBundled } from './bundled.js';
import { printJson, printOut } from './output.js';

/** The schema's file name beside a copied playbook, and the `$schema` line that points at it. */
export const COPIED_SCHEMA = 'playbook.schema.json';
const MODELINE = /^# yaml-language-server: \$schema=.*$/m;

function varsText(vars: Record<string, unknown>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export async function playbooks(argv: string[]): Promise<number> {
  const { values, positionals, usage } = parse(argv, 'playbooks');
  if (positionals.length) throw new InputError(`playbooks takes no operand (found ${positionals.join(' ')}); to copy one: --copy NAME\n${usage}`);
  const copy = str(values, 'copy');
  if (copy !== undefined) return copyPlaybook(copy, str(values, 'to') ?? '.', flag(values, 'force'));
  const list = bundledPlaybooks();
  if (textOrJson(str(values, 'output')) === 'json') {
    printJson(list.map((p) => ({ name: p.name, description: p.description, vars: p.vars, file: p.file })));
    return EXIT.ok;
  }
  printOut(formatTable(['PLAYBOOK', 'WHAT IT DOES', 'VARS (defaults)'], list.map((p) => [p.name, p.description, varsText(p.vars)])));
  printOut('\nUse one by name (slipway plan containerd-cri-v1 -i inventory.yaml), or copy it here to edit: slipway playbooks --copy NAME');
  return EXIT.ok;
}

async function copyPlaybook(name: string, dir: string, force: boolean): Promise<number> {
  const file = bundledFile(name);
  if (!file) throw notBundled(`--copy ${name}:`, name);
  const bare = path.basename(file, '.yaml');
  const source = await fs.readFile(file, 'utf8');
  const schema = await fs.readFile(path.join(packageRoot(), 'schemas', 'playbook.schema.json'), 'utf8');
  const target = path.join(dir, `${bare}.yaml`);
  const schemaTarget = path.join(dir, COPIED_SCHEMA);
  await fs.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of [
    [target, source.replace(MODELINE, `# yaml-language-server: $schema=./${COPIED_SCHEMA}`)],
    [schemaTarget, schema],
  ] as const) {
    try {
      await fs.writeFile(file, text, { flag: force ? 'w' : 'wx' });
      written.push(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        // The schema beside it is the same for every copy: one there already is fine.
        if (file === schemaTarget) continue;
        throw new InputError(`${file} exists; pass --force to overwrite it`);
      }
      throw new InputError(`cannot write ${file}: ${(err as Error).message}`);
    }
  }
  for (const file of written) printOut(`wrote ${file}`);
  printOut(`edit it, then: slipway plan ${target} -i INVENTORY`);
  return EXIT.ok;
}
