import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionContext } from '../../src/inventory/connection.js';
import { parseInventory } from '../../src/inventory/load.js';
import { parseSshConfig } from '../../src/inventory/ssh-config.js';
import { InputError } from '../../src/errors.js';
import { plainYamlMap } from '../../src/playbook/input/yaml-plain.js';
import { YamlSource } from '../../src/playbook/input/yaml-source.js';

const root = path.resolve(import.meta.dirname, '../..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === 'node_modules' ? [] : yamlFiles(file);
    return /\.ya?ml$/.test(name) ? [file] : [];
  });
}

/** The positioned parse's data, or undefined when it reports problems. */
function positionedData(text: string): unknown {
  const parsed = YamlSource.parse('f.yaml', text);
  return parsed.problems.length > 0 ? undefined : parsed.data;
}

const edgeCases = [
  '~: x', 'null: x', ': x', '"null": x', '1: x', 'true: x', '[a, b]: x', '? a\n: b', '? [a]\n: b', '{a: 1}: x',
  '"": x', '<<: {a: 1}\nb: 2', 'a: &x {b: 1}\nc: *x', 'a: *y', 'a: 1\na: 2', '1: a\n"1": b', 'a: !!str 1',
  'a: !foo x', '%YAML 1.2\n---\na: 1', 'a: b\n---\nc: d', '---\na: b\n...', 'a:\tb', 'a: b c\n  d',
  'a: |\n  x\n   y\n\nb: >-\n  p\n  q', 'a: "x\\ty\\u00e9"', "a: 'it''s'", 'a: [1, 2,]', 'a: {b, c}', 'a: {b: }',
  'a: plain\n  multi\n\n  line', '__proto__: {a: 1}', 'a: [b, {c: d}]\ne: [[f]]', '# only a comment', '',
  'a: 2024-01-01', 'a: yes', 'a: 0o17', 'a: 0x1F', 'a: 010', 'a: 1_000', 'a: 1e3', 'a: .inf', 'a: -.Inf', 'a: 1.30',
  'a:\n  - 1\n  -\n  - {b: ~}', 'a: {b: [x, null, Null, NULL]}',
];

describe('the fast plain read of YAML', () => {
  const files = yamlFiles(root).map((f) => path.relative(root, f));
  const readFast = new Set<string>();

  it.each(files)('reads %s as the positioned parse does, or leaves it to it', (file) => {
    const text = readFileSync(path.join(root, file), 'utf8');
    const fast = plainYamlMap(text);
    if (fast === undefined) return;
    readFast.add(file);
    expect(fast).toStrictEqual(positionedData(text));
  });

  it('read most of those files itself, the bundled inventories and playbooks among them (the comparison is not empty)', () => {
    expect(readFast.size).toBeGreaterThan(files.length / 2);
    for (const file of files.filter((f) => /^(inventory|playbooks)\//.test(f))) expect(readFast, file).toContain(file);
  });

  it.each(edgeCases)('reads %j as the positioned parse does, or leaves it to it', (text) => {
    const fast = plainYamlMap(`${text}\n`);
    if (fast !== undefined) expect(fast).toStrictEqual(positionedData(`${text}\n`));
  });

  it('leaves to the positioned parse what it would read otherwise or cannot check', () => {
    // a null key (js-yaml: "null", the yaml package: ""), any alias, a duplicate, a complex key, a second document
    for (const text of ['~: x', ': x', 'a: &x 1\nb: *x', 'a: 1\na: 2', '[a]: x', 'a: 1\n---\nb: 2', 'a: !foo x', '- a']) {
      expect(plainYamlMap(`${text}\n`), text).toBeUndefined();
    }
  });

  it('reads a plain inventory itself, with every scalar type of the core schema', () => {
    const text = 'all:\n  hosts:\n    n1: {ansible_host: 10.0.0.1, port: 2222, on: true, off: false, none: ~, f: 1.5, s: "1.30"}\n';
    expect(plainYamlMap(text)).toStrictEqual({
      all: { hosts: { n1: { ansible_host: '10.0.0.1', port: 2222, on: true, off: false, none: null, f: 1.5, s: '1.30' } } },
    });
  });
});

describe('an inventory read fast', () => {
  const context: ConnectionContext = {
    inventoryDir: '/inv',
    home: '/home/op',
    localUser: 'op',
    sshConfig: parseSshConfig(''),
    sshConfigFile: '/home/op/.ssh/config',
    defaultIdentityFiles: [],
  };
  const big = (bad: string) =>
    ['all:', '  hosts:', ...Array.from({ length: 500 }, (_, i) => `    node-${i}: {ansible_host: 10.0.${i >> 8}.${i & 255}}`), `    odd: ${bad}`, ''].join('\n');

  it('parses the positions only when a problem is located', () => {
    const { source, data, problems } = YamlSource.parse('hosts.yaml', big('{ansible_port: 22}'), { positionsWhenNeeded: true });
    expect(problems).toEqual([]);
    expect(data).toMatchObject({ all: { hosts: { odd: { ansible_port: 22 } } } });
    expect(source.positionsParsed).toBe(false);
    expect(source.problemAt(['all', 'hosts', 'odd'], 'x').location).toMatchObject({ line: 503, col: 10, field: 'all.hosts.odd' });
    expect(source.positionsParsed).toBe(true);
    // without the option, and when the fast read leaves the file to it, the positions are parsed at once
    expect(YamlSource.parse('hosts.yaml', big('{}')).source.positionsParsed).toBe(true);
    expect(YamlSource.parse('hosts.yaml', big('*alias'), { positionsWhenNeeded: true }).source.positionsParsed).toBe(true);
  });

  it('still reports a problem at its line and field', () => {
    let error: unknown;
    try {
      parseInventory('hosts.yaml', big('{ansible_port: [22]}'), context);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const [problem] = (error as InputError).problems;
    expect(problem?.location).toMatchObject({ file: 'hosts.yaml', line: 503, field: 'all.hosts.odd.ansible_port' });
  });

  it('reads the hosts and their connection settings', () => {
    const text = big('{ansible_host: 10.9.9.9, ansible_port: 2200}');
    const inventory = parseInventory('hosts.yaml', text, context);
    expect(inventory.hosts).toHaveLength(501);
    expect(inventory.hosts.at(-1)).toMatchObject({ name: 'odd', address: '10.9.9.9', port: 2200 });
  });
});
