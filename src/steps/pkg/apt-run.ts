/**
 * apt-get as pkg.install runs it, recovering from an interrupted dpkg. A run
 * killed in the middle of an install (slipway's machine lost, the SSH connection cut) leaves
 * dpkg with half-configured packages, and every later apt-get refuses with "dpkg was
 * interrupted, you must manually run 'dpkg --configure -a'" (exit 100) until someone does. A
 * resume is that someone: it runs `dpkg --configure -a` (keeping changed config files, as every
 * install here does), says so on the step, and runs the command again, once.
 */
import { CommandError } from '../../errors.js';
import type { ExecOptions, ExecResult } from '../../transport/types.js';
import type { StepContext } from '../types.js';

export const NONINTERACTIVE = ['env', 'DEBIAN_FRONTEND=noninteractive'];

/** apt's refusal after an interrupted dpkg (apt-pkg/deb/debsystem.cc, "dpkg was interrupted"). */
function dpkgWasInterrupted(err: unknown): boolean {
  return err instanceof CommandError && err.code === 100 && /dpkg was interrupted, you must manually run '(sudo )?dpkg --configure -a'/.test(err.stderr);
}

const DPKG_CONFIGURE_PENDING = [...NONINTERACTIVE, 'dpkg', '--force-confold', '--configure', '-a'];

/** Runs an apt command; after an interrupted dpkg, finishes its work first and runs it again. */
export async function runApt(ctx: StepContext, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  try {
    return await ctx.remote.run(argv, opts);
  } catch (err) {
    if (!dpkgWasInterrupted(err)) throw err;
    ctx.waiting?.("dpkg --configure -a: an earlier dpkg run on this node was interrupted");
    await ctx.remote.run(DPKG_CONFIGURE_PENDING, opts);
    return ctx.remote.run(argv, opts);
  }
}
