/**
 * Opening an SSH connection: the options, the process-wide cap on handshakes in flight, the
 * keys, the host-key check against known_hosts, and the errors of a connection that does not
 * open, each naming the host and what to do.
 */
import fs from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import type { Config as ConnectConfig } from 'node-ssh';
import { TransportError } from '../errors.js';
import type { InventoryHost } from '../inventory/types.js';
import { appendKnownHost, fingerprint, keyTypeOf, knownHostName, parseKnownHosts, verifyHostKey, type HostKeyVerdict } from './known-hosts.js';

export interface SshOptions {
  /** Add unknown host keys to the known_hosts file instead of refusing them. */
  acceptNewHostKeys?: boolean;
  /** Password for sudo when a host has `become`; never logged. */
  sudoPassword?: string;
  /** Milliseconds to wait for the SSH handshake. */
  connectTimeoutMs?: number;
  /** Keepalive probe interval; a connection is declared lost after `keepaliveCountMax` missed probes. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

/** Caps how many connections are being opened at once across the whole process. */
class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export const connectLimiter = new Limiter(16);

/**
 * Opens one SSH connection for `host` to `t` (a node, or a jump host on the way to it, over
 * `sock`, the previous hop's channel): its keys, its host key checked against known_hosts (and
 * recorded when new and allowed), errors in words an operator can act on.
 */
export async function sshHandshake(host: string, t: InventoryHost, options: SshOptions, sock: Duplex | undefined, via: string | undefined, jumpHost: boolean): Promise<NodeSSH> {
  const keys = await readIdentities(t);
  const knownHostsFile = t.knownHostsFile;
  const entries = knownHostsFile ? parseKnownHosts(await fs.readFile(knownHostsFile, 'utf8').catch(() => '')) : [];
  let verdict: HostKeyVerdict | undefined;
  let offered: Buffer | undefined;
  const config: ConnectConfig = {
    host: t.address,
    port: t.port,
    username: t.user,
    readyTimeout: options.connectTimeoutMs ?? 15_000,
    keepaliveInterval: options.keepaliveIntervalMs ?? 5_000,
    keepaliveCountMax: options.keepaliveCountMax ?? 3,
    hostVerifier: (key: Buffer) => {
      offered = key;
      verdict = verifyHostKey(entries, t.address, t.port, key);
      if (verdict.verdict === 'match') return true;
      return verdict.verdict === 'unknown' && options.acceptNewHostKeys === true && knownHostsFile !== undefined;
    },
    authHandler: keys.map((k) => ({ type: 'publickey' as const, username: t.user, key: k.content })),
    ...(sock ? { sock } : {}),
  };
  const ssh = new NodeSSH();
  const where = `${t.address}:${t.port}${via ? ` via ${via}` : ''}`;
  try {
    await ssh.connect(config);
  } catch (err) {
    throw connectError(host, options, err, t, where, verdict, offered, keys.map((k) => k.file), jumpHost);
  }
  if (verdict?.verdict === 'unknown' && offered && knownHostsFile) {
    try {
      await appendKnownHost(knownHostsFile, t.address, t.port, offered);
    } catch (err) {
      ssh.dispose();
      throw new TransportError(host, 'host-key-unknown', `cannot record the new host key of ${knownHostName(t.address, t.port)} in ${knownHostsFile}: ${errorText(err)}`, { cause: err });
    }
  }
  return ssh;
}

function connectError(host: string, options: SshOptions, err: unknown, t: InventoryHost, where: string, verdict: HostKeyVerdict | undefined, offered: Buffer | undefined, keyFiles: string[], jumpHost: boolean): TransportError {
  // A jump host says so: its address is not the one the operator gave for the node.
  const name = `${jumpHost ? 'jump host ' : ''}${knownHostName(t.address, t.port)}`;
  const at = `${jumpHost ? 'jump host ' : ''}${where}`;
  const file = t.knownHostsFile ?? '(no known_hosts file)';
  if (verdict && offered && verdict.verdict !== 'match') {
    const fp = `${keyTypeOf(offered)} ${fingerprint(offered)}`;
    switch (verdict.verdict) {
      case 'mismatch':
        return new TransportError(
          host,
          'host-key-mismatch',
          `HOST KEY MISMATCH for ${name}: it offered ${fp}, but ${file}:${verdict.line} expects ${verdict.expectedFingerprint}. ` +
            `The host was reinstalled or someone is intercepting the connection; verify the new key out of band, then remove line ${verdict.line} of ${file}`,
        );
      case 'revoked':
        return new TransportError(host, 'host-key-mismatch', `host key ${fp} of ${name} is marked @revoked in ${file}:${verdict.line}; refusing to connect`);
      case 'unknown':
        return new TransportError(
          host,
          'host-key-unknown',
          `unknown host key for ${name} (${fp}): it is not in ${file}. Verify it and add it (ssh-keyscan -p ${t.port} ${t.address}), or pass --accept-new-host-keys`,
        );
    }
  }
  const e = err as { level?: string; code?: string; message?: string };
  if (e.level === 'client-authentication') {
    return new TransportError(host, 'auth-refused', `authentication as '${t.user}' at ${at} was refused (keys tried: ${keyFiles.join(', ') || 'none'})`, { cause: err });
  }
  if (e.level === 'client-timeout') {
    return new TransportError(host, 'unreachable', `no SSH handshake from ${at} within ${(options.connectTimeoutMs ?? 15_000) / 1000}s`, { cause: err });
  }
  const code = e.code ?? '';
  const reason: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset during the handshake',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
  };
  return new TransportError(host, 'unreachable', `cannot connect to ${at}: ${reason[code] ?? errorText(err)}`, { cause: err });
}

async function readIdentities(t: InventoryHost): Promise<Array<{ file: string; content: string }>> {
  const keys: Array<{ file: string; content: string }> = [];
  for (const file of t.identityFiles) {
    try {
      keys.push({ file, content: await fs.readFile(file, 'utf8') });
    } catch (err) {
      throw new TransportError(t.name, 'auth-refused', `cannot read private key ${file}: ${errorText(err)}`, { cause: err });
    }
  }
  if (keys.length === 0) {
    throw new TransportError(t.name, 'auth-refused', 'no private key to log in with: set ansible_ssh_private_key_file or IdentityFile in ~/.ssh/config');
  }
  return keys;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

