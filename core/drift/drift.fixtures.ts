import type { KubeObject } from '../sync/kube-object';

/**
 * A Deployment as Git has it, and as a kube-apiserver 1.34 returns it after `tidemark` applied it and `kubectl scale`
 * then `kubectl set image` (manager `kubectl-set`) touched it, in the shape the server writes managedFields; the
 * integration tests check the same code against the real server.
 */
export function desiredDeployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'web:1.0.0',
              ports: [{ containerPort: 8080 }],
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

export function liveDeployment(overrides: { replicas?: number; image?: string } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: '3c1a0f7e-0000-4000-8000-000000000001',
      resourceVersion: '4242',
      generation: 3,
      creationTimestamp: '2026-11-25T10:00:00Z',
      labels: { app: 'web' },
      annotations: { 'deployment.kubernetes.io/revision': '2' },
      managedFields: [
        {
          manager: 'tidemark',
          operation: 'Apply' as const,
          apiVersion: 'apps/v1',
          time: '2026-11-25T10:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:replicas': {},
              'f:selector': {},
              'f:template': {
                'f:metadata': { 'f:labels': { 'f:app': {} } },
                'f:spec': {
                  'f:containers': {
                    'k:{"name":"web"}': {
                      '.': {},
                      'f:image': {},
                      'f:name': {},
                      'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                      'f:resources': { 'f:requests': { 'f:cpu': {}, 'f:memory': {} } },
                    },
                  },
                },
              },
            },
          },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update' as const,
          apiVersion: 'apps/v1',
          time: '2026-11-25T10:00:05Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} } },
            'f:status': { 'f:replicas': {} },
          },
          subresource: 'status',
        },
        ...(overrides.replicas !== undefined
          ? [
              {
                manager: 'kubectl-scale',
                operation: 'Update' as const,
                apiVersion: 'apps/v1',
                time: '2026-11-25T10:42:13Z',
                fieldsType: 'FieldsV1',
                fieldsV1: { 'f:spec': { 'f:replicas': {} } },
                subresource: 'scale',
              },
            ]
          : []),
        ...(overrides.image !== undefined
          ? [
              {
                manager: 'kubectl-set',
                operation: 'Update' as const,
                apiVersion: 'apps/v1',
                time: '2026-11-25T10:50:00Z',
                fieldsType: 'FieldsV1',
                fieldsV1: {
                  'f:spec': {
                    'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } },
                  },
                },
              },
            ]
          : []),
      ],
    },
    spec: {
      progressDeadlineSeconds: 600,
      replicas: overrides.replicas ?? 2,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: overrides.image ?? 'web:1.0.0',
              imagePullPolicy: 'IfNotPresent',
              ports: [{ containerPort: 8080, protocol: 'TCP' }],
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
        },
      },
    },
    status: { replicas: 2, readyReplicas: 2 },
  };
}
