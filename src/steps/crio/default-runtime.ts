/**
 * `crio.defaultRuntime`: CRI-O's default OCI runtime is pinned (field note 3: the CRI-O 1.30
 * package ships `crio.conf.d/10-crio.conf` with `default_runtime = "crun"`, and CRI-O loses track
 * of containers started under runc).
 *
 * The pin is a drop-in that sorts after the packaged files (`99-slipway-default-runtime.conf`)
 * setting `[crio.runtime] default_runtime` and the `[crio.runtime.runtimes.<runtime>]` table.
 * CRI-O replaces a runtime table from an earlier file as a whole, so the drop-in repeats the
 * table as the other files define it (monitor_path, runtime_root, ...) with `runtime_path` and
 * `runtime_type` set as asked.
 *
 * The check is against CRI-O's merged configuration, not only the file written: `crio config`
 * on the node when it works (what CRI-O will use at its next start), else slipway's own merge of
 * crio.conf and crio.conf.d/* in lexical order. `crio status config` (the running daemon) only
 * says whether a restart is still due; restarting crio is a separate `systemd.service` step.
 *
 * The previous drop-in (or its absence) is kept in the undo record, not as a backup file: CRI-O
 * reads every file in crio.conf.d, whatever its name.
 */
import { dirname } from 'node:path';
import { stringify as stringifyToml } from 'smol-toml';
import { RollbackError, SlipwayError } from '../../errors.js';
import {
  mergeCrioConfigs,
  parseCrioConfigOutput,
  runtimeView,
  walkOrder,
  type ConfigFile,
  type CrioRuntimeView,
  type TomlTable,
} from '../../facts/crio-config.js';
import { execOptions } from '../../facts/exec-options.js';
import { fileDiff, sha256 } from '../file/backup.js';
import { CRIO_CRUN_DROP_IN_FROM, CRIO_PACKAGED_DROP_IN, CRIO_PACKAGED_DROP_IN_CONTENT } from '../../kb/crio-packaging.js';
import { atLeast } from '../../kb/versions.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';

export interface CrioDefaultRuntimeParams {
  runtime: string;
  runtimePath?: string;
  runtimeType?: 'oci' | 'vm' | 'pod';
  dropIn?: string;
  configFile?: string;
  configDir?: string;
}

/** A configuration as a source sees it, or why that source could not be read. */
export type ConfigReading = { view: CrioRuntimeView } | { error: string };

export interface CrioDefaultRuntimeFacts {
  dropInPath: string;
  /** The drop-in's content, or null when it does not exist. */
  dropIn: string | null;
  /** crio.conf (when it exists), then every file of crio.conf.d in the order CRI-O reads them. */
  files: ConfigFile[];
  /** `crio config`: the configuration CRI-O builds from the files at its next start. */
  crioConfig: ConfigReading;
  /** `crio status config`: the running daemon's configuration. */
  running: ConfigReading;
}

export interface CrioDefaultRuntimeUndo {
  path: string;
  changed: boolean;
  /** The drop-in before apply; null when there was none (rollback deletes it). */
  previous: string | null;
  /** sha256 of what apply wrote; rollback leaves a file changed since alone. */
  afterSha256: string;
}

export const DEFAULT_CONFIG_FILE = '/etc/crio/crio.conf';
export const DEFAULT_CONFIG_DIR = '/etc/crio/crio.conf.d';
export const DEFAULT_DROP_IN = '99-slipway-default-runtime.conf';

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: "Pin CRI-O's default OCI runtime with a drop-in, verified against CRI-O's merged configuration.",
  additionalProperties: false,
  required: ['runtime'],
  properties: {
    runtime: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]+$',
      description: 'The runtime handler to make the default, e.g. "runc".',
    },
    runtimePath: {
      type: 'string',
      pattern: '^/',
      description: 'The runtime binary (`runtime_path`), e.g. "/usr/bin/runc". Unset: as the other files say, else found in $PATH.',
    },
    runtimeType: {
      enum: ['oci', 'vm', 'pod'],
      description: '`runtime_type` of the handler. Unset: as the other files say, else "oci".',
    },
    dropIn: {
      type: 'string',
      pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$',
      default: DEFAULT_DROP_IN,
      description: 'File name of the drop-in in configDir. It must sort after the packaged files (10-crio.conf).',
    },
    configFile: {
      type: 'string',
      pattern: '^/',
      default: DEFAULT_CONFIG_FILE,
      description: "CRI-O's main configuration file (read first).",
    },
    configDir: {
      type: 'string',
      pattern: '^/',
      default: DEFAULT_CONFIG_DIR,
      description: "CRI-O's drop-in directory (files read in lexical order, later ones win).",
    },
  },
};

