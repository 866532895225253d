/**
 * kind and containerd 2.x (field note 4; kb-facts "kind"): kind older than v0.27 cannot `kind
 * load` images into node images whose containerd is 2.x ("failed to detect containerd
 * snapshotter", kind#3768; creating the cluster still works, kind#3853). Fixed in kind v0.27.0
 * (kind#3828). Every node image built by kind >= 0.27 carries containerd 2.x, and tags were
 * re-pushed: pin node images by digest.
 */
export const KIND_FIXED_IN = '0.27.0';
export const KIND_SOURCES = ['kubernetes-sigs/kind#3768', 'kubernetes-sigs/kind#3853', 'kubernetes-sigs/kind#3828 (fixed in v0.27.0)'];
