/**
 * The corpus of broken inputs, through the built CLI as an operator runs it: cases of
 * test/corpus/cases.json fail `slipway validate` with exit 2, exactly the expected
 * `file:line:col: field: message` lines on stderr, nothing on stdout and no stack trace; a few
 * go through `plan` and `run` too, which stop at the same message before connecting anywhere.
 * Through the CLI go every case about `uses:` or `with:` (the real step types decide those; the
 * in-memory corpus test uses stand-in ones) and every fourth of the others: the loader is the
 * same code in both, and test/corpus/corpus.test.ts checks every case's messages in memory.
 * Bad arguments exit 2 with the usage; the good examples validate.
 *
 * No fleet: nothing here connects. Runs are spawned a few at a time.
 */
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { slipway, type CliResult, why } from '../support/cli.js';

interface CorpusCase {
  file: string;
  inventory?: string;
  expect: string[];
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Paths as an operator in the checkout types them; messages name files as they were given. */
const corpus = 'test/corpus';
const cases = JSON.parse(readFileSync(path.join(root, corpus, 'cases.json'), 'utf8')) as CorpusCase[];
const goodPlaybook = `${corpus}/good/every-feature.yaml`;
const goodInventory = `${corpus}/good/hosts.yaml`;

let work: string;
/** Hermetic: no ~/.ssh/config of whoever runs the tests; runs (if any were made) land here. */
const env = () => ({ HOME: path.join(work, 'home'), SLIPWAY_STATE_DIR: path.join(work, 'state') });
const cli = (args: string[]) => slipway(args, { cwd: root, env: env(), timeoutMs: 60_000 });

/** The command line that loads the case's broken file: a playbook directly, an inventory beside a good playbook. */
function validateArgs(c: CorpusCase): { args: string[]; loaded: string } {
  if (c.file.startsWith('inventories/')) {
    const loaded = `${corpus}/${c.file}`;
    return { args: ['validate', goodPlaybook, '-i', loaded], loaded };
  }
  const loaded = `${corpus}/${c.file}`;
  return { args: ['validate', loaded, ...(c.inventory ? ['-i', `${corpus}/${c.inventory}`] : [])], loaded };
}

/** What the CLI prints for the case: `slipway: ` and then one problem a line. */
function expectedStderr(c: CorpusCase, loaded: string): string {
  return `slipway: ${c.expect.map((line) => `${loaded}:${line.replaceAll('{file}', loaded)}`).join('\n')}\n`;
}

function noStack(r: CliResult, expect: ExpectStatic): void {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).not.toMatch(/ajv|instancePath|schemaPath|must have required property|must NOT have/);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

const results = new Map<string, CliResult>();
const throughCli = cases.filter((c, i) => c.file.startsWith('playbooks/') && c.expect.some((e) => e.includes('with') || e.includes('uses')) || i % 4 === 0);

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-validate-'));
  await fs.mkdir(path.join(work, 'home'));
  // A few at a time: each is a node process, and more than the cores only adds contention.
  const all = await mapLimit(throughCli, Math.min(4, os.availableParallelism()), (c) => cli(validateArgs(c).args));
  throughCli.forEach((c, i) => results.set(c.file, all[i] as CliResult));
}, 180_000);

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('slipway validate on the corpus of broken inputs', () => {
  it('covers every file of the corpus', async () => {
    const files = [
      ...(await fs.readdir(path.join(root, corpus, 'playbooks'))).map((f) => `playbooks/${f}`),
      ...(await fs.readdir(path.join(root, corpus, 'inventories'))).map((f) => `inventories/${f}`),
    ];
    expect(cases.map((c) => c.file).sort()).toEqual(files.sort());
  });

  it('takes the cases about uses: and with: through the CLI, and others of every kind', () => {
    expect(throughCli.length).toBeGreaterThanOrEqual(35);
    expect(throughCli.some((c) => c.file.startsWith('inventories/'))).toBe(true);
  });

  it.each(throughCli.map((c) => [c.file, c] as const))('%s', (_file, c) => {
    const r = results.get(c.file) as CliResult;
    const { loaded } = validateArgs(c);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(expectedStderr(c, loaded));
    expect(r.code, why(r)).toBe(2);
    noStack(r, expect);
  });
});

