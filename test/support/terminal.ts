/**
 * Runs the built slipway CLI on a real pseudo-terminal, as an operator would: a detached tmux
 * session of a fixed size. tmux is a real terminal emulator, so what `screen()` returns is the
 * text on the screen after every redraw (cursor moves, erased lines) has been applied, not the
 * raw byte stream. Used for the live tree and for prompts (-K).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLI } from './cli.js';

export interface TerminalOptions {
  /** Extra environment for the command (on top of this process's, with NO_COLOR=1). */
  env?: Record<string, string>;
  cols?: number;
  rows?: number;
  cwd?: string;
  /** The command is killed after this long (default 300 s), so a forgotten session ends. */
  maxSeconds?: number;
}

export interface TerminalResult {
  code: number;
  /** The final screen with its scrollback, trailing blank lines removed. */
  screen: string;
}

export interface Terminal {
  /** Types text (literally) into the terminal; `enter` presses Enter after it. */
  type(text: string, options?: { enter?: boolean }): Promise<void>;
  /** Presses a key by its tmux name (`C-c`, `Enter`, `Escape`). */
  press(key: string): Promise<void>;
  /** The screen now, with its scrollback. */
  screen(): Promise<string>;
  /** Waits until the screen matches `pattern`; returns the screen. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Waits for the command to end; returns its exit code and the final screen. Always cleans up. */
  done(timeoutMs?: number): Promise<TerminalResult>;
  /** Kills the session (idempotent). */
  close(): Promise<void>;
}

/** A POSIX shell word for `s`, whatever it contains. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function tmux(socket: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tmux', ['-S', socket, '-f', '/dev/null', ...args], { env: env ?? process.env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tmux ${args[0]}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `slipway ...args` in a new terminal of cols x rows. */
export async function startInTerminal(args: string[], options: TerminalOptions = {}): Promise<Terminal> {
  const cols = options.cols ?? 120;
  const rows = options.rows ?? 50;
  const socket = path.join(os.tmpdir(), `slipway-tty-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  const cwd = options.cwd ?? path.resolve(path.dirname(CLI), '../../..');
  // The exit status goes to a file (tmux 3.3's #{pane_dead_status} is not always set: it
  // does not always reap a pane's process).
  const statusFile = `${socket}.status`;
  // The pane lingers a while after the command so that its last screen can be read; a
  // session nobody cleans up (the test process died) ends by itself, and so does its server.
  const slipwayLine = ['timeout', '--foreground', '-k', '5', String(options.maxSeconds ?? 300), process.execPath, CLI, ...args].map(shellWord).join(' ');
  const command = `cd ${shellWord(cwd)} && ${slipwayLine}; echo $? > ${shellWord(statusFile)}; sleep 60`;
  // The tmux server (started by this call) gives the session its own environment.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', COLUMNS: String(cols), LINES: String(rows), ...options.env };
  delete env.TMUX;
  await tmux(
    socket,
    ['start-server', ';', 'set-option', '-g', 'history-limit', '5000', ';', 'new-session', '-d', '-s', 'slipway', '-x', String(cols), '-y', String(rows), command],
    env,
  );
  let closed = false;

  const screen = async (): Promise<string> => {
    const text = await tmux(socket, ['capture-pane', '-p', '-J', '-t', 'slipway', '-S', '-', '-E', '-']);
    return text.replace(/\s+$/, '');
  };
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await tmux(socket, ['kill-server']).catch(() => undefined);
    await fs.rm(socket, { force: true });
    await fs.rm(statusFile, { force: true });
  };
  const status = async (): Promise<number | undefined> => {
    const text = await fs.readFile(statusFile, 'utf8').catch(() => '');
    return /^\d+\n$/.test(text) ? Number(text) : undefined;
  };

  return {
    async type(text, { enter = false } = {}) {
      await tmux(socket, ['send-keys', '-t', 'slipway', '-l', text]);
      if (enter) await tmux(socket, ['send-keys', '-t', 'slipway', 'Enter']);
    },
    async press(key) {
      await tmux(socket, ['send-keys', '-t', 'slipway', key]);
    },
    screen,
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = await screen();
        if (pattern.test(text)) return text;
        if (Date.now() > deadline) throw new Error(`the screen never matched ${pattern}; it shows:\n${text}`);
        await sleep(50);
      }
    },
    async done(timeoutMs = 60_000) {
      try {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const code = await status();
          if (code !== undefined) {
            // The command has ended; wait until tmux has drawn all it printed (the screen is still).
            let last = await screen();
            for (let i = 0; i < 40; i++) {
              await sleep(50);
              const now = await screen();
              if (now === last) break;
              last = now;
            }
            return { code, screen: last };
          }
          if (Date.now() > deadline) throw new Error(`slipway ${args.join(' ')} did not end within ${timeoutMs / 1000}s; the screen shows:\n${await screen()}`);
          await sleep(50);
        }
      } finally {
        await close();
      }
    },
    close,
  };
}

/** Runs `slipway ...args` on a terminal to its end. */
export async function runInTerminal(args: string[], options: TerminalOptions = {}): Promise<TerminalResult> {
  const t = await startInTerminal(args, options);
  return t.done();
}
