/**
 * slipway runs for seconds to minutes and waits on its nodes most of that time: V8's optimizing
 * compiler (TurboFan) costs it more than the code it optimizes gains back. perf on the benchmark
 * (bench/README.md, "2026-12-04, later") found TurboFan, on V8's worker threads and the main one,
 * at about a fifth of slipway's CPU in a 50-node run; without it (`--max-opt=1`: the interpreter
 * and the Sparkplug baseline compiler) the run took 12 % less CPU and 10 % less memory for the
 * same wall time, and `validate` of 10,000 hosts the same CPU.
 *
 * Imported first by the CLI's entry, so that it is set before any of slipway's code runs hot.
 * A `--max-opt` given to node itself (node --max-opt=4 …) wins.
 */
import { setFlagsFromString } from 'node:v8';

if (!process.execArgv.some((a) => a.startsWith('--max-opt'))) setFlagsFromString('--max-opt=1');
