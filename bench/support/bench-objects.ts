import { stringify } from 'yaml';
import type { KubeObject } from '../../core/sync/kube-object';

/** How many objects: `namespaces` Namespaces, each holding `perNamespace` objects. */
export interface BenchSize {
  namespaces: number;
  perNamespace: number;
}

/** The default size, 2,020 objects: 20 namespaces × 100, plus the Namespaces. */
export const DEFAULT_SIZE: BenchSize = { namespaces: 20, perNamespace: 100 };

export const objectCount = (size: BenchSize) => size.namespaces * (size.perNamespace + 1);

const KINDS = ['ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'Service', 'Deployment'] as const;

/**
 * The objects a config repo holds, one file per namespace (`<namespace>.yaml`): ConfigMaps, Secrets,
 * ServiceAccounts, Roles, Services and Deployments in equal shares, each namespace `${prefix}-${n}`.
 *
 * Deployments have replicas: 0 so a benchmark measures the apply path, not the scheduler, on a two-core machine
 * shared with others; Services are headless because the local cluster's Service IP range (10.0.0.0/24) is far
 * smaller than the Services of one size, let alone of several tools' copies.
 */
export function benchObjects(prefix: string, size: BenchSize = DEFAULT_SIZE): Map<string, KubeObject[]> {
  const files = new Map<string, KubeObject[]>();
  for (let n = 0; n < size.namespaces; n++) {
    const ns = `${prefix}-${n}`;
    const objects: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }];
    for (let i = 0; i < size.perNamespace; i++) objects.push(benchObject(ns, i));
    files.set(`${ns}.yaml`, objects);
  }
  return files;
}

/** The `i`th object of a namespace; its kind is `KINDS[i % 6]`, so index 5 is the first Deployment. */
export function benchObject(namespace: string, i: number, value = 'bench'): KubeObject {
  const kind = KINDS[i % KINDS.length]!;
  const name = `${kind.toLowerCase()}-${i}`;
  const metadata = { name, namespace, labels: { app: name } };
  switch (kind) {
    case 'ConfigMap':
      return { apiVersion: 'v1', kind, metadata, data: { 'app.properties': `index=${i}\nmode=${value}\n` } };
    case 'Secret':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        type: 'Opaque',
        data: { token: Buffer.from(`secret-${i}`).toString('base64') },
      };
    case 'ServiceAccount':
      return { apiVersion: 'v1', kind, metadata };
    case 'Role':
      return {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind,
        metadata,
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      };
    case 'Service':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        spec: { clusterIP: 'None', selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      };
    case 'Deployment':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata,
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'nginx:1.27',
                  ports: [{ containerPort: 8080 }],
                  resources: { requests: { cpu: '10m', memory: '16Mi' } },
                },
              ],
            },
          },
        },
      };
  }
}

/** The YAML of one file: its objects as documents. */
export const yamlOf = (objects: readonly KubeObject[]) => objects.map((o) => stringify(o)).join('---\n');