const HEADER = [
  '# Written by slipway (crio.defaultRuntime): pins the default OCI runtime of CRI-O.',
  '# CRI-O reads crio.conf.d in lexical order and the last file wins; a runtime table',
  '# here replaces the one of the same name from earlier files, so it repeats its settings.',
  '',
].join('\n');

function paths(params: CrioDefaultRuntimeParams): { configFile: string; configDir: string; dropInPath: string } {
  const configFile = params.configFile ?? DEFAULT_CONFIG_FILE;
  const configDir = (params.configDir ?? DEFAULT_CONFIG_DIR).replace(/\/+$/, '');
  return { configFile, configDir, dropInPath: `${configDir}/${params.dropIn ?? DEFAULT_DROP_IN}` };
}

/** The drop-in's content: the default and the handler table, built on the other files' handler. Pure. */
export function renderDropIn(params: CrioDefaultRuntimeParams, basis: CrioRuntimeView): string {
  const handler: TomlTable = { ...(basis.runtimes[params.runtime] ?? {}) };
  if (params.runtimePath !== undefined) handler.runtime_path = params.runtimePath;
  handler.runtime_type = params.runtimeType ?? handler.runtime_type ?? 'oci';
  const table = { crio: { runtime: { default_runtime: params.runtime, runtimes: { [params.runtime]: handler } } } };
  return `${HEADER}${stringifyToml(table)}`;
}

export interface CrioPlan {
  wanted: string;
  dropInOk: boolean;
  /** The merged configuration as checked, and where it came from. */
  effective: CrioRuntimeView;
  effectiveFrom: string;
  effectiveOk: boolean;
  /** Which file sets default_runtime last (slipway's own merge). */
  setBy: string | undefined;
  /** With the wanted drop-in in place (slipway's merge): does the pin win, and who sets the runtime last. */
  pinWins: boolean;
  pinned: { view: CrioRuntimeView; setBy: string | undefined; tableFrom: string | undefined };
  parseErrors: string[];
}

/** The files CRI-O would read with `dropIn` written: it takes its place in the directory's order. Pure. */
function withDropIn(others: readonly ConfigFile[], dropIn: ConfigFile): ConfigFile[] {
  const dir = `${dirname(dropIn.path)}/`;
  const at = others.findIndex((f) => f.path.startsWith(dir) && walkOrder(dropIn.path, f.path) < 0);
  return at < 0 ? [...others, dropIn] : [...others.slice(0, at), dropIn, ...others.slice(at)];
}

/** Everything check and apply decide on. Pure. */
export function planDefaultRuntime(params: CrioDefaultRuntimeParams, facts: CrioDefaultRuntimeFacts): CrioPlan {
  const others = facts.files.filter((f) => f.path !== facts.dropInPath);
  const basis = mergeCrioConfigs(others);
  const wanted = renderDropIn(params, runtimeView(basis.config));
  const merged = mergeCrioConfigs(facts.files);
  const fromCrio = 'view' in facts.crioConfig ? facts.crioConfig.view : undefined;
  const effective = fromCrio ?? runtimeView(merged.config);
  const pinned = mergeCrioConfigs(withDropIn(others, { path: facts.dropInPath, content: wanted }));
  const pinnedView = runtimeView(pinned.config);
  return {
    pinWins: satisfies(params, pinnedView),
    pinned: { view: pinnedView, setBy: pinned.defaultRuntimeFrom, tableFrom: pinned.runtimeFrom[params.runtime] },
    wanted,
    dropInOk: facts.dropIn === wanted,
    effective,
    effectiveFrom: fromCrio ? '`crio config`' : 'crio.conf + crio.conf.d',
    effectiveOk: satisfies(params, effective),
    setBy: merged.defaultRuntimeFrom,
    parseErrors: merged.errors.map((e) => `${e.path}: ${e.message}`),
  };
}

function satisfies(params: CrioDefaultRuntimeParams, view: CrioRuntimeView): boolean {
  const handler = view.runtimes[params.runtime];
  if (view.defaultRuntime !== params.runtime || handler === undefined) return false;
  if (params.runtimePath !== undefined && handler.runtime_path !== params.runtimePath) return false;
  if (params.runtimeType !== undefined && (handler.runtime_type ?? 'oci') !== params.runtimeType) return false;
  return true;
}

function describeEffective(plan: CrioPlan): string {
  const now = plan.effective.defaultRuntime ?? "CRI-O's built-in default";
  const by = plan.setBy && plan.effectiveFrom !== '`crio config`' ? `, set by ${plan.setBy}` : plan.setBy ? ` (last set by ${plan.setBy})` : '';
  return `default_runtime is ${now} per ${plan.effectiveFrom}${by}`;
}

