import type { ImagePolicy } from './image-policy';

/**
 * A setter comment on a YAML line, naming the policy that owns the value and which part of the image the value is.
 * Two dialects are understood, so Flux users can switch without editing their manifests:
 * - Tidemark: `# {"tidemark": "web"}` (the part is inferred from the value: a full reference, a tag or a digest);
 * - Flux: `# {"$imagepolicy": "flux-system:web"}`, with `:tag`, `:name` or `:digest` after the name for a value that
 *   holds only that part.
 */
export interface SetterMarker {
  /** The policy name; for Flux markers the `ImagePolicy` name (its namespace is kept in `namespace`). */
  policy: string;
  namespace?: string;
  /** What the marked value holds. `infer` when the marker does not say (Tidemark's form). */
  part: 'infer' | 'ref' | 'tag' | 'name' | 'digest';
  dialect: 'tidemark' | 'flux';
}

/** Reads a setter marker from a comment's text (with or without the leading `#`), or `undefined` if it holds none. */
export function parseSetterMarker(comment: string | null | undefined): SetterMarker | undefined {
  if (!comment) return undefined;
  const text = comment.trim().replace(/^#\s*/, '');
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.tidemark === 'string' && record.tidemark) {
    return { policy: record.tidemark, part: 'infer', dialect: 'tidemark' };
  }
  const flux = record.$imagepolicy;
  if (typeof flux === 'string') {
    const [namespace, name, part, ...extra] = flux.split(':');
    if (!namespace || !name || extra.length > 0) return undefined;
    if (part !== undefined && part !== 'tag' && part !== 'name' && part !== 'digest') return undefined;
    return { policy: name, namespace, part: part ?? 'ref', dialect: 'flux' };
  }
  return undefined;
}

/**
 * Whether a marker names this policy. A Tidemark marker names the policy by its name. A Flux marker names a Flux
 * `ImagePolicy` by `namespace:name`, and only the policy that declares that `fluxImagePolicy` answers to it: a marker
 * for another namespace, or for a Flux policy this repo does not map, belongs to no policy and is left alone.
 */
export function markerNames(marker: SetterMarker, policy: Pick<ImagePolicy, 'name' | 'fluxImagePolicy'>): boolean {
  if (marker.dialect === 'tidemark') return marker.policy === policy.name;
  return policy.fluxImagePolicy !== undefined && `${marker.namespace}:${marker.policy}` === policy.fluxImagePolicy;
}
