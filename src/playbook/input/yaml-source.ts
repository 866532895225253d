/**
 * A YAML file parsed with positions, so that any problem found later in the plain data can be
 * reported at `file:line:col` with the path of the field.
 */
import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Pair,
  type YAMLError,
} from 'yaml';
import type { InputProblem, SourceLocation } from '../../errors.js';
import { formatFieldPath, type FieldPath, type PathSegment } from './field-path.js';
import { openAt } from './unclosed.js';
import { plainYamlMap } from './yaml-plain.js';

/** Point at a map entry's value (the default) or at its key (for unknown or duplicate keys). */
export type LocateTarget = 'value' | 'key';

export interface ProblemOptions {
  target?: LocateTarget;
  /** The field named in the message, when it differs from where the problem points. */
  field?: FieldPath;
}

export interface ParsedYaml {
  source: YamlSource;
  /** Plain data; undefined when there are problems or the document is empty. */
  data: unknown;
  problems: InputProblem[];
}

export interface ParseOptions {
  /**
   * Read the data with the fast reader first (src/playbook/input/yaml-plain.ts) and parse the
   * positions only when a problem must be located: for large files whose every field is not
   * located anyway (an inventory).
   */
  positionsWhenNeeded?: boolean;
}

interface Positioned {
  doc: Document.Parsed;
  lines: LineCounter;
}

export class YamlSource {
  private constructor(
    readonly file: string,
    readonly text: string,
    private positioned: Positioned | undefined,
  ) {}

  /** Parses one YAML document. Syntax errors, duplicate keys and dangling aliases are problems. */
  static parse(file: string, text: string, options: ParseOptions = {}): ParsedYaml {
    const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
    if (options.positionsWhenNeeded) {
      const data = plainYamlMap(body);
      if (data !== undefined) return { source: new YamlSource(file, body, undefined), data, problems: [] };
    }
    const source = new YamlSource(file, body, positionedParse(body));
    const { doc } = source;
    const problems = uniqueProblems([...source.syntaxProblems(), ...source.structureProblems()]);
    if (problems.length > 0) return { source, data: undefined, problems: sortProblems(problems) };
    try {
      return { source, data: doc.toJS({ maxAliasCount: 1000 }), problems };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { source, data: undefined, problems: [source.problemAt([], `cannot read the YAML: ${message}`)] };
    }
  }

  /** Whether the document with positions has been parsed (it is not after a fast read until a problem is located). */
  get positionsParsed(): boolean {
    return this.positioned !== undefined;
  }

  /** The document with positions and its line offsets, parsed now if the fast read was enough until now. */
  private get positions(): Positioned {
    this.positioned ??= positionedParse(this.text);
    return this.positioned;
  }

  get doc(): Document.Parsed {
    return this.positions.doc;
  }

  /** The root node, or null for an empty document. */
  get root(): Node | null {
    return isNode(this.doc.contents) ? this.doc.contents : null;
  }

  /** 1-based line and column of a character offset. */
  position(offset: number): { line: number; col: number } {
    if (offset < 0) return { line: 1, col: 1 };
    return this.positions.lines.linePos(offset);
  }

  /** Where the value (or key) at `path` is; falls back to the nearest ancestor that exists. */
  locate(path: FieldPath, target: LocateTarget = 'value', field: FieldPath = path): SourceLocation {
    const found = this.walk(path);
    const keyNode = target === 'key' && found.complete ? found.pair?.key : undefined;
    const node = isNode(keyNode) ? keyNode : found.node;
    const offset = node?.range?.[0] ?? 0;
    const location: SourceLocation = { file: this.file, ...this.position(offset) };
    const fieldText = formatFieldPath(field);
    if (fieldText !== '') location.field = fieldText;
    return location;
  }

  problemAt(path: FieldPath, message: string, options: ProblemOptions = {}): InputProblem {
    return { location: this.locate(path, options.target, options.field ?? path), message };
  }

  /** The text the user wrote for the scalar at `path` (`1.30` for a number read as 1.3). */
  sourceTextAt(path: FieldPath): string | undefined {
    const found = this.walk(path);
    return found.complete && isScalar(found.node) ? found.node.source : undefined;
  }

