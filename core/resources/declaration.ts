/** The apiVersion of every declaration a reconciler reads: `DnsRecordSet.tidemark.dev/v1alpha1` and the rest. */
export const resourceApiVersion = 'tidemark.dev/v1alpha1';

/**
 * On a declaration: take over an object of that identity that exists without Tidemark's ownership marker. Without it
 * such an object is a conflict, never touched, as external-dns leaves records of other owners alone.
 */
export const adoptAnnotation = 'tidemark.dev/adopt';

/** Where a declaration is written, for every message about it: `resources/dns/api.yaml:7`. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** One `<Kind>.tidemark.dev/v1alpha1` document of the config repo, its spec parsed by the kind's schema. */
export interface Declaration<Spec = unknown> {
  kind: string;
  /** `metadata.name`: the author's name for it, unique per kind in the folder. */
  name: string;
  annotations: Readonly<Record<string, string>>;
  spec: Spec;
  /** The object's name in the provider, from the reconciler's `identify`. */
  identity: string;
  source: SourceLocation;
}

/**
 * The key of an object across runs, in the inventory, status and alerts: `<Kind>/<identity>`, such as
 * `DnsRecordSet/api.example.com A` or `PostgresRole/app`.
 */
export function resourceKey(kind: string, identity: string): string {
  return `${kind}/${identity}`;
}

export function kindOfKey(key: string): string {
  return key.slice(0, key.indexOf('/'));
}

export function identityOfKey(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}

export function describeSource(source: SourceLocation): string {
  return `${source.file}:${source.line}`;
}

/** True when the declaration asks to take over an existing object that has no ownership marker. */
export function asksToAdopt(declaration: Pick<Declaration, 'annotations'>): boolean {
  return declaration.annotations[adoptAnnotation] === 'true';
}
