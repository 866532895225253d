/** Every bundled playbook validates, alone and against the example (kubespray-shaped) inventory. */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { slipway } from '../support/cli.js';

const playbooks = (await fs.readdir('playbooks')).filter((f) => f.endsWith('.yaml'));

describe('bundled playbooks', () => {
  it('are all there', () => {
    expect(playbooks).toEqual(expect.arrayContaining(['containerd-cri-v1.yaml', 'crio-pin-runtime.yaml', 'kubelet-removed-flags.yaml', 'cri-dockerd.yaml', 'demo.yaml']));
  });
  for (const p of playbooks) {
    it(`${p} validates with inventory/hosts.example.yaml and starts with its schema line and a header comment`, async () => {
      const r = await slipway(['validate', `playbooks/${p}`, '-i', 'inventory/hosts.example.yaml']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const text = await fs.readFile(`playbooks/${p}`, 'utf8');
      expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/playbook.schema.json');
      expect(text.split('\n').slice(1, 4).every((l) => l.startsWith('#'))).toBe(true);
    });
  }
});