// These spawn their own runs: concurrently (with the test's own `expect`).
describe.concurrent('plan and run stop at the same message, before connecting', () => {
  const picks = [
    { file: 'playbooks/unknown-step-type.yaml', command: 'plan' },
    { file: 'playbooks/yaml-tab-indent.yaml', command: 'run' },
    { file: 'playbooks/on-unknown-group.yaml', command: 'run' },
    { file: 'playbooks/hosts-pattern-no-match.yaml', command: 'plan' },
    { file: 'inventories/port-out-of-range.yaml', command: 'run' },
    { file: 'inventories/hosts.ini', command: 'plan' },
  ] as const;

  it.for(picks.map((p) => [`${p.command} ${p.file}`, p] as const))('%s', async ([, pick], { expect }) => {
    const c = cases.find((x) => x.file === pick.file) as CorpusCase;
    const { loaded } = validateArgs(c);
    const isInventory = c.file.startsWith('inventories/');
    const args = [pick.command, isInventory ? goodPlaybook : loaded, '-i', isInventory ? loaded : `${corpus}/${c.inventory ?? 'good/hosts.yaml'}`];
    const r = await cli(args);
    expect(r.stdout).toBe('');
    // `run` loads its files by absolute path (it records them for resume); plan as typed.
    expect(r.stderr).toBe(expectedStderr(c, pick.command === 'run' ? path.join(root, loaded) : loaded));
    expect(r.code, why(r)).toBe(2);
    noStack(r, expect);
    // Nothing was run: no run was recorded (the good inventory's hosts do not exist anyway).
    expect(existsSync(path.join(work, 'state', 'runs'))).toBe(false);
  });
});

describe.concurrent('bad arguments: exit 2 with the usage', () => {
  const usageCases: Array<[string, string[], RegExp]> = [
    ['an unknown command', ['frobnicate', goodPlaybook], /^slipway: unknown command 'frobnicate'; commands: doctor, playbooks, validate, plan, run, /],
    ['plan without -i', ['plan', goodPlaybook], /^slipway: an inventory is required: -i INVENTORY\nusage: slipway plan PLAYBOOK \[options\]   \(slipway plan --help\)\n$/],
    ['run without -i', ['run', goodPlaybook], /^slipway: an inventory is required: -i INVENTORY\nusage: slipway run PLAYBOOK \[options\]/],
    ['run with a bad --output', ['run', goodPlaybook, '-i', goodInventory, '--output', 'fancy'], /^slipway: option '--output <mode>' argument 'fancy' is invalid\. Allowed choices are tree, text, plain, json\.\nusage: slipway run /],
    ['plan with a bad --output', ['plan', goodPlaybook, '-i', goodInventory, '--output', 'tree'], /^slipway: option '--output <mode>' argument 'tree' is invalid\. Allowed choices are text, plain, json\.\nusage: slipway plan /],
    ['-e without =', ['run', goodPlaybook, '-i', goodInventory, '-e', 'target_version'], /^slipway: -e target_version: expected key=value or a JSON object\nusage: slipway run /],
    ['validate -e without =', ['validate', goodPlaybook, '-e', 'oops'], /^slipway: -e oops: expected key=value or a JSON object\nusage: slipway validate /],
    ['an unknown option', ['plan', goodPlaybook, '-i', goodInventory, '--frobnicate'], /^slipway: unknown option '--frobnicate'\nusage: slipway plan /],
    ['an option without its value', ['plan', goodPlaybook, '-i'], /^slipway: option '-i, --inventory <file>' argument missing\nusage: slipway plan /],
    ['two playbooks', ['validate', goodPlaybook, goodPlaybook], /^slipway: expected one PLAYBOOK, a file or a bundled playbook's name \(found 2\)\nusage: slipway validate /],
  ];

  it.for(usageCases)('%s', async ([, args, message], { expect }) => {
    const r = await cli(args);
    expect(r.code, why(r)).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    noStack(r, expect);
    expect(existsSync(path.join(work, 'state', 'runs'))).toBe(false);
  });

  it('no command at all: the usage, exit 2', async ({ expect }) => {
    const r = await cli([]);
    expect(r.code, why(r)).toBe(2);
    expect(r.stdout).toMatch(/^usage: slipway <command> \[options\]\n\nRun node-upgrade runbooks/);
  });
});

describe('the good examples', () => {
  it('validate with exit 0 together (the playbook uses vars the inventory defines)', async () => {
    const withInventory = await cli(['validate', goodPlaybook, '-i', goodInventory]);
    expect(withInventory.stderr).toBe('');
    expect(withInventory.code).toBe(0);
    expect(withInventory.stdout).toBe(`${goodPlaybook}: ok (9 steps; 3 hosts selected from ${goodInventory})\n`);
  });
});
