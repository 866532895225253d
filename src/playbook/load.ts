/**
 * Loads a playbook: YAML with positions -> JSON Schema -> the checks the schema cannot make ->
 * a Playbook with defaults applied. Every problem is collected and thrown as one InputError.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { registeredFacts, type FactLookup } from '../facts/registry.js';
import { checkSteps, checkTemplates, type CheckedStep } from './check-steps.js';
import { parseDuration } from '../duration.js';
import { describeFound } from './input/describe.js';
import { isRecord } from './input/field-path.js';
import { bundledSchema, validateWithSchema, type JsonSchema } from './input/json-schema.js';
import { playbookSchemaForLoader } from './step-schemas.js';
import { ProblemList } from './input/problem-list.js';
import { readInputFile } from './input/read-file.js';
import { decodeUtf8 } from './input/utf8.js';
import { schemaProblems } from './input/schema-problems.js';
import { YamlSource } from './input/yaml-source.js';
import { rememberLocations } from './locations.js';
import { registeredStepTypes, type StepTypeLookup } from './step-types.js';
import type { Playbook, RollingPolicy, StepSpec, TopologyLimit } from './types.js';
import { builtinNames, builtinRoot } from './var-resolver.js';

export interface LoadPlaybookOptions {
  /** Step types to accept in `uses:`. Default: the built-in registry. */
  stepTypes?: StepTypeLookup;
  /** Facts `when:` may test. Default: the built-in registry. */
  facts?: FactLookup;
}

export const defaultStepTimeoutMs = 10 * 60_000;

/** Reads and validates a playbook file. Throws InputError listing every problem found. */
export async function loadPlaybook(file: string, options: LoadPlaybookOptions = {}): Promise<Playbook> {
  return parsePlaybook(file, await readInputFile(file, 'playbook'), options);
}

/** Like loadPlaybook, from content already in memory; `file` is used in messages. */
export function parsePlaybook(file: string, content: string | Uint8Array, options: LoadPlaybookOptions = {}): Playbook {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const parsed = YamlSource.parse(file, typeof content === 'string' ? content : decodeUtf8(file, bytes));
  if (parsed.problems.length > 0) throw new InputError(parsed.problems);
  const { source, data } = parsed;
  if (!isRecord(data)) throw new InputError([source.problemAt([], rootProblem(data))]);
  const problems = new ProblemList(source);

  const schemaErrors = validateWithSchema(loaderSchema(), data).filter(
    // Conditions are checked by checkSteps, with messages that name the broken rule.
    (e) => !/^\/steps\/[0-9]+\/when(\/|$)/.test(e.instancePath),
  );
  problems.addAll(schemaProblems(schemaErrors, data, { locator: source }));
  checkVarsSection(data.vars, problems);
  const checked = checkSteps(data.steps, options.stepTypes ?? registeredStepTypes, options.facts ?? registeredFacts, source, problems);
  problems.throwIfAny();

  const playbook = buildPlaybook(file, bytes, data, checked, source);
  rememberLocations(playbook, source);
  return playbook;
}

let loaderSchemaCache: JsonSchema | undefined;
/** The bundled playbook schema without its generated step-type parts (checkSteps checks `uses:` and `with:`). */
export function loaderSchema(): JsonSchema {
  loaderSchemaCache ??= playbookSchemaForLoader(bundledSchema('playbook.schema.json'));
  return loaderSchemaCache;
}

function rootProblem(data: unknown): string {
  if (data === null || data === undefined) {
    return "the file is empty; a playbook is a map with at least 'name' and 'steps'";
  }
  return `the top level must be a map with 'name' and 'steps' (found ${describeFound(data)})`;
}

function checkVarsSection(vars: unknown, problems: ProblemList): void {
  if (!isRecord(vars)) return;
  if (builtinRoot in vars) {
    problems.add(['vars', builtinRoot], `'${builtinRoot}' is reserved for the built-in vars ${builtinNames.join(', ')}; pick another name`, {
      target: 'key',
      field: ['vars'],
    });
  }
  checkTemplates(vars, ['vars'], problems);
}

/**
 * The validated data as a Playbook. Only called once every check passed, so the casts below
 * restate what the schema guaranteed.
 */
function buildPlaybook(
  file: string,
  bytes: Uint8Array,
  data: Record<string, unknown>,
  checked: CheckedStep[],
  source: YamlSource,
): Playbook {
  const steps = (data.steps as Array<Record<string, unknown>>).map((step, index): StepSpec => {
    const params = (step.with ?? {}) as Record<string, unknown>;
    const withPath = ['steps', index, 'with'];
    return {
      id: checked[index]?.id ?? '',
      name: (step.name as string | undefined) ?? (step.uses as string),
      uses: step.uses as string,
      with: params,
      when: checked[index]?.when,
      on: step.on as string | undefined,
      timeoutMs: step.timeout === undefined ? defaultStepTimeoutMs : parseDuration(step.timeout as string | number),
      retries: (step.retries as number | undefined) ?? 0,
      checkpoint: (step.checkpoint as boolean | undefined) ?? false,
      preflight: (step.preflight as boolean | undefined) ?? false,
      location: source.locate(['steps', index]),
      withLocations: Object.fromEntries(Object.keys(params).map((key) => [key, source.locate([...withPath, key])])),
    };
  });
  const hosts = data.hosts === undefined ? ['all'] : ([] as string[]).concat(data.hosts as string | string[]);
  return {
    file,
    name: data.name as string,
    description: data.description as string | undefined,
    hosts,
    vars: (data.vars ?? {}) as Record<string, unknown>,
    rolling: buildRolling((data.rolling ?? {}) as Record<string, unknown>),
    steps,
    contentHash: createHash('sha256').update(bytes).digest('hex'),
  };
}

function buildRolling(rolling: Record<string, unknown>): RollingPolicy {
  const pause = rolling.pause as number | string | undefined;
  return {
    batch: (rolling.batch as RollingPolicy['batch'] | undefined) ?? 1,
    maxFailed: (rolling.maxFailed as RollingPolicy['maxFailed'] | undefined) ?? 0,
    onFailure: (rolling.onFailure as RollingPolicy['onFailure'] | undefined) ?? 'stop',
    pause: pause === 'confirm' ? 'confirm' : pause === undefined ? 0 : parseDuration(pause) / 1000,
    serialFirst: (rolling.serialFirst as string[] | undefined) ?? [],
    ...(rolling.maxUnavailable !== undefined ? { maxUnavailable: rolling.maxUnavailable as number | string } : {}),
    ...(rolling.maxUnavailablePer !== undefined ? { maxUnavailablePer: { max: 1, ...(rolling.maxUnavailablePer as Omit<TopologyLimit, 'max'>) } } : {}),
  };
}
