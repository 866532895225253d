/**
 * Where slipway's CPU goes, from `perf record -g` of its process (bench/run.ts --perf DIR).
 *
 * Why perf and not only V8's profile (--profile): with the fleet on the same two cores, slipway's
 * process is often runnable but not running. V8's sampler measures the time between its samples
 * and books it on the stack it finds when the thread runs again, so a socket write that wakes a
 * node (and is preempted by it) shows as a fifth of the profile. perf samples the CPU the process
 * actually used, in every thread; `node --perf-basic-prof` names the JavaScript frames.
 *
 * Each sample goes to the first category, in the order below, that its stack matches.
 *
 *   tsx bench/perf-summary.ts FILE.data [...]   (runs `perf script` on each)
 */
import { execFileSync } from 'node:child_process';

const OTHER = 'other (Node internals, event loop, kernel)';

export const CATEGORIES = [
  'start-up: loading and compiling modules',
  'SSH handshakes (key exchange, signatures)',
  'SSH packets (ssh2: encrypt, decrypt, parse, socket reads and writes)',
  'compiling functions (lazy compile, optimizer)',
  'garbage collection',
  "slipway's own code (engine, steps, transport, output, journal)",
  'OpenSSL, stack not unwound (handshakes, AES-GCM)',
  'kernel, stack not unwound (syscalls, scheduling, I/O)',
  OTHER,
] as const;

export type Category = (typeof CATEGORIES)[number];

const LOADING = /JS:\S*(Module\._load|loadESM|compileForInternalLoader|compileSourceTextModule|wrapSafe|loadAndTranslate|moduleStrategy)\b/;
const GC = /v8::internal::(Scavenger|MarkCompact|Heap::|ConcurrentMarking|Sweeper|MinorMarkCompact|MarkingVisitor|ScavengerCollector)|\(garbage collector\)/;
const COMPILE = /v8::internal::(Compiler|Parser|Scanner|Preparse|compiler::|interpreter::|maglev::|baseline::|AstValueFactory|Scope::|DeclarationScope)|Builtins_CompileLazy/;
const OPENSSL = /\b(ossl_|OPENSSL_|EVP_|BN_|bn_|asn1_|CRYPTO_|aesni_|gcm_|x25519|ED25519|SHA256|sha256_block|detail::sprp)/;
const HANDSHAKE = /ssh2\/lib\/protocol\/kex\.js|node:internal\/crypto\/(sig|keygen|diffiehellman)|authPK|tryNextAuth/;

/**
 * A sample's category: start-up when module loading is anywhere on its stack; else garbage
 * collection or compiling when the native frames above the first JavaScript frame are V8's; else
 * the owner of the nearest JavaScript frame that has one (ssh2, or slipway's bundle), so that
 * Node's streams and the kernel's socket calls count for whoever made them.
 */
export function categoryOf(frames: readonly string[]): Category {
  const stack = frames.join('\n');
  if (LOADING.test(stack)) return 'start-up: loading and compiling modules';
  if (HANDSHAKE.test(stack)) return 'SSH handshakes (key exchange, signatures)';
  const firstJs = frames.findIndex((f) => /\bJS:/.test(f));
  const native = (firstJs < 0 ? frames : frames.slice(0, firstJs)).join('\n');
  if (GC.test(native)) return 'garbage collection';
  if (COMPILE.test(native)) return 'compiling functions (lazy compile, optimizer)';
  for (const f of firstJs < 0 ? [] : frames.slice(firstJs)) {
    if (/ssh2\/lib\//.test(f)) return 'SSH packets (ssh2: encrypt, decrypt, parse, socket reads and writes)';
    if (/dist\/(cli|src)\//.test(f)) return "slipway's own code (engine, steps, transport, output, journal)";
  }
  // node is built without frame pointers: perf cannot walk from a native frame back to JavaScript.
  if (firstJs < 0 && OPENSSL.test(native)) return 'OpenSSL, stack not unwound (handshakes, AES-GCM)';
  if (firstJs < 0 && /^f{8}/.test(frames[0] ?? '')) return 'kernel, stack not unwound (syscalls, scheduling, I/O)';
  return OTHER;
}

export interface PerfSummary {
  samples: number;
  /** Samples of the thread that ran the most (the JavaScript thread). */
  mainThread: number;
  byCategory: Array<{ name: Category; samples: number }>;
}

/** `perf script -F tid,ip,sym` output: one block a sample (a `tid` line, then its frames, leaf first), blank-line separated. */
export function summarizePerfScript(text: string): PerfSummary {
  const blocks = text
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  const byTid = new Map<string, number>();
  const counts = new Map<Category, number>();
  for (const block of blocks) {
    const [head = '', ...frames] = block.split('\n');
    const tid = head.trim().split(/\s+/)[0] ?? '';
    byTid.set(tid, (byTid.get(tid) ?? 0) + 1);
    const category = categoryOf(frames.map((f) => f.trim()));
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  return {
    samples: blocks.length,
    mainThread: Math.max(0, ...byTid.values()),
    byCategory: CATEGORIES.map((name) => ({ name, samples: counts.get(name) ?? 0 })).filter((c) => c.samples > 0),
  };
}

/** A markdown table of summaries side by side (one column a file), shares of each file's samples. */
export function perfTable(summaries: Array<{ label: string; summary: PerfSummary }>): string {
  const names = CATEGORIES;
  const rows = [`| where | ${summaries.map((s) => s.label).join(' | ')} |`, `|---|${summaries.map(() => '---|').join('')}`];
  for (const name of names) {
    const cells = summaries.map(({ summary }) => {
      const n = summary.byCategory.find((c) => c.name === name)?.samples ?? 0;
      return `${((100 * n) / Math.max(1, summary.samples)).toFixed(0)} %`;
    });
    rows.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  rows.push(`| samples (all threads; the JavaScript thread) | ${summaries.map(({ summary }) => `${summary.samples}; ${summary.mainThread}`).join(' | ')} |`);
  return rows.join('\n');
}

export function perfScript(file: string): string {
  return execFileSync('perf', ['script', '-i', file, '-F', 'tid,ip,sym'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  console.log(perfTable(files.map((f) => ({ label: f.split('/').pop() ?? f, summary: summarizePerfScript(perfScript(f)) }))));
}
