import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Scalar,
  visit,
  type YAMLMap,
} from 'yaml';
import { type ImageRef, isImageDigest, isImageTag, parseImageRef } from './image-ref';
import { parseSetterMarker, type SetterMarker } from './setter-marker';

/**
 * The characters of one YAML scalar that hold its value: for a plain scalar the scalar itself, for a quoted one what
 * is between the quotes. Only scalars whose source text *is* their value (no escapes, no folding) are editable, so an
 * edit of these characters changes the value by exactly the edit.
 */
export interface ScalarSite {
  /** Offset of the scalar node (`range[0]`), its identity when the rewrite is verified. */
  nodeStart: number;
  /** Absolute offsets of the value's characters in the file. */
  start: number;
  end: number;
  /** The value as written. */
  text: string;
  /** 1-based line of the scalar. */
  line: number;
}

/** A part of an image reference inside a scalar: the tag in `web:1.0.0`, or the whole `newTag` value. */
export interface ValueSlot {
  site: ScalarSite;
  /** Offset of the part within `site.text`, and its length (0 for a part that can be appended). */
  offset: number;
  length: number;
  /** What the part holds now ('' when absent). */
  value: string;
  /** Text written before a new value in an empty slot (`@` before an appended digest, `:` before a tag). */
  prefix?: string;
}

/**
 * Whether a file can hold manifests: `*.yaml`, `*.yml`, and kustomize's extensionless `Kustomization` (which
 * kustomize and Flux read too; `kustomization.yaml` and `kustomization.yml` are YAML files already).
 */
export function isManifestFile(path: string): boolean {
  return /\.ya?ml$/.test(path) || path.slice(path.lastIndexOf('/') + 1) === 'Kustomization';
}

/** What kind of place holds the image, which decides how it is rewritten and reported. */
export type ImageSiteKind = 'image' | 'helm-values' | 'kustomize-images' | 'setter' | 'chart-version';

/**
 * One place in a YAML file that holds an image, or parts of one, that an image policy could move: an `image:` value,
 * a Helm-style map, a kustomize `images:` entry, or a value marked with a setter comment. (An {@link ImageRef} is the
 * reference text itself, parsed.)
 */
export interface ImageSite {
  file: string;
  kind: ImageSiteKind;
  /** The image name (`registry/repository`) the reference is to, when the file names it. */
  name?: string;
  /** The setter comment on the reference, if any: it alone decides which policy owns the value. */
  marker?: SetterMarker;
  /**
   * The image name, where the site's owner may write it: only in a marked value (a full reference, or a `:name`
   * marker), which Flux fills with the policy's image. An unmarked reference is owned because of its name, which
   * therefore never changes.
   */
  imageName?: ValueSlot;
  tag?: ValueSlot;
  digest?: ValueSlot;
  line: number;
}

/**
 * Finds the image sites of one YAML file (all documents): `image:` scalars (container and initContainer images in
 * any workload or custom resource, and Helm-style `image: repo:tag` values), Helm-style `{repository, tag}` maps,
 * `images:` entries of a kustomization, and any scalar carrying a setter comment. A file that is not valid YAML has
 * none (it is not Tidemark's to fix).
 */
export function findImageSites(file: string, source: string): ImageSite[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter: lines });
  if (!Array.isArray(docs)) return [];
  const refs: ImageSite[] = [];
  const site = (node: Scalar): ScalarSite | undefined => scalarSite(source, node, lines);
  for (const doc of docs) {
    if (doc.errors.length > 0) return [];
    const claimed = new Set<number>();
    // Setter comments first: a marked value belongs to the marker's policy and to no other rule.
    visit(doc, {
      Scalar(_, node) {
        const marker = parseSetterMarker(node.comment);
        const s = marker && site(node);
        if (!marker || !s) return;
        claimed.add(s.nodeStart);
        refs.push(markedSite(file, marker, s));
      },
    });
    const kustomization = isKustomization(file, doc);
    visit(doc, {
      Pair(_, pair) {
        if (!isScalar(pair.key) || pair.key.value !== 'image' || !isScalar(pair.value)) return;
        const s = site(pair.value);
        if (!s || claimed.has(s.nodeStart)) return;
        const ref = siteInScalar(file, 'image', s);
        if (ref) refs.push(ref);
      },
      Map(_, map, path) {
        if (kustomization && path.length === 4 && isKustomizeImagesEntry(path)) {
          const ref = kustomizeSite(file, map, site, claimed);
          if (ref) refs.push(ref);
          return;
        }
        const ref = helmSite(file, map, site, claimed);
        if (ref) refs.push(ref);
      },
    });
  }
  return refs;
}