/** Why the pin would lose, naming the file that overrides it. Pure. */
function losingPin(params: CrioDefaultRuntimeParams, dropInPath: string, plan: CrioPlan): string {
  const { view, setBy, tableFrom } = plan.pinned;
  const fix = 'remove or change that file, or name a dropIn that sorts after it';
  if (view.defaultRuntime !== params.runtime) {
    return `the pin of ${params.runtime} would not win: ${setBy ?? 'another file'} sorts after ${dropInPath} and sets default_runtime = "${view.defaultRuntime ?? '?'}", so CRI-O would run ${view.defaultRuntime ?? '?'}; ${fix}`;
  }
  return `the pin of ${params.runtime} would not win: ${tableFrom ?? 'another file'} sorts after ${dropInPath} and redefines the ${params.runtime} runtime table; ${fix}`;
}

function runningNote(params: CrioDefaultRuntimeParams, facts: CrioDefaultRuntimeFacts): string {
  if (!('view' in facts.running)) return '';
  const running = facts.running.view.defaultRuntime;
  return running !== undefined && running !== params.runtime ? `; the running crio still uses ${running}: restart crio to apply it` : '';
}

const CRIO_CONFIG_ERROR_LINES = 3;

async function readConfigCommand(ctx: StepContext, argv: string[]): Promise<ConfigReading> {
  const r = await ctx.remote.exec(argv, execOptions(ctx));
  if (r.code !== 0) {
    const why = (r.stderr || r.stdout).trim().split('\n').slice(-CRIO_CONFIG_ERROR_LINES).join(' | ');
    return { error: `\`${argv.join(' ')}\` exited ${r.code}${why ? `: ${why}` : ''}` };
  }
  try {
    return { view: parseCrioConfigOutput(r.stdout) };
  } catch (err) {
    return { error: `\`${argv.join(' ')}\` printed no TOML: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}` };
  }
}

async function readFacts(ctx: StepContext, params: CrioDefaultRuntimeParams): Promise<CrioDefaultRuntimeFacts> {
  const { remote } = ctx;
  const { configFile, configDir, dropInPath } = paths(params);
  const files: ConfigFile[] = [];
  const main = await remote.readFile(configFile);
  if (main !== null) files.push({ path: configFile, content: main });
  const listed = await remote.exec(['find', configDir, '-mindepth', '1', '!', '-type', 'd', '-print0'], execOptions(ctx));
  const names = listed.code === 0 ? listed.stdout.split('\0').filter((p) => p.startsWith('/')) : [];
  for (const path of names.sort(walkOrder)) {
    const content = await remote.readFile(path);
    if (content !== null) files.push({ path, content });
  }
  const dropIn = files.find((f) => f.path === dropInPath)?.content ?? null;
  const globals = [
    ...(configFile !== DEFAULT_CONFIG_FILE ? ['--config', configFile] : []),
    ...(configDir !== DEFAULT_CONFIG_DIR ? ['--config-dir', configDir] : []),
  ];
  const crioConfig = await readConfigCommand(ctx, ['crio', ...globals, 'config']);
  const running = await readConfigCommand(ctx, ['crio', 'status', 'config']);
  return { dropInPath, dropIn, files, crioConfig, running };
}

