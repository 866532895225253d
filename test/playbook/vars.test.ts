import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { checkPlaybookVars, findPlaybookVarProblems, resolveStepParams, stepTitle } from '../../src/playbook/vars.js';
import { formatProblem } from '../../src/errors.js';
import { parsePlaybook } from '../../src/playbook/load.js';
import { varsFor, VarProblem, VarResolver } from '../../src/playbook/var-resolver.js';
import { makeHost } from '../inventory/make-host.js';
import { fakeStepTypes } from './fake-step-types.js';

const options = { stepTypes: fakeStepTypes };

describe('VarResolver', () => {
  const resolver = new VarResolver({
    version: '1.28.9',
    replicas: 3,
    ports: [80, 443],
    k8s: { version: '1.28', flags: { a: 1 } },
    package: 'kubelet={{ version }}-1.1',
    nothing: null,
    node: { name: 'node-1', address: '10.0.0.1', groups: ['all', 'workers'] },
  });

  it('keeps the type of a string that is exactly one reference', () => {
    expect(resolver.substitute('{{ replicas }}')).toBe(3);
    expect(resolver.substitute('{{ ports }}')).toEqual([80, 443]);
    expect(resolver.substitute(' {{k8s.flags}} ')).toBe(' {"a":1} ');
  });

  it('splices values into longer strings', () => {
    expect(resolver.substitute('v{{ version }} x{{ replicas }} [{{ nothing }}] {{ ports }}')).toBe('v1.28.9 x3 [] [80,443]');
  });

  it('reads dotted paths into maps and lists', () => {
    expect(resolver.substitute('{{ k8s.version }} {{ node.groups.1 }}')).toBe('1.28 workers');
  });

  it('substitutes vars that refer to vars', () => {
    expect(resolver.substitute('{{ package }}')).toBe('kubelet=1.28.9-1.1');
  });

  it('substitutes inside lists and maps', () => {
    expect(resolver.substitute({ argv: ['install', '{{ package }}'], n: 1 })).toEqual({ argv: ['install', 'kubelet=1.28.9-1.1'], n: 1 });
  });

  it('names what is undefined and suggests a near name', () => {
    expect(() => resolver.substitute('{{ verison }}')).toThrow("undefined var 'verison' (did you mean 'version'?)");
    expect(() => resolver.substitute('{{ k8s.verison }}')).toThrow("undefined var 'k8s.verison': 'k8s' has no key 'verison' (did you mean 'version'?)");
    expect(() => resolver.substitute('{{ version.major }}')).toThrow("'version' is a string, not a map");
    expect(() => resolver.substitute('{{ node.groups.5 }}')).toThrow("'node.groups' has 2 items");
  });

  it('refuses a var that refers to itself', () => {
    const looping = new VarResolver({ a: '{{ b }}', b: 'x{{ a }}' });
    expect(() => looping.substitute('{{ a }}')).toThrow("var 'a' refers to itself (a -> b -> a)");
  });

  it('says which var led to an undefined one', () => {
    const chained = new VarResolver({ pkg: 'kubelet={{ ver }}', ver: '{{ target_verison }}', target_version: '1' });
    const error = (() => {
      try {
        chained.substitute('{{ pkg }}');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(VarProblem);
    expect((error as VarProblem).message).toBe(
      "undefined var 'target_verison' (did you mean 'target_version'?) (through var 'pkg' -> 'ver')",
    );
  });

  it('finds a var whose name holds a dot, as given by -e a.b=c', () => {
    expect(new VarResolver({ 'a.b': 'c' }).substitute('{{ a.b }}')).toBe('c');
  });
});

describe('varsFor', () => {
  it('layers inventory < playbook < extra vars, with node.* on top', () => {
    const host = makeHost('node-1', { address: '10.0.0.1', groups: ['all', 'workers'], firstIn: ['workers'], vars: { a: 'inventory', b: 'inventory', c: 'inventory', node: 'x' } });
    const vars = varsFor({ vars: { b: 'playbook', c: 'playbook' } }, host, { c: 'extra' });
    expect(vars).toMatchObject({ a: 'inventory', b: 'playbook', c: 'extra' });
    expect(vars.node).toEqual({ name: 'node-1', address: '10.0.0.1', groups: ['all', 'workers'], firstIn: ['workers'] });
  });
});

const playbookText = `name: vars
vars:
  target_version: "1.28.9"
steps:
  - uses: command
    with:
      argv: [apt-get, install, "kubelet={{ target_version }}", "{{ node.name }}"]
  - uses: systemd.service
    with: {unit: kubelet, state: "{{ kubelet_state }}"}
    when: {var: pool, equals: "{{ wanted_pool }}"}
`;

describe('resolveStepParams', () => {
  const playbook = parsePlaybook('vars.yaml', playbookText, options);
  const host = makeHost('node-1', { vars: { kubelet_state: 'stopped', pool: 'a', wanted_pool: 'a' } });

  it('substitutes vars for one host', () => {
    expect(resolveStepParams(playbook.steps[0]!, playbook, host, {}, options)).toEqual({
      argv: ['apt-get', 'install', 'kubelet=1.28.9', 'node-1'],
    });
    expect(resolveStepParams(playbook.steps[0]!, playbook, host, { target_version: '1.29.0' }, options).argv).toContain('kubelet=1.29.0');
  });

  it('checks the substituted params against the step type, at the field', () => {
    const bad = makeHost('node-2', { vars: { kubelet_state: 'halted' } });
    expect(() => resolveStepParams(playbook.steps[1]!, playbook, bad, {}, options)).toThrow(
      "vars.yaml:9:34: steps[1].with.state: must be one of started, stopped, restarted (found 'halted', after substituting vars) on node-2",
    );
  });

  it('throws InputError naming the field and host for an undefined var', () => {
    const error = (() => {
      try {
        resolveStepParams(playbook.steps[1]!, playbook, makeHost('node-3'), {}, options);
      } catch (e) {
        return e;
      }
      return undefined;
    })() as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.problems.map(formatProblem)).toEqual(["vars.yaml:9:34: steps[1].with.state: undefined var 'kubelet_state' on node-3"]);
  });
});

describe('stepTitle', () => {
  const p = parsePlaybook('t.yaml', 'name: t\nvars: {v: "1.7.22"}\nsteps:\n  - name: Install containerd {{ v }} on {{ node.name }} from {{ mirror }}\n    uses: command\n    with: {argv: [a]}\n  - uses: command\n    with: {argv: [b]}\n', options);
  it('renders the name with the host\'s vars; a reference it cannot resolve stays as written', () => {
    expect(stepTitle(p.steps[0]!, p, makeHost('node-1', { vars: { mirror: 'apt.example' } }))).toBe('Install containerd 1.7.22 on node-1 from apt.example');
    expect(stepTitle(p.steps[0]!, p, undefined, { v: '2.0.5' })).toBe('Install containerd {{ v }} on {{ node.name }} from {{ mirror }}');
    expect(stepTitle(p.steps[1]!, p, undefined)).toBe(p.steps[1]!.name);
  });
});

describe('checkPlaybookVars', () => {
  const playbook = parsePlaybook('vars.yaml', playbookText, options);

  it('without an inventory, counts only playbook vars, extra vars and built-ins', () => {
    const messages = findPlaybookVarProblems(playbook, undefined, {}, options).map(formatProblem);
    expect(messages).toEqual([
      "vars.yaml:9:34: steps[1].with.state: undefined var 'kubelet_state'",
      "vars.yaml:10:17: steps[1].when.var: undefined var 'pool'",
      "vars.yaml:10:31: steps[1].when.equals: undefined var 'wanted_pool'",
    ]);
    expect(() => checkPlaybookVars(playbook, undefined, { kubelet_state: 'stopped', pool: 'a', wanted_pool: 'a' }, undefined, options)).not.toThrow();
  });

  it('with hosts, names the hosts where only some lack a var', () => {
    const hosts = [
      makeHost('node-1', { vars: { kubelet_state: 'stopped', pool: 'a', wanted_pool: 'a' } }),
      makeHost('node-2', { vars: { pool: 'a', wanted_pool: 'a' } }),
    ];
    expect(findPlaybookVarProblems(playbook, hosts, {}, options).map(formatProblem)).toEqual([
      "vars.yaml:9:34: steps[1].with.state: undefined var 'kubelet_state' on node-2",
    ]);
  });

  it('checks a reference in a step name, at the name', () => {
    const p = parsePlaybook('n.yaml', 'name: n\nsteps:\n  - name: Install containerd {{ containerd_verison }}\n    uses: command\n    with: {argv: [a]}\n', options);
    expect(findPlaybookVarProblems(p, undefined, {}, options).map(formatProblem)).toEqual([expect.stringMatching(/^n\.yaml:3:\d+: steps\[0\]\.name: undefined var 'containerd_verison'/)]);
  });

  it('a var test with exists: does not need the var', () => {
    const p = parsePlaybook('e.yaml', 'name: e\nsteps:\n  - uses: command\n    with: {argv: [a]}\n    when: {var: maybe, exists: true}\n', options);
    expect(findPlaybookVarProblems(p, undefined, {}, options)).toEqual([]);
  });

  it('checks a substituted value against a boolean or enum fact', () => {
    const p = parsePlaybook('q.yaml', 'name: q\nsteps:\n  - uses: command\n    with: {argv: [a]}\n    when: {fact: runtime.name, equals: "{{ rt }}"}\n', options);
    expect(findPlaybookVarProblems(p, undefined, { rt: 'containerd' }, options)).toEqual([]);
    expect(findPlaybookVarProblems(p, undefined, { rt: 'dokcer' }, options).map(formatProblem)).toEqual([
      "q.yaml:5:40: steps[0].when.equals: runtime.name is one of containerd, crio, docker, none (found 'dokcer'; did you mean 'docker'?) (after substituting vars)",
    ]);
  });

  it('checks substituted ranges', () => {
    const p = parsePlaybook('r.yaml', 'name: r\nsteps:\n  - uses: command\n    with: {argv: [a]}\n    when: {fact: kubelet.version, satisfies: ">={{ min }}"}\n', options);
    expect(findPlaybookVarProblems(p, undefined, { min: 'a.b' }, options).map(formatProblem)).toEqual([
      "r.yaml:5:46: steps[0].when.satisfies: invalid semver range '>=a.b' (after substituting vars)",
    ]);
  });
});
