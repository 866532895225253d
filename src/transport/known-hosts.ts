/**
 * known_hosts verification, the way OpenSSH reads the file: plain and hashed (`|1|salt|hash`)
 * host patterns, `[host]:port` for non-standard ports, `@revoked` markers. Pure functions plus
 * one writer for `--accept-new-host-keys`.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface KnownHostEntry {
  line: number;
  patterns: string[];
  keyType: string;
  key: Buffer;
  revoked: boolean;
}

export type HostKeyVerdict =
  | { verdict: 'match'; line: number }
  | { verdict: 'unknown' }
  | { verdict: 'mismatch'; line: number; expectedFingerprint: string }
  | { verdict: 'revoked'; line: number };

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@cert-authority') return; // CA keys sign host certificates; not supported here
      revoked = marker === '@revoked';
    }
    const [hosts, keyType, keyB64] = fields;
    if (!hosts || !keyType || !keyB64) return;
    entries.push({ line: i + 1, patterns: hosts.split(','), keyType, key: Buffer.from(keyB64, 'base64'), revoked });
  });
  return entries;
}

/** The name OpenSSH looks up: `host` for port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  const negated = pattern.startsWith('!');
  const p = negated ? pattern.slice(1) : pattern;
  const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name) && !negated;
}

function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.patterns.some((p) => p.startsWith('!') && patternMatches(p.slice(1), name))) return false;
  return entry.patterns.some((p) => patternMatches(p, name));
}

export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Key type named inside an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, ...). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('latin1');
}

export function verifyHostKey(entries: KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostName(host, port);
  const type = keyTypeOf(key);
  const forHost = entries.filter((e) => entryMatches(e, name));
  const revoked = entries.find((e) => e.revoked && e.key.equals(key));
  if (revoked) return { verdict: 'revoked', line: revoked.line };
  const exact = forHost.find((e) => !e.revoked && e.key.equals(key));
  if (exact) return { verdict: 'match', line: exact.line };
  const sameType = forHost.find((e) => !e.revoked && e.keyType === type);
  if (sameType) return { verdict: 'mismatch', line: sameType.line, expectedFingerprint: fingerprint(sameType.key) };
  return { verdict: 'unknown' };
}

/**
 * Appends a hashed entry, as `ssh -o StrictHostKeyChecking=accept-new` does. Like OpenSSH, a
 * missing directory of the file (`~/.ssh`) is created with mode 0700 (its parent must exist),
 * and a missing file is created by opening it for appending (0666 less the umask, usually 0644).
 * One line a write, in append mode: connections recording keys at once do not mix their lines.
 */
export async function appendKnownHost(file: string, host: string, port: number, key: Buffer): Promise<void> {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(knownHostName(host, port)).digest('base64');
  const line = `|1|${salt.toString('base64')}|${hash} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
  const dir = path.dirname(file);
  try {
    await fs.mkdir(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') throw new Error(`cannot create ${dir} for ${file}: ${code === 'ENOENT' ? `${path.dirname(dir)} does not exist` : (err as Error).message}`, { cause: err });
  }
  await fs.appendFile(file, line);
}