  /** Follows `path` through maps, lists and aliases as far as it exists. */
  private walk(path: FieldPath): { node: Node | undefined; pair: Pair | undefined; complete: boolean } {
    let node: Node | undefined = this.root ?? undefined;
    let pair: Pair | undefined;
    for (const segment of path) {
      const current = this.resolveAlias(node);
      const next = childOf(current, segment);
      if (!next) return { node: current, pair, complete: false };
      pair = next.pair;
      // An empty value (`key:` with nothing) has no node of its own: point at its key.
      node = next.node ?? (isNode(next.pair?.key) ? next.pair.key : current);
    }
    return { node, pair, complete: true };
  }

  private resolveAlias(node: Node | undefined): Node | undefined {
    if (!isAlias(node)) return node;
    const target = node.resolve(this.doc);
    return isNode(target) ? target : node;
  }

  /** The parser's errors, less the ones that only repeat or follow from another. */
  private syntaxProblems(): InputProblem[] {
    const errors = this.doc.errors;
    const multiline = new Set(errors.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]));
    const firstStray = errors.find(isStrayToken);
    const kept = errors.filter(
      (e) =>
        // Duplicates are reported by structureProblems, with the field; the block-as-key error
        // only repeats what the multi-line key error says better; after a stray token the
        // parser complains about every token that follows.
        e.code !== 'DUPLICATE_KEY' &&
        !(e.code === 'BLOCK_AS_IMPLICIT_KEY' && multiline.has(e.pos[0])) &&
        !(isStrayToken(e) && e !== firstStray),
    );
    // Brackets look unclosed when a quote inside them is: the quote is the mistake to show.
    const quoteOpen = kept.some((e) => this.unclosedKind(e) === 'quote');
    return kept.filter((e) => !(quoteOpen && this.unclosedKind(e) === 'bracket')).map((e) => this.syntaxProblem(e));
  }

  private syntaxProblem(error: YAMLError): InputProblem {
    const start = this.position(error.pos[0]);
    const location: SourceLocation = { file: this.file, ...start };
    if (error.code === 'BLOCK_AS_IMPLICIT_KEY' || error.code === 'MULTILINE_IMPLICIT_KEY') {
      // A line indented deeper than the key above it continues that key's value.
      const next = this.position(error.pos[1]).line;
      if (next > start.line) {
        return {
          location,
          message: `bad indentation: line ${next} is indented deeper than the line above, so it reads as the rest of this value`,
        };
      }
    }
    const unclosed = this.unclosedProblem(error);
    return unclosed ?? { location, message: yamlErrorMessage(error) };
  }

  private unclosedKind(error: YAMLError): 'quote' | 'bracket' | undefined {
    if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) return 'quote';
    if (error.code === 'BAD_INDENT' && /^Flow (sequence|map)/.test(error.message)) return 'bracket';
    return undefined;
  }

  /** An unclosed quote or bracket, reported where it was opened. */
  private unclosedProblem(error: YAMLError): InputProblem | undefined {
    const at = (offset: number, message: string): InputProblem => ({
      location: { file: this.file, ...this.position(offset) },
      message,
    });
    const state = openAt(this.text, error.pos[0]);
    if (error.code === 'MISSING_CHAR' && /quote/.test(error.message) && state.quote !== undefined) {
      const quote = this.text[state.quote] ?? "'";
      return at(state.quote, `YAML syntax error: this quoted string is never closed (missing closing ${quote})`);
    }
    const flow = /^Flow (sequence|map)/.exec(error.message);
    if (error.code === 'BAD_INDENT' && flow) {
      const char = flow[1] === 'sequence' ? '[' : '{';
      const opener = [...state.brackets].reverse().find((b) => b.char === char);
      if (opener) {
        const closer = char === '[' ? ']' : '}';
        const what = char === '[' ? 'list' : 'map';
        return at(opener.offset, `YAML syntax error: this ${char} ${what} is never closed with ${closer} (or a line inside it is not indented enough)`);
      }
    }
    return undefined;
  }

  /** Duplicate keys (reported with the field and the first definition) and dangling aliases. */
  private structureProblems(): InputProblem[] {
    const problems: InputProblem[] = [];
    const visit = (node: unknown, path: PathSegment[]): void => {
      if (isAlias(node)) {
        if (node.resolve(this.doc) === undefined) {
          problems.push({
            location: { file: this.file, ...this.position(node.range?.[0] ?? 0), ...fieldOf(path) },
            message: `alias '*${node.source}' refers to no anchor (define '&${node.source}' before it)`,
          });
        }
      } else if (isMap(node)) {
        const firstLine = new Map<string, number>();
        for (const item of node.items) {
          const key = keyText(item.key);
          const keyOffset = isNode(item.key) ? (item.key.range?.[0] ?? 0) : 0;
          if (isMap(item.key) || isSeq(item.key)) {
            problems.push({
              location: { file: this.file, ...this.position(keyOffset), ...fieldOf(path) },
              message: `a key must be a plain value, not a ${isMap(item.key) ? 'map' : 'list'} (check the indentation and any '?')`,
            });
          }
          const seenAt = firstLine.get(key);
          if (seenAt !== undefined) {
            problems.push({
              location: { file: this.file, ...this.position(keyOffset), ...fieldOf(path) },
              message: `duplicate key '${key}' (first defined at line ${seenAt})`,
            });
          } else {
            firstLine.set(key, this.position(keyOffset).line);
          }
          visit(item.value, [...path, key]);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => visit(item, [...path, index]));
      }
    };
    visit(this.doc.contents, []);
    return problems;
  }
}

