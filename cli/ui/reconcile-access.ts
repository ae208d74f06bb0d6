import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { syncApiVersion } from '../../core/sync/sync';

/**
 * Whether the user's kubeconfig may patch one Sync (what "reconcile now" writes), asked of the API server with a
 * SelfSubjectAccessReview, as `kubectl auth can-i patch syncs.tidemark.dev NAME -n NS` does: RBAC, webhooks and any
 * other authorizer answer, not a guess from the kubeconfig.
 */
export async function mayReconcile(
  cluster: ClusterClient,
  sync: { namespace: string; name: string },
): Promise<{ allowed: boolean; reason: string }> {
  const [group] = syncApiVersion.split('/');
  try {
    const review = await cluster.request<{ status?: { allowed?: boolean; reason?: string; denied?: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: { group, resource: 'syncs', verb: 'patch', namespace: sync.namespace, name: sync.name },
          },
        },
        subject: `access review for Sync ${sync.namespace}/${sync.name}`,
      },
    );
    const allowed = review.status?.allowed === true;
    return {
      allowed,
      reason: review.status?.reason || (allowed ? 'allowed' : `no rule allows patch on syncs.${group} here`),
    };
  } catch (error) {
    return { allowed: false, reason: `the access review failed: ${(error as Error).message}` };
  }
}
