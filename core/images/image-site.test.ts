import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath } from '../../test/support/corpus';
import { findImageSites, type ImageSite } from './image-site';

/** A file of the shared corpus (real-world manifests; provenance in its SOURCES.md), read as it is. */
const corpus = (...path: string[]) => readFileSync(corpusPath(...path), 'utf8');

/** The reference as a reader would describe it: where, what image, and which values it holds. */
const summary = (r: ImageSite) => ({
  kind: r.kind,
  line: r.line,
  name: r.name,
  tag: r.tag?.value,
  digest: r.digest?.value || undefined,
});

describe('findImageSites', () => {
  it('finds every container image of a 35-document release file, including a digest-pinned one', () => {
    const refs = findImageSites('release.yaml', corpus('microservices-demo/release/kubernetes-manifests.yaml'));
    expect(refs.length).toBe(13);
    expect(refs.map(summary)).toContainEqual({
      kind: 'image',
      line: 494,
      name: 'busybox',
      tag: '1.38.0',
      digest: 'sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d',
    });
    expect(refs.map(summary)).toContainEqual(
      expect.objectContaining({
        name: 'us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/adservice',
        tag: 'v0.10.6',
      }),
    );
  });

  it('finds Helm-style {repository, tag} values', () => {
    const refs = findImageSites('values.yaml', corpus('podinfo/charts/podinfo/values.yaml'));
    expect(refs.map(summary)).toContainEqual({
      kind: 'helm-values',
      line: 11,
      name: 'ghcr.io/stefanprodan/podinfo',
      tag: '6.14.1',
      digest: undefined,
    });
  });

  it('finds Helm values nested in a HelmRelease', () => {
    const refs = findImageSites('release.yaml', corpus('flux2-kustomize-helm-example/apps/base/podinfo/release.yaml'));
    expect(refs.map(summary)).toContainEqual({
      kind: 'helm-values',
      line: 27,
      name: 'public.ecr.aws/docker/library/redis',
      tag: '8.6.2',
      digest: undefined,
    });
  });

  it('finds kustomize images: entries (also in a Component) and resolves newName', () => {
    const refs = findImageSites(
      'kustomization.yaml',
      corpus('microservices-demo/kustomize/components/container-images-tag/kustomization.yaml'),
    );
    expect(refs).toHaveLength(11);
    expect(summary(refs[0]!)).toEqual({
      kind: 'kustomize-images',
      line: 19,
      name: 'us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/adservice',
      tag: 'CONTAINER_IMAGES_TAG',
      digest: undefined,
    });
    const renamed = findImageSites(
      'overlay/kustomization.yaml',
      'images:\n  - name: web\n    newName: acme.io/web\n    newTag: "1.0.0"\n    digest: sha256:' +
        'c'.repeat(64) +
        '\n',
    );
    expect(renamed.map(summary)).toEqual([
      { kind: 'kustomize-images', line: 4, name: 'acme.io/web', tag: '1.0.0', digest: `sha256:${'c'.repeat(64)}` },
    ]);
  });

  it('finds initContainers and images in custom resources', () => {
    const text = `apiVersion: example.com/v1
kind: Worker
spec:
  template:
    initContainers:
      - image: acme.io/migrate:3
    containers:
      - name: w
        image: 'acme.io/web:1.0.0'
`;
    expect(findImageSites('w.yaml', text).map(summary)).toEqual([
      { kind: 'image', line: 6, name: 'acme.io/migrate', tag: '3', digest: undefined },
      { kind: 'image', line: 9, name: 'acme.io/web', tag: '1.0.0', digest: undefined },
    ]);
  });

  it('lets a setter comment decide the owner and the part of the value', () => {
    const text = `image:
  repository: acme.io/web # {"$imagepolicy": "flux-system:web:name"}
  tag: 1.0.0 # {"$imagepolicy": "flux-system:web:tag"}
  digest: sha256:${'d'.repeat(64)} # {"$imagepolicy": "flux-system:web:digest"}
other: acme.io/web:1.0.0 # {"tidemark": "web"}
bare: "2.0.0" # {"tidemark": "web"}
`;
    const refs = findImageSites('v.yaml', text);
    expect(refs.map((r) => [r.kind, r.line, r.marker?.policy, r.marker?.part, r.tag?.value, r.digest?.value])).toEqual([
      ['setter', 2, 'web', 'name', undefined, undefined],
      ['setter', 3, 'web', 'tag', '1.0.0', undefined],
      ['setter', 4, 'web', 'digest', undefined, `sha256:${'d'.repeat(64)}`],
      ['setter', 5, 'web', 'infer', '1.0.0', ''],
      ['setter', 6, 'web', 'infer', '2.0.0', undefined],
    ]);
  });

  it('leaves untagged names, block scalars and escaped strings alone, and ignores broken YAML', () => {
    const text = 'a:\n  image: adservice\nb:\n  image: |\n    acme.io/web:1\nc:\n  image: "acme.io/w\\u0065b:1"\n';
    expect(findImageSites('x.yaml', text)).toEqual([]);
    expect(findImageSites('x.yaml', 'image: [acme.io/web:1\n')).toEqual([]);
  });
});
