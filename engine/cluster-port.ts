import type { KubeObject } from '../core/sync/kube-object';
import type { ObjectRef } from '../core/sync/object-id';
import type { JsonPatchOperation } from '../core/sync/take-over-fields';

/**
 * What the engines need from a Kubernetes API server, and nothing more. `ClusterClient` (adapters/kubernetes)
 * satisfies it and is passed as it is; the engines name this shape rather than the client, so what each one may do is
 * in its type (the drift scan: {@link ReadOnlyCluster}).
 *
 * Failures are the client's: `KubeApiError` with the HTTP `code` (403, 404, 409, 422), and `UnknownKindError` for a
 * kind the API server does not serve (see `isUnknownKind` in live-state.ts).
 */
export interface ClusterPort {
  /** Whether objects of a kind live in namespaces (from discovery). */
  isNamespaced(apiVersion: string, kind: string): Promise<boolean>;
  /** Every object of a kind with the label selector, in one namespace or all. */
  list(
    apiVersion: string,
    kind: string,
    options?: { namespace?: string; labelSelector?: string },
  ): Promise<KubeObject[]>;
  /** The live object, or undefined when it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Server-side apply with field manager `tidemark`, conflicts forced; with `dryRun`, what it would store. */
  apply(object: KubeObject, options?: { dryRun?: boolean }): Promise<KubeObject>;
  /** The same, also telling whether the apply created the object (HTTP 201). */
  applyReporting(object: KubeObject, options?: { dryRun?: boolean }): Promise<{ object: KubeObject; created: boolean }>;
  /** Deletes with background propagation; 'gone' when it did not exist. */
  delete(ref: ObjectRef): Promise<'deleted' | 'gone'>;
  jsonPatch(ref: ObjectRef, patch: JsonPatchOperation[]): Promise<KubeObject>;
  /** Discovery, cached; `reset()` after CRDs were applied, so the kinds they define can be mapped. */
  readonly mapper: { reset(): void };
}

/**
 * The drift scan's part of the port: reads, and the server-side apply dry-run, which persists nothing (the scanner's
 * EKS access entry allows reads and dry-runs only).
 */
export type ReadOnlyCluster = Pick<ClusterPort, 'isNamespaced' | 'list' | 'get'> & {
  /** Called only with `dryRun: true`: the object as applying it with field manager `tidemark` would leave it. */
  apply(object: KubeObject, options: { dryRun: true }): Promise<KubeObject>;
};