export const crioDefaultRuntimeStep: StepType<CrioDefaultRuntimeParams, CrioDefaultRuntimeFacts, CrioDefaultRuntimeUndo> = {
  kind: 'crio.defaultRuntime',
  description: "Pin CRI-O's default OCI runtime (e.g. runc) with a late drop-in, checked against CRI-O's merged configuration.",
  paramsSchema,

  facts: readFacts,

  project(params: CrioDefaultRuntimeParams, facts: CrioDefaultRuntimeFacts, projection: Projection): CrioDefaultRuntimeFacts {
    const pkg = projection.package('cri-o');
    const written = projection.filesUnder(`${paths(params).configDir}/`);
    const touched = written.length > 0 || projection.hasFile(paths(params).configFile);
    if (!pkg && !touched) return facts;
    // The files as the package upgrade and the earlier steps leave them; `crio config` is not asked
    // of a CRI-O that is not installed yet: slipway's merge of the files stands for it.
    const files = facts.files
      .map((f) => ({ path: f.path, content: projection.file(f.path, f.content) }))
      .filter((f): f is ConfigFile => f.content !== null);
    if (pkg && atLeast(pkg.version, CRIO_CRUN_DROP_IN_FROM) && !projection.hasFile(CRIO_PACKAGED_DROP_IN)) {
      // The package's drop-in, as dpkg leaves it: a conffile the operator has not edited takes the
      // new package's content (pkg.install keeps an edited one, --force-confold); the plan cannot
      // tell the two apart and expects the package's.
      const packaged = { path: CRIO_PACKAGED_DROP_IN, content: CRIO_PACKAGED_DROP_IN_CONTENT };
      const at = files.findIndex((f) => f.path === CRIO_PACKAGED_DROP_IN);
      if (at >= 0) files[at] = packaged;
      else files.push(packaged);
    }
    for (const { path, content } of written) {
      if (content !== null && !files.some((f) => f.path === path)) files.push({ path, content });
    }
    files.sort((a, b) => (a.path === paths(params).configFile ? -1 : b.path === paths(params).configFile ? 1 : walkOrder(a.path, b.path)));
    const dropIn = files.find((f) => f.path === facts.dropInPath)?.content ?? null;
    return { ...facts, files, dropIn, crioConfig: { error: 'not asked: CRI-O is upgraded by an earlier step' } };
  },

  predict(params: CrioDefaultRuntimeParams, facts: CrioDefaultRuntimeFacts, projection: Projection): void {
    projection.setFile(facts.dropInPath, planDefaultRuntime(params, facts).wanted);
  },

  check(params: CrioDefaultRuntimeParams, facts: CrioDefaultRuntimeFacts): CheckResult {
    const plan = planDefaultRuntime(params, facts);
    const broken = plan.parseErrors.length > 0 ? `; CRI-O will not start: ${plan.parseErrors.join('; ')}` : '';
    if (plan.dropInOk && plan.effectiveOk) {
      return {
        status: 'ok',
        summary: `default_runtime is ${params.runtime} per ${plan.effectiveFrom}, pinned by ${facts.dropInPath}${runningNote(params, facts)}${broken}`,
      };
    }
    // Known before anything is written: a later file (or a runtime table) overrides the pin.
    if (!plan.pinWins) return { status: 'fail', reason: `${losingPin(params, facts.dropInPath, plan)}${broken}` };
    if (plan.dropInOk) {
      return {
        status: 'fail',
        reason: `${facts.dropInPath} pins ${params.runtime} but ${describeEffective(plan)}: something outside crio.conf.d overrides it${broken}`,
      };
    }
    const verb = facts.dropIn === null ? 'create' : 'update';
    return {
      status: 'change',
      summary: `${verb} ${facts.dropInPath}: default_runtime = "${params.runtime}" (before it: ${describeEffective(plan)})${broken}`,
      diff: fileDiff(facts.dropInPath, facts.dropIn, plan.wanted),
    };
  },

  async apply(ctx: StepContext, params: CrioDefaultRuntimeParams, facts: CrioDefaultRuntimeFacts): Promise<CrioDefaultRuntimeUndo> {
    const { remote } = ctx;
    const plan = planDefaultRuntime(params, facts);
    const undo: CrioDefaultRuntimeUndo = {
      path: facts.dropInPath,
      changed: !plan.dropInOk,
      previous: facts.dropIn,
      afterSha256: sha256(plan.wanted),
    };
    // The write creates crio.conf.d when it is missing (Remote.writeFile): no mkdir of its own.
    if (!plan.dropInOk) await remote.writeFile(facts.dropInPath, plan.wanted, facts.dropIn === null ? { mode: 0o644 } : {});
    // The pin must show in the merged configuration; if a later file overrides it, say so and undo.
    const after = planDefaultRuntime(params, await readFacts(ctx, params));
    if (!after.effectiveOk) {
      if (undo.changed) await restore(ctx, undo);
      throw new SlipwayError(
        `${remote.host}: wrote ${facts.dropInPath}, but ${describeEffective(after)}: ` +
          `a file that sorts after it (or the main config's flags) overrides the pin; ${undo.changed ? 'the drop-in was put back as it was' : 'nothing was changed'}`,
      );
    }
    return undo;
  },

  async rollback(ctx: StepContext, _params: CrioDefaultRuntimeParams, undo: CrioDefaultRuntimeUndo): Promise<void> {
    if (undo.changed) await restore(ctx, undo);
  },
};

/** Puts the drop-in back as it was; refuses when someone changed it since apply. Idempotent. */
async function restore(ctx: StepContext, undo: CrioDefaultRuntimeUndo): Promise<void> {
  const { remote } = ctx;
  const current = await remote.readFile(undo.path);
  if (current === undo.previous) return; // already as it was
  if (current === null || sha256(current) !== undo.afterSha256) {
    throw new RollbackError(
      `${remote.host}: ${undo.path} changed after slipway wrote it; not touching it. Check it by hand and ` +
        `${undo.previous === null ? 'delete it' : 'restore its previous content'} if that is still right.`,
    );
  }
  if (undo.previous === null) await remote.run(['rm', '-f', '--', undo.path], execOptions(ctx));
  else await remote.writeFile(undo.path, undo.previous);
}
