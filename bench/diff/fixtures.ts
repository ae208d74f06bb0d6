import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * The benchmark's desired state: 2,000 objects of the kinds a config repo holds, written as Git would hold them
 * (protocol-less ports, `1000m` quantities, `stringData`, Deployments without strategy), already carrying the labels
 * Tidemark adds, so `kubectl diff` with field manager `tidemark` compares the same manifests the scan does.
 */
export function writeBenchManifests(dir: string, namespace: string, syncName: string, total = 2000): void {
  const labels = { 'app.kubernetes.io/managed-by': 'tidemark', 'tidemark.dev/sync': `${namespace}.${syncName}` };
  const docs: unknown[] = [];
  for (let i = 0; docs.length < total; i++) {
    const name = `app-${String(i).padStart(4, '0')}`;
    const meta = { name, namespace, labels: { ...labels, app: name } };
    const slot = i % 10;
    if (slot < 7) {
      docs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { LOG_LEVEL: 'info', INDEX: String(i) } });
    } else if (slot === 7) {
      docs.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta,
        spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
      });
    } else if (slot === 8) {
      docs.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta,
        spec: {
          // No pods: the benchmark measures the diff, not the scheduler on two cores.
          replicas: 0,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'registry.example.com/app:1.0.0',
                  ports: [{ containerPort: 8080 }],
                  resources: { requests: { cpu: '1000m', memory: '64Mi' } },
                },
              ],
            },
          },
        },
      });
    } else {
      docs.push({ apiVersion: 'v1', kind: 'Secret', metadata: meta, stringData: { password: `p-${i}` } });
    }
  }
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f * 100 < docs.length; f++) {
    const text = docs
      .slice(f * 100, f * 100 + 100)
      .map((d) => stringify(d))
      .join('---\n');
    writeFileSync(join(dir, `objects-${String(f).padStart(2, '0')}.yaml`), text);
  }
}
