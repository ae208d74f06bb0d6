/**
 * An OCI image reference split into its parts: `registry/repository[:tag][@digest]`.
 * `name` is `registry/repository` (or just `repository` when the reference names no registry), the form in which
 * image policies name an ECR repository.
 */
export interface ImageRef {
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository`, or `repository` when no registry is named. */
  name: string;
}

// The grammar of github.com/distribution/reference, reduced to what a manifest can hold.
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Whether `tag` is a syntactically valid image tag. */
export function isImageTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Whether `digest` looks like `sha256:<hex>`. */
export function isImageDigest(digest: string): boolean {
  return DIGEST.test(digest);
}

/**
 * Parses an image reference, or returns `undefined` when the text is not one. No defaults are filled in
 * (`nginx` stays `nginx`, not `docker.io/library/nginx`): a reference is matched as it is written.
 *
 * @example
 * parseImageRef('123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.2.3@sha256:…')
 * // { registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com', repository: 'web', tag: '1.2.3', digest: 'sha256:…', … }
 */
export function parseImageRef(text: string): ImageRef | undefined {
  if (text.length === 0 || text.length > 512 || /\s/.test(text)) return undefined;
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isImageDigest(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isImageTag(tag)) return undefined;
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  // Like Docker: the first component is a registry when it has a dot or a port, or is `localhost`.
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) registry = parts.shift()!.toLowerCase();
  if (parts.length === 0 || !parts.every((p) => PATH_COMPONENT.test(p))) return undefined;
  const repository = parts.join('/');
  return { registry, repository, tag, digest, name: registry ? `${registry}/${repository}` : repository };
}

/** Writes a reference back in its canonical form, `name[:tag][@digest]`. */
export function formatImageRef(ref: Pick<ImageRef, 'name' | 'tag' | 'digest'>): string {
  return `${ref.name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The ECR repository reference (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`) for an ECR event or API result. */
export function ecrRepositoryName(registryId: string, region: string, repositoryName: string): string {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${registryId}.dkr.ecr.${region}.${domain}/${repositoryName}`;
}
