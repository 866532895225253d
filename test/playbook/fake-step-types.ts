/**
 * Stand-ins for the built-in step types, with the params schemas the real ones declare, so the
 * loader's tests do not depend on the step implementations.
 */
import { stepTypeList, type StepTypeInfo } from '../../src/playbook/step-types.js';

const fakeTypes: StepTypeInfo[] = [
  {
    kind: 'command',
    paramsSchema: {
      type: 'object',
      required: ['argv'],
      properties: {
        argv: { type: 'array', minItems: 1, items: { type: 'string' } },
        check: { type: 'array', items: { type: 'string' } },
        creates: { type: 'string' },
        become: { type: 'boolean' },
      },
    },
  },
  {
    kind: 'file.line',
    paramsSchema: {
      type: 'object',
      required: ['path', 'state'],
      additionalProperties: false,
      properties: {
        path: { type: 'string', minLength: 1 },
        line: { type: 'string' },
        regexp: { type: 'string' },
        state: { enum: ['present', 'absent'] },
        backup: { type: 'boolean' },
      },
    },
  },
  {
    kind: 'file.content',
    paramsSchema: {
      type: 'object',
      required: ['path', 'content'],
      properties: {
        path: { type: 'string', minLength: 1 },
        content: { type: 'string' },
        mode: { type: 'string', pattern: '^0?[0-7]{3}$' },
        owner: { type: 'string' },
      },
    },
  },
  {
    kind: 'systemd.service',
    paramsSchema: {
      type: 'object',
      required: ['unit'],
      properties: {
        unit: { type: 'string', minLength: 1 },
        state: { enum: ['started', 'stopped', 'restarted'] },
        enabled: { type: 'boolean' },
        daemonReload: { type: 'boolean' },
      },
    },
  },
];

export const fakeStepTypes = stepTypeList(fakeTypes);
