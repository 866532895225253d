// crictl stand-in for fleet nodes: the subcommands slipway's runbooks use, against the node's
// real container runtime over CRI v1 gRPC, printing what crictl (cri-tools 1.3x) prints.
//
//   crictl [-r ENDPOINT] [-c CONFIG] [-t TIMEOUT] COMMAND ...
//   version | info | pods [-q] [-s STATE] [--name RE] [--namespace RE] [--label k=v] [-o json] [--no-trunc]
//   inspectp [-o json|table] [-q] ID... | stopp ID... | rmp [-f] [-a] ID... | runp [-r HANDLER] pod-config.json
//
// The endpoint comes from --runtime-endpoint, CONTAINER_RUNTIME_ENDPOINT, `runtime-endpoint:` in
// /etc/crictl.yaml (or --config / CRI_CONFIG_FILE), else the default endpoints in order, with
// crictl's deprecation warning. Errors end like crictl's: a logrus `level=fatal` line, exit 1.
//
// Bundled at `fleet up` (test/fleet/bundle.ts) into one file with @grpc/grpc-js.
import fs from 'node:fs';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { criProto, DECODE, grpc, rpcError, socketPath } from './lib/cri.mjs';
import { goJson, goQuote, humanDuration, logrusLine, parseDuration, rfc3339Nano, tabwrite } from './lib/go-format.mjs';

const DEFAULT_ENDPOINTS = ['unix:///run/containerd/containerd.sock', 'unix:///run/crio/crio.sock', 'unix:///var/run/cri-dockerd.sock'];
const DEFAULT_CONFIG = '/etc/crictl.yaml';
const TRUNCATED_ID_LEN = 13;

class Fatal extends Error {}

/**
 * A RuntimeService client like lib/cri.mjs's runtimeClient, with the proto parsed in memory:
 * that one loads it through a temporary file in /tmp, and crictl must leave a node as it found
 * it when it only looks (`pods`, `inspectp`, `version`: what `slipway plan` runs).
 */
