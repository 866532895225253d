/// <reference lib="dom" />
/**
 * The report of a fleet run, as an operator attaches it to a change ticket: a rolling run on
 * real nodes where node-2 never comes back healthy (its CNI config is gone) and is rolled back to
 * its cordon, between two doctor runs. The run writes report.html, .md and .json into its run
 * folder; `slipway report` renders them again. The HTML is opened in a real browser (Debian's
 * headless Chromium): a lane per node, a bar per step it ran, the failed node marked; a
 * screenshot is taken.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { events, slipway, why } from '../support/cli.js';

const f = useFleet({ nodes: 3, profile: 'kubelet-1.26-flags' });
let work: string;
let browser: Browser | undefined;
const env = () => ({ SLIPWAY_STATE_DIR: path.join(work, 'state') });
const CNI = '/etc/cni/net.d/10-fleet.conflist';
const schema = JSON.parse(await fs.readFile(new URL('../../schemas/events.schema.json', import.meta.url), 'utf8')) as object;
const validateEvent = new Ajv({ allErrors: true, strict: true }).compile(schema);
function expectDocumented(evs: Array<Record<string, unknown>>): void {
  for (const e of evs) expect(validateEvent(e), `${JSON.stringify(e)}\n${JSON.stringify(validateEvent.errors)}`).toBe(true);
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-report-'));
});
afterAll(async () => {
  await browser?.close();
  await fs.rm(work, { recursive: true, force: true });
});

const PLAYBOOK = `name: report-e2e
hosts: workers
# A secret the operator passes with -e (the report must not show it).
vars: {api_token: ""}
rolling: {batch: 1, maxFailed: 1, onFailure: rollback}
steps:
  - id: cordon
    uses: kube.cordon
    on: control_plane
    checkpoint: true
  - id: conf
    name: Write the marker of {{ node.name }}
    uses: file.content
    with: {path: /etc/slipway-report.conf, content: "node = {{ node.name }}\\n"}
  - id: healthy
    uses: kube.healthy
    on: control_plane
    with: {timeout: 6s}
    timeout: 1m
  - id: uncordon
    uses: kube.uncordon
    on: control_plane
`;

describe('the report of a fleet run', () => {
  let runId = '';
  let runDir = '';

  it('a run with a failed, rolled-back node writes its report in three formats, with doctor before and after', async () => {
    const before = await slipway(['doctor', '-i', f.fleet.inventoryFile, '--target-version', '1.27.16'], { env: env() });
    expect(before.code, why(before)).toBe(1); // the profile's removed flags
    await f.fleet.node('node-2').exec(['mv', CNI, '/root/10-fleet.conflist']);
    const pb = path.join(work, 'report.yaml');
    await fs.writeFile(pb, PLAYBOOK);
    const r = await slipway(['run', pb, '-i', f.fleet.inventoryFile, '-e', 'api_token=s3cr3t-value', '--output', 'json'], { env: env(), timeoutMs: 180_000 });
    expect(r.code, why(r)).toBe(1);
    const evs = events(r.stdout);
    expectDocumented(evs); // every event of a real run is as schemas/events.schema.json says
    const summary = evs.at(-1) as unknown as { runId: string; nodes: Record<string, { status: string }> };
    expect(summary.nodes).toMatchObject({ 'node-1': { status: 'done' }, 'node-2': { status: 'rolled-back' }, 'node-3': { status: 'done' } });
    expect(evs.find((e) => e.type === 'step.wait' && e.host === 'node-2')).toMatchObject({ step: 'healthy', for: expect.stringMatching(/^node node-2 to be healthy \(timeout 6s\): Node Ready is False/) });
    runId = summary.runId;
    runDir = path.join(work, 'state', 'runs', runId);
    expect(r.stderr).toBe(''); // --output json: events only on stdout, nothing on stderr
    for (const name of ['report.html', 'report.md', 'report.json']) expect((await fs.stat(path.join(runDir, name))).size, name).toBeGreaterThan(1000);
    await f.fleet.node('node-2').exec(['mv', '/root/10-fleet.conflist', CNI]);
    const after = await slipway(['doctor', '-i', f.fleet.inventoryFile, '--target-version', '1.27.16'], { env: env() });
    expect(after.code, why(after)).toBe(1);
  }, 240_000);

  it('slipway report renders it again with doctor\'s verdicts from before and after the run; Markdown has what a ticket needs', async () => {
    const md = await slipway(['report', runId, '--format', 'md'], { env: env() });
    expect(md.code, why(md)).toBe(0);
    const text = md.stdout;
    expect(text).toMatch(new RegExp(`^# slipway run ${runId}: report-e2e: failed$`, 'm'));
    expect(text).toContain('api_token=<redacted>');
    expect(text).not.toContain('s3cr3t-value');
    expect(text).toMatch(/\| Passes \| run .* by \S+@\S+ in .*: failed \|/);
    expect(text).toContain('| Failure budget | 1 of 1 node(s) allowed to fail used (onFailure: rollback) |');
    expect(text).toMatch(/^\| node-2 \| rolled-back \| \S+ \| \S+ \| cordon, conf \|/m); // waited at its gate
    expect(text).toContain('### node-2: rolled-back');
    expect(text).toMatch(/Rollback at .* to its last rollback point: rolled-back; undid conf\./);
    expect(text).toContain('Left cordoned: cordoned by this run.');
    expect(text).toContain('+node = node-1');
    expect(text).toContain(`slipway rollback ${runId}`);
    expect(text).toContain('### Before the run');
    expect(text).toContain('### After the run');
    expect(text).toMatch(/^\| node-1 \| error kubelet-removed-flags: .*--container-runtime/m);

    const json = await slipway(['report', runId, '--format', 'json'], { env: env() });
    const report = JSON.parse(json.stdout) as { version: number; nodes: Array<{ host: string; bars: unknown[] }>; doctor: { before: unknown; after: unknown } };
    expect(report.version).toBe(1);
    expect(report.nodes.map((n) => n.host)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(report.doctor.before).toBeDefined();
    expect(report.doctor.after).toBeDefined();

    const bad = await slipway(['report', runId, '--format', 'pdf'], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--format <format>' argument 'pdf' is invalid. Allowed choices are md, html, json.");
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);

  it('the HTML report in a real browser: a lane per node, a bar per step it ran, the failed node marked; a screenshot', async () => {
    const out = path.join(work, 'ticket.html');
    const r = await slipway(['report', runId, '--format', 'html', '--out', out], { env: env() });
    expect(r.code, why(r)).toBe(0);
    browser = await chromium.launch({ executablePath: process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(`file://${out}`);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]); // self-contained

    const lanes = await page.$$eval('#timeline .lane', (els) =>
      els.map((el) => {
        const track = el.querySelector('.track')?.getBoundingClientRect();
        return {
          host: el.getAttribute('data-host'),
          failed: el.classList.contains('failed'),
          labelColor: getComputedStyle(el.querySelector('.label') as Element).color,
          bars: [...el.querySelectorAll('.bar[data-status]')].map((b) => {
            const box = b.getBoundingClientRect();
            return { step: b.getAttribute('data-step'), status: b.getAttribute('data-status'), left: box.left, width: box.width, inside: !!track && box.left >= track.left - 1 && box.right <= track.right + 1 };
          }),
          waits: el.querySelectorAll('.bar.wait').length,
          rollbacks: el.querySelectorAll('.bar.rollback').length,
        };
      }),
    );
    expect(lanes.map((l) => [l.host, l.failed])).toEqual([['node-1', false], ['node-2', true], ['node-3', false]]);
    expect(lanes[0]?.bars.map((b) => `${b.step}:${b.status}`)).toEqual(['cordon:changed', 'conf:changed', 'healthy:ok', 'uncordon:changed']);
    expect(lanes[1]?.bars.map((b) => `${b.step}:${b.status}`)).toEqual(['cordon:changed', 'conf:changed', 'healthy:failed']);
    expect(lanes[1]?.labelColor).toBe('rgb(198, 40, 40)');
    expect(lanes[1]?.waits).toBeGreaterThan(0);
    expect(lanes[1]?.rollbacks).toBe(1);
    for (const l of lanes) {
      for (const b of l.bars) expect(b.inside && b.width > 0, `${l.host} ${b.step}`).toBe(true);
      // Bars in time order, left to right; the nodes one after the other (batch 1).
      expect(l.bars.map((b) => b.left)).toEqual([...l.bars.map((b) => b.left)].sort((a, b) => a - b));
    }
    expect(lanes[2]!.bars[0]!.left).toBeGreaterThan(lanes[1]!.bars[0]!.left);

    // The failed node's detail is open, with its error and its rollback; a done one is folded.
    const detail = await page.$eval('#node-node-2', (el) => ({ open: (el as HTMLDetailsElement).open, text: el.textContent ?? '' }));
    expect(detail.open).toBe(true);
    expect(detail.text).toContain('undid conf');
    expect(detail.text).toContain('not healthy after');
    expect(await page.$eval('#node-node-1', (el) => (el as HTMLDetailsElement).open)).toBe(false);
    expect(await page.textContent('#outcome')).toBe('failed (exit 1)');

    const shot = path.join(runDir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = await fs.readFile(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  }, 60_000);

  it('a rollback of the failed node to the start lifts its cordon; its events are documented; the report is rewritten', async () => {
    const r = await slipway(['rollback', runId, '--limit', 'node-2', '--to', 'start', '-e', 'api_token=s3cr3t-value', '--output', 'json'], { env: env() });
    expect(r.code, why(r)).toBe(0);
    const evs = events(r.stdout);
    expect(evs.map((e) => e.type)).toEqual(['rollback.start', 'rollback.step.done', 'rollback.end']);
    expectDocumented(evs);
    const md = await fs.readFile(path.join(runDir, 'report.md'), 'utf8');
    expect(md).toMatch(/Rollback at .* to the state before the run: rolled-back; undid cordon\./);
    expect(md).not.toContain('## Left cordoned');
    expect(md).not.toContain('s3cr3t-value');
  }, 60_000);
});
