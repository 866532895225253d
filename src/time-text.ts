/** An ISO timestamp as slipway shows it to people: `2026-12-01 10:00:00` (UTC, to the second). */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}

/** A duration as people read it: `0.4s`, `12s`, `3m05s`, `1h02m`. */
export function elapsedText(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Milliseconds from one ISO timestamp to another (0 when either is unreadable). */
export function msBetween(fromIso: string, toIso: string): number {
  const d = Date.parse(toIso) - Date.parse(fromIso);
  return Number.isFinite(d) ? Math.max(0, d) : 0;
}