function runtimeClient(api, endpoint) {
  const root = protobuf.parse(criProto(api), { keepCase: DECODE.keepCase }).root;
  const definition = protoLoader.fromJSON(root.toJSON(), DECODE)[`runtime.${api}.RuntimeService`];
  const Service = grpc.makeGenericClientConstructor(definition, 'RuntimeService');
  const client = new Service(`unix://${socketPath(endpoint)}`, grpc.credentials.createInsecure(), { 'grpc.enable_retries': 0 });
  const call = (method, request, { timeoutMs = 10_000 } = {}) =>
    new Promise((resolve, reject) => {
      const fn = client[method] ?? client[method[0].toLowerCase() + method.slice(1)];
      fn.call(client, request, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  return { call, close: () => client.close(), raw: client };
}

function fatal(msg) {
  throw new Fatal(msg);
}

// ---------------------------------------------------------------- flags

/** Splits argv into flags (by long name) and positionals; short flags may be combined (-fa). */
function parseFlags(args, spec) {
  const values = {};
  const positional = [];
  const byAlias = new Map();
  for (const [name, def] of Object.entries(spec)) {
    byAlias.set(name, name);
    for (const a of def.aliases ?? []) byAlias.set(a, name);
    if (def.multi) values[name] = [];
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const long = a.startsWith('--');
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    const names = !long && !byAlias.has(key) && key.length > 1 ? [...key] : [key];
    for (let j = 0; j < names.length; j++) {
      const name = byAlias.get(names[j]);
      if (!name) fatal(`flag provided but not defined: -${names[j]}`);
      const def = spec[name];
      if (def.type === 'bool') {
        values[name] = inline === undefined ? true : inline === 'true';
        continue;
      }
      let v = inline;
      if (v === undefined) {
        if (j < names.length - 1) {
          v = names.slice(j + 1).join('');
          j = names.length;
        } else {
          v = args[++i];
        }
      }
      if (v === undefined) fatal(`flag needs an argument: -${names[j] ?? key}`);
      if (def.multi) values[name].push(v);
      else values[name] = v;
    }
  }
  return { values, positional };
}

// ---------------------------------------------------------------- connection

function readConfig(file, explicit) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    if (explicit) fatal(`load config file: config at ${file} not found`);
    return {};
  }
  const config = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
    if (m) config[m[1]] = m[2].replace(/^["']|["']$/g, '');
  }
  return config;
}

async function connect(globals) {
  const configFile = globals.config ?? process.env.CRI_CONFIG_FILE ?? DEFAULT_CONFIG;
  const config = readConfig(configFile, Boolean(globals.config));
  const timeoutMs = parseDuration(globals.timeout ?? config.timeout ?? '2');
  const endpoint = globals['runtime-endpoint'] ?? process.env.CONTAINER_RUNTIME_ENDPOINT ?? config['runtime-endpoint'];
  const candidates = endpoint ? [endpoint] : DEFAULT_ENDPOINTS;
  if (!endpoint) {
    process.stderr.write(
      logrusLine(
        'warning',
        `runtime connect using default endpoints: [${DEFAULT_ENDPOINTS.join(' ')}]. As the default settings are now deprecated, you should set the endpoint instead.`,
      ),
    );
  }
  const errors = [];
  for (const ep of candidates) {
    let path;
    try {
      path = socketPath(ep);
    } catch (err) {
      errors.push(`validate service connection: ${err.message}`);
      continue;
    }
    const client = runtimeClient('v1', ep);
    try {
      await client.call('Version', { version: '' }, { timeoutMs: Math.max(timeoutMs, 1000) });
      return { client, endpoint: ep, timeoutMs };
    } catch (err) {
      client.close();
      const why =
        err?.code === 14 && !fs.existsSync(path)
          ? `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${path}: connect: no such file or directory"`
          : err?.code === 14
            ? `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${path}: connect: connection refused"`
            : rpcError(err);
      errors.push(`validate service connection: validate CRI v1 runtime API for endpoint ${goQuote(ep)}: ${why}`);
    }
  }
  fatal(errors[errors.length - 1]);
}

// ---------------------------------------------------------------- JSON shapes

/** protojson with EmitDefaultValues: unset sub-messages are left out. */
function protoJson(v) {
  if (Array.isArray(v)) return v.map(protoJson);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = protoJson(x);
    return out;
  }
  return v;
}

function mergeInfo(base, info) {
  for (const k of Object.keys(info ?? {}).sort()) {
    const val = info[k];
    base[k] = val.startsWith('{') ? JSON.parse(val) : val.replace(/^"+|"+$/g, '');
  }
  return base;
}

// ---------------------------------------------------------------- commands

async function version(c) {
  const v = await c.client.call('Version', { version: '' }, { timeoutMs: c.timeoutMs });
  process.stdout.write(`Version:  ${v.version}\nRuntimeName:  ${v.runtimeName}\nRuntimeVersion:  ${v.runtimeVersion}\nRuntimeApiVersion:  ${v.runtimeApiVersion}\n`);
}

async function info(c, args) {
  const { values } = parseFlags(args, { output: { aliases: ['o'] }, quiet: { aliases: ['q'], type: 'bool' } });
  const r = await c.client.call('Status', { verbose: !values.quiet }, { timeoutMs: c.timeoutMs }).catch((err) => fatal(`get status: ${rpcError(err)}`));
  const out = mergeInfo({ status: protoJson(r.status) }, r.info);
  const format = values.output ?? 'json';
  if (format !== 'json') fatal(`unsupported format: ${goQuote(format)}`);
  process.stdout.write(goJson(out) + '\n');
}

function stateFilter(state) {
  if (!state) return null;
  switch (state.toLowerCase()) {
    case 'ready':
      return { state: 'SANDBOX_READY' };
    case 'notready':
      return { state: 'SANDBOX_NOTREADY' };
    default:
      fatal('--state should be ready or notready');
  }
}

function parseLabels(list) {
  const labels = {};
  for (const s of list ?? []) {
    const pair = s.split('=');
    if (pair.length !== 2) fatal(`incorrectly specified label: ${s}`);
    labels[pair[0]] = pair[1];
  }
  return labels;
}

async function listSandboxes(c, opts) {
  const filter = { id: opts.id ?? '', state: stateFilter(opts.state), labelSelector: parseLabels(opts.label) };
  let r;
  try {
    r = await c.client.call('ListPodSandbox', { filter }, { timeoutMs: c.timeoutMs });
  } catch (err) {
    fatal(`listing pod sandboxes: list pod sandboxes: call list sandboxes RPC: ${rpcError(err)}`);
  }
  const match = (re, s) => !re || new RegExp(re).test(s);
  let items = r.items.filter((p) => p.metadata && match(opts.name, p.metadata.name) && match(opts.namespace, p.metadata.namespace));
  items.sort((a, b) => (BigInt(b.createdAt) > BigInt(a.createdAt) ? 1 : BigInt(b.createdAt) < BigInt(a.createdAt) ? -1 : 0));
  let n = items.length;
  if (opts.latest) n = 1;
  if (Number(opts.last) > 0) n = Number(opts.last);
  return items.slice(0, Math.min(n, items.length));
}

const LIST_FLAGS = {
  id: {},
  name: {},
  namespace: {},
  state: { aliases: ['s'] },
  label: { multi: true },
  verbose: { aliases: ['v'], type: 'bool' },
  quiet: { aliases: ['q'], type: 'bool' },
  output: { aliases: ['o'] },
  latest: { aliases: ['l'], type: 'bool' },
  last: { aliases: ['n'] },
  'no-trunc': { type: 'bool' },
};

async function pods(c, args) {
  const { values: o } = parseFlags(args, LIST_FLAGS);
  const items = await listSandboxes(c, o);
  const output = o.output ?? 'table';
  if (output === 'json') {
    process.stdout.write(JSON.stringify({ items: items.map(protoJson) }, null, 2) + '\n');
    return;
  }
  if (output !== 'table') fatal(`listing pod sandboxes: unsupported output format ${goQuote(output)}`);
  if (o.quiet) {
    for (const p of items) process.stdout.write(`${p.id}\n`);
    return;
  }
  const stateName = (s) => (s === 'SANDBOX_READY' ? 'Ready' : 'NotReady');
  const handler = (p) => p.runtimeHandler || '(default)';
  if (o.verbose) {
    for (const p of items) {
      const lines = [`ID: ${p.id}`, `Name: ${p.metadata.name}`, `UID: ${p.metadata.uid}`, `Namespace: ${p.metadata.namespace}`];
      if (p.metadata.attempt) lines.push(`Attempt: ${p.metadata.attempt}`);
      lines.push(`Status: ${stateName(p.state)}`, `Created: ${rfc3339Nano(p.createdAt)}`);
      lines.push('Labels:', ...Object.keys(p.labels).sort().map((k) => `\t${k} -> ${p.labels[k]}`));
      lines.push('Annotations:', ...Object.keys(p.annotations).sort().map((k) => `\t${k} -> ${p.annotations[k]}`));
      lines.push(`Runtime: ${handler(p)}`, '');
      process.stdout.write(lines.join('\n') + '\n');
    }
    return;
  }
  const rows = [['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME']];
  const now = Date.now();
  for (const p of items) {
    const created = Number(BigInt(p.createdAt) / 1_000_000n);
    rows.push([
      o['no-trunc'] ? p.id : p.id.slice(0, TRUNCATED_ID_LEN),
      `${humanDuration(now - created)} ago`,
      stateName(p.state),
      p.metadata.name,
      p.metadata.namespace,
      String(p.metadata.attempt),
      handler(p),
    ]);
  }
  process.stdout.write(tabwrite(rows));
}

async function inspectp(c, args) {
  const { values: o, positional } = parseFlags(args, { ...LIST_FLAGS, template: {} });
  let ids = positional;
  if (ids.length === 0) ids = (await listSandboxes(c, o)).map((p) => p.id);
  if (ids.length === 0) {
    process.stderr.write(logrusLine('error', 'No IDs provided or nothing found per filter'));
    process.stdout.write('NAME:\n   crictl inspectp - Display the status of one or more pods\n\nUSAGE:\n   crictl inspectp [command options] POD-ID [POD-ID...]\n');
    return;
  }
  const output = o.output ?? 'json';
  const verbose = !o.quiet;
  const results = [];
  for (const id of ids) {
    let r;
    try {
      r = await c.client.call('PodSandboxStatus', { podSandboxId: id, verbose }, { timeoutMs: c.timeoutMs });
    } catch (err) {
      fatal(`get the status of pod sandboxes: get pod sandbox status: ${rpcError(err)}`);
    }
    const s = r.status;
    if (output === 'table') {
      const lines = [`ID: ${s.id}`];
      if (s.metadata) {
        if (s.metadata.name) lines.push(`Name: ${s.metadata.name}`);
        if (s.metadata.uid) lines.push(`UID: ${s.metadata.uid}`);
        if (s.metadata.namespace) lines.push(`Namespace: ${s.metadata.namespace}`);
        lines.push(`Attempt: ${s.metadata.attempt}`);
      }
      lines.push(`Status: ${s.state}`, `Created: ${rfc3339Nano(s.createdAt)}`);
      if (s.network) lines.push(`IP Addresses: ${s.network.ip}`);
      lines.push('Labels:', ...Object.keys(s.labels).sort().map((k) => `\t${k} -> ${s.labels[k]}`));
      lines.push('Annotations:', ...Object.keys(s.annotations).sort().map((k) => `\t${k} -> ${s.annotations[k]}`));
      process.stdout.write(lines.join('\n') + '\n');
      continue;
    }
    const status = protoJson(s);
    status.createdAt = rfc3339Nano(s.createdAt);
    results.push(mergeInfo({ status }, r.info));
  }
  if (output === 'table') return;
  if (output !== 'json') fatal(`get the status of pod sandboxes: unsupported format: ${goQuote(output)}`);
  process.stdout.write(goJson(results.length === 1 ? results[0] : results) + '\n');
}

async function stopOne(c, id) {
  try {
    await c.client.call('StopPodSandbox', { podSandboxId: id }, { timeoutMs: Math.max(c.timeoutMs, 30_000) });
  } catch (err) {
    return rpcError(err);
  }
  process.stdout.write(`Stopped sandbox ${id}\n`);
  return undefined;
}

async function stopp(c, args) {
  const { positional } = parseFlags(args, {});
  if (positional.length === 0) fatal('stopp: POD-ID is required');
  for (const id of positional) {
    const err = await stopOne(c, id);
    if (err) fatal(`stopping the pod sandbox ${goQuote(id)}: ${err}`);
  }
}

async function rmp(c, args) {
  const { values: o, positional } = parseFlags(args, { force: { aliases: ['f'], type: 'bool' }, all: { aliases: ['a'], type: 'bool' } });
  let ids = positional;
  if (o.all) {
    let r;
    try {
      r = await c.client.call('ListPodSandbox', {}, { timeoutMs: c.timeoutMs });
    } catch (err) {
      fatal(rpcError(err));
    }
    ids = r.items.map((p) => p.id);
  }
  if (ids.length === 0) {
    if (o.all) {
      process.stderr.write(logrusLine('info', 'No pods to remove'));
      return;
    }
    fatal('rmp: POD-ID is required');
  }
  const errors = await Promise.all(
    ids.map(async (id) => {
      let st;
      try {
        st = await c.client.call('PodSandboxStatus', { podSandboxId: id, verbose: false }, { timeoutMs: c.timeoutMs });
      } catch (err) {
        return `getting sandbox status of pod ${goQuote(id)}: ${rpcError(err)}`;
      }
      if (st.status?.state === 'SANDBOX_READY') {
        if (!o.force) return `pod sandbox ${goQuote(id)} is running, please stop it first`;
        const err = await stopOne(c, id);
        if (err) return `stopping the pod sandbox ${goQuote(id)} failed: ${err}`;
      }
      try {
        await c.client.call('RemovePodSandbox', { podSandboxId: id }, { timeoutMs: Math.max(c.timeoutMs, 30_000) });
      } catch (err) {
        return `removing the pod sandbox ${goQuote(id)}: ${rpcError(err)}`;
      }
      process.stdout.write(`Removed sandbox ${id}\n`);
      return undefined;
    }),
  );
  const failed = errors.filter(Boolean);
  if (failed.length === 1) fatal(failed[0]);
  if (failed.length > 1) fatal(`[${failed.join(', ')}]`);
}

const MAP_FIELDS = new Set(['labels', 'annotations', 'sysctls']);

/** pod-config.json may use protojson (camelCase) or proto (snake_case) names. */
function camelKeys(v) {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (!v || typeof v !== 'object') return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    const key = k.replace(/_([a-z])/g, (_, ch) => ch.toUpperCase());
    out[key] = MAP_FIELDS.has(key) ? x : camelKeys(x);
  }
  return out;
}