/** The editable characters of a scalar, or undefined when its source text is not its value (escapes, folding). */
export function scalarSite(source: string, node: Scalar, lines: LineCounter): ScalarSite | undefined {
  if (!node.range) return undefined;
  const [from, to] = node.range;
  let start = from;
  let end = to;
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') {
    start += 1;
    end -= 1;
  } else if (node.type !== 'PLAIN') {
    return undefined; // block scalars: an image there is not a one-line value we can edit in place
  }
  const text = source.slice(start, end);
  // Plain scalars may resolve to numbers (`tag: 1.0`); what matters is that the source is the value's text.
  if (text.includes('\n') || (typeof node.value === 'string' && node.value !== text)) return undefined;
  return { nodeStart: from, start, end, text, line: lines.linePos(from).line };
}

/** The tag and digest parts of a `name[:tag][@digest]` string, found in the text as written. */
function refSlots(s: ScalarSite): { name: string; tag?: ValueSlot; digest: ValueSlot } | undefined {
  const ref = parseImageRef(s.text);
  if (!ref || (!ref.tag && !ref.digest && !s.text.includes('/'))) return undefined;
  const at = s.text.indexOf('@');
  const baseEnd = at >= 0 ? at : s.text.length;
  const tag = ref.tag
    ? { site: s, offset: baseEnd - ref.tag.length, length: ref.tag.length, value: ref.tag }
    : undefined;
  const digest: ValueSlot = ref.digest
    ? { site: s, offset: at + 1, length: ref.digest.length, value: ref.digest }
    : { site: s, offset: s.text.length, length: 0, value: '', prefix: '@' };
  return { name: ref.name, tag, digest };
}

function siteInScalar(file: string, kind: ImageSiteKind, s: ScalarSite): ImageSite | undefined {
  const slots = refSlots(s);
  if (!slots) return undefined;
  return { file, kind, name: slots.name, tag: slots.tag, digest: slots.digest, line: s.line };
}

/**
 * The parts of a marked full reference. The marker says the value is an image, so a bare name (`image`) is one too,
 * and a missing tag or digest is a slot to fill: Flux writes the policy's whole image there.
 */
function markedRefSlots(s: ScalarSite): Pick<ImageSite, 'imageName' | 'tag' | 'digest'> & { ref: string } {
  const ref = parseImageRef(s.text);
  if (!ref) return { ref: s.text };
  const at = s.text.indexOf('@');
  const baseEnd = at >= 0 ? at : s.text.length;
  const nameEnd = ref.tag ? baseEnd - ref.tag.length - 1 : baseEnd;
  const slot = (offset: number, length: number, prefix?: string): ValueSlot => ({
    site: s,
    offset,
    length,
    value: s.text.slice(offset, offset + length),
    ...(prefix ? { prefix } : {}),
  });
  return {
    ref: ref.name,
    imageName: slot(0, nameEnd),
    tag: ref.tag ? slot(nameEnd + 1, ref.tag.length) : slot(nameEnd, 0, ':'),
    digest: ref.digest ? slot(at + 1, ref.digest.length) : slot(s.text.length, 0, '@'),
  };
}

