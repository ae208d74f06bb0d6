import { groupOf, type KubeObject } from './kube-object';

/**
 * What makes an object the same object across renders and API versions: group, kind, namespace and name (not the
 * version, so `autoscaling/v1` and `autoscaling/v2` name one HorizontalPodAutoscaler).
 */
export interface ObjectId {
  group: string;
  kind: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  name: string;
}

export function objectIdOf(object: KubeObject): ObjectId {
  return {
    group: groupOf(object.apiVersion),
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
  };
}

/**
 * The stable key of an object, in Flux's inventory format `<namespace>_<name>_<group>_<kind>`, so inventories read the
 * same to a Flux user. Underscores cannot appear in Kubernetes names, which keeps the key unambiguous.
 */
export function objectKey(id: ObjectId): string {
  return `${id.namespace}_${id.name}_${id.group}_${id.kind}`;
}

export function parseObjectKey(key: string): ObjectId {
  const [namespace, name, group, kind] = key.split('_');
  if (name === undefined || group === undefined || kind === undefined || namespace === undefined) {
    throw new Error(
      `inventory entry '${key}' is not <namespace>_<name>_<group>_<kind>. Remove it from the Sync status.`,
    );
  }
  return { namespace, name, group, kind };
}

/**
 * An object's address: enough to GET, PATCH or DELETE it (the version picks the endpoint), and the object a drift
 * finding is about. Absent `namespace` for cluster-scoped objects.
 */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** The address of an object. */
export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata.name,
  };
}

/**
 * How people and kubectl name an object: `Deployment/shop/web`, or `Namespace/shop` when cluster-scoped. Used in every
 * message, event, change set line, drift finding and alert, for an {@link ObjectId} or an {@link ObjectRef} alike.
 */
export function describeObject(object: ObjectRef | ObjectId): string {
  return object.namespace ? `${object.kind}/${object.namespace}/${object.name}` : `${object.kind}/${object.name}`;
}
