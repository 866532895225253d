/**
 * `file.content`: a file with exactly this content, and optionally this mode and owner.
 */
import { InputError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import { formatMode, ownerMatches, parseMode, parseOwner, probeFileWithStat, type FileStat, type OwnerSpec } from '../../facts/file.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { fileDiff, restoreFile, sha256, backupAndRead, editWithBackup, type FileUndo } from './backup.js';

export interface FileContentParams {
  path: string;
  content: string;
  /** Octal, as a string: `"0644"`. */
  mode?: string;
  /** `root` or `root:root`. */
  owner?: string;
  backup?: boolean;
}

export interface FileContentFacts {
  /** The file's text, or null when it does not exist. */
  content: string | null;
  /** Mode and owner, when the file exists. */
  stat: FileStat | null;
}

export type FileContentUndo = FileUndo;

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: 'Ensure a file has exactly the given content, and optionally mode and owner.',
  additionalProperties: false,
  required: ['path', 'content'],
  properties: {
    path: {
      type: 'string',
      pattern: '^/',
      description: 'Absolute path of the file on the node. Its directory must exist.',
    },
    content: {
      type: 'string',
      description: 'The whole content of the file. Written atomically (temp file, then rename).',
    },
    mode: {
      type: 'string',
      pattern: '^0?[0-7]{3,4}$',
      description: 'Permission bits in octal, as a quoted string: "0644". Unset: kept (0644 for a new file).',
    },
    owner: {
      type: 'string',
      pattern: '^[^:\\s]+(:[^:\\s]+)?$',
      description: 'Owner, optionally with group: "root" or "root:root" (names or numeric ids). Unset: kept.',
    },
    backup: {
      type: 'boolean',
      default: true,
      description:
        'Keep a copy of the previous file next to it (`<path>.slipway-<time>.bak`) so rollback can restore it. ' +
        'Without it, rollback can only delete a file the step created or put back a mode or owner.',
    },
  },
};

interface Wanted {
  mode: number | undefined;
  owner: OwnerSpec | undefined;
}

function wanted(params: FileContentParams): Wanted {
  const mode = params.mode === undefined ? undefined : parseMode(params.mode);
  if (params.mode !== undefined && mode === undefined) {
    throw new InputError(`file.content: mode ${JSON.stringify(params.mode)} is not an octal mode like "0644"`);
  }
  const owner = params.owner === undefined ? undefined : parseOwner(params.owner);
  if (params.owner !== undefined && owner === undefined) {
    throw new InputError(`file.content: owner ${JSON.stringify(params.owner)} is not "user" or "user:group"`);
  }
  return { mode, owner };
}

/** What differs between the file and the params; empty when nothing does. */
function differences(params: FileContentParams, facts: FileContentFacts): { content: boolean; mode: boolean; owner: boolean } {
  const want = wanted(params);
  if (facts.content === null || facts.stat === null) {
    return { content: true, mode: want.mode !== undefined, owner: want.owner !== undefined };
  }
  return {
    content: facts.content !== params.content,
    mode: want.mode !== undefined && facts.stat.mode !== want.mode,
    owner: want.owner !== undefined && !ownerMatches(facts.stat, want.owner),
  };
}

function ownerOf(stat: FileStat): string {
  return `${stat.user}:${stat.group}`;
}

export const fileContentStep: StepType<FileContentParams, FileContentFacts, FileContentUndo> = {
  kind: 'file.content',
  description: 'Ensure a file has exactly the given content, mode and owner (atomic write, backup for rollback).',
  paramsSchema,

  async facts(ctx: StepContext, params: FileContentParams): Promise<FileContentFacts> {
    return probeFileWithStat(ctx.remote, params.path, ctx);
  },

  project(params: FileContentParams, facts: FileContentFacts, projection: Projection): FileContentFacts {
    if (!projection.hasFile(params.path)) return facts;
    const content = projection.file(params.path, facts.content);
    return { content, stat: content === null ? null : facts.stat };
  },

  predict(params: FileContentParams, _facts: FileContentFacts, projection: Projection): void {
    projection.setFile(params.path, params.content);
  },

  check(params: FileContentParams, facts: FileContentFacts): CheckResult {
    const diff = differences(params, facts);
    if (facts.content === null) {
      const extras = [params.mode && `mode ${params.mode}`, params.owner && `owner ${params.owner}`].filter(Boolean);
      const summary = `create ${params.path}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`;
      return { status: 'change', summary, diff: fileDiff(params.path, null, params.content) };
    }
    const parts: string[] = [];
    if (diff.content) parts.push('content');
    const mode = wanted(params).mode;
    if (diff.mode && mode !== undefined) parts.push(`mode ${facts.stat ? formatMode(facts.stat.mode) : '?'} -> ${formatMode(mode)}`);
    if (diff.owner && facts.stat) parts.push(`owner ${ownerOf(facts.stat)} -> ${params.owner}`);
    if (parts.length === 0) return { status: 'ok', summary: `${params.path} is up to date` };
    const summary = `update ${params.path}: ${parts.join(', ')}`;
    return diff.content
      ? { status: 'change', summary, diff: fileDiff(params.path, facts.content, params.content) }
      : { status: 'change', summary };
  },

  async apply(ctx: StepContext, params: FileContentParams, facts: FileContentFacts): Promise<FileContentUndo> {
    const { remote } = ctx;
    const path = params.path;
    const want = wanted(params);
    const writeOptions: { mode?: number; owner?: string } = {};
    if (want.mode !== undefined) writeOptions.mode = want.mode;
    if (params.owner !== undefined) writeOptions.owner = params.owner;
    const diff = differences(params, facts);

    if (facts.content === null || facts.stat === null) {
      await remote.writeFile(path, params.content, { ...writeOptions, last: true });
      return { path, changed: true, existed: false, backupPath: null, previousSha256: null, afterSha256: sha256(params.content) };
    }
    const sha = sha256(facts.content);
    const previous = { previousMode: formatMode(facts.stat.mode), previousOwner: ownerOf(facts.stat) };
    if (!diff.content && !diff.mode && !diff.owner) {
      return { path, changed: false, existed: true, backupPath: null, previousSha256: sha, afterSha256: sha, ...previous };
    }

    const backup = params.backup !== false;
    if (diff.content) {
      // The backup goes with the write; the undo record hashes what the backup holds (editWithBackup).
      const edited = await editWithBackup(ctx, path, facts.content, () => params.content, { ...writeOptions, backup, last: true });
      return { path, changed: true, existed: true, backupPath: edited.backupPath, previousSha256: sha256(edited.before), afterSha256: sha256(params.content), ...previous };
    }
    // Same bytes: change only what differs, and keep the file (and its times) as it is.
    const { backupPath, before } = await backupAndRead(ctx, path, backup, facts.content);
    const undo: FileContentUndo = { path, changed: true, existed: true, backupPath, previousSha256: sha256(before), afterSha256: sha256(params.content), ...previous };
    const chmod = want.mode !== undefined && (diff.mode || diff.owner);
    if (diff.owner && params.owner !== undefined) await remote.run(['chown', '--', params.owner, path], execOptions(ctx, { last: !chmod }));
    if (want.mode !== undefined && chmod) {
      // chown may clear setuid/setgid bits, so the mode goes second.
      await remote.run(['chmod', '--', formatMode(want.mode), path], execOptions(ctx, { last: true }));
    }
    return undo;
  },

  async rollback(ctx: StepContext, _params: FileContentParams, undo: FileContentUndo): Promise<void> {
    await restoreFile(ctx, undo);
  },
};
