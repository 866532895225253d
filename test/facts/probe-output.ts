/** Builds node probe output (src/facts/node-probe.ts's format) for parser tests. */
export function probeOutput(values: Record<string, string | string[]>, files: Array<{ kind: string; path: string; content: string | null }> = []): string {
  const lines = Object.entries(values).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`));
  for (const f of files) {
    lines.push(f.content === null ? `missing\t${f.kind}\t${f.path}` : `file\t${f.kind}\t${f.path}\t${Buffer.from(f.content).toString('base64')}`);
  }
  return `${lines.join('\n')}\n`;
}
