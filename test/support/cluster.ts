import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll } from 'vitest';
import { localEnv, uniqueName } from './local-env';

/** A KubeConfig for the local API server's admin user. */
export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(localEnv().kube.kubeconfigPath);
  return kc;
}

const created = new Set<string>();

// Registered when a test file imports this module, so it runs after that file's tests wherever `uniqueNamespace` was
// called (a test, a hook): hooks registered from inside another hook would never run. The real namespace controller
// then removes what is inside.
afterAll(async () => {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await Promise.all([...created].map((name) => core.deleteNamespace({ name }).catch(() => {})));
  created.clear();
});

/** Creates a namespace of its own for the calling test file, deleted after the file's tests. */
export async function uniqueNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { 'tidemark.dev/test': 'true' } } } });
  created.add(name);
  return name;
}
