/**
 * CRI-O packaging and its default runtime (field note 3; kb-facts "CRI-O").
 *
 * The pkgs.k8s.io CRI-O packages from v1.28 on ship a drop-in that sets `default_runtime =
 * "crun"`: named `10-crun.conf` until January 2024, `10-crio.conf` after (cri-o/packaging
 * history). Upstream's built-in default switched to crun in v1.31.0. CRI-O loses track of
 * containers started under another runtime: cri-o#8626, cri-o#8705 (1.29.9 -> 1.30.6, calico
 * "address already in use"), cri-o#8739, kubespray#11907.
 */
export const CRIO_CRUN_DROP_IN_FROM = '1.28.0';
export const CRIO_PACKAGED_DROP_IN = '/etc/crio/crio.conf.d/10-crio.conf';
/**
 * The drop-in as the packages ship it (cri-o/packaging's 10-crio.conf template; the deb and rpm
 * put the binaries under /usr/libexec/crio): the default runtime and the tables of both runtimes.
 * A pin repeats the table of its runtime from here, so the plan needs all of it.
 */
export const CRIO_PACKAGED_DROP_IN_CONTENT = `[crio.image]
signature_policy = "/etc/crio/policy.json"

[crio.runtime]
default_runtime = "crun"

[crio.runtime.runtimes.crun]
runtime_path = "/usr/libexec/crio/crun"
runtime_root = "/run/crun"
monitor_path = "/usr/libexec/crio/conmon"
allowed_annotations = [
    "io.containers.trace-syscall",
]

[crio.runtime.runtimes.runc]
runtime_path = "/usr/libexec/crio/runc"
runtime_root = "/run/runc"
monitor_path = "/usr/libexec/crio/conmon"
`;
export const CRIO_SWITCH_SOURCES = ['cri-o#8705', 'cri-o#8626', 'cri-o#8739', 'kubespray#11907', 'cri-o/packaging: 10-crun.conf, later 10-crio.conf, from v1.28'];
