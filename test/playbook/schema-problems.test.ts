import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { validateWithSchema, type JsonSchema } from '../../src/playbook/input/json-schema.js';
import { schemaProblems } from '../../src/playbook/input/schema-problems.js';
import { YamlSource } from '../../src/playbook/input/yaml-source.js';

function problems(schema: JsonSchema, yaml: string): string[] {
  const { source, data } = YamlSource.parse('s.yaml', yaml);
  return schemaProblems(validateWithSchema(schema, data), data, { locator: source }).map(formatProblem);
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    size: {
      anyOf: [
        { type: 'integer', minimum: 1 },
        { type: 'string', pattern: '^[0-9]+%$', 'x-expected': 'a percentage like "25%"' },
        { type: 'array', items: { type: 'integer' } },
      ],
    },
    mode: { anyOf: [{ type: 'number' }, { const: 'auto' }], 'x-expected': 'a number or "auto"' },
    tags: { type: 'array', uniqueItems: true, maxItems: 3, items: { type: 'string' } },
    labels: { type: 'object', propertyNames: { pattern: '^[a-z]+$' } },
    user: { type: 'string' },
    password: { type: 'string' },
  },
  dependencies: { password: ['user'] },
};

describe('schemaProblems', () => {
  it('keeps the explanation of the alternative that fits the kind of value', () => {
    expect(problems(schema, 'size: 0\n')).toEqual(['s.yaml:1:7: size: must be at least 1 (found 0)']);
    expect(problems(schema, 'size: lots\n')).toEqual(['s.yaml:1:7: size: must be a percentage like "25%" (found \'lots\')']);
    expect(problems(schema, 'size: [1, x]\n')).toEqual(["s.yaml:1:11: size[1]: must be a whole number (found 'x')"]);
  });

  it('lists the alternatives when none fits the kind of value', () => {
    expect(problems(schema, 'size: {a: 1}\n')).toEqual([
      'size: must be a whole number, a percentage like "25%" or a list (found a map)',
    ].map((m) => `s.yaml:1:7: ${m}`));
    expect(problems(schema, 'mode: manual\n')).toEqual(['s.yaml:1:7: mode: must be a number or "auto" (found \'manual\')']);
  });

  it('words the other keywords', () => {
    expect(problems(schema, 'tags: [a, b, a]\n')).toEqual(['s.yaml:1:7: tags: must not repeat items (items 0 and 2 are the same)']);
    expect(problems(schema, 'tags: [a, b, c, d]\n')).toEqual(['s.yaml:1:7: tags: must have at most 3 items (found 4)']);
    expect(problems(schema, 'labels: {Bad: 1}\n')).toEqual(["s.yaml:1:10: labels: invalid key 'Bad'"]);
    expect(problems(schema, 'password: x\n')).toEqual(["s.yaml:1:1: 'user' is required when 'password' is set"]);
    expect(problems(schema, 'user: 1.10\n')).toEqual(['s.yaml:1:7: user: must be a string (found 1.10; put it in quotes: "1.10")']);
    expect(problems(schema, 'colour: red\n')).toEqual([
      "s.yaml:1:1: unknown key 'colour' (expected one of: size, mode, tags, labels, user, password)",
    ]);
  });
});

describe('schemaProblems with alternatives of required keys', () => {
  const lineSchema: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: { type: 'string' }, line: { type: 'string' }, regexp: { type: 'string' }, state: { enum: ['present', 'absent'] } },
    allOf: [
      { if: { properties: { state: { const: 'present' } }, required: ['state'] }, then: { required: ['line'] } },
      { anyOf: [{ required: ['line'] }, { required: ['regexp'] }] },
    ],
  };

  it('says which keys are needed', () => {
    expect(problems(lineSchema, 'path: /etc/x\n')).toEqual(["s.yaml:1:1: needs 'line' or 'regexp'"]);
  });

  it('reports a misspelt required key once, as the misspelling', () => {
    expect(problems(lineSchema, 'path: /etc/x\nlines: a\nstate: present\n')).toEqual([
      "s.yaml:2:1: unknown key 'lines' (did you mean 'line'?)",
    ]);
  });

  it('keeps other problems beside the alternatives', () => {
    expect(problems(lineSchema, 'path: /etc/x\nstate: present\n')).toEqual([
      "s.yaml:1:1: missing required key 'line'",
      "s.yaml:1:1: needs 'line' or 'regexp'",
    ]);
  });
});
