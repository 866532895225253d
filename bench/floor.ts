/**
 * The floor: the benchmark's remediation with nothing but ssh2, all nodes at once, one connection
 * a node. `--mode step`: one exec per step (8); `--mode node`: the 8 scripts joined into one exec.
 * What any orchestrator over SSH must at least spend; slipway is measured against it.
 *
 *   tsx bench/floor.ts --inventory FILE --slot SLOT --mode step|node
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'ssh2';
import { parse } from 'yaml';
import { floorScripts } from './remediation.js';

const { values } = parseArgs({ options: { inventory: { type: 'string' }, slot: { type: 'string' }, mode: { type: 'string', default: 'step' } } });
interface Inv {
  all: { hosts: Record<string, { ansible_port: number }>; vars: { ansible_ssh_private_key_file: string }; children: Record<string, { hosts: Record<string, null> }> };
}
const invFile = values.inventory as string;
const inv = parse(await fs.readFile(invFile, 'utf8')) as Inv;
const key = await fs.readFile(path.resolve(path.dirname(invFile), inv.all.vars.ansible_ssh_private_key_file));
const workers = Object.keys(inv.all.children.workers?.hosts ?? {});

function exec(conn: Client, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    conn.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stderr = '';
      stream.on('data', () => undefined);
      stream.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      stream.on('close', (code: number) => (code === 0 ? resolve() : reject(new Error(`exit ${code}: ${stderr}`))));
    });
  });
}

async function node(name: string): Promise<void> {
  const port = inv.all.hosts[name]?.ansible_port as number;
  const conn = new Client();
  await new Promise<void>((resolve, reject) => {
    // 200 handshakes at once on two cores take longer than ssh2's default 20 s; the floor waits.
    conn.on('ready', resolve).on('error', reject).connect({ host: '127.0.0.1', port, username: 'root', privateKey: key, readyTimeout: 180_000 });
  });
  try {
    const scripts = floorScripts(values.slot as string, name);
    if (values.mode === 'node') await exec(conn, scripts.map((s) => `{ ${s}; }`).join(' && '));
    else for (const s of scripts) await exec(conn, s);
  } finally {
    conn.end();
  }
}

await Promise.all(workers.map(node));
