/**
 * A node's facts as the plan expects them once the steps before have run: units started or
 * stopped, packages at their new versions (and what a runtime at that version answers over CRI,
 * from the knowledge base), kubelet's command line rebuilt from the files as they will be. What
 * `when:` tests in a plan, and what the kubelet the plan installs will be given.
 */
import type { NodeFacts } from '../facts/node.js';
import { versionFrom } from '../facts/node.js';
import { assembleKubeletCommandLine, type KubeletCommandLine } from '../facts/kubelet-cmdline.js';
import { containerdCriApis } from '../kb/containerd-cri.js';
import { upstreamVersion, type Projection } from '../steps/projection.js';

function upstream(version: string): string | undefined {
  return versionFrom(upstreamVersion(version));
}

/** kubelet's command line once the projected files are in place; undefined without its sources. */
export function projectedCommandLine(facts: NodeFacts, projection: Projection): KubeletCommandLine | undefined {
  const sources = facts.kubelet.sources;
  if (!sources) return undefined;
  const units = sources.units.flatMap((u) => {
    const content = projection.file(u.path, u.content);
    return content === null ? [] : [{ path: u.path, content }];
  });
  return assembleKubeletCommandLine(units, (path) => projection.file(path, sources.env[path] ?? null));
}

/** The node's facts as the projection leaves them (for `when:`; these reads are not a step's check). */
export function projectNodeFacts(facts: NodeFacts, projection: Projection): NodeFacts {
  return projection.quietly(() => projectFacts(facts, projection));
}

function projectFacts(facts: NodeFacts, projection: Projection): NodeFacts {
  if (projection.empty) return facts;
  const f: NodeFacts = structuredClone(facts);
  const active = (unit: string, now: boolean) => projection.unit(unit)?.active ?? now;
  f.kubelet.active = active('kubelet', f.kubelet.active);
  f.containerd.active = active('containerd', f.containerd.active);
  f.crio.active = active('crio', f.crio.active);
  f.docker.active = active('docker', f.docker.active);
  f.criDockerd.active = active('cri-docker', f.criDockerd.active);
  const pkg = (name: string) => projection.package(name)?.version;
  const set = (c: { installed: boolean; version: string | undefined }, name: string) => {
    const v = pkg(name);
    if (v === undefined) return;
    c.installed = true;
    c.version = upstream(v) ?? v;
  };
  set(f.kubelet, 'kubelet');
  set(f.containerd, 'containerd');
  set(f.crio, 'cri-o');
  if (pkg('cri-dockerd') !== undefined) f.criDockerd.installed = true;
  const runtimePackage = { containerd: 'containerd', crio: 'cri-o', docker: 'cri-dockerd', none: undefined }[f.runtime.name];
  if (runtimePackage && pkg(runtimePackage) !== undefined) {
    const version = runtimePackage === 'containerd' ? f.containerd.version : runtimePackage === 'cri-o' ? f.crio.version : undefined;
    if (version) f.runtime.version = version;
    if (f.cri) {
      // What a runtime of that version answers, by the knowledge base.
      const apis = runtimePackage === 'containerd' && version ? containerdCriApis(version) : ['v1'];
      f.cri = { ...f.cri, v1: apis?.includes('v1'), v1alpha2: apis?.includes('v1alpha2'), runtimeVersion: version, error: undefined };
    }
  }
  const runtimeUnit = { containerd: 'containerd', crio: 'crio', docker: 'cri-docker', none: undefined }[f.runtime.name];
  if (runtimeUnit && projection.unit(runtimeUnit)?.active === false && f.cri) {
    f.cri = { ...f.cri, v1: undefined, v1alpha2: undefined, error: `${runtimeUnit} is stopped by an earlier step` };
  }
  const cl = projectedCommandLine(facts, projection);
  if (cl) {
    f.kubelet.commandLine = cl;
    f.kubelet.flags = [...new Set(cl.flags.map((x) => x.name))];
  }
  return f;
}
