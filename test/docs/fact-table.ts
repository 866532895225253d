/** The README's table of facts, built from the registry (the README must hold exactly this). */
import { describeFactType, FACTS } from '../../src/facts/registry.js';

export function factTable(): string {
  const rows = FACTS.map((f) => `| \`${f.name}\` | ${describeFactType(f.type)} | ${f.probe === 'cri' ? 'CRI gRPC' : 'shell probe'} | ${f.description.replaceAll('|', '\\|')} |`);
  return ['| fact | type | read by | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
