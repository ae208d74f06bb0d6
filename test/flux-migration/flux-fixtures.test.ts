import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkoutOf, differences, FLUX_FIXTURES, treeOf } from './flux-fixtures';

// Flux's own setter fixtures through the real `tidemark` binary, one pushed image per run, on a checkout built from the
// fixture's original tree: the result must be Flux's expected tree (see flux-fixtures.ts for how each is matched).
const bin = new URL('../../cli/bin.js', import.meta.url).pathname;

function imagesUpdate(dir: string, push: { repository: string; tag: string; digest?: string }) {
  const digest = push.digest ? ['--digest', push.digest] : [];
  const args = ['images', 'update', dir, '--image', push.repository, '--tag', push.tag, ...digest, '--output', 'json'];
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, out: r.status === 0 ? JSON.parse(r.stdout) : undefined };
}

describe('a Flux config repo through `tidemark images update`', () => {
  it.each(FLUX_FIXTURES)('$name: the tree Flux expects', (fixture) => {
    const dir = checkoutOf(fixture);
    for (const push of fixture.pushes) {
      const r = imagesUpdate(dir, push);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(differences(fixture, treeOf(dir))).toEqual([]);
  });

  it('setters: skips the dangling symlink with a note, and names what it moved', () => {
    const fixture = FLUX_FIXTURES.find((f) => f.name === 'setters')!;
    const dir = checkoutOf(fixture);
    const r = imagesUpdate(dir, fixture.pushes[0]!);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out.unread).toEqual([{ file: 'test.yaml', reason: expect.stringMatching(/^is a symbolic link/) }]);
    expect(r.out.changes.map((c: { file: string; from: string; to: string }) => [c.file, c.from, c.to])).toEqual([
      ['Kustomization', 'replaced', 'index.repo.fake/updated'],
      ['Kustomization', 'v1', 'v1.0.1'],
      ['kustomization.yml', 'replaced', 'index.repo.fake/updated'],
      ['kustomization.yml', 'v1', 'v1.0.1'],
      ['marked.yaml', 'image:v1.0.0', 'index.repo.fake/updated:v1.0.1'],
    ]);
  });
});
