import { describe, expect, it } from 'vitest';
import { parseInspectp, parseJsonValues, parsePodIds } from '../../src/facts/crictl.js';

const doc = (id: string, network: unknown, name = 'web-0') => ({
  status: {
    id,
    metadata: { attempt: 0, name, namespace: 'default', uid: 'u' },
    state: 'SANDBOX_READY',
    createdAt: '2024-01-01T00:00:00.000000000Z',
    linux: { namespaces: { options: { ipc: 'POD', network, pid: 'CONTAINER', targetId: '' } } },
  },
  info: { runtimeSpec: { ociVersion: '1.0.2' } },
});

describe('crictl output', () => {
  it('reads `crictl pods -q`, ignoring warnings', () => {
    expect(parsePodIds('aaaa1111\nbbbb2222\n\n')).toEqual(['aaaa1111', 'bbbb2222']);
    expect(parsePodIds('')).toEqual([]);
    expect(parsePodIds('WARN[0000] runtime connect using default endpoints\nabc123\n')).toEqual(['abc123']);
  });

  it('reads one inspectp document', () => {
    expect(parseInspectp(JSON.stringify(doc('abc', 'NODE', 'kube-proxy-x'), null, 2))).toEqual([
      { id: 'abc', name: 'kube-proxy-x', namespace: 'default', state: 'SANDBOX_READY', network: 'NODE', hostNetwork: true },
    ]);
  });

  it('reads several ids as an array (recent crictl) or one document after another (older crictl)', () => {
    const a = doc('a', 'POD');
    const b = doc('b', 'NODE');
    const expected = [
      { id: 'a', name: 'web-0', namespace: 'default', state: 'SANDBOX_READY', network: 'POD', hostNetwork: false },
      { id: 'b', name: 'web-0', namespace: 'default', state: 'SANDBOX_READY', network: 'NODE', hostNetwork: true },
    ];
    expect(parseInspectp(JSON.stringify([a, b], null, 2))).toEqual(expected);
    expect(parseInspectp(`${JSON.stringify(a, null, 2)}\n${JSON.stringify(b, null, 2)}\n`)).toEqual(expected);
  });

  it('takes a missing network mode as POD (the proto3 zero value) and numbers as enum values', () => {
    const noLinux = { status: { id: 'x', metadata: { name: 'n', namespace: 'ns' }, state: 'SANDBOX_NOTREADY' } };
    expect(parseInspectp(JSON.stringify(noLinux))[0]).toMatchObject({ network: 'POD', hostNetwork: false });
    expect(parseInspectp(JSON.stringify(doc('y', 2)))[0]).toMatchObject({ network: 'NODE', hostNetwork: true });
  });

  it('splits JSON values with braces inside strings', () => {
    expect(parseJsonValues('{"a":"}{"} {"b":[1,{"c":"]"}]}')).toEqual([{ a: '}{' }, { b: [1, { c: ']' }] }]);
    expect(parseJsonValues('  ')).toEqual([]);
    expect(() => parseJsonValues('{"a":')).toThrow();
  });
});
