/** An ISO timestamp as slipway shows it to people: `2026-12-01 10:00:00` (UTC, to the second). */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}
