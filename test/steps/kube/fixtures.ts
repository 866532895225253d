/** kubectl JSON as the API server returns it, for the kube.* tests and the kubectl parser tests. */

/** A pod as `kubectl get pods -o json` lists it, with only the fields that matter here. */
export function podJson(
  namespace: string,
  name: string,
  opts: { owner?: string; labels?: Record<string, string>; emptyDir?: boolean; mirror?: boolean; phase?: string; ready?: boolean } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `${name}-uid`,
      labels: opts.labels ?? {},
      ...(opts.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'abc', 'kubernetes.io/config.source': 'file' } } : {}),
      ...(opts.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: opts.owner, name: `${name}-owner`, uid: 'o', controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }],
      volumes: [
        { name: 'kube-api-access', projected: { sources: [] } },
        ...(opts.emptyDir ? [{ name: 'scratch', emptyDir: {} }] : []),
      ],
    },
    status: { phase: opts.phase ?? 'Running', ...(opts.ready !== undefined ? { conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }] } : {}) },
  };
}

export const podList = (...items: Array<Record<string, unknown>>): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } });
