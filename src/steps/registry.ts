import { commandStep } from './command.js';
import { criRemovePodsStep } from './cri/remove-pods.js';
import { criVerifyStep } from './cri/verify.js';
import { crioDefaultRuntimeStep } from './crio/default-runtime.js';
import { fileContentStep } from './file/content.js';
import { fileLineStep } from './file/line.js';
import { kubeCordonStep } from './kube/cordon.js';
import { kubeDrainStep } from './kube/drain.js';
import { kubeHealthyStep } from './kube/healthy.js';
import { kubeUncordonStep } from './kube/uncordon.js';
import { kubeVersionSkewStep } from './kube/version-skew.js';
import { kubeadmUpgradeStep } from './kubeadm/upgrade.js';
import { kubeletRemoveFlagsStep } from './kubelet/remove-flags.js';
import { pkgInstallStep } from './pkg/install.js';
import { kubernetesRepoStep } from './pkg/kubernetes-repo.js';
import { systemdServiceStep } from './systemd/service.js';
import type { AnyStepType } from './types.js';

/**
 * Every built-in step type, by kind. A step's kind matches its file:
 * `steps/file/line.ts` is `file.line`.
 */
const builtins: AnyStepType[] = [
  commandStep,
  fileLineStep,
  fileContentStep,
  systemdServiceStep,
  kubeCordonStep,
  kubeDrainStep,
  kubeUncordonStep,
  kubeHealthyStep,
  kubeVersionSkewStep,
  kubeadmUpgradeStep,
  criRemovePodsStep,
  criVerifyStep,
  crioDefaultRuntimeStep,
  kubeletRemoveFlagsStep,
  pkgInstallStep,
  kubernetesRepoStep,
];

const byKind = new Map<string, AnyStepType>(builtins.map((s) => [s.kind, s]));

export function getStepType(kind: string): AnyStepType | undefined {
  return byKind.get(kind);
}

export function stepKinds(): string[] {
  return [...byKind.keys()].sort();
}
