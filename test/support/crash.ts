/**
 * The playbook and end-state check shared by the crash test and bench/crash-loop: five steps
 * per node, each appending to an apply log on the node when (and only when) it is applied.
 */
import { expect } from 'vitest';
import type { Fleet } from '../fleet/fleet.js';

const STEPS = ['one', 'two', 'three', 'four'];

export function crashPlaybook(): string {
  const counted = STEPS.map(
    (id) => `  - id: ${id}
    uses: command
    with:
      argv: [sh, -c, 'echo ${id} >> "$1/applied.log" && touch "$1/${id}.done"', sh, "/var/lib/crash/{{ iter }}"]
      creates: /var/lib/crash/{{ iter }}/${id}.done
`,
  ).join('');
  return `name: crash-loop
hosts: workers
rolling: {batch: 4, maxFailed: 0}
steps:
  - id: dir
    uses: command
    with: {argv: [mkdir, -p, "/var/lib/crash/{{ iter }}"], creates: "/var/lib/crash/{{ iter }}"}
  - id: config
    uses: file.content
    with: {path: "/var/lib/crash/{{ iter }}/config", content: "iteration {{ iter }} on {{ node.name }}\\n"}
${counted}`;
}

/** Every worker is in the end state and each counted step was applied exactly once. */
export async function verifyEndState(fleet: Fleet, iter: number): Promise<void> {
  for (const node of fleet.workers) {
    const dir = `/var/lib/crash/${iter}`;
    expect(await node.readFile(`${dir}/config`), `${node.name} config`).toBe(`iteration ${iter} on ${node.name}\n`);
    const log = ((await node.readFile(`${dir}/applied.log`)) ?? '').trim().split('\n');
    expect(log, `${node.name} apply log (iteration ${iter})`).toEqual(STEPS);
  }
}
