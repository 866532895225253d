import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FleetNode } from '../fleet/node.js';

/**
 * Everything a node has written, to prove a command changed nothing: every entry of the
 * node's overlay upper layers (/etc, /var, /usr, /opt: exactly what it changed relative to the
 * image) and its private /root with size, mode, mtime and content hash, plus a listing of its
 * tmpfs /run and /tmp. Left out: /var/log (sshd logs each connection), /run/fleet-systemd
 * (the systemctl stand-in's in-memory state) and /run/fleet-apiserver (kubelets' status, shared).
 * containerd's metadata database is listed without its mtime and hash: containerd rewrites it
 * on its own (its garbage collector commits a transaction after sandboxes are created, and on a
 * busy machine it paces those collections seconds apart), so the runtime's state is taken from
 * the runtime itself instead: its pod sandboxes and their states as the CRI lists them.
 * Files over 1 MB (package binaries) are taken by size, mtime and ctime instead of a hash: no
 * write, rename or chmod leaves ctime as it was, and hashing every binary of six nodes twice a
 * test cost the suite more than the test itself. A big file with other hard links is the fleet's
 * package repository, linked into every fleet (each new link moves its ctime): it is taken by
 * its inode instead.
 */
export async function fileTree(node: FleetNode): Promise<string> {
  const lines: string[] = [];
  const base = node.record.nodeDir;
  const roots: Array<[string, string]> = [
    ...['etc', 'var', 'usr', 'opt'].map((d): [string, string] => [path.join(base, 'upper', d), `/${d}`]),
    [path.join(base, 'root'), '/root'],
  ];
  for (const [dir, shown] of roots) await walk(dir, shown, lines);
  const volatile = await node.exec([
    'sh',
    '-c',
    'find /run /tmp -xdev \\( -path /run/fleet-systemd -o -path /run/fleet-apiserver -o -path /run/sshd \\) -prune -o -printf "%p %y %s %m %T@\\n" | sort',
  ]);
  lines.push(volatile.stdout);
  const sandboxes = await node.exec(['sh', '-c', 'command -v crictl >/dev/null || exit 0; crictl pods -o json 2>/dev/null']);
  lines.push(sandboxLines(sandboxes.stdout));
  return lines.join('\n');
}

/** `STATE ID` per pod sandbox, sorted; what crictl printed when it is not its JSON (a runtime that is down prints nothing). */
function sandboxLines(json: string): string {
  if (json.trim() === '') return '';
  try {
    const items = (JSON.parse(json) as { items?: Array<{ id: string; state: string }> }).items ?? [];
    return items.map((p) => `${p.state} ${p.id}`).sort().join('\n');
  } catch {
    return json;
  }
}

const BIG_FILE = 1 << 20;

const CONTAINERD_METADATA = '/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db';

async function walk(dir: string, shown: string, out: string[]): Promise<void> {
  if (shown === '/var/log') return;
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    const nodePath = `${shown}/${e.name}`;
    if (nodePath === '/var/log') continue;
    const st = await fs.lstat(full);
    let hash = '';
    if (e.isFile()) hash = st.size <= BIG_FILE ? createHash('sha256').update(await fs.readFile(full)).digest('hex') : st.nlink > 1 ? `inode ${st.ino}` : `ctime ${st.ctimeMs}`;
    else if (e.isSymbolicLink()) hash = await fs.readlink(full);
    if (nodePath === CONTAINERD_METADATA) out.push(`${nodePath} ${st.mode.toString(8)}`);
    else out.push(`${nodePath} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${hash}`);
    if (e.isDirectory()) await walk(full, nodePath, out);
  }
}
