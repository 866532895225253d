/**
 * The local fleet: real OpenSSH servers on 127.0.0.1, each in its own mount, UTS and PID
 * namespace with overlays over /etc, /var, /usr and /opt, a private /run, /tmp and /root.
 * Used by the e2e tests, the demo and the benchmark.
 *
 * A fleet lives in a directory the user names (inventory.yaml, known_hosts, the client key,
 * fleet.json) and keeps its nodes' writable layers in a private state directory under the
 * system temp dir (overlay layers must not live inside a tree they are mounted over).
 */
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import pMap from 'p-map';
import { generateEd25519 } from './keys.js';
import { FleetNode, type FleetNodeRecord } from './node.js';
import { seedNode, type NodeSeed } from './seed.js';
import { profileControlPlanes, profileSeed, type ProfileName } from './profiles.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FLEET_SOURCE_DIR = here;

export interface FleetUpOptions {
  /** Directory for inventory.yaml, known_hosts, the client key and fleet.json. Created if absent. */
  dir: string;
  /** Number of worker nodes (node-1 .. node-N). Control-plane nodes cp-1 .. are added. */
  nodes: number;
  /** Control-plane nodes (cp-1 .. cp-N). Default: the profile's (profileControlPlanes), 1 for most. */
  controlPlanes?: number;
  /** Seed profile (see profiles.ts). */
  profile?: ProfileName;
  /** Nodes started at once. */
  concurrency?: number;
  /** Extra files per node, applied after the profile. */
  seed?: (name: string) => NodeSeed;
}

export interface FleetRecord {
  version: 1;
  dir: string;
  stateRoot: string;
  keyFile: string;
  knownHostsFile: string;
  inventoryFile: string;
  profile: string;
  nodes: FleetNodeRecord[];
}

const RECORD = 'fleet.json';

export class Fleet {
  readonly record: FleetRecord;
  readonly nodes: FleetNode[];

  private constructor(record: FleetRecord) {
    this.record = record;
    this.nodes = record.nodes.map((n) => new FleetNode(n, () => this.save()));
  }

  get dir(): string {
    return this.record.dir;
  }
  get inventoryFile(): string {
    return this.record.inventoryFile;
  }
  get knownHostsFile(): string {
    return this.record.knownHostsFile;
  }
  get keyFile(): string {
    return this.record.keyFile;
  }

