/**
 * The command line explains itself, through the built CLI: every command's --help (exit 0, its
 * options and examples), `slipway help CMD`, the shell completions (bash for real), bundled
 * playbooks by name from any directory, `playbooks` and `playbooks --copy`, and the mistakes a
 * new user makes: an unknown command, option or `-e` name, a bad --output, each exit 2 with a
 * did-you-mean. No fleet: nothing here connects.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, longFlag } from '../../src/cli/spec.js';
import { CLI, slipway, why } from '../support/cli.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const bundled = ['containerd-cri-v1', 'cri-dockerd', 'crio-pin-runtime', 'demo', 'kubelet-removed-flags', 'kubernetes-minor-upgrade'];

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-cli-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});
// Run from a directory that has no playbooks/: bundled names must resolve through the package.
const cli = (args: string[]) => slipway(args, { cwd: work, env: { SLIPWAY_STATE_DIR: path.join(work, 'state'), HOME: work } });

describe('--help', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('slipway %s --help: exit 0, every option, examples', async (_name, spec) => {
    const r = await cli([spec.name, '--help']);
    expect(r.code, why(r)).toBe(0);
    expect(r.stdout).toContain(`Usage: slipway ${spec.name}`);
    for (const o of spec.options) expect(r.stdout).toContain(longFlag(o));
    expect(r.stdout).toContain('Examples:\n');
    for (const e of spec.examples) expect(r.stdout).toContain(e);
    expect(r.stderr).toBe('');
  });

  it('slipway --help and slipway help list every command; slipway help plan is plan --help', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toMatch(new RegExp(`^  ${c.name} `, 'm'));
    const help = await cli(['help', 'plan']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe((await cli(['plan', '--help'])).stdout);
  });
});

describe('mistakes', () => {
  it('an unknown command, option or choice: exit 2, one message with a did-you-mean, no stack', async () => {
    const cmd = await cli(['pln', 'x']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/^slipway: unknown command 'pln' \(did you mean 'plan'\?\)/);
    const opt = await cli(['plan', 'containerd-cri-v1', '-i', 'x.yaml', '--limt', 'node-1']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toBe("slipway: unknown option '--limt' (did you mean --limit?)\nusage: slipway plan PLAYBOOK [options]   (slipway plan --help)\n");
    const choice = await cli(['runs', '--output', 'yaml']);
    expect(choice.code).toBe(2);
    expect(choice.stderr).toContain("argument 'yaml' is invalid. Allowed choices are text, plain, json.");
  });

  it('an -e name the playbook does not read: exit 2 with the name it most likely meant', async () => {
    const r = await cli(['validate', 'kubelet-removed-flags', '-e', 'target_verison=1.27.16']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^slipway: -e target_verison: nothing in \S+kubelet-removed-flags\.yaml uses it \(did you mean 'target_version'\?\)\n$/);
    const ok = await cli(['validate', 'kubelet-removed-flags', '-e', 'target_version=1.27.16']);
    expect(ok.code, why(ok)).toBe(0);
  });

  it('--output text and plain are one mode everywhere', async () => {
    for (const mode of ['text', 'plain']) {
      const r = await cli(['runs', '--output', mode]);
      expect(r.code, why(r)).toBe(0);
      expect(r.stdout).toBe('no runs yet\n');
    }
  });
});

describe('bundled playbooks', () => {
  it('validate resolves a bundled name (with or without .yaml) from another directory; an unknown name suggests one', async () => {
    for (const name of ['containerd-cri-v1', 'containerd-cri-v1.yaml']) {
      const r = await cli(['validate', name]);
      expect(r.code, why(r)).toBe(0);
      expect(r.stdout).toBe(`${path.join(root, 'playbooks', 'containerd-cri-v1.yaml')}: ok (9 steps)\n`);
    }
    const bad = await cli(['validate', 'containerd-cri-v2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("containerd-cri-v2: no such file, and no bundled playbook of that name (did you mean 'containerd-cri-v1'?)");
  });

  it('playbooks lists each with what it does and its vars; --output json too', async () => {
    const r = await cli(['playbooks']);
    expect(r.code, why(r)).toBe(0);
    for (const name of bundled) expect(r.stdout).toMatch(new RegExp(`^${name} `, 'm'));
    expect(r.stdout).toContain('target_version=1.27.16 kubelet_version=1.27.16-1.1');
    const json = JSON.parse((await cli(['playbooks', '--output', 'json'])).stdout) as Array<{ name: string; vars: Record<string, unknown> }>;
    expect(json.map((p) => p.name)).toEqual(bundled);
    expect(json.find((p) => p.name === 'containerd-cri-v1')?.vars).toMatchObject({ containerd_socket: '/run/containerd/containerd.sock' });
  });

  it('playbooks --copy writes one here with the schema beside it; the copy validates; it does not overwrite without --force', async () => {
    const dir = path.join(work, 'copy');
    const r = await cli(['playbooks', '--copy', 'containerd-cri-v1', '--to', dir]);
    expect(r.code, why(r)).toBe(0);
    const copy = await fs.readFile(path.join(dir, 'containerd-cri-v1.yaml'), 'utf8');
    expect(copy.split('\n')[0]).toBe('# yaml-language-server: $schema=./playbook.schema.json');
    expect(copy.split('\n').slice(1)).toEqual(readFileSync(path.join(root, 'playbooks', 'containerd-cri-v1.yaml'), 'utf8').split('\n').slice(1));
    expect(await fs.readFile(path.join(dir, 'playbook.schema.json'), 'utf8')).toBe(readFileSync(path.join(root, 'schemas', 'playbook.schema.json'), 'utf8'));
    const valid = await cli(['validate', path.join(dir, 'containerd-cri-v1.yaml')]);
    expect(valid.code, why(valid)).toBe(0);
    const again = await cli(['playbooks', '--copy', 'containerd-cri-v1', '--to', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('containerd-cri-v1.yaml exists; pass --force to overwrite it');
    expect((await cli(['playbooks', '--copy', 'containerd-cri-v1', '--to', dir, '--force'])).code).toBe(0);
  });
});

describe('completion', () => {
  it('bash: completes commands, options, --output values and bundled playbook names', async () => {
    const script = (await cli(['completion', 'bash'])).stdout;
    const complete = async (...words: string[]) => {
      const file = path.join(work, 'complete.bash');
      await fs.writeFile(file, `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})\nCOMP_CWORD=${words.length - 1}\n_slipway\nprintf '%s\\n' "\${COMPREPLY[@]}"\n`);
      return (await run('bash', [file], { cwd: work })).stdout.split('\n').filter(Boolean);
    };
    expect(await complete('slipway', 'pl')).toEqual(['playbooks', 'plan']);
    expect(await complete('slipway', 'plan', 'kube')).toEqual(['kubelet-removed-flags', 'kubernetes-minor-upgrade']);
    expect(await complete('slipway', 'run', '--out')).toEqual(['--output']);
    expect(await complete('slipway', 'run', '--output', '')).toEqual(['tree', 'text', 'plain', 'json']);
    expect(await complete('slipway', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('zsh and fish: a script for each, naming every command; an unknown shell is refused', async () => {
    const zsh = await cli(['completion', 'zsh']);
    expect(zsh.stdout.split('\n')[0]).toBe('#compdef slipway');
    expect(zsh.stdout).toContain('complete -o filenames -F _slipway slipway');
    const fish = await cli(['completion', 'fish']);
    for (const c of COMMANDS) expect(fish.stdout).toContain(`complete -c slipway -n '__fish_use_subcommand' -a ${c.name} `);
    expect(fish.stdout).toContain("-l output");
    const bad = await cli(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected one SHELL: bash, zsh, fish');
  });
});

it('the CLI entry is the package bin', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  expect(path.join(root, pkg.bin.slipway ?? '')).toBe(CLI);
});