function markedSite(file: string, marker: SetterMarker, s: ScalarSite): ImageSite {
  const whole = (value: string): ValueSlot => ({ site: s, offset: 0, length: value.length, value });
  const part =
    marker.part !== 'infer'
      ? marker.part
      : isImageDigest(s.text)
        ? 'digest'
        : /[/:@]/.test(s.text)
          ? 'ref'
          : isImageTag(s.text)
            ? 'tag'
            : 'name';
  const base = { file, kind: 'setter' as const, marker, line: s.line };
  switch (part) {
    case 'ref': {
      if (marker.dialect === 'tidemark') {
        // Tidemark's marker gives a reference an owner, not a new name: its tag and digest move, as unmarked ones do.
        const slots = refSlots(s);
        return slots ? { ...base, name: slots.name, tag: slots.tag, digest: slots.digest } : base;
      }
      const { ref, ...slots } = markedRefSlots(s);
      return slots.tag ? { ...base, ...slots, name: ref } : base;
    }
    case 'tag':
      return { ...base, tag: whole(s.text) };
    case 'digest':
      return { ...base, digest: whole(s.text) };
    case 'name':
      return { ...base, name: s.text, imageName: whole(s.text) };
  }
}

function isKustomization(file: string, doc: Document): boolean {
  const name = file.slice(file.lastIndexOf('/') + 1);
  if (name === 'kustomization.yaml' || name === 'kustomization.yml' || name === 'Kustomization') return true;
  const kind = doc.get('kind');
  // A kustomize Component carries `images:` too; Flux's own `Kustomization` (kustomize.toolkit.fluxcd.io) has
  // `spec.images`, which is not at the top level and so is never mistaken for one.
  return (
    (kind === 'Kustomization' || kind === 'Component') &&
    String(doc.get('apiVersion')).startsWith('kustomize.config.k8s.io/')
  );
}

/** `path` of a map inside the top-level `images:` sequence: [Document, YAMLMap, Pair(images), YAMLSeq]. */
function isKustomizeImagesEntry(path: readonly unknown[]): boolean {
  const pair = path[2];
  return isPair(pair) && isScalar(pair.key) && pair.key.value === 'images' && isSeq(path[3]);
}

type SiteOf = (node: Scalar) => ScalarSite | undefined;

function scalarOf(map: YAMLMap, key: string, siteOf: SiteOf, claimed: Set<number>): ScalarSite | undefined {
  const node = map.get(key, true);
  if (!isScalar(node)) return undefined;
  const s = siteOf(node);
  return s && !claimed.has(s.nodeStart) ? s : undefined;
}

function wholeSlot(s: ScalarSite | undefined): ValueSlot | undefined {
  return s && { site: s, offset: 0, length: s.text.length, value: s.text };
}

function kustomizeSite(file: string, map: YAMLMap, siteOf: SiteOf, claimed: Set<number>): ImageSite | undefined {
  const name = map.get('newName') ?? map.get('name');
  const tag = scalarOf(map, 'newTag', siteOf, claimed);
  const digest = scalarOf(map, 'digest', siteOf, claimed);
  if (typeof name !== 'string' || (!tag && !digest)) return undefined;
  const ref = parseImageRef(name);
  return {
    file,
    kind: 'kustomize-images',
    name: ref?.name ?? name,
    tag: wholeSlot(tag),
    digest: wholeSlot(digest),
    line: (tag ?? digest)!.line,
  };
}

function helmSite(file: string, map: YAMLMap, siteOf: SiteOf, claimed: Set<number>): ImageSite | undefined {
  if (!isMap(map)) return undefined;
  const repository = map.get('repository');
  const tag = scalarOf(map, 'tag', siteOf, claimed);
  if (typeof repository !== 'string' || !tag) return undefined;
  const registry = map.get('registry');
  const full = typeof registry === 'string' && registry ? `${registry}/${repository}` : repository;
  const ref = parseImageRef(full);
  if (!ref) return undefined;
  return {
    file,
    kind: 'helm-values',
    name: ref.name,
    tag: wholeSlot(tag),
    digest: wholeSlot(scalarOf(map, 'digest', siteOf, claimed)),
    line: tag.line,
  };
}
