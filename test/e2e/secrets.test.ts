/**
 * Secret values stay secret once substituted: in a file's diff, a command's argv and its error
 * output, through plan (text and JSON), run (plain and JSON), the journal, the run folder and
 * `slipway runs`, and validate's messages. The run folder is readable by its owner only (undo
 * records, kept whole for rollback, can hold files as they were).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { events, slipway } from '../support/cli.js';

const f = useFleet({ nodes: 1 });
const TOKEN = 'tok-3f9c1a7e55';
const PASSWORD = 'pw-77aa19 with space';
let work: string;
let playbook: string;
const env = () => ({ SLIPWAY_STATE_DIR: path.join(work, 'state') });

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-secrets-'));
  playbook = path.join(work, 'secrets.yaml');
  await fs.writeFile(
    playbook,
    `name: secrets
hosts: node-1
vars:
  api_token: "${TOKEN}"
steps:
  - id: conf
    uses: file.content
    with: {path: /etc/app/app.conf, content: "user = app\\ntoken = {{ api_token }}\\n"}
  - id: call
    uses: command
    with: {argv: [sh, -c, 'echo "calling with $1"; echo "denied for $1 / $2" >&2; exit 3', sh, "{{ api_token }}", "{{ db_password }}"]}
`,
  );
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const args = (command: string, ...rest: string[]) => [command, playbook, '-i', f.fleet.inventoryFile, '-e', `db_password=${PASSWORD}`, ...rest];

function expectHidden(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(PASSWORD);
}

async function filesUnder(dir: string): Promise<Array<{ file: string; mode: number; text: string }>> {
  const out = [];
  for (const name of await fs.readdir(dir)) {
    const file = path.join(dir, name);
    const st = await fs.stat(file);
    if (st.isFile()) out.push({ file, mode: st.mode & 0o777, text: await fs.readFile(file, 'utf8') });
  }
  return out;
}

describe('secret values', () => {
  it('plan shows the diff with the value redacted, and says a redacted line is still a change', async () => {
    const text = await slipway(args('plan'), { env: env() });
    expectHidden(text.stdout + text.stderr);
    expect(text.stdout).toContain('+token = <redacted>');
    expect(text.stdout).toContain('\\ secret values are shown as <redacted>; a line showing it is still a change');
    expect(text.stdout).toContain('sh <redacted> <redacted>');
    const json = await slipway(args('plan', '--output', 'json'), { env: env() });
    expectHidden(json.stdout + json.stderr);
    expect(json.stdout).toContain('<redacted>');
  });

  it('run, its journal, its run folder and slipway runs never hold them, and the folder is the owner\'s', async () => {
    const plain = await slipway(args('run', '--output', 'plain'), { env: env() });
    expect(plain.code).toBe(1);
    expectHidden(plain.stdout + plain.stderr);
    expect(plain.stdout).toContain('denied for <redacted> / <redacted>');
    // The file on the node has the real value: only what slipway shows is redacted.
    expect(await f.fleet.node('node-1').readFile('/etc/app/app.conf')).toBe(`user = app\ntoken = ${TOKEN}\n`);

    // Again, over a file that holds the secret already: the diff hides the old value too.
    await f.fleet.node('node-1').writeFile('/etc/app/app.conf', `token = ${TOKEN}-old\n`);
    const json = await slipway(args('run', '--output', 'json'), { env: env() });
    expect(json.code).toBe(1);
    expectHidden(json.stdout + json.stderr);
    const runId = String(events(json.stdout)[0]?.runId);

    const runDir = path.join(work, 'state', 'runs', runId);
    expect((await fs.stat(runDir)).mode & 0o777).toBe(0o700);
    const files = await filesUnder(runDir);
    // The run's report is there too, and holds no secret either (checked below with every file).
    expect(files.map((x) => path.basename(x.file)).sort()).toEqual(['inventory.resolved.yaml', 'journal.ndjson', 'playbook.resolved.yaml', 'report.html', 'report.json', 'report.md']);
    for (const x of files) {
      expect(x.mode, x.file).toBe(0o600);
      if (!x.file.endsWith('journal.ndjson')) expectHidden(x.text);
    }
    const journalText = (files.find((x) => x.file.endsWith('journal.ndjson')) as { text: string }).text;
    // file.content keeps the previous file as a backup on the node, not in its undo record.
    expectHidden(journalText);
    const conf = events(journalText).find((e) => e.type === 'step.done' && e.step === 'conf') as { diff?: string } | undefined;
    expect(conf?.diff).toContain('-token = <redacted>-old');
    expect(conf?.diff).toContain('+token = <redacted>\n');
    const runs = await slipway(['runs', '--output', 'json'], { env: env() });
    expectHidden(runs.stdout);
    expectHidden((await slipway(['runs', runId, '--output', 'json'], { env: env() })).stdout);
    expectHidden((await slipway(['report', runId, '--format', 'html'], { env: env() })).stdout);
  });

  it('validate keeps them out of its messages too', async () => {
    const bad = path.join(work, 'bad.yaml');
    await fs.writeFile(bad, `name: bad\nvars:\n  registry_token: "${TOKEN}"\nsteps:\n  - uses: command\n    with: {argv: "{{ registry_token }}"}\n`);
    const r = await slipway(['validate', bad, '-i', f.fleet.inventoryFile], { env: env() });
    expect(r.code).toBe(2);
    expectHidden(r.stdout + r.stderr);
    expect(r.stderr).toContain("steps[0].with.argv: must be a list (found '<redacted>', after substituting vars)");
  });
});
