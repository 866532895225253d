/** Reads an input file (playbook, inventory), turning file-system errors into InputError. */
import { readFile } from 'node:fs/promises';
import { InputError } from '../../errors.js';

export async function readInputFile(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new InputError(`cannot read ${what} ${file}: ${fileErrorWords(error)}`, { cause: error });
  }
}

function fileErrorWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
