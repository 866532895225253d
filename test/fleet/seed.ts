/**
 * Seeds a node's writable layers before it boots (writing into an overlay's upper directory
 * under a running node gives stale handles; after boot, use FleetNode.writeFile).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { FleetNodeRecord } from './node.js';

const execFileP = promisify(execFile);
const standinsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'standins');

export interface SeedFile {
  /** Absolute path on the node, under /etc, /var, /usr, /opt or /root. */
  path: string;
  content?: string | Buffer;
  mode?: number;
  /** Create a symlink to this target instead of a file. */
  symlink?: string;
  /**
   * A host file to put there instead of `content`, or a function that builds it first (a
   * bundled stand-in, a cached image). Hard-linked when on the same file system, else copied:
   * treat the node's copy as read-only (replace it, never write into it).
   */
  from?: string | (() => Promise<string>);
  /**
   * With `path: '/'`: a host directory laid out like a node's upper layers (etc/, var/, usr/,
   * opt/, e.g. a captured package state), copied into the node (overlay whiteouts included).
   * Later seed files override what it holds.
   */
  layer?: () => Promise<string>;
  /** For `layer`: hard-link its files instead of copying them (only for files nobody writes). */
  linkLayer?: boolean;
}

export interface NodeSeed {
  files?: SeedFile[];
  /** Shell commands run on the node at every boot, after units are loaded (e.g. start services). */
  bootScript?: string;
}

export interface NodeKeys {
  hostPrivateKey: string;
  hostPublicKey: string;
  clientPublicKey: string;
}

const OVERLAID = ['etc', 'var', 'usr', 'opt'];

/** Where a node path lives on the host before boot. */
export function seedPathFor(node: FleetNodeRecord, nodePath: string): string {
  const clean = path.posix.normalize(nodePath);
  if (!path.posix.isAbsolute(clean)) throw new Error(`seed path must be absolute: ${nodePath}`);
  const top = clean.split('/')[1] ?? '';
  if (OVERLAID.includes(top)) return path.join(node.nodeDir, 'upper', clean);
  if (top === 'root') return path.join(node.nodeDir, clean);
  if (top === 'lib' || top === 'bin' || top === 'sbin') return path.join(node.nodeDir, 'upper', 'usr', clean);
  throw new Error(`cannot seed ${nodePath}: only /etc, /var, /usr, /opt and /root persist on a node`);
}

export function sshdConfig(port: number): string {
  return [
    '# fleet node sshd: loopback only, keys only, many concurrent connections and sessions',
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'MaxStartups 500:30:1000',
    'MaxSessions 500',
    'AllowStreamLocalForwarding yes',
    'AllowTcpForwarding yes',
    'PidFile /run/sshd.pid',
    'PrintMotd no',
    'UseDNS no',
    'LogLevel INFO',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

export async function seedNode(node: FleetNodeRecord, keys: NodeKeys, extra: NodeSeed): Promise<void> {
  for (const d of OVERLAID) {
    await fs.mkdir(path.join(node.nodeDir, 'upper', d), { recursive: true });
    await fs.mkdir(path.join(node.nodeDir, 'work', d), { recursive: true });
  }
  await fs.mkdir(path.join(node.nodeDir, 'root'), { recursive: true, mode: 0o700 });
  const systemctl = await fs.readFile(path.join(standinsDir, 'systemctl.mjs'), 'utf8');
  const shebang = `#!${process.execPath}\n`;
  const files: SeedFile[] = [
    { path: '/etc/ssh/ssh_host_ed25519_key', content: keys.hostPrivateKey, mode: 0o600 },
    { path: '/etc/ssh/ssh_host_ed25519_key.pub', content: `${keys.hostPublicKey}\n`, mode: 0o644 },
    { path: '/root/.ssh/authorized_keys', content: `${keys.clientPublicKey}\n`, mode: 0o600 },
    { path: '/etc/hostname', content: `${node.name}\n`, mode: 0o644 },
    { path: '/etc/hosts', content: `127.0.0.1\tlocalhost\n127.0.1.1\t${node.name}\n`, mode: 0o644 },
    { path: '/usr/bin/systemctl', content: shebang + systemctl, mode: 0o755 },
    ...(extra.files ?? []),
  ];
  for (const f of files) await writeSeedFile(node, f);
  const boot = extra.bootScript?.trim();
  if (boot) {
    await writeSeedFile(node, { path: '/etc/fleet/boot.sh', content: `#!/bin/sh\n${boot}\n`, mode: 0o755 });
  }
}

async function writeSeedFile(node: FleetNodeRecord, f: SeedFile): Promise<void> {
  if (f.layer) {
    const src = await f.layer();
    await fs.mkdir(path.join(node.nodeDir, 'upper'), { recursive: true });
    // Whiteouts (0/0 character devices) come along; overlay xattrs (origin, uuid) of the build
    // mount would point this node's overlay at another mount's files, so none are copied.
    await execFileP('cp', [f.linkLayer ? '-al' : '-a', '--no-preserve=xattr', '--', `${src}/.`, path.join(node.nodeDir, 'upper')]);
    return;
  }
  const dest = seedPathFor(node, f.path);
  if (f.from !== undefined) {
    const src = typeof f.from === 'string' ? f.from : await f.from();
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.rm(dest, { force: true });
    await fs.link(src, dest).catch(() => fs.copyFile(src, dest));
    return;
  }
  await fs.mkdir(path.dirname(dest), { recursive: true });
  await fs.rm(dest, { force: true });
  if (f.symlink !== undefined) {
    await fs.symlink(f.symlink, dest);
    return;
  }
  await fs.writeFile(dest, f.content ?? '', { mode: f.mode ?? 0o644 });
  await fs.chmod(dest, f.mode ?? 0o644);
}

export function writeSshdConfig(node: FleetNodeRecord): Promise<void> {
  return writeSeedFile(node, { path: '/etc/ssh/sshd_config', content: sshdConfig(node.port), mode: 0o644 });
}