async function runp(c, args) {
  const { values: o, positional } = parseFlags(args, { runtime: { aliases: ['r'] }, 'cancel-timeout': { aliases: ['T'] } });
  if (positional.length !== 1) fatal('runp: exactly one pod-config.json is required');
  const file = positional[0];
  let config;
  try {
    config = camelKeys(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    if (err.code === 'ENOENT') fatal(`load podSandboxConfig: config at ${file} not found`);
    fatal(`load podSandboxConfig: ${err.message}`);
  }
  const md = config.metadata;
  if (!md) fatal('load podSandboxConfig: metadata is not set');
  if (!md.name || !md.namespace || !md.uid) fatal(`load podSandboxConfig: name, namespace or uid is not in metadata ${goQuote(JSON.stringify(md))}`);
  const timeoutMs = o['cancel-timeout'] ? parseDuration(o['cancel-timeout']) : 120_000;
  try {
    const r = await c.client.call('RunPodSandbox', { config, runtimeHandler: o.runtime ?? '' }, { timeoutMs });
    process.stdout.write(`${r.podSandboxId}\n`);
  } catch (err) {
    fatal(`run pod sandbox: ${rpcError(err)}`);
  }
}

const COMMANDS = { version, info, pods, inspectp, stopp, rmp, runp };

async function main(argv) {
  // Global flags come before the command.
  const globals = {};
  let i = 0;
  const globalSpec = {
    'runtime-endpoint': ['-r', '--runtime-endpoint'],
    'image-endpoint': ['-i', '--image-endpoint'],
    timeout: ['-t', '--timeout'],
    config: ['-c', '--config'],
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) break;
    if (a === '-D' || a === '--debug') continue;
    if (a === '--version' || a === '-v') {
      process.stdout.write('crictl version v1.30.1\n');
      return 0;
    }
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const name = Object.keys(globalSpec).find((k) => globalSpec[k].includes(flag));
    if (!name) fatal(`flag provided but not defined: ${flag}`);
    globals[name] = inline ?? argv[++i];
  }
  const command = argv[i];
  const fn = COMMANDS[command];
  if (!fn) {
    if (command === undefined) {
      process.stdout.write('NAME:\n   crictl - client for CRI\n\nUSAGE:\n   crictl [global options] command [command options]\n');
      return 0;
    }
    process.stderr.write(`No help topic for '${command}'\n`);
    return 3;
  }
  const c = await connect(globals);
  try {
    await fn(c, argv.slice(i + 1));
  } finally {
    c.client.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(logrusLine('fatal', err instanceof Fatal ? err.message : String(err?.stack ?? err)));
    process.exit(1);
  },
);
