import type { Duplex } from 'node:stream';
import type { InventoryHost } from '../inventory/types.js';

export interface ExecOptions {
  /** Bytes written to the command's stdin, then closed. */
  stdin?: string;
  /** Kill the command (remote side included) after this many milliseconds. */
  timeoutMs?: number;
  /** Run through sudo (overrides the host's `become`). */
  become?: boolean;
  /** Aborting kills the command. */
  signal?: AbortSignal;
  /**
   * The last command of a step's apply: the reads issued right after it (its convergence check,
   * the next step's facts) may go in the same exec, and run after it (src/transport/batching-remote.ts).
   * Transports that send one command per exec ignore it.
   */
  last?: boolean;
}

/** How `writeFile` writes: the file's mode and owner, and whether it is a step's last change (ExecOptions.last). */
export interface WriteOptions {
  mode?: number;
  owner?: string;
  last?: boolean;
  /**
   * Copy the file to `path` first (`cp -p`), and write only if the copy holds the content whose
   * sha256 (hex, of the UTF-8 text) is `sha256`: the content the caller read and edited. When it
   * does not (the file changed since), nothing is written and BackupMismatchError carries what
   * the copy holds. One command on the node: the backup costs no exec of its own.
   */
  backup?: { path: string; sha256: string };
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The narrow connector every step and fact probe goes through: run a command given as an
 * argument vector (quoted for the remote shell by the transport, never pasted raw), read and
 * write files, and open a stream to a unix socket on the host.
 */
export interface Remote {
  /** Inventory name of the host, or `local`. */
  readonly host: string;
  /** Runs argv; resolves with the exit code. Throws TransportError when the host is lost. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Like exec, but throws CommandError on a non-zero exit. */
  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** File contents, or null when the file does not exist. */
  readFile(path: string): Promise<string | null>;
  /** Atomic write: temp file in the same directory, then rename; missing parent directories are created (as `mkdir -p`). */
  writeFile(path: string, content: string, options?: WriteOptions): Promise<void>;
  /** A byte stream to a unix socket on the host (SSH streamlocal forwarding). */
  openUnixSocket(path: string): Promise<Duplex>;
  /** Opens the connection now, for transports that have one; throws TransportError when the host cannot be reached. */
  connect?(): Promise<void>;
}

/**
 * Where a command's remotes come from: each node's (one connection a host, reused), and the
 * operator's machine. The CLI gives the runner SSH ones; tests give it in-memory ones.
 */
export interface RemoteFactory {
  node(host: InventoryHost): Remote;
  local(): Remote;
  /** Closes every connection made. */
  close(): Promise<void>;
}
