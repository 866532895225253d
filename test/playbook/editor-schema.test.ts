/**
 * The playbook schema editors read: generated from the step types (it cannot drift), valid for
 * every bundled playbook, and doing its job in a real editor's language server
 * (yaml-language-server over LSP, as VS Code and Neovim run it): completion after `uses:` lists
 * the step types, a `with:` key the step type does not take is a diagnostic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { editorPlaybookSchemaText } from '../../src/playbook/editor-schema-file.js';
import { stepKinds } from '../../src/steps/registry.js';

const root = path.resolve(import.meta.dirname, '../..');
const schemaFile = path.join(root, 'schemas', 'playbook.schema.json');
const schemaText = readFileSync(schemaFile, 'utf8');
const schema = JSON.parse(schemaText) as Record<string, unknown>;

describe('schemas/playbook.schema.json', () => {
  it('is what `npm run schema` generates from the step types (run it after changing a step type)', () => {
    expect(schemaText).toBe(editorPlaybookSchemaText(schema));
  });

  it('accepts every bundled playbook, and flags a with: key the step type does not take', () => {
    const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
    for (const f of readdirSync(path.join(root, 'playbooks')).filter((n) => n.endsWith('.yaml'))) {
      const data = parseYaml(readFileSync(path.join(root, 'playbooks', f), 'utf8'));
      expect(validate(data), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate({ name: 'x', steps: [{ uses: 'systemd.service', with: { unit: 'kubelet', stat: 'started' } }] })).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: '/steps/0/with', keyword: 'additionalProperties', params: { additionalProperty: 'stat' } }));
    // A {{ var }} stands for a value of any type.
    expect(validate({ name: 'x', steps: [{ uses: 'kube.drain', with: { timeout: '{{ drain_timeout }}', force: '{{ force }}' } }] })).toBe(true);
  });
});

/** A minimal LSP client over stdio: requests with ids, notifications collected by method. */
class LspClient {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();
  readonly notifications: Array<{ method: string; params: unknown }> = [];
  private waiters: Array<() => void> = [];

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const head = this.buffer.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, head).toString())?.[1]);
      if (this.buffer.length < head + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(head + 4, head + 4 + length).toString()) as { id?: number; method?: string; params?: unknown; result?: unknown };
      this.buffer = this.buffer.subarray(head + 4 + length);
      if (message.method !== undefined && message.id !== undefined) this.answer(message.id, message.method, message.params);
      else if (message.method !== undefined) this.notifications.push({ method: message.method, params: message.params });
      else if (message.id !== undefined) this.pending.get(message.id)?.(message.result);
      this.waiters.splice(0).forEach((w) => w());
    }
  }

  /** The server's own requests: settings for the yaml section, nothing else. */
  private answer(id: number, method: string, params: unknown): void {
    const items = (params as { items?: Array<{ section?: string }> } | undefined)?.items ?? [];
    const result = method === 'workspace/configuration' ? items.map((i) => (i.section === 'yaml' ? { validate: true, completion: true, hover: true, schemaStore: { enable: false } } : null)) : null;
    this.send({ jsonrpc: '2.0', id, result });
  }

  private send(message: object): void {
    const body = Buffer.from(JSON.stringify(message));
    this.child.stdin?.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
  }

  request<T>(method: string, params: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.pending.set(id, resolve as (r: unknown) => void);
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  async until<T>(find: () => T | undefined, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error('the language server did not answer in time');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
}

describe('in an editor: yaml-language-server with the schema', () => {
  let dir: string;
  let server: ChildProcess;
  let lsp: LspClient;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-lsp-'));
    server = spawn(process.execPath, [path.join(root, 'node_modules/yaml-language-server/bin/yaml-language-server'), '--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
    lsp = new LspClient(server);
    await lsp.request('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: { textDocument: { completion: { completionItem: { snippetSupport: false } } }, workspace: { configuration: true } } });
    lsp.notify('initialized', {});
    lsp.notify('workspace/didChangeConfiguration', { settings: { yaml: { validate: true, completion: true, schemaStore: { enable: false } } } });
  });
  afterAll(async () => {
    server.kill();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const open = (name: string, text: string) => {
    const uri = pathToFileURL(path.join(dir, name)).href;
    lsp.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    return uri;
  };
  const modeline = `# yaml-language-server: $schema=${pathToFileURL(schemaFile).href}\n`;

  it('completes uses: with the step types', async () => {
    const text = `${modeline}name: x\nsteps:\n  - id: a\n    uses: \n`;
    const uri = open('complete.yaml', text);
    const line = text.split('\n').findIndex((l) => l.startsWith('    uses:'));
    const result = await lsp.request<{ items: Array<{ label: string }> } | Array<{ label: string }>>('textDocument/completion', { textDocument: { uri }, position: { line, character: '    uses: '.length } });
    const labels = (Array.isArray(result) ? result : result.items).map((i) => i.label);
    for (const kind of stepKinds()) expect(labels).toContain(kind);
  });

  it('reports a with: key the step type does not take, at its line', async () => {
    const text = `${modeline}name: x\nsteps:\n  - id: a\n    uses: systemd.service\n    with:\n      unit: kubelet\n      stat: started\n`;
    const uri = open('wrong-key.yaml', text);
    const diagnostics = await lsp.until(() => {
      const n = lsp.notifications.filter((m) => m.method === 'textDocument/publishDiagnostics' && (m.params as { uri: string }).uri === uri).at(-1);
      const list = (n?.params as { diagnostics?: Array<{ message: string; range: { start: { line: number } } }> } | undefined)?.diagnostics;
      return list && list.length > 0 ? list : undefined;
    });
    const line = text.split('\n').findIndex((l) => l.includes('stat: started'));
    expect(diagnostics).toContainEqual(expect.objectContaining({ message: expect.stringContaining('stat'), range: expect.objectContaining({ start: expect.objectContaining({ line }) }) }));
  });
});
