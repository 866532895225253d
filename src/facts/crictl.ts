/**
 * Pod sandboxes as crictl shows them: `crictl pods -q` (one full id a line) and
 * `crictl inspectp -o json ID...` (the CRI PodSandboxStatus in protobuf JSON: camelCase fields,
 * enums by name). Pure parsers.
 */

export interface SandboxInfo {
  id: string;
  name: string;
  namespace: string;
  /** `SANDBOX_READY` or `SANDBOX_NOTREADY`. */
  state: string;
  /** `.status.linux.namespaces.options.network`: `POD`, `NODE`, ... (POD when absent: the proto3 zero value). */
  network: string;
  /** Runs in the node's network namespace (network == NODE). */
  hostNetwork: boolean;
}

/** `crictl pods -q`. */
export function parsePodIds(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-zA-Z]+$/.test(l));
}

/**
 * `crictl inspectp -o json`: one object for one id, and for several ids an array (recent crictl)
 * or one object after another (older crictl). Each object is `{status: PodSandboxStatus, info}`.
 */
export function parseInspectp(stdout: string): SandboxInfo[] {
  return parseJsonValues(stdout)
    .flatMap((v) => (Array.isArray(v) ? v : [v]))
    .map((doc): SandboxInfo => {
      const status = record(record(doc).status);
      const metadata = record(status.metadata);
      const options = record(record(record(status.linux).namespaces).options);
      const network = typeof options.network === 'string' ? options.network : networkName(options.network);
      return {
        id: String(status.id ?? ''),
        name: String(metadata.name ?? ''),
        namespace: String(metadata.namespace ?? ''),
        state: String(status.state ?? ''),
        network,
        hostNetwork: network === 'NODE',
      };
    })
    .filter((s) => s.id !== '');
}

/** A NamespaceMode given as its number. */
function networkName(value: unknown): string {
  const names = ['POD', 'CONTAINER', 'NODE', 'TARGET'];
  return typeof value === 'number' ? (names[value] ?? String(value)) : 'POD';
}

/** Every JSON value in `text`, whether it holds one or several one after another. */
export function parseJsonValues(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    return [JSON.parse(trimmed)];
  } catch {
    // Several values: split at the top level.
  }
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0 && start !== -1) {
        values.push(JSON.parse(trimmed.slice(start, i + 1)));
        start = -1;
      }
    }
  }
  if (depth !== 0) throw new Error('crictl output is not JSON');
  return values;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
