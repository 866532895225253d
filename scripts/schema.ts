/**
 * `npm run schema`: writes schemas/playbook.schema.json with every step type's `with:` schema
 * (src/playbook/step-schemas.ts). test/playbook/editor-schema.test.ts fails when the file is
 * not what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { editorPlaybookSchemaText } from '../src/playbook/editor-schema-file.js';

const file = path.join(import.meta.dirname, '..', 'schemas', 'playbook.schema.json');
const next = editorPlaybookSchemaText(JSON.parse(readFileSync(file, 'utf8')));
writeFileSync(file, next);
console.log(`wrote ${path.relative(process.cwd(), file)}`);
