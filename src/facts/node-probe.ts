/**
 * The node probe: one read-only shell script per node that prints everything the node facts
 * come from, in sections asked for by name, and its output parsed into lines and files. The
 * script is constant text; its arguments are section names of this module, never input.
 *
 * Output: `key=value` lines; each file as `file<TAB>kind<TAB>path<TAB>base64`, a file asked for
 * and absent as `missing<TAB>kind<TAB>path` (base64, so that any byte survives the framing).
 */
import { SYSTEMD_UNIT_DIRS } from './kubelet-files.js';

/** Sections beyond the base facts: what a probe group of the registry needs. */
export type ProbeSection = 'kubelet' | 'runtime-config' | 'packages';

/** Packages whose installed and candidate versions the `packages` section reads. */
export const PROBED_PACKAGES = ['kubelet', 'kubeadm', 'kubectl', 'containerd', 'cri-o', 'cri-dockerd', 'docker-ce'] as const;
export type ProbedPackage = (typeof PROBED_PACKAGES)[number];

/**
 * Where the OCI runtimes keep their containers' state (CRI-O's default `runtime_root`s): one
 * directory a container, with runc's `state.json` or crun's `status` in it (below a namespace
 * directory when containerd drives the runtime).
 */
export const OCI_RUNTIME_ROOTS = { runc: '/run/runc', crun: '/run/crun' } as const;

export const NODE_PROBE_SCRIPT = String.raw`
has() { for s in $SECTIONS; do [ "$s" = "$1" ] && return 0; done; return 1; }
SECTIONS="$*"
kv() { printf '%s=%s\n' "$1" "$2"; }
emit() { if [ -f "$3" ]; then printf 'file\t%s\t%s\t' "$1" "$2"; base64 -w0 < "$3" 2>/dev/null; echo; else printf 'missing\t%s\t%s\n' "$1" "$2"; fi; }
kv hostname "$(hostname 2>/dev/null)"
if [ -r /etc/os-release ]; then . /etc/os-release; kv os.id "$ID"; kv os.versionId "$VERSION_ID"; kv os.prettyName "$PRETTY_NAME"; fi
kv kernel "$(uname -r)"
kv arch "$(uname -m)"
for p in apt-get dnf yum; do command -v "$p" >/dev/null 2>&1 && { kv pkg "$p"; break; }; done
for b in kubelet containerd crio dockerd crictl kubectl cri-dockerd; do command -v "$b" >/dev/null 2>&1 && kv "bin.$b" 1; done
command -v kubelet >/dev/null 2>&1 && kv ver.kubelet "$(kubelet --version 2>/dev/null | head -n1)"
command -v containerd >/dev/null 2>&1 && kv ver.containerd "$(containerd --version 2>/dev/null | head -n1)"
command -v crio >/dev/null 2>&1 && kv ver.crio "$(crio --version 2>/dev/null | grep -i '^version' | head -n1)"
command -v dockerd >/dev/null 2>&1 && kv ver.dockerd "$(dockerd --version 2>/dev/null | head -n1)"
units="kubelet containerd crio docker cri-docker"
systemctl is-active $units 2>/dev/null | { for u in $units; do read -r s; kv "active.$u" "$s"; done; }
for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do [ -f "$d/cri-docker.service" ] && { for u in cri-docker.service cri-docker.socket; do kv "enabled.$u" "$(systemctl is-enabled "$u" 2>/dev/null | head -n1)"; done; break; }; done
for s in /run/containerd/containerd.sock /var/run/crio/crio.sock /run/crio/crio.sock /var/run/cri-dockerd.sock /run/cri-dockerd.sock /var/run/docker.sock; do [ -S "$s" ] && kv "sock" "$s"; done
if has kubelet; then
  units=""
  for d in ${SYSTEMD_UNIT_DIRS.join(' ')}; do
    [ -f "$d/kubelet.service" ] && { emit unit "$d/kubelet.service" "$d/kubelet.service"; units="$units $d/kubelet.service"; }
    for f in "$d/kubelet.service.d"/*.conf; do [ -f "$f" ] && { emit dropin "$f" "$f"; units="$units $f"; }; done
  done
  envs=$(for u in $units; do sed -n 's/^[[:space:]]*EnvironmentFile[[:space:]]*=[[:space:]]*//p' "$u"; done | tr ' ' '\n' | sed 's/^-//' | grep '^/' | sort -u)
  for e in $envs /var/lib/kubelet/kubeadm-flags.env /etc/default/kubelet /etc/sysconfig/kubelet; do emit env "$e" "$e"; done
fi
if has runtime-config; then
  emit containerd-config /etc/containerd/config.toml /etc/containerd/config.toml
  [ -f /etc/crio/crio.conf ] && emit crio-config /etc/crio/crio.conf /etc/crio/crio.conf
  for f in /etc/crio/crio.conf.d/*; do [ -f "$f" ] && emit crio-config "$f" "$f"; done
  for r in ${Object.entries(OCI_RUNTIME_ROOTS).map(([name, root]) => `${name}:${root}`).join(' ')}; do
    name=$(printf %s "$r" | cut -d: -f1); root=$(printf %s "$r" | cut -d: -f2)
    [ -d "$root" ] && kv "oci.$name" "$(find "$root" -maxdepth 3 \( -name state.json -o -name status \) 2>/dev/null | wc -l)"
  done
fi
if has packages; then
  if command -v apt-cache >/dev/null 2>&1; then
    printf 'file\tapt-policy\t-\t'; LC_ALL=C apt-cache policy ${PROBED_PACKAGES.join(' ')} 2>/dev/null | base64 -w0; echo
  elif command -v rpm >/dev/null 2>&1; then
    printf 'file\trpm-query\t-\t'; rpm -q --qf '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE}\n' ${PROBED_PACKAGES.join(' ')} 2>/dev/null | base64 -w0; echo
    command -v dnf >/dev/null 2>&1 && { printf 'file\tdnf-list\t-\t'; LC_ALL=C dnf -q list --showduplicates ${PROBED_PACKAGES.join(' ')} 2>/dev/null | base64 -w0; echo; }
  fi
fi
exit 0
`;

export interface ProbeFile {
  kind: string;
  path: string;
  /** null: asked for and absent. */
  content: string | null;
}

export interface ProbeOutput {
  /** `key=value` lines; `sock` may repeat, so every value is kept. */
  values: Map<string, string[]>;
  files: ProbeFile[];
}

/** Splits the probe's output into its lines and files. Pure. */
export function parseProbeOutput(stdout: string): ProbeOutput {
  const values = new Map<string, string[]>();
  const files: ProbeFile[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('file\t') || line.startsWith('missing\t')) {
      const [tag, kind = '', path = '', data = ''] = line.split('\t');
      files.push({ kind, path, content: tag === 'missing' ? null : Buffer.from(data, 'base64').toString('utf8') });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    values.set(key, [...(values.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return { values, files };
}
