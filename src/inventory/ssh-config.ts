/**
 * What ~/.ssh/config says about a host: HostName, User, Port, IdentityFile, ProxyJump,
 * UserKnownHostsFile. Read with the ssh-config package; `Match exec` is never run.
 */
import { readFile } from 'node:fs/promises';
import SSHConfig from 'ssh-config';
import { InputError } from '../errors.js';
import type { ProxyJumpHop } from './types.js';

export interface SshHostSettings {
  hostName?: string;
  user?: string;
  /** As written; checked by the caller. */
  port?: string;
  /** As written, tokens not yet expanded. */
  identityFiles: string[];
  proxyJump?: string;
  userKnownHostsFile?: string;
}

export interface SshConfigLookup {
  /** Settings for a host as typed on the ssh command line. */
  forHost(host: string): SshHostSettings;
}

const emptyLookup: SshConfigLookup = { forHost: () => ({ identityFiles: [] }) };

/** Reads an ssh_config file. A missing file is an empty config. */
export async function readSshConfig(file: string): Promise<SshConfigLookup> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyLookup;
    throw new InputError(`cannot read ssh config ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseSshConfig(text);
}

export function parseSshConfig(text: string): SshConfigLookup {
  const config = SSHConfig.parse(text);
  return {
    forHost(host: string): SshHostSettings {
      const computed = config.compute(host, { ignoreCase: true, matchExec: false });
      const first = (key: string): string | undefined => {
        const value = computed[key];
        const text = Array.isArray(value) ? value[0] : value;
        return text === undefined || text === '' ? undefined : text;
      };
      const identity = computed.identityfile;
      const settings: SshHostSettings = {
        identityFiles: identity === undefined ? [] : ([] as string[]).concat(identity),
      };
      assignDefined(settings, 'hostName', first('hostname'));
      assignDefined(settings, 'user', first('user'));
      assignDefined(settings, 'port', first('port'));
      assignDefined(settings, 'proxyJump', first('proxyjump'));
      assignDefined(settings, 'userKnownHostsFile', first('userknownhostsfile'));
      return settings;
    },
  };
}

function assignDefined<K extends keyof SshHostSettings>(target: SshHostSettings, key: K, value: SshHostSettings[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/**
 * A ProxyJump chain (`user@bastion:2222,jump2`), outermost hop first. Each hop's name goes
 * through ssh_config too, as OpenSSH does. `none` means no jump. Throws with a reason for a
 * malformed hop.
 */
export function parseProxyJump(value: string | undefined, config: SshConfigLookup): ProxyJumpHop[] {
  if (value === undefined || value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map((raw) => {
    const hop = raw.trim().replace(/^ssh:\/\//, '');
    const at = hop.lastIndexOf('@');
    const user = at >= 0 ? hop.slice(0, at) : undefined;
    const address = at >= 0 ? hop.slice(at + 1) : hop;
    const bracketed = /^\[([^\]]+)\](?::([0-9]+))?$/.exec(address);
    const plain = /^([^:[\]]+)(?::([0-9]+))?$/.exec(address);
    const parts = bracketed ?? plain;
    if (!parts || user === '') throw new Error(`ProxyJump hop '${raw.trim()}' is not [user@]host[:port]`);
    const [, name = '', portText] = parts;
    const settings = config.forHost(name);
    const port = portText ?? settings.port ?? '22';
    if (!isPort(port)) throw new Error(`ProxyJump hop '${raw.trim()}' has an invalid port '${port}'`);
    return { host: settings.hostName ?? name, port: Number(port), user: user ?? settings.user };
  });
}

export function isPort(text: string): boolean {
  if (!/^[0-9]{1,5}$/.test(text)) return false;
  const port = Number(text);
  return port >= 1 && port <= 65535;
}

export interface TokenValues {
  home: string;
  localUser: string;
  /** The host's address (after HostName). */
  host: string;
  /** The name as given (inventory address or name). */
  original: string;
  user: string;
  port: number;
}

/** Expands `~` and the common ssh_config tokens (%d %u %h %n %r %p %%). */
export function expandSshTokens(text: string, values: TokenValues): string {
  const tilde = text === '~' || text.startsWith('~/') ? values.home + text.slice(1) : text;
  return tilde.replace(/%([%duhnrp])/g, (_, token: string) => {
    switch (token) {
      case 'd':
        return values.home;
      case 'u':
        return values.localUser;
      case 'h':
        return values.host;
      case 'n':
        return values.original;
      case 'r':
        return values.user;
      case 'p':
        return String(values.port);
      default:
        return '%';
    }
  });
}
