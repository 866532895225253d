/**
 * Which CRI API versions the clients of a runtime speak (field note 1; kb-facts "OpenKruise").
 *
 * - kubelet 1.26 dropped CRI v1alpha2: it needs `runtime.v1` (kubernetes/kubernetes#110618);
 *   the symptom is "CRI v1 runtime API is not implemented for endpoint ... unknown service
 *   runtime.v1.RuntimeService".
 * - OpenKruise's kruise-daemon from 1.6 speaks only `runtime.v1`: on a v1alpha2-only runtime it
 *   fails with "Failed to new image service ... unknown service runtime.v1.ImageService"
 *   (openkruise/kruise#1817, #1568). 1.4 and older speak only v1alpha2 and fail on containerd 2.x
 *   (openkruise/kruise#1411). 1.5.x speaks both. Workarounds: feature gate `KruiseDaemon=false`,
 *   pin 1.5.x, or upgrade the runtime.
 */
export const KUBELET_NEEDS_CRI_V1_FROM = '1.26.0';
export const KUBELET_SOURCE = 'kubernetes/kubernetes#110618: kubelet 1.26 dropped CRI v1alpha2';

export const KRUISE_V1_ONLY_FROM = '1.6.0';
export const KRUISE_V1ALPHA2_ONLY_BELOW = '1.5.0';
export const KRUISE_V1_SOURCES = ['openkruise/kruise#1817', 'openkruise/kruise#1568'];
export const KRUISE_V1ALPHA2_SOURCES = ['openkruise/kruise#1411'];
export const KRUISE_WORKAROUNDS = 'disable the daemon (feature gate KruiseDaemon=false) or pin OpenKruise at 1.5.x, which speaks both';
