/**
 * Loads an Ansible YAML inventory (a kubespray hosts.yaml works as it is) and applies
 * ~/.ssh/config, giving every host the address, user, keys and jump hosts to connect with.
 */
import { access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError, type InputProblem } from '../errors.js';
import { describeFound } from '../playbook/input/describe.js';
import { isRecord } from '../playbook/input/field-path.js';
import { bundledSchema, validateWithSchema } from '../playbook/input/json-schema.js';
import { ProblemList } from '../playbook/input/problem-list.js';
import { readInputFile } from '../playbook/input/read-file.js';
import { decodeUtf8 } from '../playbook/input/utf8.js';
import { schemaProblems } from '../playbook/input/schema-problems.js';
import { YamlSource } from '../playbook/input/yaml-source.js';
import { readAnsibleInventory } from './ansible-groups.js';
import { withRoleGroups } from './role-groups.js';
import { connectionOf, type ConnectionContext } from './connection.js';
import { groupMembers, hostGroups, mergedHostVars } from './group-membership.js';
import { readSshConfig } from './ssh-config.js';
import type { Inventory, InventoryHost } from './types.js';

/** Selecting hosts goes with loading them; it lives in host-patterns.ts. */
export { selectHosts } from './host-patterns.js';

export interface LoadInventoryOptions {
  /** Default: `<home>/.ssh/config`. A missing file is fine. */
  sshConfigFile?: string;
  /** Default: the user's home directory (for `~` and the default keys). */
  homeDir?: string;
  /** Default: the current user's name (the SSH user when nothing else says). */
  localUser?: string;
}

/** Connection secrets are not kept: the resolved inventory is saved with each run. */
const secretVars = new Set(['ansible_password', 'ansible_ssh_pass', 'ansible_become_password', 'ansible_become_pass']);
const defaultKeyNames = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export async function loadInventory(file: string, options: LoadInventoryOptions = {}): Promise<Inventory> {
  const bytes = await readInputFile(file, 'inventory');
  const home = options.homeDir ?? os.homedir();
  const sshConfigFile = options.sshConfigFile ?? path.join(home, '.ssh', 'config');
  const context: ConnectionContext = {
    inventoryDir: path.dirname(path.resolve(file)),
    home,
    localUser: options.localUser ?? os.userInfo().username,
    sshConfig: await readSshConfig(sshConfigFile),
    sshConfigFile,
    defaultIdentityFiles: await existingFiles(defaultKeyNames.map((n) => path.join(home, '.ssh', n))),
  };
  return parseInventory(file, decodeUtf8(file, bytes), context);
}

/** Like loadInventory, from text in memory and with the SSH context given. */
export function parseInventory(file: string, text: string, context: ConnectionContext): Inventory {
  const iniHint = looksLikeIni(file, text);
  const parsed = YamlSource.parse(file, text, { positionsWhenNeeded: true });
  const { source, data } = parsed;
  if (iniHint && (parsed.problems.length > 0 || !isRecord(data))) throw iniError(file, source, iniHint);
  if (parsed.problems.length > 0) throw new InputError(parsed.problems);
  if (!isRecord(data) || Object.keys(data).length === 0) throw new InputError([source.problemAt([], rootProblem(data))]);

  const problems = new ProblemList(source);
  problems.addAll(schemaProblems(validateWithSchema(bundledSchema('inventory.schema.json'), data), data, { locator: source }));
  const ansible = readAnsibleInventory(data, problems);
  problems.throwIfAny(); // includes groups that contain themselves, so the tree below is sound

  // kubespray's (and others') group names stand in for the roles playbooks name.
  const { groups, roles } = withRoleGroups(groupMembers(ansible));
  const groupsOfHost = hostGroups(groups);
  const connectionProblems: InputProblem[] = [];
  const hosts: InventoryHost[] = [];
  for (const name of ansible.hosts.keys()) {
    const memberOf = groupsOfHost.get(name) ?? ['all'];
    const vars = withoutSecrets(mergedHostVars(ansible, name, memberOf));
    try {
      const firstIn = memberOf.filter((g) => groups[g]?.[0] === name);
      hosts.push({ name, ...connectionOf(name, vars, context), groups: memberOf, firstIn, vars });
    } catch (error) {
      connectionProblems.push({ message: (error as Error).message });
    }
  }
  if (connectionProblems.length > 0) throw new InputError(connectionProblems);
  return { file, hosts, groups, ...(Object.keys(roles).length ? { roles } : {}) };
}

function rootProblem(data: unknown): string {
  if (data === null || data === undefined || (isRecord(data) && Object.keys(data).length === 0)) {
    return 'the inventory is empty; expected groups like `all: {hosts: {node-1: {ansible_host: 10.0.0.11}}}`';
  }
  return `the top level must be a map of groups, like \`all: {hosts: {...}, children: {...}}\` (found ${describeFound(data)})`;
}

/** The first line that reads like an INI inventory (`[group]`, `host key=value`), if any. */
function looksLikeIni(file: string, text: string): { line: number } | undefined {
  const lines = text.split(/\r?\n/);
  const index = lines.findIndex(
    (line) => /^\s*\[[^\]\s]+\]\s*(?:[#;].*)?$/.test(line) || /^\s*[^\s#:=[\]]+(\s+[A-Za-z_][A-Za-z0-9_]*=\S*)+\s*$/.test(line),
  );
  if (index >= 0) return { line: index + 1 };
  return /\.(ini|cfg)$/i.test(file) ? { line: 1 } : undefined;
}

function iniError(file: string, source: YamlSource, hint: { line: number }): InputError {
  return new InputError([
    {
      location: { file: source.file, line: hint.line, col: 1 },
      message: `Ansible INI inventories are not supported; convert with \`ansible-inventory -i ${file} --list -y > hosts.yaml\``,
    },
  ]);
}

function withoutSecrets(vars: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(vars).filter(([key]) => !secretVars.has(key)));
}

async function existingFiles(files: string[]): Promise<string[]> {
  const found = await Promise.all(
    files.map((file) =>
      access(file).then(
        () => file,
        () => undefined,
      ),
    ),
  );
  return found.filter((f): f is string => f !== undefined);
}
