import { describe, expect, it } from 'vitest';
import { hasTemplate, parseTemplate, templateRefs } from '../../src/playbook/templates.js';

describe('parseTemplate', () => {
  it('splits text and references', () => {
    expect(parseTemplate('kubelet={{ version }}-{{node.name}}')).toEqual({
      ok: true,
      parts: [
        { kind: 'text', text: 'kubelet=' },
        { kind: 'var', path: 'version' },
        { kind: 'text', text: '-' },
        { kind: 'var', path: 'node.name' },
      ],
    });
  });

  it("turns {{ '{{' }} into a literal {{", () => {
    expect(parseTemplate(`a {{ '{{' }} b }}`)).toEqual({ ok: true, parts: [{ kind: 'text', text: 'a {{ b }}' }] });
    expect(parseTemplate(`{{ "{{" }}`)).toEqual({ ok: true, parts: [{ kind: 'text', text: '{{' }] });
  });

  it('leaves strings without references alone, including a lone }}', () => {
    expect(parseTemplate('a }} b')).toEqual({ ok: true, parts: [{ kind: 'text', text: 'a }} b' }] });
    expect(hasTemplate('a }} b')).toBe(false);
  });

  it('accepts list indices and dashes after the first segment', () => {
    expect(templateRefs('{{ node.groups.0 }} {{ hosts.node-1.ip }}')).toEqual(['node.groups.0', 'hosts.node-1.ip']);
  });

  it.each([
    ['{{ version', /unclosed '\{\{'/],
    ['{{ }}', /empty reference/],
    ["{{ v | default('x') }}", /filters are not supported/],
    ['{{ a + 1 }}', /is not a var reference: .*no expressions/],
    ['{{ 1abc }}', /is not a var reference/],
  ])('reports %j', (text, message) => {
    const parsed = parseTemplate(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });
});
