import { KubeApiError } from '../adapters/kubernetes/kube-api-error';
import { UnknownKindError } from '../adapters/kubernetes/rest-mapper';
import type { KubeObject } from '../core/sync/kube-object';
import { objectIdOf, objectKey } from '../core/sync/object-id';
import type { ClusterPort } from './cluster-port';
import { inParallel } from './concurrency';

/** A kind the API server does not serve: its CRD is not installed (yet), or was deleted. */
export function isUnknownKind(error: unknown): error is UnknownKindError {
  return error instanceof UnknownKindError;
}

/** One object, placed in the namespace the API server will file it in, or the reason its kind could not be looked up. */
export type Placed = { object: KubeObject; error?: undefined } | { object: KubeObject; error: unknown };

/**
 * Each object with its namespace as the API server files it, as kubectl does: a namespaced object that names none gets
 * `defaultNamespace`, a cluster-scoped one drops a namespace it names. So identities, inventory entries and drift
 * findings are exact. An object whose kind cannot be looked up (an unknown kind, discovery failing) comes back as it
 * is, with the error, in its place: the agent reports it, the drift scan counts it missing.
 */
export async function withNamespaces(
  cluster: Pick<ClusterPort, 'isNamespaced'>,
  objects: readonly KubeObject[],
  defaultNamespace = 'default',
): Promise<Placed[]> {
  const placed: Placed[] = [];
  for (const object of objects) {
    try {
      const namespaced = await cluster.isNamespaced(object.apiVersion, object.kind);
      const { namespace, ...metadata } = object.metadata;
      placed.push({
        object: namespaced
          ? { ...object, metadata: { ...metadata, namespace: namespace || defaultNamespace } }
          : { ...object, metadata },
      });
    } catch (error) {
      placed.push({ object, error });
    }
  }
  return placed;
}

/** A kind to LIST, and the namespaces to fall back to when listing it across all namespaces is forbidden. */
export interface LiveKind {
  apiVersion: string;
  kind: string;
  namespaces?: ReadonlySet<string>;
}

/** The kinds of `objects`, once each, with the namespaces they are in. */
export function kindsOf(objects: readonly KubeObject[]): LiveKind[] {
  const kinds = new Map<string, { apiVersion: string; kind: string; namespaces: Set<string> }>();
  for (const object of objects) {
    const key = `${object.apiVersion}/${object.kind}`;
    const entry = kinds.get(key) ?? { apiVersion: object.apiVersion, kind: object.kind, namespaces: new Set() };
    entry.namespaces.add(object.metadata.namespace ?? '');
    kinds.set(key, entry);
  }
  return [...kinds.values()];
}

/**
 * The live objects carrying `labelSelector`, by object key: one LIST per kind across all namespaces, so a steady-state
 * reconcile or scan costs one request per kind rather than one per object. A kind the API server does not serve has
 * no objects. When listing across namespaces is forbidden (the agent's namespaced install) and the kind names its
 * namespaces, each is listed on its own, and one still forbidden is left without live state (its objects' applies then
 * fail with a message naming each); without namespaces the 403 is the caller's.
 */
export async function listLive(
  cluster: Pick<ClusterPort, 'list'>,
  kinds: readonly LiveKind[],
  labelSelector: string,
  concurrency: number,
): Promise<Map<string, KubeObject>> {
  const live = new Map<string, KubeObject>();
  const add = (items: KubeObject[]) => {
    for (const item of items) live.set(objectKey(objectIdOf(item)), item);
  };
  await inParallel(kinds, concurrency, async ({ apiVersion, kind, namespaces }) => {
    try {
      add(await cluster.list(apiVersion, kind, { labelSelector }));
    } catch (error) {
      if (isUnknownKind(error)) return;
      if (!(error instanceof KubeApiError) || error.code !== 403 || namespaces === undefined) throw error;
      for (const namespace of namespaces) {
        add(await cluster.list(apiVersion, kind, { labelSelector, namespace }).catch(forbiddenAsEmpty));
      }
    }
  });
  return live;
}

function forbiddenAsEmpty(error: unknown): KubeObject[] {
  if (error instanceof KubeApiError && error.code === 403) return [];
  throw error;
}
