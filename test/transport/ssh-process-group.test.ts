/**
 * How a command runs on a node over SSH (a fleet node, its real sshd): the process group that
 * an abort kills, with coreutils `timeout` only where it has a limit to keep.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshRemote, WITHOUT_TIMEOUT_0 } from '../../src/transport/ssh.js';
import { useFleet } from '../fleet/fixture.js';
import { fleetHost } from '../fleet/hosts.js';

const f = useFleet({ nodes: 1 });
let r: SshRemote;

beforeAll(() => {
  r = new SshRemote(fleetHost(f.fleet, 'node-1'));
});
afterAll(async () => {
  if (r) await r.close();
});

/** The command's parent's name, its PID and its process group (field 5 of /proc/PID/stat). */
const whereAmI = ['sh', '-c', 'echo "$(cat /proc/$PPID/comm) $$ $(cut -d" " -f5 /proc/$$/stat)"'];

async function sleepers(arg: string): Promise<string> {
  const ps = await r.exec(['sh', '-c', 'ps -eo args | grep -c "^sleep $1$" || true', 'sh', arg]);
  return ps.stdout.trim();
}

describe('a command on a node', () => {
  it('without a time limit: no `timeout` process, the command leads its own process group', async () => {
    const [parent, pid, group] = (await r.run(whereAmI)).stdout.trim().split(' ');
    expect(parent).not.toBe('timeout');
    expect(group).toBe(pid);
  });

  it('with a time limit: under coreutils `timeout`, which leads the group', async () => {
    const [parent, pid, group] = (await r.run(whereAmI, { timeoutMs: 60_000 })).stdout.trim().split(' ');
    expect(parent).toBe('timeout');
    expect(group).not.toBe(pid);
  });

  it('without a time limit, aborted: the command and what it started are killed on the node', async () => {
    const controller = new AbortController();
    const running = r.exec(['sh', '-c', 'sleep 2147483641 & sleep 2147483641; wait'], { signal: controller.signal });
    for (let i = 0; i < 100 && (await sleepers('2147483641')) !== '2'; i++) await new Promise((res) => setTimeout(res, 50));
    expect(await sleepers('2147483641')).toBe('2');
    controller.abort();
    await expect(running).rejects.toThrow();
    let left = '';
    for (let i = 0; i < 100; i++) {
      left = await sleepers('2147483641');
      if (left === '0') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(left).toBe('0');
  });
});

describe("the wrapper's check, run here", () => {
  // As the transport's wrapper runs it: "$@" is `timeout -k 5 LIMIT argv...`.
  const wrapper = (setsid: boolean, limit: string): string => {
    const argv = ['sh', '-c', `${WITHOUT_TIMEOUT_0}exec "$@" </dev/null`, 'marker', 'timeout', '-k', '5', limit, ...whereAmI];
    return execFileSync(setsid ? 'setsid' : argv[0] as string, setsid ? ['-w', ...argv] : argv.slice(1), { encoding: 'utf8' }).trim().split(' ')[0] as string;
  };

  it('keeps `timeout 0` for a shell that does not lead its group, drops it for one that does, keeps a limit', () => {
    expect(wrapper(false, '0')).toBe('timeout');
    expect(wrapper(true, '0')).not.toBe('timeout');
    expect(wrapper(true, '30')).toBe('timeout');
  });
});
