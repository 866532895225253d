/**
 * Input files are UTF-8. A file that is not (a Latin-1 export, a binary by mistake) is bad
 * input, reported at the line and column of its first ill-formed byte, instead of being read
 * with replacement characters that then pass validation.
 */
import { InputError } from '../../errors.js';

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of `bytes`; throws InputError naming `file:line:col` of the first ill-formed byte. */
export function decodeUtf8(file: string, bytes: Uint8Array): string {
  try {
    return fatal.decode(bytes);
  } catch {
    const at = firstIllFormedOffset(bytes);
    const before = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(0, at));
    const lineStart = before.lastIndexOf('\n') + 1;
    const line = before.split('\n').length;
    const col = before.length - lineStart + 1;
    const byte = (bytes[at] ?? 0).toString(16).padStart(2, '0');
    throw new InputError([
      {
        location: { file, line, col },
        message: `not valid UTF-8 (byte 0x${byte} at offset ${at}); save the file as UTF-8`,
      },
    ]);
  }
}

/**
 * Offset of the first byte of the first ill-formed sequence. A streaming decoder throws on the
 * byte that makes a prefix ill-formed, and once a prefix is ill-formed every longer one is, so
 * the shortest failing prefix is found by bisection; the sequence it ends starts at the last
 * lead byte before it (at most three continuation bytes back).
 */
export function firstIllFormedOffset(bytes: Uint8Array): number {
  const fails = (n: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, n), { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  let lo = 0; // fails(lo) is false
  let hi = bytes.length; // fails(hi) is true (or the whole input is only incomplete at its end)
  if (!fails(hi)) return Math.max(0, lastLeadByte(bytes, hi));
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fails(mid)) hi = mid;
    else lo = mid;
  }
  const bad = hi - 1;
  // The bad byte is a stray continuation byte or an invalid byte itself, or it broke the
  // sequence that a lead byte just before it began.
  const lead = lastLeadByte(bytes, bad);
  return lead >= 0 && lead >= bad - 3 && isIncompleteAt(bytes, lead, bad) ? lead : bad;
}

/** Index of the last byte before `end` that starts a multi-byte sequence, or -1. */
function lastLeadByte(bytes: Uint8Array, end: number): number {
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const b = bytes[i] ?? 0;
    if (b >= 0xc0) return i;
    if (b < 0x80) return -1;
  }
  return -1;
}

/** The sequence led at `lead` was still waiting for continuation bytes when `bad` came. */
function isIncompleteAt(bytes: Uint8Array, lead: number, bad: number): boolean {
  const b = bytes[lead] ?? 0;
  const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
  return bad < lead + length;
}
