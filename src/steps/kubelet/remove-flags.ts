/**
 * `kubelet.removeFlags`: take flags that the target kubelet no longer accepts out of every file
 * that builds its command line (unit, drop-ins, environment files), so that the upgraded kubelet
 * starts (field note 5).
 *
 * Each changed file is backed up next to itself (`<path>.slipway-<time>.bak`, outside the
 * `*.conf` glob systemd reads drop-ins with) and shown as a unified diff in the plan. When a unit
 * file or drop-in changed, `systemctl daemon-reload` follows; environment files are read by
 * systemd at each start and need none. Restarting kubelet is a separate `systemd.service` step.
 */
import { InputError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import { probeKubeletFiles, unitName, type KubeletFile } from '../../facts/kubelet-files.js';
import { flagsRemovedBy, normalizeFlag, removedFlagInfo } from '../../kb/kubelet-flags.js';
import { changedOrUndefined, editWithBackup, fileDiff, restoreFile, sha256, type FileUndo } from '../file/backup.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { removeKubeletFlags, syntaxForPath, type FlagFileSyntax, type FlagRemoval, type FlagSpec } from './flag-edit.js';

export interface KubeletRemoveFlagsParams {
  flags?: string[];
  removedBy?: string;
  unit?: string;
  files?: string[];
  backup?: boolean;
  daemonReload?: boolean;
}

export interface KubeletFlagFile {
  path: string;
  syntax: FlagFileSyntax;
  content: string;
}

export interface KubeletRemoveFlagsFacts {
  files: KubeletFlagFile[];
}

export interface KubeletRemoveFlagsUndo {
  /** One record a changed file, in the order apply wrote them. */
  files: FileUndo[];
  /** apply ran `systemctl daemon-reload`; rollback runs it again after restoring. */
  daemonReloaded: boolean;
}

const flagPattern = '^-{0,2}[A-Za-z0-9][A-Za-z0-9-]*$';

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: "Remove kubelet flags from the unit, drop-ins and environment files that build kubelet's command line.",
  additionalProperties: false,
  anyOf: [
    { properties: { flags: true }, required: ['flags'] },
    { properties: { removedBy: true }, required: ['removedBy'] },
  ],
  properties: {
    flags: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: flagPattern },
      description:
        'Flags to remove, e.g. ["--container-runtime", "--pod-infra-container-image"]. Each is removed with its value ' +
        '(`--flag=v`, `--flag v`, `--flag "v w"`); a longer flag that starts the same (`--container-runtime-endpoint`) is kept.',
    },
    removedBy: {
      type: 'string',
      pattern: '^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?([-+.~][0-9A-Za-z.~+-]*)?$',
      description:
        'A target Kubernetes version ("1.27.16"): also remove every flag that kubelet release no longer accepts, ' +
        "from slipway's table of removed flags (src/kb/kubelet-flags.ts).",
    },
    unit: {
      type: 'string',
      pattern: '^[A-Za-z0-9:_.\\\\@-]+$',
      default: 'kubelet.service',
      description: 'The kubelet unit whose unit file, drop-ins and EnvironmentFile= files are searched.',
    },
    files: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^/' },
      description:
        'Edit exactly these files instead of finding them. `*.service` and `*.service.d/*.conf` are read as systemd ' +
        'units, anything else as environment files (KEY="...").',
    },
    backup: {
      type: 'boolean',
      default: true,
      description: 'Keep a copy of each changed file next to it (`<path>.slipway-<time>.bak`) so rollback can restore it.',
    },
    daemonReload: {
      type: 'boolean',
      default: true,
      description: 'Run `systemctl daemon-reload` after a unit file or drop-in changed (and again after a rollback).',
    },
  },
};

/** The flags to remove: the params' own and, with `removedBy`, the knowledge base's. Pure. */
export function resolveFlags(params: KubeletRemoveFlagsParams): FlagSpec[] {
  const specs = new Map<string, FlagSpec>();
  for (const raw of params.flags ?? []) {
    const flag = normalizeFlag(raw);
    specs.set(flag, { flag, boolean: removedFlagInfo(flag)?.boolean ?? false });
  }
  if (params.removedBy !== undefined) {
    let removed;
    try {
      removed = flagsRemovedBy(params.removedBy);
    } catch (err) {
      throw new InputError(`kubelet.removeFlags: removedBy ${JSON.stringify(params.removedBy)} is not a Kubernetes version`, {
        cause: err,
      });
    }
    for (const f of removed) specs.set(f.flag, { flag: f.flag, boolean: f.boolean ?? false });
  }
  return [...specs.values()];
}

interface PlannedFile {
  file: KubeletFlagFile;
  after: string;
  removals: FlagRemoval[];
}

function planEdits(params: KubeletRemoveFlagsParams, facts: KubeletRemoveFlagsFacts): PlannedFile[] {
  const flags = resolveFlags(params);
  return facts.files.map((file) => {
    const edit = removeKubeletFlags(file.content, file.syntax, flags);
    return { file, after: edit.content, removals: edit.removals };
  });
}

function describeFlags(flags: FlagSpec[], params: KubeletRemoveFlagsParams): string {
  if (flags.length === 0) return 'no flags';
  const names = flags.map((f) => f.flag);
  if (names.length <= 4) return names.join(', ');
  const which = params.removedBy !== undefined ? ` kubelet ${params.removedBy} no longer accepts` : '';
  return `the ${names.length} flags${which} (${names.slice(0, 3).join(', ')}, …)`;
}

