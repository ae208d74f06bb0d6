import { describe, expect, it } from 'vitest';
import { parseManifests, RenderError } from './render';

const configMap = (name: string, namespace = 'shop') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  k: v\n`;

describe('parseManifests', () => {
  it('reads every document of every file, skipping empty ones', () => {
    const objects = parseManifests([
      { path: 'a.yaml', text: `# header\n---\n${configMap('a')}---\n${configMap('b')}---\n` },
      { path: 'b.yaml', text: configMap('c') },
    ]);
    expect(objects.map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
  });

  it('expands a List into its items', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n';
    expect(parseManifests([{ path: 'l.yaml', text }]).map((o) => o.kind)).toEqual(['ConfigMap']);
  });

  it('names the file and document of broken YAML', () => {
    const files = [{ path: 'apps/web.yaml', text: `${configMap('a')}---\nkind: [unclosed\n` }];
    expect(() => parseManifests(files)).toThrow(RenderError);
    expect(() => parseManifests(files)).toThrow(/^apps\/web\.yaml \(document 1\): is not valid YAML/);
  });

  it.each([
    ['kind: ConfigMap\nmetadata: {name: a}\n', /has no apiVersion\. Set apiVersion on every object/],
    ['apiVersion: v1\nmetadata: {name: a}\n', /has no kind/],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: a-}\n', /ConfigMap has no metadata\.name/],
    ['- just\n- a list\n', /is not a mapping/],
  ])('rejects a document missing what the engine needs: %s', (text, message) => {
    expect(() => parseManifests([{ path: 'x.yaml', text }])).toThrow(message);
  });

  it('rejects an object defined twice, naming both places', () => {
    const files = [
      { path: 'a.yaml', text: configMap('web') },
      { path: 'b.yaml', text: `${configMap('other')}---\n${configMap('web')}` },
    ];
    expect(() => parseManifests(files)).toThrow(
      'b.yaml (document 1): ConfigMap/shop/web is already defined in a.yaml (document 0). Keep one definition of each object',
    );
  });

  it('treats the same name in two namespaces as two objects', () => {
    expect(
      parseManifests([{ path: 'a.yaml', text: `${configMap('web', 'a')}---\n${configMap('web', 'b')}` }]),
    ).toHaveLength(2);
  });

  it('reads YAML as kubectl does (Go yaml.v2): octal modes, yes/on booleans, but times and dates stay strings', () => {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: web}',
      'spec:',
      '  volumes: [{name: s, secret: {secretName: s, defaultMode: 0644}}]',
      '  hostNetwork: yes',
      '  enableServiceLinks: off',
      '  labels: {at: 10:30, on: 2024-01-01, quoted: "yes", dot: ., half: .5, one: 1.}',
      '',
    ].join('\n');
    const [pod] = parseManifests([{ path: 'pod.yaml', text }]);
    const spec = pod?.spec as Record<string, unknown>;
    expect(spec.volumes).toEqual([{ name: 's', secret: { secretName: 's', defaultMode: 0o644 } }]);
    expect(spec.hostNetwork).toBe(true);
    expect(spec.enableServiceLinks).toBe(false);
    // `on` as a key is a boolean key in YAML 1.1; JSON has only string keys, so it reads "true", as kubectl sends it.
    expect(spec.labels).toEqual({ at: '10:30', true: '2024-01-01', quoted: 'yes', dot: '.', half: 0.5, one: 1 });
    // YAML 1.2 reads the same text differently: the octal mode would be a decimal 644 (an executable-bit surprise).
    const [strict] = parseManifests([{ path: 'pod.yaml', text }], { yaml: '1.2' });
    const volumes = (strict?.spec as { volumes: { secret: { defaultMode: number } }[] } | undefined)?.volumes;
    expect(volumes?.[0]?.secret.defaultMode).toBe(644);
  });
});
