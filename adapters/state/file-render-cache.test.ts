import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/sync/kube-object';
import { renderWithCache } from './file-render-cache';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-render-cache-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A render that counts its calls and returns one object named after the call. */
function countingRender() {
  let calls = 0;
  const render = async (): Promise<KubeObject[]> => {
    calls++;
    return [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `call-${calls}` } }];
  };
  return { render, calls: () => calls };
}

describe('renderWithCache', () => {
  it('renders an unchanged folder once and returns the same objects after', async () => {
    const dir = folder({ 'a.yaml': 'x: 1\n', 'sub/b.yaml': 'y: 2\n' });
    const cache = mkdtempSync(join(tmpdir(), 'tidemark-cache-'));
    const r = countingRender();
    const first = await renderWithCache(dir, cache, r.render);
    expect(await renderWithCache(dir, cache, r.render)).toEqual(first);
    expect(r.calls()).toBe(1);
  });

  it('renders again when any file changes', async () => {
    const dir = folder({ 'a.yaml': 'x: 1\n', 'sub/b.yaml': 'y: 2\n' });
    const cache = mkdtempSync(join(tmpdir(), 'tidemark-cache-'));
    const r = countingRender();
    await renderWithCache(dir, cache, r.render);
    writeFileSync(join(dir, 'sub/b.yaml'), 'y: 3\n');
    expect((await renderWithCache(dir, cache, r.render))[0]?.metadata.name).toBe('call-2');
  });

  it('never caches a folder with a kustomization, which may read files outside it', async () => {
    const dir = folder({ 'kustomization.yaml': 'resources: [../base]\n' });
    const cache = mkdtempSync(join(tmpdir(), 'tidemark-cache-'));
    const r = countingRender();
    await renderWithCache(dir, cache, r.render);
    await renderWithCache(dir, cache, r.render);
    expect(r.calls()).toBe(2);
  });
});
