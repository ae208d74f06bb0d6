import type { KubeObject } from '../sync/kube-object';
import { describeObject, objectIdOf } from '../sync/object-id';

/**
 * Helm hooks as Tidemark runs them: stages around the main apply, never part of the inventory (Helm does not track
 * hook objects in a release either, so prune never deletes them). Which hooks run depends on the phase, which the
 * Sync's inventory decides: no previous inventory is an install (`pre-install`/`post-install`), any later change of
 * the release is an upgrade (`pre-upgrade`/`post-upgrade`). Argo CD cannot tell the two apart and runs both kinds as
 * PreSync (the issue's first complaint); Helm itself can, and so can we.
 *
 * `test` hooks never run (they are `helm test`'s, not an install's); `pre/post-delete` and rollback hooks are not run
 * by a reconcile.
 */
export type ReleasePhase = 'install' | 'upgrade';

export type HookEvent =
  | 'pre-install'
  | 'post-install'
  | 'pre-upgrade'
  | 'post-upgrade'
  | 'pre-delete'
  | 'post-delete'
  | 'pre-rollback'
  | 'post-rollback'
  | 'test';

export type HookDeletePolicy = 'before-hook-creation' | 'hook-succeeded' | 'hook-failed';

export interface Hook {
  object: KubeObject;
  /** The template it came from, for messages (`ingress-nginx/templates/admission-webhooks/job-patch/job-createSecret.yaml`). */
  template: string;
  events: HookEvent[];
  weight: number;
  deletePolicies: HookDeletePolicy[];
}

export const hookAnnotation = 'helm.sh/hook';
const weightAnnotation = 'helm.sh/hook-weight';
const deletePolicyAnnotation = 'helm.sh/hook-delete-policy';

const knownEvents = new Set<string>([
  'pre-install',
  'post-install',
  'pre-upgrade',
  'post-upgrade',
  'pre-delete',
  'post-delete',
  'pre-rollback',
  'post-rollback',
  'test',
]);

/** True when the object is a hook of any kind (Helm moves such objects out of the release manifest). */
export function isHook(object: KubeObject): boolean {
  return object.metadata.annotations?.[hookAnnotation] !== undefined;
}

/**
 * Reads a hook's annotations. `test-success` is Helm 2's spelling of `test` (podinfo's chart still uses it);
 * `crd-install` is Helm 2's CRD mechanism, which Helm 3 ignores and so do we. Helm's default delete policy, when none
 * is given, is `before-hook-creation`.
 *
 * @throws Error naming the object when the weight is not an integer (Helm refuses such a chart too).
 */
export function hookOf(object: KubeObject, template: string): Hook {
  const annotations = object.metadata.annotations ?? {};
  const events = (annotations[hookAnnotation] ?? '')
    .split(',')
    .map((e) => e.trim())
    .map((e) => (e === 'test-success' || e === 'test-failure' ? 'test' : e))
    .filter((e): e is HookEvent => knownEvents.has(e));
  const weightText = (annotations[weightAnnotation] ?? '0').trim();
  const weight = Number(weightText);
  if (!Number.isInteger(weight)) {
    throw new Error(
      `${describeObject(objectIdOf(object))} (${template}): ${weightAnnotation} '${weightText}' is not an integer. Fix the chart`,
    );
  }
  const policies = (annotations[deletePolicyAnnotation] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p): p is HookDeletePolicy => ['before-hook-creation', 'hook-succeeded', 'hook-failed'].includes(p));
  return {
    object,
    template,
    events,
    weight,
    deletePolicies: policies.length > 0 ? policies : ['before-hook-creation'],
  };
}

export interface HookPlan {
  /** Run before the main apply, one at a time in this order, each waited for. */
  pre: Hook[];
  /** Run after the main apply succeeded (and its objects are healthy), one at a time. */
  post: Hook[];
}

/**
 * Which hooks one reconcile runs, and in which order: Helm's own order, by weight, then by kind in Helm's install
 * order (a hook's ServiceAccount and Role before its Job), then by name.
 *
 * @example
 * planHooks(hooks, 'upgrade').pre.map((h) => h.template); // the pre-upgrade hooks, lightest first
 */
export function planHooks(hooks: readonly Hook[], phase: ReleasePhase): HookPlan {
  const pick = (event: HookEvent) => hooks.filter((h) => h.events.includes(event)).sort(inHelmOrder);
  return phase === 'install'
    ? { pre: pick('pre-install'), post: pick('post-install') }
    : { pre: pick('pre-upgrade'), post: pick('post-upgrade') };
}

// Helm's InstallOrder (pkg/releaseutil/kind_sorter.go), trimmed to the kinds hooks use; others sort after, by name.
const installOrder = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

function kindRank(kind: string): number {
  const i = installOrder.indexOf(kind);
  return i === -1 ? installOrder.length : i;
}

function inHelmOrder(a: Hook, b: Hook): number {
  return (
    a.weight - b.weight ||
    kindRank(a.object.kind) - kindRank(b.object.kind) ||
    a.object.kind.localeCompare(b.object.kind) ||
    a.object.metadata.name.localeCompare(b.object.metadata.name)
  );
}

/** Kinds whose hook Helm waits for until they finish (a Job completes, a Pod succeeds); others are ready once created. */
export function isAwaitedHook(object: KubeObject): boolean {
  return (
    (object.kind === 'Job' && object.apiVersion === 'batch/v1') || (object.kind === 'Pod' && object.apiVersion === 'v1')
  );
}
