import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ClusterConfig } from '../../core/config/deployment-config';
import type { KubeObject } from '../../core/sync/kube-object';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import { type RenderOptions, renderFolder } from '../../engine/render/render-folder';

/** On every object an install creates: which cluster's install it belongs to, so `uninstall` finds exactly those. */
export const installLabel = 'tidemark.dev/install';

/** The namespace and ServiceAccount agent/deploy is written for. */
const shippedNamespace = 'tidemark-system';
const shippedServiceAccount = 'tidemark-agent';

export interface AgentInstall {
  /** The cluster as configured: its name, the agent's namespace and ServiceAccount, region and folder. */
  cluster: ClusterConfig;
  /** The config repository the cluster's folder is in. */
  configRepo: { url: string; branch: string };
  /** The image the agent runs (the stack's install output). */
  image: string;
  /** The cluster's sync queue (the stack's install output): pushes reach the agent at once. */
  syncQueueUrl?: string;
  /** The cluster's deployment events queue (the stack's install output): the agent reports its Syncs' transitions. */
  eventsQueueUrl?: string;
  /** A Secret in the agent's namespace with the repository's `username` and `password`; none for a public repo. */
  gitSecretName?: string;
}

/**
 * What `tidemark install` applies for one cluster: agent/deploy (CRD, namespace, ServiceAccount, RBAC, Deployment)
 * for the cluster's namespace and ServiceAccount, running the stack's image with its sync queue, and a `Sync` named
 * after the cluster for its folder of the config repo. Cluster-scoped names (ClusterRoles and their bindings) get the
 * namespace as a suffix when it is not the default, so two installs in one cluster do not take each other's
 * bindings (as `flux install --namespace` does).
 */
export async function renderInstall(install: AgentInstall, options: RenderOptions = {}): Promise<KubeObject[]> {
  const { cluster } = install;
  const namespace = cluster.agentNamespace;
  const serviceAccount = cluster.agentServiceAccount;
  const suffix = namespace === shippedNamespace ? '' : `-${namespace}`;
  const shipped = await renderFolder(join(import.meta.dirname, '..', 'deploy'), options);
  const labels = { [installLabel]: cluster.name };

  const objects = shipped.map((original) => {
    const object = structuredClone(original) as KubeObject & RbacParts;
    const meta = object.metadata;
    meta.labels = { ...meta.labels, ...labels };
    if (meta.namespace === shippedNamespace) meta.namespace = namespace;
    if (object.kind === 'Namespace' && meta.name === shippedNamespace) meta.name = namespace;
    if (object.kind === 'ServiceAccount' && meta.name === shippedServiceAccount) meta.name = serviceAccount;
    if (object.kind === 'ClusterRole' || object.kind === 'ClusterRoleBinding') meta.name = `${meta.name}${suffix}`;
    if (object.roleRef?.kind === 'ClusterRole') object.roleRef.name = `${object.roleRef.name}${suffix}`;
    for (const subject of object.subjects ?? []) {
      if (subject.kind === 'ServiceAccount' && subject.name === shippedServiceAccount) {
        subject.name = serviceAccount;
        subject.namespace = namespace;
      }
    }
    if (object.kind === 'Deployment') configureAgent(object as unknown as AgentDeployment, install);
    return object as KubeObject;
  });

  const sync: KubeObject = {
    apiVersion: syncApiVersion,
    kind: syncKind,
    metadata: { name: cluster.name, namespace, labels },
    spec: {
      url: install.configRepo.url,
      branch: install.configRepo.branch,
      path: cluster.path,
      ...(install.gitSecretName ? { secretRef: { name: install.gitSecretName } } : {}),
    },
  } as KubeObject;
  return [...objects, sync];
}

/** The parts of agent/deploy's RBAC objects an install renames. */
interface RbacParts {
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** The parts of agent/deploy's Deployment an install sets. */
export interface AgentDeployment {
  spec: {
    template: {
      spec: {
        serviceAccountName?: string;
        containers: { name: string; image?: string; args: string[]; env?: { name: string; value?: string }[] }[];
      };
    };
  };
}

/** The agent's container: the stack's image, its sync and events queues (and the region the SQS client signs for). */
function configureAgent(deployment: AgentDeployment, install: AgentInstall): void {
  const pod = deployment.spec.template.spec;
  pod.serviceAccountName = install.cluster.agentServiceAccount;
  const container = pod.containers.find((c) => c.name === 'agent');
  if (!container) throw new Error("agent/deploy's Deployment has no container named 'agent'; restore it from git");
  container.image = install.image;
  if (install.syncQueueUrl) container.args = [...container.args, `--sync-queue-url=${install.syncQueueUrl}`];
  if (install.eventsQueueUrl) {
    container.args = [
      ...container.args,
      `--events-queue-url=${install.eventsQueueUrl}`,
      `--cluster=${install.cluster.name}`,
    ];
  }
  if (install.syncQueueUrl || install.eventsQueueUrl) {
    container.env = [...(container.env ?? []), { name: 'AWS_REGION', value: install.cluster.region }];
  }
}

/** The objects as one YAML stream, as `kubectl apply -f -` takes it, with a header saying where it came from. */
export function installYaml(objects: readonly KubeObject[], header: string[]): string {
  const comments = header.map((line) => `# ${line}`.trimEnd()).join('\n');
  return `${comments}\n${objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('')}`;
}
