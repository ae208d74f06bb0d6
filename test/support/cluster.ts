import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll } from 'vitest';
import { localEnv, uniqueName } from './local-env';

/** A KubeConfig for the local API server's admin user. */
export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(localEnv().kube.kubeconfigPath);
  return kc;
}

/**
 * Creates a namespace of its own for the calling test file and deletes it after the file's tests (the real namespace
 * controller then removes what is inside), so tests never see each other's objects.
 */
export async function uniqueNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { 'tidemark.dev/test': 'true' } } } });
  afterAll(async () => {
    await core.deleteNamespace({ name }).catch(() => {});
  });
  return name;
}
