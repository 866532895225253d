/**
 * A node's containerd config.toml: its version, the CRI plugin's state, and the settings that
 * containerd 2.0 removed, ignores or deprecates (src/kb/containerd-config.ts), each with its
 * line. Pure: TOML parsed with smol-toml; lines found in the text.
 */
import { parse as parseToml } from 'smol-toml';
import { CONTAINERD_2_CONFIG_RULES as RULES, CRI_PLUGIN_1X, CRI_PLUGINS_2X, type ContainerdConfigRule } from '../kb/containerd-config.js';

export interface ConfigIssue {
  rule: ContainerdConfigRule;
  /** 1-based line of the setting; undefined when it cannot be pointed at. */
  line: number | undefined;
}

export interface ContainerdConfigFacts {
  path: string;
  /** `version = N`; a file without it is version 1, as containerd reads it. */
  version: number;
  /** The CRI plugin is listed in `disabled_plugins`. */
  criDisabled: boolean;
  issues: ConfigIssue[];
  /** The file is not valid TOML: containerd refuses to start. */
  error: string | undefined;
}

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every [path, value] of a TOML document, tables walked. */
function* entries(table: Table, path: string[] = []): Generator<[string[], unknown]> {
  for (const [key, value] of Object.entries(table)) {
    if (isTable(value)) yield* entries(value, [...path, key]);
    else yield [[...path, key], value];
  }
}

function lineOf(text: string, pattern: RegExp): number | undefined {
  const index = text.split('\n').findIndex((l) => pattern.test(l.replace(/#.*$/, '')));
  return index < 0 ? undefined : index + 1;
}

export function parseContainerdConfig(path: string, text: string): ContainerdConfigFacts {
  let doc: Table;
  try {
    doc = parseToml(text) as Table;
  } catch (err) {
    return { path, version: 0, criDisabled: false, issues: [], error: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err) };
  }
  const version = typeof doc.version === 'number' ? doc.version : typeof doc.version === 'bigint' ? Number(doc.version) : 1;
  const disabled = Array.isArray(doc.disabled_plugins) ? doc.disabled_plugins.map(String) : [];
  const criDisabled = disabled.includes(CRI_PLUGIN_1X) || CRI_PLUGINS_2X.some((p) => disabled.includes(p));
  const issues: ConfigIssue[] = [];
  const add = (rule: ContainerdConfigRule, pattern: RegExp) => {
    if (!issues.some((i) => i.rule.id === rule.id)) issues.push({ rule, line: lineOf(text, pattern) });
  };
  let mirrors = false;
  let configPath = false;
  for (const [keys, value] of entries(doc)) {
    const key = keys.at(-1) ?? '';
    // `systemd_cgroup = false` is 1.x's default (`containerd config default` prints it): ignoring it changes nothing.
    if (key === 'systemd_cgroup' && value === true) add(RULES.systemdCgroup, /^\s*systemd_cgroup\s*=\s*true/);
    if (key === 'runtime_type' && value === 'io.containerd.runtime.v1.linux') add(RULES.runtimeV1Shim, /io\.containerd\.runtime\.v1\.linux/);
    if (key === 'runtime_type' && value === 'io.containerd.runc.v1') add(RULES.runcV1Shim, /io\.containerd\.runc\.v1"/);
    if (key === 'snapshotter' && value === 'aufs') add(RULES.aufs, /^\s*snapshotter\s*=\s*"aufs"/);
    if (keys.includes('registry') && key === 'config_path' && value !== '') configPath = true;
    if (keys.includes('registry') && keys.includes('mirrors')) mirrors = true;
  }
  if (mirrors) {
    const pattern = /registry\.mirrors/;
    // (an empty [registry.mirrors] table, as `containerd config default` prints it, sets none)
    add(configPath ? RULES.mirrorsWithConfigPath : RULES.mirrors, pattern);
  }
  return { path, version, criDisabled, issues, error: undefined };
}
