/** `slipway report [RUN_ID] [--format html|md|json] [--out FILE]`: a run's report, rendered again from its journal. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { EXIT, InputError } from '../errors.js';
import { REPORT_FORMATS, renderReport, runReport, type ReportFormat } from '../report/write.js';
import { parse, str } from './args.js';
import { printErr, printOut } from './output.js';
import { openRun } from './reopen.js';

export async function report(argv: string[]): Promise<number> {
  const { values, positionals, usage } = parse(argv, 'report');
  const format = (str(values, 'format') ?? 'md') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new InputError(`--format must be ${REPORT_FORMATS.join(', ')} (found '${format}')\n${usage}`);
  const outFile = str(values, 'out');
  if (positionals.length > 1) throw new InputError(`expected at most one RUN_ID\n${usage}`);
  const { events } = await openRun(positionals[0]);
  const text = renderReport(await runReport(events), format);
  if (outFile) {
    const file = path.resolve(outFile);
    await fs.writeFile(file, text, { mode: 0o600 }).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`--out ${outFile}: ${err.code === 'ENOENT' ? 'no such directory' : err.message}`);
    });
    printErr(`report: ${file}`);
    return EXIT.ok;
  }
  // Control bytes from the nodes' output are shown escaped, as everywhere slipway prints.
  printOut(text.trimEnd());
  return EXIT.ok;
}
