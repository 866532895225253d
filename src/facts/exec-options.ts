import type { ExecOptions } from '../transport/types.js';

/** The limits a command runs under: the step's abort signal and timeout. */
export interface ExecLimits {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Exec options carrying the step's limits, plus `extra`. A step context fits `limits` as is,
 * so steps and probes pass `ctx` straight through.
 */
export function execOptions(limits: ExecLimits, extra: ExecOptions = {}): ExecOptions {
  const options: ExecOptions = { ...extra };
  if (limits.signal) options.signal = limits.signal;
  if (limits.timeoutMs !== undefined) options.timeoutMs = limits.timeoutMs;
  return options;
}