export const kubeletRemoveFlagsStep: StepType<KubeletRemoveFlagsParams, KubeletRemoveFlagsFacts, KubeletRemoveFlagsUndo> = {
  kind: 'kubelet.removeFlags',
  description: "Remove flags that the target kubelet no longer accepts from every file that builds its command line (backup, diff, daemon-reload).",
  paramsSchema,

  async facts(ctx: StepContext, params: KubeletRemoveFlagsParams): Promise<KubeletRemoveFlagsFacts> {
    if (params.files !== undefined) {
      const files: KubeletFlagFile[] = [];
      for (const path of params.files) {
        const content = await ctx.remote.readFile(path);
        if (content !== null) files.push({ path, syntax: syntaxForPath(path), content });
      }
      return { files };
    }
    const found: KubeletFile[] = await probeKubeletFiles(ctx.remote, params.unit ?? 'kubelet.service', ctx);
    return {
      files: found.map((f) => ({ path: f.path, content: f.content, syntax: f.kind === 'unit' ? 'systemd' : 'env' })),
    };
  },

  project(_params: KubeletRemoveFlagsParams, facts: KubeletRemoveFlagsFacts, projection: Projection): KubeletRemoveFlagsFacts {
    return { files: facts.files.flatMap((f) => { const content = projection.file(f.path, f.content); return content === null ? [] : [{ ...f, content }]; }) };
  },

  predict(params: KubeletRemoveFlagsParams, facts: KubeletRemoveFlagsFacts, projection: Projection): void {
    for (const p of planEdits(params, facts)) if (p.removals.length > 0) projection.setFile(p.file.path, p.after);
    if (params.daemonReload !== false) projection.setUnit(params.unit ?? 'kubelet.service', {});
  },

  check(params: KubeletRemoveFlagsParams, facts: KubeletRemoveFlagsFacts): CheckResult {
    const flags = resolveFlags(params);
    const where = params.files !== undefined ? 'the given files' : `the files that build ${unitName(params.unit ?? 'kubelet')}'s command line`;
    if (flags.length === 0) {
      return { status: 'ok', summary: `no flags to remove (kubelet ${params.removedBy ?? '?'} removed none that slipway knows)` };
    }
    if (facts.files.length === 0) {
      return { status: 'ok', summary: `none of ${describeFlags(flags, params)}: no kubelet unit or environment file found` };
    }
    const planned = planEdits(params, facts).filter((p) => p.removals.length > 0);
    if (planned.length === 0) {
      return {
        status: 'ok',
        summary: `none of ${describeFlags(flags, params)} in ${where} (${facts.files.map((f) => f.path).join(', ')})`,
      };
    }
    const parts = planned.map((p) => `${p.removals.map((r) => `${r.text}`).join(', ')} from ${p.file.path}`);
    const reload = params.daemonReload !== false && planned.some((p) => p.file.syntax === 'systemd') ? '; then systemctl daemon-reload' : '';
    return {
      status: 'change',
      summary: `remove ${parts.join('; ')}${reload}`,
      diff: planned.map((p) => fileDiff(p.file.path, p.file.content, p.after)).join(''),
    };
  },

  async apply(ctx: StepContext, params: KubeletRemoveFlagsParams, facts: KubeletRemoveFlagsFacts): Promise<KubeletRemoveFlagsUndo> {
    const { remote } = ctx;
    const flags = resolveFlags(params);
    const undo: KubeletRemoveFlagsUndo = { files: [], daemonReloaded: false };
    let unitChanged = false;
    const editing = facts.files.filter((file) => removeKubeletFlags(file.content, file.syntax, flags).removals.length > 0);
    // The step's last command: the daemon-reload when a unit file is among those edited, else the last write.
    const reloads = params.daemonReload !== false && editing.some((file) => file.syntax === 'systemd');
    for (const file of editing) {
      // The backup goes with the write; the edit is of what the backup holds (editWithBackup).
      const edit = (before: string) => changedOrUndefined(before, removeKubeletFlags(before, file.syntax, flags).content);
      const last = !reloads && file === editing.at(-1);
      const edited = await editWithBackup(ctx, file.path, file.content, edit, { backup: params.backup !== false, last });
      if (!edited.written) continue;
      undo.files.push({
        path: file.path,
        changed: true,
        existed: true,
        backupPath: edited.backupPath,
        previousSha256: sha256(edited.before),
        afterSha256: sha256(edited.after),
      });
      if (file.syntax === 'systemd') unitChanged = true;
    }
    if (unitChanged && params.daemonReload !== false) {
      await remote.run(['systemctl', 'daemon-reload'], execOptions(ctx, { last: true }));
      undo.daemonReloaded = true;
    }
    return undo;
  },

  async rollback(ctx: StepContext, _params: KubeletRemoveFlagsParams, undo: KubeletRemoveFlagsUndo): Promise<void> {
    for (const file of [...undo.files].reverse()) await restoreFile(ctx, file);
    if (undo.daemonReloaded) await ctx.remote.run(['systemctl', 'daemon-reload'], execOptions(ctx));
  },
};
