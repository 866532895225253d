import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundledSchema, expectedKeyword, validateWithSchema } from '../../src/playbook/input/json-schema.js';

describe('bundled schemas', () => {
  it.each(['playbook.schema.json', 'inventory.schema.json'])('%s is a valid draft-07 schema in strict mode', (name) => {
    // strictRequired would refuse `oneOf: [{required: [fact]}, {required: [var]}]`, which is sound JSON Schema.
    const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true });
    ajv.addKeyword({ keyword: expectedKeyword, schemaType: 'string' });
    expect(() => ajv.compile(bundledSchema(name))).not.toThrow();
  });
});

describe('playbook schema, as editors apply it', () => {
  const corpus = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'corpus');
  const read = (file: string): unknown => parse(readFileSync(path.join(corpus, file), 'utf8'));

  it('accepts the playbook that uses every feature, conditions included', () => {
    expect(validateWithSchema(bundledSchema('playbook.schema.json'), read('good/every-feature.yaml'))).toEqual([]);
  });

  it('refuses a condition with two operators', () => {
    expect(validateWithSchema(bundledSchema('playbook.schema.json'), read('playbooks/when-two-operators.yaml'))).not.toEqual([]);
  });
});
