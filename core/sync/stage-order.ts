import type { KubeObject } from './kube-object';

/**
 * The order objects are applied in, as Flux does it. Definitions come first and are waited for, because everything
 * else may need them: a custom resource cannot be applied before its CRD is established, nor a namespaced object
 * before its Namespace is active. `*Class` kinds (StorageClass, IngressClass, PriorityClass, RuntimeClass…) are
 * referenced by the workloads of the next stage. Webhook configurations come last, so a webhook served by a Deployment
 * in this same set cannot block the apply of that Deployment.
 */
export const stages = ['definitions', 'classes', 'resources', 'webhooks'] as const;
export type Stage = (typeof stages)[number];

const definitionKinds = new Set(['CustomResourceDefinition', 'Namespace', 'ClusterRole']);
const webhookKinds = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

export function stageOf(object: Pick<KubeObject, 'kind'>): Stage {
  if (definitionKinds.has(object.kind)) return 'definitions';
  if (webhookKinds.has(object.kind)) return 'webhooks';
  if (object.kind.endsWith('Class')) return 'classes';
  return 'resources';
}

/** Groups objects by stage, in apply order; stages with no objects are left out. */
export function byStage<T extends Pick<KubeObject, 'kind'>>(objects: readonly T[]): { stage: Stage; objects: T[] }[] {
  return stages
    .map((stage) => ({ stage, objects: objects.filter((object) => stageOf(object) === stage) }))
    .filter((group) => group.objects.length > 0);
}
