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
export const CRIO_PACKAGED_DROP_IN_CONTENT = '[crio.runtime]\ndefault_runtime = "crun"\n';
export const CRIO_SWITCH_SOURCES = ['cri-o#8705', 'cri-o#8626', 'cri-o#8739', 'kubespray#11907', 'cri-o/packaging: 10-crun.conf, later 10-crio.conf, from v1.28'];
