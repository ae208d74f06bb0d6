/**
 * An error answer of the Kubernetes API, with the Status fields kept (`code`, `reason`) so callers can branch on them,
 * and a message in Tidemark's style: the object, what failed and what to do.
 * "Deployment/shop/web apply failed (Invalid): spec.selector: field is immutable. Restore it in Git or delete the
 * Deployment so it can be recreated."
 */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    /** The API server's own message. */
    readonly serverMessage: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'KubeApiError';
  }

  get isNotFound(): boolean {
    return this.code === 404;
  }

  get isConflict(): boolean {
    return this.code === 409;
  }
}

/** What to do about a failed request, by the Status reason; the API server's message says what was wrong. */
export function fixFor(reason: string, subject: string): string {
  switch (reason) {
    case 'Invalid':
      return /immutable/.test(subject)
        ? 'Restore the field in Git, or delete the object so it can be recreated with the new value'
        : 'Fix the manifest in Git';
    case 'Forbidden': {
      // The API server names who was refused: the agent, or the ServiceAccount a tenant's Sync is applied as.
      const user = /User "([^"]+)"/.exec(subject)?.[1];
      return user?.startsWith('system:serviceaccount:') && !/:tidemark-agent$/.test(user)
        ? `Grant ${user} this permission with a Role and RoleBinding in its namespace if the Sync should have it (it is the Sync's spec.serviceAccountName), or remove the object from Git`
        : "Grant the agent's ServiceAccount this permission (agent/deploy/rbac-cluster.yaml, or a RoleBinding per namespace as in agent/deploy/namespaced), or remove the object from Git";
    }
    case 'Unauthorized':
      return 'Check the credentials in the kubeconfig or the token';
    case 'NotFound':
      return 'Create what it refers to first (a Namespace or a CRD), or fix the name';
    case 'Conflict':
      return 'Another writer changed it at the same time; the next reconcile retries';
    default:
      return 'Check the API server logs if it persists';
  }
}

/** Immutable-field rejections read better with the fix that names them. */
export function describeFailure(subject: string, verb: string, code: number, reason: string, message: string): string {
  return `${subject} ${verb} failed (${reason || code}): ${message}. ${fixFor(reason, message)}.`;
}
