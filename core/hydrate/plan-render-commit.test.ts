import { describe, expect, it } from 'vitest';
import { hydratorMetadata, parseHydratorMetadata } from './hydrator-metadata';
import { planRenderCommit } from './plan-render-commit';
import { renderCommitMessage, trailersOf } from './render-commit-message';
import { renderedFiles } from './rendered-files';

const dry = {
  sha: 'a'.repeat(40),
  author: 'Ann <ann@example.com>',
  date: '2026-12-01T22:00:00Z',
  subject: 'Scale web',
  body: '',
};
const cm = (name: string, namespace?: string, data: Record<string, string> = { a: '1' }) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  data,
});

describe('rendered files', () => {
  it('writes one file per object under its namespace, the ones naming no namespace at the top, in path order', () => {
    const files = renderedFiles(
      [cm('b', 'shop'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, cm('a', 'shop')],
      'files',
    );
    expect([...files.keys()]).toEqual(['Namespace-shop.yaml', 'shop/ConfigMap-a.yaml', 'shop/ConfigMap-b.yaml']);
    expect(files.get('shop/ConfigMap-a.yaml')).toBe(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: shop\ndata:\n  a: "1"\n',
    );
  });

  it('quotes what a YAML 1.1 reader (kubectl, Helm) would take for a boolean or a number', () => {
    const text = renderedFiles([cm('y', 'shop', { mode: '0755', enabled: 'on' })], 'files').get(
      'shop/ConfigMap-y.yaml',
    )!;
    expect(text).toContain('name: "y"');
    expect(text).toContain('mode: "0755"');
    expect(text).toContain('enabled: "on"');
  });

  it('keeps a long value on one line, so a diff shows the change and nothing else', () => {
    const long = 'x'.repeat(300);
    expect(renderedFiles([cm('a', 'shop', { long })], 'files').get('shop/ConfigMap-a.yaml')).toContain(
      `  long: ${long}\n`,
    );
  });

  it('writes one manifest.yaml in render order for the manifest layout', () => {
    const files = renderedFiles([cm('b', 'shop'), cm('a', 'shop')], 'manifest');
    expect([...files.keys()]).toEqual(['manifest.yaml']);
    expect(files.get('manifest.yaml')!.indexOf('name: b')).toBeLessThan(files.get('manifest.yaml')!.indexOf('name: a'));
  });
});

describe('planRenderCommit', () => {
  const meta = new Map([['out/hydrator.metadata', hydratorMetadata('https://git/x.git', dry)]]);

  it('writes new and changed files and deletes the ones the render no longer produces', () => {
    const current = new Map([
      ['out/shop/ConfigMap-a.yaml', 'old'],
      ['out/shop/ConfigMap-gone.yaml', 'x'],
      ['out/hydrator.metadata', '{}'],
      ['elsewhere/keep.yaml', 'y'],
    ]);
    const plan = planRenderCommit(
      'out',
      current,
      new Map([
        ['shop/ConfigMap-a.yaml', 'new'],
        ['shop/ConfigMap-b.yaml', 'b'],
      ]),
      meta,
    );
    expect(plan).toEqual({
      kind: 'commit',
      changes: {
        added: ['shop/ConfigMap-b.yaml'],
        updated: ['shop/ConfigMap-a.yaml'],
        deleted: ['shop/ConfigMap-gone.yaml'],
      },
      edits: [
        { path: 'out/hydrator.metadata', content: meta.get('out/hydrator.metadata') },
        { path: 'out/shop/ConfigMap-a.yaml', content: 'new' },
        { path: 'out/shop/ConfigMap-b.yaml', content: 'b' },
        { path: 'out/shop/ConfigMap-gone.yaml', content: null },
      ],
    });
  });

  it('commits nothing when the rendered bytes are already there, whatever the metadata says', () => {
    const current = new Map([
      ['out/shop/ConfigMap-a.yaml', 'same'],
      ['out/hydrator.metadata', '{"drySha":"older"}'],
    ]);
    expect(planRenderCommit('out', current, new Map([['shop/ConfigMap-a.yaml', 'same']]), meta)).toEqual({
      kind: 'unchanged',
    });
  });

  it('at the root of a rendered branch keeps its own .gitattributes and README', () => {
    const current = new Map([
      ['.gitattributes', 'x'],
      ['README.md', 'r'],
      ['a.yaml', 'a'],
    ]);
    expect(planRenderCommit('.', current, new Map([['a.yaml', 'a']]))).toEqual({ kind: 'unchanged' });
  });
});

describe('the rendered commit message', () => {
  it('links the dry commit in trailers that git interpret-trailers reads back', () => {
    const message = renderCommitMessage(
      'web-dev',
      { ...dry, subject: 'Scale web\r\nto 3' },
      { added: [], updated: ['a.yaml'], deleted: ['b.yaml'] },
    );
    expect(message.split('\n')[0]).toBe('Render web-dev from aaaaaaa: Scale web to 3');
    expect(message).toContain('Updated a.yaml.\nDeleted b.yaml.');
    expect(Object.fromEntries(trailersOf(message))).toEqual({
      'Tidemark-Source-Commit': dry.sha,
      'Tidemark-Source-Author': 'Ann <ann@example.com>',
      'Tidemark-Source-Subject': 'Scale web to 3',
      'Tidemark-Render-Target': 'web-dev',
    });
  });
});

describe('hydrator.metadata', () => {
  it('has the fields Argo CD writes, and reads back', () => {
    const text = hydratorMetadata('https://git/x.git', dry, {
      commands: ['kustomize build x'],
      target: 'web-dev',
      inputs: 'sha256:1',
    });
    expect(JSON.parse(text)).toEqual({
      repoURL: 'https://git/x.git',
      drySha: dry.sha,
      commands: ['kustomize build x'],
      author: dry.author,
      date: dry.date,
      subject: 'Scale web',
      tidemark: { target: 'web-dev', inputs: 'sha256:1' },
    });
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseHydratorMetadata(text)?.drySha).toBe(dry.sha);
    expect(parseHydratorMetadata('not json')).toBeUndefined();
  });
});
