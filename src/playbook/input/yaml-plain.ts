/**
 * A fast first read of a large YAML file (a 10,000-host inventory) as plain data, without
 * positions. js-yaml builds the data several times faster than the `yaml` package builds its
 * document with positions: 42 ms against 350 ms for a 10,000-host inventory on the development
 * machine, where that parse was about 40 % of `validate` (profiled with `node --cpu-prof`).
 *
 * It is only used where it gives the very data the positioned parse gives: both read the YAML 1.2
 * core schema, and whatever js-yaml refuses or might read otherwise goes to the positioned parse,
 * which then reports the problems with their lines. That covers: syntax errors, duplicate keys,
 * several documents, tags it does not know, keys that are maps or lists, any alias (the positioned
 * parse limits how far aliases expand), and a null key (js-yaml names it `null`, the `yaml`
 * package ``). test/playbook/yaml-plain.test.ts compares the two on every YAML file in the
 * repository and on the edge cases.
 */
import { load } from 'js-yaml';
import { isRecord } from './field-path.js';

/** The file's data when it is a map read the same either way; undefined: use the positioned parse. */
export function plainYamlMap(text: string): Record<string, unknown> | undefined {
  let data: unknown;
  try {
    data = load(text, { maxAliases: 0 });
  } catch {
    return undefined;
  }
  if (!isRecord(data) || hasNullKey(data)) return undefined;
  return data;
}

function hasNullKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasNullKey);
  if (!isRecord(value)) return false;
  for (const key in value) {
    if (key === 'null' || hasNullKey(value[key])) return true;
  }
  return false;
}
