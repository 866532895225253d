import { describe, expect, it } from 'vitest';
import { mergeCrioConfigs, parseCrioConfigOutput, runtimeView, walkOrder } from '../../src/facts/crio-config.js';
import { PACKAGED_1_29, PACKAGED_1_30 } from '../steps/crio/fixtures.js';

describe('CRI-O configuration merge', () => {
  it('reads crio.conf first, then the drop-ins; the last file wins', () => {
    const merged = mergeCrioConfigs([
      { path: '/etc/crio/crio.conf', content: '[crio.runtime]\ndefault_runtime = "runc"\nlog_level = "info"\n' },
      { path: '/etc/crio/crio.conf.d/10-crio.conf', content: PACKAGED_1_30 },
    ]);
    expect(merged.errors).toEqual([]);
    expect(merged.defaultRuntimeFrom).toBe('/etc/crio/crio.conf.d/10-crio.conf');
    const view = runtimeView(merged.config);
    expect(view.defaultRuntime).toBe('crun');
    expect(Object.keys(view.runtimes).sort()).toEqual(['crun', 'runc']);
    // Tables are merged key by key: log_level from crio.conf stays.
    expect((merged.config.crio as { runtime: Record<string, unknown> }).runtime.log_level).toBe('info');
    expect(merged.runtimeFrom).toEqual({ crun: '/etc/crio/crio.conf.d/10-crio.conf', runc: '/etc/crio/crio.conf.d/10-crio.conf' });
  });

  it('replaces a runtime table from a later file as a whole, as CRI-O decodes the runtimes map', () => {
    const merged = mergeCrioConfigs([
      { path: '/etc/crio/crio.conf.d/10-crio.conf', content: PACKAGED_1_30 },
      { path: '/etc/crio/crio.conf.d/20-runc.conf', content: '[crio.runtime.runtimes.runc]\nruntime_path = "/usr/bin/runc"\n' },
    ]);
    const view = runtimeView(merged.config);
    expect(view.runtimes.runc).toEqual({ runtime_path: '/usr/bin/runc' });
    expect(view.runtimes.crun?.monitor_path).toBe('/usr/libexec/crio/conmon');
    expect(view.defaultRuntime).toBe('crun');
    expect(merged.runtimeFrom.runc).toBe('/etc/crio/crio.conf.d/20-runc.conf');
  });

  it('reports a file that is not TOML and merges the rest', () => {
    const merged = mergeCrioConfigs([
      { path: '/etc/crio/crio.conf.d/01-bad.conf', content: '[crio.runtime\n' },
      { path: '/etc/crio/crio.conf.d/10-crio.conf', content: PACKAGED_1_29 },
    ]);
    expect(merged.errors.map((e) => e.path)).toEqual(['/etc/crio/crio.conf.d/01-bad.conf']);
    expect(runtimeView(merged.config).defaultRuntime).toBe('runc');
  });

  it('orders paths as Go walks a directory tree', () => {
    const paths = ['/d/10-crio.conf', '/d/99-slipway.conf', '/d/02-x.conf', '/d/a/1.conf', '/d/a.conf', '/d/Z.conf'];
    expect([...paths].sort(walkOrder)).toEqual(['/d/02-x.conf', '/d/10-crio.conf', '/d/99-slipway.conf', '/d/Z.conf', '/d/a/1.conf', '/d/a.conf']);
  });
});

describe('crio config output', () => {
  it('reads options set away from their defaults', () => {
    const view = parseCrioConfigOutput(`# The CRI-O configuration file specifies all of the available configuration
[crio]

[crio.runtime]

# default_runtime is the _name_ of the OCI runtime to be used as the default.
# The name is matched against the runtimes map below.
default_runtime = "crun"

# [crio.runtime.runtimes.runtime-handler]
# runtime_path = "/path/to/the/executable"

[crio.runtime.runtimes.crun]
runtime_path = "/usr/libexec/crio/crun"
runtime_type = "oci"
runtime_root = "/run/crun"
monitor_path = "/usr/libexec/crio/conmon"

[crio.runtime.runtimes.runc]
runtime_path = "/usr/libexec/crio/runc"
runtime_type = "oci"
runtime_root = "/run/runc"
monitor_path = "/usr/libexec/crio/conmon"

[crio.image]
`);
    expect(view.defaultRuntime).toBe('crun');
    expect(Object.keys(view.runtimes)).toEqual(['crun', 'runc']);
  });

  it('reads the commented-out defaults when nothing overrides them', () => {
    const view = parseCrioConfigOutput(`[crio]

[crio.runtime]

# default_runtime is the _name_ of the OCI runtime to be used as the default.
# The name is matched against the runtimes map below.
# default_runtime = "runc"

# The "crio.runtime.runtimes" table defines a list of OCI compatible runtimes.
#
# [crio.runtime.runtimes.runtime-handler]
# runtime_path = "/path/to/the/executable"
# runtime_type = "oci"

# [crio.runtime.runtimes.runc]
# runtime_path = ""
# runtime_type = "oci"
# runtime_root = "/run/runc"
# monitor_env = [
# 	"PATH=/usr/local/bin",
# ]
# privileged_without_host_devices = false

[crio.image]
`);
    expect(view.defaultRuntime).toBe('runc');
    expect(view.runtimes.runc).toEqual({ runtime_path: '', runtime_type: 'oci', runtime_root: '/run/runc' });
  });

  it('reads `crio status config` (plain TOML of the running daemon)', () => {
    const view = parseCrioConfigOutput('[crio.runtime]\n  default_runtime = "crun"\n  [crio.runtime.runtimes.crun]\n    runtime_path = "/usr/libexec/crio/crun"\n');
    expect(view).toEqual({ defaultRuntime: 'crun', runtimes: { crun: { runtime_path: '/usr/libexec/crio/crun' } } });
    expect(() => parseCrioConfigOutput('level=fatal msg="connect: no such file or directory"')).toThrow();
  });
});
