/**
 * Undo records as the journal keeps them: what a step type's apply returned, wrapped with the
 * type that wrote it and a hash of the step's resolved parameters, so that rollback hands a
 * record only to the type that understands it, with the parameters it was written with.
 */
import { createHash } from 'node:crypto';

export interface UndoRecord {
  /** The step type (`uses:`) whose apply wrote it. */
  type: string;
  /** sha256 of the resolved parameters (keys sorted), the first 16 hex digits. */
  paramsHash: string;
  /** What apply returned. */
  data: unknown;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  return value;
}

export function paramsHash(params: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(canonical(params))).digest('hex').slice(0, 16);
}

export function undoRecord(type: string, params: Record<string, unknown>, data: unknown): UndoRecord {
  return { type, paramsHash: paramsHash(params), data };
}

function isUndoRecord(value: unknown): value is UndoRecord {
  return !!value && typeof value === 'object' && typeof (value as UndoRecord).type === 'string' && typeof (value as UndoRecord).paramsHash === 'string' && 'data' in value;
}

/** A journaled undo value as a record; one from before records had types is its data alone. */
export function readUndo(value: unknown): { type: string | undefined; paramsHash: string | undefined; data: unknown } {
  return isUndoRecord(value) ? value : { type: undefined, paramsHash: undefined, data: value };
}
