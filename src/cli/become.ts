/** The sudo password for `become`: from SLIPWAY_BECOME_PASSWORD or a prompt; never logged. */
import { InputError } from '../errors.js';
import type { InventoryHost } from '../inventory/types.js';
import { processSecrets } from '../runner/redact.js';

export async function becomePassword(hosts: InventoryHost[], ask: boolean): Promise<string | undefined> {
  const password = await readBecomePassword(hosts, ask);
  if (password !== undefined) processSecrets.add(password); // never printed, should sudo echo it
  return password;
}

async function readBecomePassword(hosts: InventoryHost[], ask: boolean): Promise<string | undefined> {
  const fromEnv = process.env.SLIPWAY_BECOME_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  if (!ask) return undefined; // sudo -n: passwordless sudo, or a clear sudo error
  if (!hosts.some((h) => h.become && h.user !== 'root')) return undefined;
  if (!process.stdin.isTTY) throw new InputError('--ask-become-pass needs a terminal; set SLIPWAY_BECOME_PASSWORD instead');
  return promptHidden('BECOME password: ');
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
