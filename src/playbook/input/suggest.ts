/**
 * "Did you mean ...?" for misspelt keys, step types, var names and groups: the closest
 * candidate by edit distance (with transpositions), if it is close enough to be a likely typo.
 */

/** Edit distance counting insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    const row = d[i] as number[];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate the user most likely meant, or undefined. A candidate qualifies when it
 * differs only in case, is within a typo's distance (about a third of the word), is the only one
 * that contains the word (separators aside) or that starts like it, or, for dotted names like
 * step types (`systemd.stopp`), shares the part before the first dot.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...new Set(candidates)].filter((c) => c !== word);
  if (list.length === 0 || word === '') return undefined;
  const lower = word.toLowerCase();
  const sameIgnoringCase = list.find((c) => c.toLowerCase() === lower);
  if (sameIgnoringCase) return sameIgnoringCase;

  const best = nearest(lower, list);
  const allowed = Math.max(1, Math.floor(Math.min(word.length, best.candidate.length) / 3));
  if (best.distance <= allowed) return best.candidate;

  // `control-plane` for `kube_control_plane`: one candidate holds the word, separators aside.
  const normalized = normalize(word);
  if (normalized.length >= 4) {
    const holding = list.filter((c) => normalize(c).includes(normalized));
    if (holding.length === 1) return holding[0];
  }

  // `childs` for `children`: a long shared beginning that only one candidate has.
  const prefixes = list.map((c) => commonPrefixLength(lower, c.toLowerCase()));
  const longest = Math.max(...prefixes);
  if (longest >= 4 && longest * 2 >= word.length && prefixes.filter((p) => p === longest).length === 1) {
    return list[prefixes.indexOf(longest)];
  }

  const namespace = dottedPrefix(word);
  if (namespace) {
    const sameNamespace = list.filter((c) => dottedPrefix(c) === namespace);
    if (sameNamespace.length > 0) return nearest(lower, sameNamespace).candidate;
  }
  return undefined;
}

/** ` (did you mean 'x'?)` or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}

function commonPrefixLength(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]/g, '');
}

function dottedPrefix(name: string): string | undefined {
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot).toLowerCase() : undefined;
}

/** The candidate with the smallest edit distance to `word` (already lower-cased). */
function nearest(word: string, candidates: readonly string[]): { candidate: string; distance: number } {
  let best = { candidate: candidates[0] ?? '', distance: Number.POSITIVE_INFINITY };
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate.toLowerCase());
    if (distance < best.distance) best = { candidate, distance };
  }
  return best;
}

/**
 * `unknown key 'wehn' (did you mean 'when'?)`, or with the list of known keys. A key like
 * `fact:runtime.name` is a missing space after the colon, and is said so.
 */
export function unknownKeyMessage(key: string, known: readonly string[], expected = `expected one of: ${known.join(', ')}`): string {
  const colon = key.indexOf(':');
  if (colon > 0 && known.includes(key.slice(0, colon))) {
    return `unknown key '${key}' (put a space after ':' to give '${key.slice(0, colon)}' a value)`;
  }
  const hint = didYouMean(key, known) || (known.length > 0 ? ` (${expected})` : '');
  return `unknown key '${key}'${hint}`;
}