  node(name: string): FleetNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`fleet has no node '${name}' (nodes: ${this.nodes.map((x) => x.name).join(', ')})`);
    return n;
  }

  get workers(): FleetNode[] {
    return this.nodes.filter((n) => n.record.groups.includes('workers'));
  }

  static async up(options: FleetUpOptions): Promise<Fleet> {
    await checkPrerequisites();
    const dir = path.resolve(options.dir);
    await fs.mkdir(dir, { recursive: true });
    if (existsSync(path.join(dir, RECORD))) {
      const old = await Fleet.load(dir);
      if (old.nodes.some((n) => n.isRunning())) {
        throw new Error(`a fleet is already running in ${dir}: stop it with \`npm run fleet -- down --dir ${options.dir}\``);
      }
      await old.down();
    }
    const stateRoot = await fs.mkdtemp(path.join(safeTmpDir(), 'slipway-fleet-'));
    const keyFile = path.join(dir, 'id_ed25519');
    const key = generateEd25519('slipway-fleet');
    await fs.writeFile(keyFile, key.private, { mode: 0o600 });
    await fs.writeFile(`${keyFile}.pub`, `${key.public}\n`, { mode: 0o644 });

    const controlPlanes = options.controlPlanes ?? profileControlPlanes(options.profile ?? 'base');
    const names = [...Array.from({ length: controlPlanes }, (_, i) => `cp-${i + 1}`), ...Array.from({ length: options.nodes }, (_, i) => `node-${i + 1}`)];
    const records: FleetNodeRecord[] = names.map((name) => ({
      name,
      groups: name.startsWith('cp-') ? ['control_plane'] : ['workers'],
      port: 0,
      nodeDir: path.join(stateRoot, 'nodes', name),
      initPid: 0,
      hostPublicKey: '',
    }));
    const record: FleetRecord = {
      version: 1,
      dir,
      stateRoot,
      keyFile,
      knownHostsFile: path.join(dir, 'known_hosts'),
      inventoryFile: path.join(dir, 'inventory.yaml'),
      profile: options.profile ?? 'base',
      nodes: records,
    };
    const fleet = new Fleet(record);
    await fleet.save();
    try {
      const profile = profileSeed(options.profile ?? 'base', names);
      await pMap(fleet.nodes, async (node) => {
        const hostKey = generateEd25519(node.name);
        node.record.hostPublicKey = hostKey.public;
        const seed = mergeSeeds(profile(node.name, node.record.groups), options.seed?.(node.name));
        await seedNode(node.record, { hostPrivateKey: hostKey.private, hostPublicKey: hostKey.public, clientPublicKey: key.public }, seed);
        await node.boot();
      }, { concurrency: options.concurrency ?? 8 });
      await fleet.save();
      await fleet.writeInventory();
    } catch (err) {
      await fleet.down().catch(() => undefined);
      throw err;
    }
    return fleet;
  }

  static async load(dir: string): Promise<Fleet> {
    const file = path.join(path.resolve(dir), RECORD);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      throw new Error(`no fleet in ${dir} (no ${RECORD}); start one with \`npm run fleet -- up --dir ${dir}\``);
    }
    return new Fleet(JSON.parse(text) as FleetRecord);
  }

  private saving: Promise<void> = Promise.resolve();

  /** Writes fleet.json; saves are serialized (nodes boot concurrently). */
  save(): Promise<void> {
    const file = path.join(this.record.dir, RECORD);
    this.saving = this.saving
      .catch(() => undefined)
      .then(async () => {
        await fs.writeFile(`${file}.tmp`, JSON.stringify(this.record, null, 2));
        await fs.rename(`${file}.tmp`, file);
      });
    return this.saving;
  }

  /** Stops every node (all their processes, mounts and namespaces) and removes the state directory. */
  async down(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.halt()));
    await fs.rm(this.record.stateRoot, { recursive: true, force: true });
    await fs.rm(path.join(this.record.dir, RECORD), { force: true });
  }

  status(): Array<{ name: string; groups: string[]; port: number; node: 'running' | 'stopped'; sshd: 'running' | 'stopped' | 'frozen' }> {
    return this.nodes.map((n) => ({
      name: n.name,
      groups: n.record.groups,
      port: n.record.port,
      node: n.isRunning() ? 'running' : 'stopped',
      sshd: n.sshdState(),
    }));
  }

  async writeInventory(): Promise<void> {
    const hosts: Record<string, Record<string, unknown>> = {};
    const groups: Record<string, { hosts: Record<string, null> }> = {};
    for (const n of this.nodes) {
      hosts[n.name] = { ansible_host: '127.0.0.1', ansible_port: n.record.port };
      for (const g of n.record.groups) {
        (groups[g] ??= { hosts: {} }).hosts[n.name] = null;
      }
    }
    const inventory = {
      all: {
        hosts,
        vars: {
          ansible_user: 'root',
          ansible_ssh_private_key_file: './id_ed25519',
          slipway_known_hosts: './known_hosts',
        },
        children: groups,
      },
    };
    const header = '# Written by `npm run fleet -- up`: the local demo/test fleet (Ansible YAML inventory format).\n';
    await fs.writeFile(this.record.inventoryFile, header + stringify(inventory, { nullStr: '' }));
    const known = this.nodes.map((n) => `[127.0.0.1]:${n.record.port} ${n.record.hostPublicKey.trim()}`);
    await fs.writeFile(this.record.knownHostsFile, known.join('\n') + '\n');
  }

  /**
   * The same fleet as kubespray's inventory builder would describe it (hosts.yaml): groups
   * kube_control_plane, kube_node, etcd and k8s_cluster, none of slipway's role names. Written
   * beside the fleet's inventory (its key and known_hosts paths are relative); returns the file.
   */
  async writeKubesprayInventory(): Promise<string> {
    const hosts: Record<string, Record<string, unknown>> = {};
    for (const n of this.nodes) hosts[n.name] = { ansible_host: '127.0.0.1', ansible_port: n.record.port, ip: '127.0.0.1' };
    const members = (group: string) => Object.fromEntries(this.nodes.filter((n) => n.record.groups.includes(group)).map((n) => [n.name, null]));
    const inventory = {
      all: {
        hosts,
        vars: { ansible_user: 'root', ansible_ssh_private_key_file: './id_ed25519', slipway_known_hosts: './known_hosts' },
        children: {
          kube_control_plane: { hosts: members('control_plane') },
          kube_node: { hosts: members('workers') },
          etcd: { hosts: members('control_plane') },
          k8s_cluster: { children: { kube_control_plane: null, kube_node: null } },
          calico_rr: { hosts: {} },
        },
      },
    };
    const file = path.join(path.dirname(this.record.inventoryFile), 'hosts.kubespray.yaml');
    await fs.writeFile(file, stringify(inventory, { nullStr: '' }));
    return file;
  }
}

function mergeSeeds(a: NodeSeed, b: NodeSeed | undefined): NodeSeed {
  if (!b) return a;
  return { files: [...(a.files ?? []), ...(b.files ?? [])], bootScript: [a.bootScript, b.bootScript].filter(Boolean).join('\n') };
}

/** The system temp dir, refusing one inside a tree the nodes overlay. */
function safeTmpDir(): string {
  const tmp = os.tmpdir();
  for (const top of ['/etc', '/var', '/usr', '/opt']) {
    if (tmp === top || tmp.startsWith(`${top}/`)) {
      throw new Error(`the fleet keeps node layers under the temp dir, but TMPDIR=${tmp} lies inside ${top}, which nodes overlay; set TMPDIR=/tmp`);
    }
  }
  return tmp;
}

let prerequisitesChecked = false;

/** Fails with the exact packages to install when the machine lacks what nodes need. */
export async function checkPrerequisites(): Promise<void> {
  if (prerequisitesChecked) return;
  if (process.getuid?.() !== 0) {
    throw new Error('the fleet needs root (mount and PID namespaces, overlay mounts): run as root');
  }
  const missing: string[] = [];
  const need: Array<[string, string]> = [
    ['/usr/sbin/sshd', 'openssh-server'],
    ['/usr/bin/unshare', 'util-linux'],
    ['/usr/bin/nsenter', 'util-linux'],
    ['/usr/bin/containerd', 'containerd'],
    ['/usr/sbin/runc', 'runc'],
  ];
  for (const [file, pkg] of need) if (!existsSync(file) && !existsSync(file.replace('/usr/sbin/', '/usr/bin/'))) missing.push(pkg);
  if (missing.length) {
    throw new Error(`the fleet needs packages that are not installed: apt-get install -y ${[...new Set(missing)].join(' ')}`);
  }
  prerequisitesChecked = true;
}


