/** `slipway doctor` as text: per node its findings (what, why, source, fix), then the fleet summary. */
import type { DoctorFinding, DoctorReport } from '../runner/doctor.js';

function findingLines(f: DoctorFinding, indent: string): string[] {
  const mark = f.severity === 'error' ? '✗ error  ' : '! warning';
  const lines = [`${indent}${mark} ${f.rule}: ${f.title}`, `${indent}    why: ${f.detail}`];
  if (f.sources.length) lines.push(`${indent}    source: ${f.sources.join('; ')}`);
  lines.push(`${indent}    fix: ${f.fix.advice}${f.fix.playbook ? ` (playbook ${f.fix.playbook})` : ''}`);
  if (f.fix.command) lines.push(`${indent}      ${f.fix.command}`);
  return lines;
}

function clusterLine(report: DoctorReport): string {
  const c = report.cluster.facts;
  if (!c) return 'cluster: no kubectl answered (no control-plane group in the inventory, and none on this machine)';
  const parts = [`API server ${c.serverVersion ?? '?'}`, `${c.nodes.length} node(s)`];
  if (c.kruiseVersion) parts.push(`OpenKruise ${c.kruiseVersion}`);
  return `cluster (kubectl on ${c.via}): ${parts.join(', ')}${c.errors.length ? `; ${c.errors.join('; ')}` : ''}`;
}

export function formatDoctor(report: DoctorReport): string {
  const lines: string[] = [];
  lines.push(`doctor: ${report.summary.nodes} node(s) from ${report.inventory}${report.target ? `, target ${report.target}` : ', no --target-version (checked against what the nodes run)'}`);
  lines.push(clusterLine(report));
  lines.push(`this machine: ${report.local.kindVersion ? `kind ${report.local.kindVersion}` : 'no kind'}`);
  for (const f of report.cluster.findings) lines.push(...findingLines(f, ''));
  for (const node of report.nodes) {
    lines.push('');
    if (!node.reachable) {
      lines.push(`${node.host}: UNREACHABLE: ${node.error ?? ''}`);
      continue;
    }
    if (node.findings.length === 0) {
      lines.push(`${node.host}: healthy`);
      continue;
    }
    lines.push(`${node.host}: ${node.findings.length} finding(s)`);
    for (const f of node.findings) lines.push(...findingLines(f, '  '));
  }
  lines.push('');
  const s = report.summary;
  lines.push(`summary: ${s.healthy.length} healthy, ${s.withFindings.length} with findings, ${s.unreachable.length} unreachable, of ${s.nodes}`);
  for (const g of s.groups) {
    lines.push(`  ${g.rule} (${g.severity}) on ${g.nodes.join(', ')}`);
    if (g.command) lines.push(`      ${g.command}`);
  }
  if (s.healthy.length) lines.push(`  healthy: ${s.healthy.join(', ')}`);
  if (s.unreachable.length) lines.push(`  unreachable: ${s.unreachable.join(', ')}`);
  return lines.join('\n');
}
