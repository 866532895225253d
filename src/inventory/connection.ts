/**
 * How to reach a host: Ansible connection vars first, then ~/.ssh/config, then OpenSSH's
 * defaults. Paths come out absolute.
 */
import path from 'node:path';
import { parseProxyJump, expandSshTokens, isPort, type SshConfigLookup } from './ssh-config.js';
import type { InventoryHost } from './types.js';

export type Connection = Pick<
  InventoryHost,
  'address' | 'port' | 'user' | 'identityFiles' | 'become' | 'proxyJump' | 'knownHostsFile'
>;

export interface ConnectionContext {
  /** Directory of the inventory file: relative key and known_hosts paths start there. */
  inventoryDir: string;
  home: string;
  localUser: string;
  sshConfig: SshConfigLookup;
  /** Shown in messages about ssh_config values. */
  sshConfigFile: string;
  /** ~/.ssh/id_ed25519, id_ecdsa, id_rsa: those that exist. */
  defaultIdentityFiles: string[];
}

/** The connection for a host with merged vars `vars`. Throws Error with a reason for bad ssh_config values. */
export function connectionOf(name: string, vars: Record<string, unknown>, ctx: ConnectionContext): Connection {
  const inventoryAddress = text(vars.ansible_host) ?? text(vars.ansible_ssh_host);
  const asTyped = inventoryAddress ?? name;
  const ssh = ctx.sshConfig.forHost(asTyped);

  const port = portOf(vars.ansible_port ?? vars.ansible_ssh_port) ?? sshPort(ssh.port, name, ctx.sshConfigFile) ?? 22;
  const user = text(vars.ansible_user) ?? text(vars.ansible_ssh_user) ?? ssh.user ?? ctx.localUser;
  const hostTokens = { home: ctx.home, localUser: ctx.localUser, host: asTyped, original: asTyped, user, port };
  const address = ssh.hostName ? expandSshTokens(ssh.hostName, hostTokens) : asTyped;
  const tokens = { ...hostTokens, host: address };

  const inventoryKey = text(vars.ansible_ssh_private_key_file) ?? text(vars.ansible_private_key_file);
  const configured = [
    ...(inventoryKey ? [inventoryPath(inventoryKey, ctx)] : []),
    ...ssh.identityFiles.map((file) => path.resolve(expandSshTokens(file, tokens))),
  ];
  const identityFiles = configured.length > 0 ? [...new Set(configured)] : [...ctx.defaultIdentityFiles];

  const knownHosts = text(vars.slipway_known_hosts);
  const sshKnownHosts = ssh.userKnownHostsFile?.split(/\s+/)[0];
  const knownHostsFile = knownHosts
    ? inventoryPath(knownHosts, ctx)
    : sshKnownHosts
      ? path.resolve(expandSshTokens(sshKnownHosts, tokens))
      : path.join(ctx.home, '.ssh', 'known_hosts');

  let proxyJump;
  try {
    proxyJump = parseProxyJump(ssh.proxyJump, ctx.sshConfig);
  } catch (error) {
    throw new Error(`${ctx.sshConfigFile}: for host '${name}': ${(error as Error).message}`);
  }

  return { address, port, user, identityFiles, become: isTrue(vars.ansible_become), proxyJump, knownHostsFile };
}

/** A path from the inventory: `~` is the home directory, relative is from the inventory's directory. */
function inventoryPath(file: string, ctx: ConnectionContext): string {
  if (file === '~' || file.startsWith('~/')) return path.join(ctx.home, file.slice(1));
  return path.resolve(ctx.inventoryDir, file);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function portOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && isPort(value.trim())) return Number(value.trim());
  return undefined;
}

function sshPort(value: string | undefined, name: string, file: string): number | undefined {
  if (value === undefined) return undefined;
  if (!isPort(value)) throw new Error(`${file}: Port for host '${name}' must be a number from 1 to 65535 (found '${value}')`);
  return Number(value);
}

/** Ansible's booleans: true, yes, on, 1 (any case). */
function isTrue(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  return typeof value === 'string' && ['true', 'yes', 'on', '1'].includes(value.trim().toLowerCase());
}
