import { parseImageRef } from '../images/image-ref';
import { isPlainObject, type KubeObject } from '../sync/kube-object';

/** An image a revision runs: the reference as written in Git without its digest, and the digest when known. */
export interface AppliedImage {
  name: string;
  digest: string | null;
}

/**
 * The container images of the applied objects (Pods, workload Pod templates and CronJob job templates, init containers
 * included), each once, in the order they appear. The digest is the one pinned in Git (`web:1.2@sha256:…`); live Pods
 * can tell the one actually pulled ({@link withPulledDigests}).
 */
export function appliedImages(objects: readonly KubeObject[]): AppliedImage[] {
  const seen = new Map<string, AppliedImage>();
  for (const object of objects) {
    for (const image of imagesOf(podSpecOf(object))) {
      const ref = parseImageRef(image);
      const name = ref?.digest ? image.slice(0, image.indexOf('@')) : image;
      const key = `${name}@${ref?.digest ?? ''}`;
      if (!seen.has(key)) seen.set(key, { name, digest: ref?.digest?.startsWith('sha256:') ? ref.digest : null });
    }
  }
  return [...seen.values()];
}

/**
 * The images with the digests the kubelet reported for them (`status.containerStatuses[].imageID`, which ends in
 * `@sha256:…`), where Git named only a tag.
 */
export function withPulledDigests(images: readonly AppliedImage[], pods: readonly KubeObject[]): AppliedImage[] {
  const pulled = new Map<string, string>();
  for (const pod of pods) {
    const status = isPlainObject(pod.status) ? pod.status : {};
    const statuses = [status.containerStatuses, status.initContainerStatuses].flatMap((s) =>
      Array.isArray(s) ? s.filter(isPlainObject) : [],
    );
    for (const s of statuses) {
      const digest = /@(sha256:[0-9a-f]{64})$/.exec(String(s.imageID ?? ''))?.[1];
      if (digest && typeof s.image === 'string') pulled.set(s.image, digest);
    }
  }
  return images.map((i) => (i.digest === null && pulled.has(i.name) ? { ...i, digest: pulled.get(i.name)! } : i));
}

function podSpecOf(object: KubeObject): Record<string, unknown> | undefined {
  const spec = isPlainObject(object.spec) ? object.spec : undefined;
  if (!spec) return undefined;
  if (object.kind === 'Pod') return spec;
  if (object.kind === 'CronJob') {
    const job = isPlainObject(spec.jobTemplate) && isPlainObject(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
    return podSpecOf({ ...object, kind: 'Job', spec: job });
  }
  const template = isPlainObject(spec.template) ? spec.template : undefined;
  return template && isPlainObject(template.spec) ? template.spec : undefined;
}

function imagesOf(spec: Record<string, unknown> | undefined): string[] {
  if (!spec) return [];
  return [spec.initContainers, spec.containers].flatMap((list) =>
    Array.isArray(list)
      ? list.filter(isPlainObject).flatMap((c) => (typeof c.image === 'string' && c.image !== '' ? [c.image] : []))
      : [],
  );
}
