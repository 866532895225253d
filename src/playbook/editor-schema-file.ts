/** The text of schemas/playbook.schema.json as `npm run schema` writes it, from the file as it is. */
import { getStepType, stepKinds } from '../steps/registry.js';
import type { AnyStepType } from '../steps/types.js';
import type { JsonSchema } from './input/json-schema.js';
import { playbookSchemaForLoader, playbookSchemaWithStepTypes } from './step-schemas.js';

export function editorPlaybookSchemaText(current: JsonSchema): string {
  const types = stepKinds().map((k) => getStepType(k) as AnyStepType);
  return `${JSON.stringify(playbookSchemaWithStepTypes(playbookSchemaForLoader(current), types), null, 2)}\n`;
}
