/** schemas/events.schema.json documents every event the runner emits, as `--output json` writes it. */
import fs from 'node:fs/promises';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type RunEvent } from '../../src/runner/events.js';
import { journalState } from '../../src/runner/journal-state.js';
import { rollbackRun } from '../../src/runner/rollback-run.js';
import { jsonListener } from '../../src/ui/plain.js';
import { MemoryFleet, MemoryJournal, memoryPlaybook, memoryStepTypes, runInMemory } from './memory.js';

const schema = JSON.parse(await fs.readFile(new URL('../../schemas/events.schema.json', import.meta.url), 'utf8')) as { oneOf: Array<{ $ref: string }>; $defs: Record<string, { properties: { type: { const: string } } }> };
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

/** What `--output json` prints for these events, parsed back. */
function stream(events: RunEvent[]): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const listener = jsonListener((l) => lines.push(l));
  for (const e of events) listener(e);
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

function expectValid(lines: Array<Record<string, unknown>>): void {
  for (const line of lines) expect(validate(line), `${JSON.stringify(line)}\n${JSON.stringify(validate.errors)}`).toBe(true);
}

const PLAYBOOK = `name: t
rolling: {batch: 1, onFailure: rollback, maxFailed: 1, pause: 1}
steps:
  - id: cordon
    uses: test.cordon
    with: {cordoned: true}
    checkpoint: true
  - id: a
    name: A on {{ node.name }}
    uses: test.set
    with: {key: a, value: "1"}
    retries: 1
  - id: gate
    uses: test.gate
`;

describe('the event stream schema', () => {
  it('has one definition for each event type, named by its type', () => {
    const documented = schema.oneOf.map((r) => schema.$defs[r.$ref.replace('#/$defs/', '')]?.properties.type.const);
    expect(documented).toEqual([...EVENT_TYPES]);
  });

  it('validates every event of runs, a resume and a rollback in memory, and refuses a field it does not document', async () => {
    const playbook = memoryPlaybook(PLAYBOOK);
    const fleet = new MemoryFleet(['n1', 'n2', 'n3']);
    fleet.node('n1').failures.set('a', 1); // a retry
    fleet.node('n2').failures.set('healthy', 1); // a failed gate: rollback
    fleet.node('n3').unreachable = true;
    const journal = new MemoryJournal();
    const extra = { runId: 'r1', journal, operator: { user: 'ops', host: 'bastion', cwd: '/srv' } };
    await runInMemory(fleet, PLAYBOOK, extra);
    fleet.node('n3').unreachable = false;
    await runInMemory(fleet, PLAYBOOK, { ...extra, resume: { state: journalState(journal.events), forced: false, skip: ['n2'], skipReason: 'given up' } });
    await rollbackRun({ playbook, inventory: fleet.inventory, hosts: fleet.inventory.hosts, extraVars: {}, remotes: fleet.remotes, journal, state: journalState(journal.events), to: 'start', listeners: [], stepTypes: memoryStepTypes });
    const lines = stream(journal.events);
    const seen = new Set(lines.map((l) => l.type));
    for (const t of ['run.start', 'run.resume', 'batch.pause', 'step.retry', 'step.wait', 'step.failed', 'rollback.start', 'rollback.step.done', 'rollback.end', 'node.skipped', 'run.summary']) expect(seen, t).toContain(t);
    expectValid(lines);
    expect(validate({ ...lines[0], surprise: 1 })).toBe(false);
    expect(validate({ ...lines[0], v: 2 })).toBe(false);
  });
});
