/** Where slipway's CPU went (bench/perf-summary.ts): which category each perf sample goes to, and the counts. */
import { describe, expect, it } from 'vitest';
import { categoryOf, perfTable, summarizePerfScript } from '../../bench/perf-summary.js';

const js = (name: string, where: string) => `7fac5c003ee3 JS:^${name} ${where}`;
const SLIPWAY = 'file:///opt/slipway/dist/cli/chunk-AB12.js:703:49';
const SSH2 = '/opt/slipway/node_modules/ssh2/lib/protocol/crypto.js:1011:10';

describe('categoryOf', () => {
  it('module loading anywhere on the stack is start-up, whatever runs under it', () => {
    expect(categoryOf(['v8::internal::Scanner::Next', js('compileSourceTextModule', 'node:internal/modules/esm/utils:344:33'), js('main', SLIPWAY)])).toBe('start-up: loading and compiling modules');
  });

  it("V8's own frames above the first JavaScript frame: garbage collection or compiling, not the caller", () => {
    expect(categoryOf(['v8::internal::Scavenger::ScavengeObject', js('push', SLIPWAY)])).toBe('garbage collection');
    expect(categoryOf(['v8::internal::Parser::ParseFunction', 'Builtins_CompileLazy', js('check', SLIPWAY)])).toBe('compiling functions (lazy compile, optimizer)');
  });

  it("the nearest JavaScript frame with an owner decides: Node's streams count for ssh2 or slipway, whichever called them", () => {
    expect(categoryOf(['ffffffff81a0 tcp_sendmsg', js('writeGeneric', 'node:internal/stream_base_commons:148:22'), js('sendPacket', '/x/node_modules/ssh2/lib/protocol/utils.js:343:15'), js('exec', SLIPWAY)])).toBe(
      'SSH packets (ssh2: encrypt, decrypt, parse, socket reads and writes)',
    );
    expect(categoryOf([js('writeSync', 'node:fs:898:19'), js('append', SLIPWAY), js('decrypt', SSH2)])).toBe("slipway's own code (engine, steps, transport, output, journal)");
    expect(categoryOf([js('verifyOneShot', 'node:internal/crypto/sig:234:23'), js('onKEXPayload', '/x/node_modules/ssh2/lib/protocol/kex.js:1770:22')])).toBe('SSH handshakes (key exchange, signatures)');
  });

  it('a native leaf perf could not walk back from goes by its symbol', () => {
    expect(categoryOf(['17d2623 OPENSSL_LH_doall_arg'])).toBe('OpenSSL, stack not unwound (handshakes, AES-GCM)');
    expect(categoryOf(['ffffffff815a5120 finish_task_switch.isra.0'])).toBe('kernel, stack not unwound (syscalls, scheduling, I/O)');
    expect(categoryOf(['7f01 _int_malloc'])).toBe('other (Node internals, event loop, kernel)');
  });
});

describe('summarizePerfScript', () => {
  it('counts samples per category and finds the busiest thread', () => {
    const text = [
      `100 \n\t${js('exec', SLIPWAY)}`,
      `100 \n\t${js('decrypt', SSH2)}\n\t${js('onStreamRead', 'node:internal/stream_base_commons:168:22')}`,
      `100 \n\t${js('run', SLIPWAY)}`,
      `104 \n\tv8::internal::ConcurrentMarking::Run`,
    ].join('\n\n');
    const s = summarizePerfScript(`${text}\n`);
    expect(s.samples).toBe(4);
    expect(s.mainThread).toBe(3);
    expect(s.byCategory).toEqual([
      { name: 'SSH packets (ssh2: encrypt, decrypt, parse, socket reads and writes)', samples: 1 },
      { name: 'garbage collection', samples: 1 },
      { name: "slipway's own code (engine, steps, transport, output, journal)", samples: 2 },
    ]);
    const table = perfTable([{ label: 'run', summary: s }]);
    expect(table).toContain("| slipway's own code (engine, steps, transport, output, journal) | 50 % |");
    expect(table).toContain('| samples (all threads; the JavaScript thread) | 4; 3 |');
  });
});