function positionedParse(text: string): Positioned {
  const lines = new LineCounter();
  // logLevel 'error': the yaml package would print warnings to stderr; we report problems instead.
  // uniqueKeys false: its duplicate-key check compares each key with every earlier one (most of
  // the time of a 10,000-host inventory); structureProblems finds duplicates with a map instead.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, keepSourceTokens: true, logLevel: 'error', uniqueKeys: false });
  return { doc, lines };
}

function childOf(node: Node | undefined, segment: PathSegment): { node: Node | undefined; pair?: Pair } | undefined {
  if (isMap(node)) {
    const key = String(segment);
    const pair = node.items.find((item) => keyText(item.key) === key);
    if (!pair) return undefined;
    return { node: isNode(pair.value) ? pair.value : undefined, pair };
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return isNode(item) ? { node: item } : undefined;
  }
  return undefined;
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  if (isNode(key)) return String(key.toJSON());
  return String(key);
}

function fieldOf(path: FieldPath): { field?: string } {
  const field = formatFieldPath(path);
  return field === '' ? {} : { field };
}

/** A token the parser could not place at all (`}` on its own line); everything after it is lost. */
function isStrayToken(error: YAMLError): boolean {
  return error.code === 'UNEXPECTED_TOKEN' && / in YAML stream: /.test(error.message);
}

function yamlErrorMessage(error: YAMLError): string {
  const stray = isStrayToken(error) ? /: (".*")$/.exec(error.message) : null;
  if (stray) return `YAML syntax error: unexpected ${stray[1]} here; nothing after it can be read`;
  switch (error.code) {
    case 'BLOCK_AS_IMPLICIT_KEY':
      return "YAML syntax error: a ': ' inside this value starts a nested map; put the value in quotes";
    case 'BLOCK_IN_FLOW':
      return "YAML syntax error: a ': ' inside this {...} or [...] needs a ',' before it, or the value needs quotes";
    case 'TAB_AS_INDENT':
      return 'tab character used for indentation; YAML indents with spaces only';
    case 'MULTIPLE_DOCS':
      return "a second YAML document starts here ('---'); the file must hold exactly one";
    default: {
      const text = error.message.replace(/ at line \d+, column \d+[\s\S]*$/, '');
      return `YAML syntax error: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
    }
  }
}

function uniqueProblems(problems: InputProblem[]): InputProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.location?.line}:${p.location?.col}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Problems in reading order. */
export function sortProblems(problems: InputProblem[]): InputProblem[] {
  return [...problems].sort((a, b) => {
    const la = a.location;
    const lb = b.location;
    if (!la || !lb) return la ? 1 : lb ? -1 : 0;
    return la.file.localeCompare(lb.file) || la.line - lb.line || la.col - lb.col;
  });
}
